/**
 * OpRun: one op's trip to the GPU. It uploads CPU tensors given as arguments, creates the
 * output and scratch buffers, records each program's dispatch in one command encoder
 * (uniforms in a small uniform buffer; a linear workgroup count too large for one dimension
 * laid over x and y), submits once, frees the scratch, and wraps the outputs as GpuTensors
 * whose `ready` carries any validation or out-of-memory error of this op as a typed error.
 * `runOp` guarantees that a throw on the way (a limit, a bad argument) leaves no buffer behind.
 */
import { ArgumentError, type Layout, ResourceError, type Tensor } from '@convkit/tensor';
import { BufferUsage } from './buffer-usage';
import type { GpuContext } from './gpu-context';
import { GpuDeviceError } from './gpu-device-error';
import { GpuTensor, isGpuTensor } from './gpu-tensor';
import type { GpuProgram } from './program';

/** A whole buffer, or a byte range of one (a chunk of samples). */
export type Binding = GPUBuffer | { buffer: GPUBuffer; offset: number; size: number };

/** The bytes of samples [start, start + count) of a tensor of `sampleBytes` bytes a sample. */
export function sampleRange(buffer: GPUBuffer, start: number, count: number, sampleBytes: number): Binding {
  const size = count * sampleBytes;
  if (start === 0 && size === buffer.size) return buffer;
  return { buffer, offset: start * sampleBytes, size: Math.max(4, size) };
}

export class OpRun {
  readonly ctx: GpuContext;
  readonly op: string;
  readonly encoder: GPUCommandEncoder;
  readonly #temporaries: GPUBuffer[] = [];
  readonly #outputs: GPUBuffer[] = [];

  constructor(ctx: GpuContext, op: string) {
    this.ctx = ctx;
    this.op = op;
    this.encoder = ctx.device.createCommandEncoder({ label: op });
  }

  /** The buffer of an argument: a GpuTensor's own, or a CPU Tensor uploaded for this op. */
  input(value: Tensor | GpuTensor): GPUBuffer {
    if (isGpuTensor(value)) {
      if (value.context !== this.ctx) {
        throw new ArgumentError(
          `${this.op}: a GpuTensor of another GPU context was passed; read it back (toTensor) and pass that, or upload it to this context`,
        );
      }
      return value.buffer;
    }
    const uploaded = this.ctx.upload(value, null, this.op);
    const buffer = uploaded.buffer;
    this.#temporaries.push(buffer);
    return buffer;
  }

  /** A buffer for an output of `elements` values, returned as a GpuTensor by `finish`. */
  output(what: string, elements: number): GPUBuffer {
    const buffer = this.ctx.createBuffer(this.op, what, elements);
    this.#outputs.push(buffer);
    return buffer;
  }

  /** A zero-filled scratch buffer, freed after submission. */
  scratch(what: string, elements: number): GPUBuffer {
    const buffer = this.ctx.createBuffer(this.op, what, elements);
    this.#temporaries.push(buffer);
    return buffer;
  }

  /** Records one dispatch of `program` over `buffers` (in the program's binding order). */
  dispatch(program: GpuProgram, buffers: readonly Binding[]): void {
    const { limits } = this.ctx;
    if (buffers.length !== program.bindings.length) {
      throw new Error(
        `${this.op}: internal error, ${program.name} binds ${program.bindings.length} buffers, got ${buffers.length}`,
      );
    }
    buffers.forEach((binding, i) => {
      if (binding.size > limits.maxStorageBufferBindingSize) {
        throw new ResourceError(
          `${this.op}: the ${program.bindings[i]!.name} buffer of kernel ${program.name} needs ${binding.size} bytes in one binding, above this GPU's storage binding limit of ${limits.maxStorageBufferBindingSize} bytes; use a smaller batch or the CPU kernels`,
        );
      }
    });
    if (program.workgroups === 0) return;
    if (program.workgroupStorageBytes > limits.maxComputeWorkgroupStorageSize) {
      throw new ResourceError(
        `${this.op}: kernel ${program.name} needs ${program.workgroupStorageBytes} bytes of workgroup memory, above this GPU's ${limits.maxComputeWorkgroupStorageSize}`,
      );
    }
    if (
      program.workgroupSize >
      Math.min(limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX)
    ) {
      throw new ResourceError(
        `${this.op}: kernel ${program.name} runs ${program.workgroupSize} threads per workgroup, above this GPU's ${limits.maxComputeInvocationsPerWorkgroup}`,
      );
    }
    if (program.workgroups * program.workgroupSize > 2 ** 31 - 1) {
      throw new ResourceError(
        `${this.op}: kernel ${program.name} needs more than 2^31 threads (${program.workgroups} workgroups of ${program.workgroupSize}); use a smaller batch`,
      );
    }
    const { pipeline, bindGroupLayout } = this.ctx.pipelines.get(program);
    // A chunk is at most perDim x perDim workgroups; each gets its own uniforms (its base).
    const perDim = limits.maxComputeWorkgroupsPerDimension;
    const chunk = perDim * perDim;
    for (let base = 0; base < program.workgroups; base += chunk) {
      const count = Math.min(chunk, program.workgroups - base);
      const x = Math.min(count, perDim);
      const y = Math.ceil(count / x);
      const uniforms = this.uniformBuffer(program, base);
      const bindGroup = this.ctx.device.createBindGroup({
        layout: bindGroupLayout,
        entries: [
          ...buffers.map((b, binding) => ({
            binding,
            resource: 'offset' in b ? { buffer: b.buffer, offset: b.offset, size: b.size } : { buffer: b },
          })),
          { binding: buffers.length, resource: { buffer: uniforms } },
        ],
      });
      const pass = this.encoder.beginComputePass({ label: program.name });
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(x, y);
      pass.end();
    }
  }

