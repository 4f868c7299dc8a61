/**
 * GpuTensor: a float32 tensor whose data lives in a GPU storage buffer, contiguous in its
 * shape (row-major). Ops take and return GpuTensors, so a chain of layers stays on the GPU;
 * `await t.toTensor()` reads it back and `t.dispose()` frees the buffer. Errors the GPU
 * reports about the work that produced it (validation, out of memory, device lost) reject
 * `toTensor()` as typed errors.
 */
import { ArgumentError, formatShape, type Layout, shapeSize, Tensor } from '@convkit/tensor';
import type { GpuContext } from './gpu-context';

export class GpuTensor {
  readonly shape: readonly number[];
  /** The activation layout the op that made it used; null for weights, biases and uploads without one. */
  readonly layout: Layout | null;
  /** Number of elements. */
  readonly size: number;
  #buffer: GPUBuffer | null;
  /** Settles when the work that writes this tensor is validated; rejects with its typed error. */
  readonly ready: Promise<void>;

  /** Made by the context (`ctx.upload`, the ops); not meant to be called directly. */
  constructor(
    readonly context: GpuContext,
    buffer: GPUBuffer,
    shape: readonly number[],
    layout: Layout | null,
    ready: Promise<void> = Promise.resolve(),
  ) {
    this.shape = Object.freeze([...shape]);
    this.size = shapeSize(shape);
    this.layout = layout;
    this.#buffer = buffer;
    this.ready = ready;
    // A rejected `ready` nobody awaited must not crash the process: it is reported by toTensor().
    ready.catch(() => {});
  }

  /** True once disposed. */
  get disposed(): boolean {
    return this.#buffer === null;
  }

  /** The storage buffer (for ops and advanced callers); throws once disposed. */
  get buffer(): GPUBuffer {
    if (this.#buffer === null) {
      throw new ArgumentError(
        `GpuTensor: the tensor ${formatShape(this.shape)} was disposed; it cannot be used again`,
      );
    }
    return this.#buffer;
  }

  /** Reads the data back into a (CPU) Tensor of the same shape. */
  async toTensor(): Promise<Tensor> {
    const buffer = this.buffer;
    await this.ready;
    const data = await this.context.readBuffer(buffer, this.size);
    return new Tensor(data, this.shape);
  }

  /** Frees the GPU buffer. Safe to call twice. */
  dispose(): void {
    if (this.#buffer === null) return;
    this.context.releaseBuffer(this.#buffer);
    this.#buffer = null;
  }
}

/** True for a GpuTensor of this or another copy of the package. */
export function isGpuTensor(value: unknown): value is GpuTensor {
  if (value instanceof GpuTensor) return true;
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as GpuTensor).toTensor === 'function' &&
    typeof (value as GpuTensor).dispose === 'function' &&
    Array.isArray((value as GpuTensor).shape) &&
    'context' in value
  );
}
