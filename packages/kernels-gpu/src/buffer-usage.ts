/**
 * The WebGPU buffer usage and map-mode flags (values fixed by the WebGPU specification),
 * so the package never needs the `GPUBufferUsage` globals that Node's `webgpu` package
 * only installs on request.
 */
export const BufferUsage = {
  MAP_READ: 0x0001,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
} as const;

export const MAP_MODE_READ = 0x0001;