  /** The program's uniforms, `workgroupBase` first, in a buffer freed after submission. */
  private uniformBuffer(program: GpuProgram, workgroupBase: number): GPUBuffer {
    const values = [workgroupBase, ...program.uniforms.map(([, value]) => value)];
    const data = new Int32Array(Math.ceil(values.length / 4) * 4);
    data.set(values);
    const buffer = this.ctx.device.createBuffer({
      label: `${program.name} uniforms`,
      size: data.byteLength,
      usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST,
    });
    this.ctx.device.queue.writeBuffer(buffer, 0, data);
    this.#temporaries.push(buffer);
    return buffer;
  }

  /** Submits, frees the scratch buffers, and wraps `outputs` (with their shapes) as GpuTensors. */
  finish(
    ready: Promise<void>,
    outputs: readonly (readonly [GPUBuffer, readonly number[], Layout | null])[],
  ): GpuTensor[] {
    this.ctx.device.queue.submit([this.encoder.finish()]);
    this.discardTemporaries();
    return outputs.map(([buffer, shape, layout]) => new GpuTensor(this.ctx, buffer, shape, layout, ready));
  }

  /** Frees scratch buffers (after submission: the GPU keeps them until the work is done). */
  discardTemporaries(): void {
    for (const buffer of this.#temporaries) {
      // Uniform buffers are not counted by the context; destroy them directly.
      this.ctx.releaseBuffer(buffer);
      buffer.destroy();
    }
    this.#temporaries.length = 0;
  }

  /** Frees everything, outputs included (the op failed before submission). */
  abandon(): void {
    this.discardTemporaries();
    for (const buffer of this.#outputs) this.ctx.releaseBuffer(buffer);
    this.#outputs.length = 0;
  }
}

const SCOPES: readonly GPUErrorFilter[] = ['validation', 'out-of-memory', 'internal'];

/** Converts what an error scope caught into convkit's typed errors. */
function typedError(op: string, error: GPUError, filter: GPUErrorFilter): Error {
  if (filter === 'out-of-memory') {
    return new ResourceError(`${op}: the GPU ran out of memory: ${error.message}`);
  }
  return new GpuDeviceError(`${op}: the GPU reported a ${filter} error: ${error.message}`, filter);
}

/**
 * Runs `build` inside error scopes: it records the op's dispatches and returns the outputs;
 * every GPU error of the op rejects the outputs' `ready` with a typed error.
 */
export function runOp<T>(ctx: GpuContext, op: string, build: (run: OpRun, ready: Promise<void>) => T): T {
  ctx.checkUsable(op);
  const { device } = ctx;
  for (const filter of SCOPES) device.pushErrorScope(filter);
  let resolveBuild!: () => void;
  const built = new Promise<void>((resolve) => {
    resolveBuild = resolve;
  });
  // Popped in reverse order once `build` has submitted; the first error found wins.
  const ready = built.then(async () => {
    let first: Error | null = null;
    for (const filter of [...SCOPES].reverse()) {
      const error = await device.popErrorScope();
      if (error && !first) first = typedError(op, error, filter);
    }
    if (first) throw first;
    ctx.checkUsable(op);
  });
  const run = new OpRun(ctx, op);
  try {
    const result = build(run, ready);
    resolveBuild();
    return result;
  } catch (error) {
    run.abandon();
    resolveBuild();
    ready.catch(() => {});
    throw error;
  }
}
