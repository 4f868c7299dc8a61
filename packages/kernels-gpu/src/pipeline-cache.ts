/**
 * PipelineCache: compiled compute pipelines keyed by `GpuProgram.cacheKey`. The key names
 * everything the WGSL depends on and sizes live in uniforms, so a model's layers share a
 * handful of pipelines however many shapes they have.
 */
import type { GpuProgram } from './program';

/** GPUShaderStage.COMPUTE (fixed by the WebGPU specification). */
const SHADER_STAGE_COMPUTE = 0x4;

/** A compiled program: its pipeline and the bind group layout its bindings follow. */
export interface CompiledProgram {
  pipeline: GPUComputePipeline;
  bindGroupLayout: GPUBindGroupLayout;
}

export class PipelineCache {
  readonly #device: GPUDevice;
  readonly #pipelines = new Map<string, CompiledProgram>();

  constructor(device: GPUDevice) {
    this.#device = device;
  }

  /** Pipelines compiled so far. */
  get size(): number {
    return this.#pipelines.size;
  }

  /** The cache keys compiled so far, for debugging. */
  keys(): string[] {
    return [...this.#pipelines.keys()];
  }

  /**
   * The program's pipeline, compiled on first use. The bind group layout is explicit (from
   * `program.bindings`), not 'auto', so a binding a variant does not read stays valid.
   */
  get(program: GpuProgram): CompiledProgram {
    let compiled = this.#pipelines.get(program.cacheKey);
    if (!compiled) {
      const module = this.#device.createShaderModule({ label: program.name, code: program.source });
      const bindGroupLayout = this.#device.createBindGroupLayout({
        label: program.cacheKey,
        entries: [
          ...program.bindings.map((b, binding) => ({
            binding,
            visibility: SHADER_STAGE_COMPUTE,
            buffer: { type: b.access === 'read' ? ('read-only-storage' as const) : ('storage' as const) },
          })),
          {
            binding: program.bindings.length,
            visibility: SHADER_STAGE_COMPUTE,
            buffer: { type: 'uniform' as const },
          },
        ],
      });
      const pipeline = this.#device.createComputePipeline({
        label: program.cacheKey,
        layout: this.#device.createPipelineLayout({ bindGroupLayouts: [bindGroupLayout] }),
        compute: { module, entryPoint: 'main' },
      });
      compiled = { pipeline, bindGroupLayout };
      this.#pipelines.set(program.cacheKey, compiled);
    }
    return compiled;
  }
}
