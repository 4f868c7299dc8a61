import { defineConfig } from 'tsup';
import { packageConfig } from '../../tooling/tsup.config.base';

// The declarations name WebGPU's types (GPUDevice...), so they reference @webgpu/types, a
// dependency: a user's type check finds them without configuring anything.
export default defineConfig(packageConfig({ dts: { banner: '/// <reference types="@webgpu/types" />' } }));
