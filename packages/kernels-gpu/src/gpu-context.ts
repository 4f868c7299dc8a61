/**
 * GpuContext: one WebGPU device and what convkit keeps beside it: the adapter's description
 * (`info`), the limits it respects, the pipeline cache, and a count of the buffers alive, so
 * a leak shows as a number. `createGpuContext()` finds a device: the caller's, or
 * `navigator.gpu` in a browser, or in Node the `webgpu` package (Dawn), an optional peer
 * dependency loaded only then, so a browser bundle never pulls a native binary.
 */
import { type Layout, ResourceError, type Tensor, UnsupportedError } from '@convkit/tensor';
import { BufferUsage, MAP_MODE_READ } from './buffer-usage';
import { GpuDeviceError } from './gpu-device-error';
import { GpuTensor } from './gpu-tensor';
import { gpuConv } from './ops/conv';
import { type GpuConvGradients, gpuConvBackward } from './ops/conv-backward';
import { gpuConvTranspose } from './ops/conv-transpose';
import { gpuConvTransposeBackward } from './ops/conv-transpose-backward';
import { gpuDeformConv } from './ops/deform-conv';
import { type GpuDeformConvGradients, gpuDeformConvBackward } from './ops/deform-conv-backward';
import type { GpuConvOptions, GpuConvTransposeOptions, GpuDeformConvOptions } from './options';
import { PipelineCache } from './pipeline-cache';
import { opNameFor, type TensorLike } from './resolve-gpu-call';

export interface GpuContextOptions {
  /** A device the caller already has (its adapter's info is then unknown unless `adapter` is given too). */
  device?: GPUDevice;
  /** An adapter the caller already has; a device is requested from it. */
  adapter?: GPUAdapter;
  /** A `GPU` object to request the adapter from, instead of navigator.gpu or the `webgpu` package. */
  gpu?: GPU;
  powerPreference?: GPUPowerPreference;
  /**
   * Lower caps than the device's own (for tests of the splitting and refusal paths, or to
   * leave room for other work): never raises a limit above the device's.
   */
  limits?: Partial<GpuLimits>;
}

/** The device limits convkit plans its dispatches and buffers against. */
export interface GpuLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  maxComputeWorkgroupsPerDimension: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupSizeX: number;
  /** Binding offsets must be multiples of this (a lower bound: a cap can only raise it). */
  minStorageBufferOffsetAlignment: number;
}

export interface GpuInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for a CPU implementation (lavapipe, SwiftShader, WARP): correct, not fast. */
  software: boolean;
  /** Where the device came from: 'caller', 'navigator.gpu', or 'webgpu (Node, Dawn)'. */
  source: string;
}

const SOFTWARE_NAMES = /llvmpipe|lavapipe|swiftshader|software|warp|microsoft basic render/i;

/** What `GPUAdapter.info` holds (read through this type: older @webgpu/types lack the field). */
interface AdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

function describeAdapter(adapter: GPUAdapter | undefined, source: string): GpuInfo {
  const info = (adapter as { info?: AdapterInfo } | undefined)?.info;
  const vendor = info?.vendor ?? '';
  const architecture = info?.architecture ?? '';
  const device = info?.device ?? '';
  const description = info?.description ?? '';
  const fallback =
    (adapter as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter === true ||
    info?.isFallbackAdapter === true;
  const software = fallback || SOFTWARE_NAMES.test(`${vendor} ${architecture} ${device} ${description}`);
  return { vendor, architecture, device, description, software, source };
}

/** Loads Node's `webgpu` package without letting a bundler see (and bundle) the import. */
async function loadNodeWebgpu(): Promise<{ create: (options: string[]) => GPU } | null> {
  const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
  if (!isNode) return null;
  const specifier = 'webgpu';
  try {
    return (await import(/* @vite-ignore */ specifier)) as { create: (options: string[]) => GPU };
  } catch {
    return null;
  }
}

const LIMIT_NAMES: readonly (keyof GpuLimits)[] = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'minStorageBufferOffsetAlignment',
];

/** Creates a context on the caller's device, navigator.gpu, or Node's `webgpu` package. */
export async function createGpuContext(options: GpuContextOptions = {}): Promise<GpuContext> {
  if (options.device) {
    return new GpuContext(options.device, describeAdapter(options.adapter, 'caller'), null, options.limits);
  }
  let adapter = options.adapter;
  let source = 'caller';
  let keepAlive: unknown = null;
  if (!adapter) {
    let gpu = options.gpu ?? (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
    source = options.gpu ? 'caller' : 'navigator.gpu';
    if (!gpu) {
      const dawn = await loadNodeWebgpu();
      if (!dawn) {
        throw new UnsupportedError(
          "createGpuContext: no WebGPU here: navigator.gpu is missing and Node's optional 'webgpu' package is not installed (npm i webgpu)",
        );
      }
      gpu = dawn.create([]);
      // Dawn crashes the process if this object is collected while its device lives.
      keepAlive = gpu;
      source = 'webgpu (Node, Dawn)';
    }
    adapter =
      (await gpu.requestAdapter(
        options.powerPreference ? { powerPreference: options.powerPreference } : {},
      )) ?? undefined;
    if (!adapter) {
      throw new UnsupportedError(
        `createGpuContext: ${source} offers no WebGPU adapter (no GPU, or no driver: in Node on a machine without a GPU install a Vulkan driver such as Mesa's lavapipe)`,
      );
    }
  }
  const requiredLimits: Record<string, number> = {};
  for (const name of LIMIT_NAMES) requiredLimits[name] = adapter.limits[name]!;
  const device = await adapter.requestDevice({ requiredLimits });
  return new GpuContext(device, describeAdapter(adapter, source), keepAlive, options.limits);
}

export class GpuContext {
  readonly device: GPUDevice;
  readonly info: GpuInfo;
  readonly limits: GpuLimits;
  readonly pipelines: PipelineCache;
  /** The object Dawn's device depends on (Node); held for the context's lifetime. */
  readonly #keepAlive: unknown;
  readonly #live = new Set<GPUBuffer>();
  #lost: string | null = null;
  #disposed = false;

  constructor(device: GPUDevice, info: GpuInfo, keepAlive: unknown, caps?: Partial<GpuLimits>) {
    this.device = device;
    this.info = info;
    this.#keepAlive = keepAlive;
    const limits = {} as GpuLimits;
    for (const name of LIMIT_NAMES) {
      const own = device.limits[name];
      const cap = caps?.[name];
      const stricter = name.startsWith('min') ? Math.max : Math.min;
      limits[name] = cap === undefined ? own : stricter(own, cap);
    }
    this.limits = Object.freeze(limits);
    this.pipelines = new PipelineCache(device);
    device.lost.then((lost) => {
      if (!this.#disposed) this.#lost = lost.message || String(lost.reason);
    });
  }

  /** Buffers created by this context and not yet freed: tensors, uploads, temporaries. */
  get liveBuffers(): number {
    return this.#live.size;
  }

  /** Throws a GpuDeviceError when the device was lost or the context disposed. */
  checkUsable(op: string): void {
    if (this.#disposed) throw new GpuDeviceError(`${op}: the GPU context was disposed`, 'destroyed');
    if (this.#lost !== null)
      throw new GpuDeviceError(`${op}: the GPU device was lost (${this.#lost})`, 'lost');
    void this.#keepAlive;
  }

  /**
   * A storage buffer of `elements` float32 values, checked against the device's maximum
   * buffer size (a ResourceError naming the op and the buffer). Binding it whole, or in
   * chunks, is checked against the binding limit when an op dispatches.
   */
  createBuffer(op: string, what: string, elements: number, usage = 0): GPUBuffer {
    this.checkUsable(op);
    const bytes = Math.max(4, elements * 4);
    const limit = this.limits.maxBufferSize;
    if (bytes > limit) {
      throw new ResourceError(
        `${op}: ${what} needs ${bytes} bytes (${elements} float32 values), above this GPU's maximum buffer size of ${limit} bytes; split the batch or use the CPU kernels`,
      );
    }
    const buffer = this.device.createBuffer({
      label: `${op} ${what}`,
      size: Math.ceil(bytes / 4) * 4,
      usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST | usage,
    });
    this.#live.add(buffer);
    return buffer;
  }

  /** Destroys a buffer this context created. */
  releaseBuffer(buffer: GPUBuffer): void {
    if (this.#live.delete(buffer)) buffer.destroy();
  }

  /** Copies a (CPU) Tensor to the GPU, contiguous; `layout` records how its dims read. */
  upload(tensor: Tensor, layout: Layout | null = null, op = 'upload'): GpuTensor {
    const data = tensor.contiguous().data;
    const view =
      tensor.isContiguous && tensor.offset === 0 && data.length === tensor.size ? data : data.slice();
    const buffer = this.createBuffer(op, `tensor ${JSON.stringify(tensor.shape)}`, tensor.size);
    if (tensor.size > 0)
      this.device.queue.writeBuffer(buffer, 0, view.buffer, view.byteOffset, tensor.size * 4);
    return new GpuTensor(this, buffer, tensor.shape, layout);
  }

  /** Reads `elements` float32 values from a storage buffer; rejects with a GpuDeviceError on device loss. */
  async readBuffer(buffer: GPUBuffer, elements: number): Promise<Float32Array> {
    this.checkUsable('toTensor');
    if (elements === 0) return new Float32Array(0);
    const bytes = elements * 4;
    const staging = this.device.createBuffer({
      size: bytes,
      usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST,
    });
    try {
      const encoder = this.device.createCommandEncoder();
      encoder.copyBufferToBuffer(buffer, 0, staging, 0, bytes);
      this.device.queue.submit([encoder.finish()]);
      try {
        await staging.mapAsync(MAP_MODE_READ);
      } catch (error) {
        this.checkUsable('toTensor');
        throw new GpuDeviceError(
          `toTensor: reading the result back failed: ${(error as Error).message}`,
          'internal',
        );
      }
      return new Float32Array(staging.getMappedRange().slice(0));
    } finally {
      staging.destroy();
    }
  }

  /**
   * Convolution (torch.nn.functional.conv{1,2,3}d), 1-D/2-D/3-D from the weight's rank; input
   * [N, C_in, ...] (or [N, ..., C_in] with layout 'channels-last'), weight [C_out, C_in/groups, ...k].
   */
  conv(input: TensorLike, weight: TensorLike, options?: GpuConvOptions): GpuTensor {
    return gpuConv(this, opNameFor('conv', weight), input, weight, options);
  }
  conv1d(input: TensorLike, weight: TensorLike, options?: GpuConvOptions): GpuTensor {
    return gpuConv(this, 'conv1d', input, weight, options, 1);
  }
  conv2d(input: TensorLike, weight: TensorLike, options?: GpuConvOptions): GpuTensor {
    return gpuConv(this, 'conv2d', input, weight, options, 2);
  }
  conv3d(input: TensorLike, weight: TensorLike, options?: GpuConvOptions): GpuTensor {
    return gpuConv(this, 'conv3d', input, weight, options, 3);
  }

  /** Transposed convolution (conv_transpose{1,2,3}d); weight [C_in, C_out/groups, ...k]. */
  convTranspose(input: TensorLike, weight: TensorLike, options?: GpuConvTransposeOptions): GpuTensor {
    return gpuConvTranspose(this, opNameFor('convTranspose', weight), input, weight, options);
  }
  convTranspose1d(input: TensorLike, weight: TensorLike, options?: GpuConvTransposeOptions): GpuTensor {
    return gpuConvTranspose(this, 'convTranspose1d', input, weight, options, 1);
  }
  convTranspose2d(input: TensorLike, weight: TensorLike, options?: GpuConvTransposeOptions): GpuTensor {
    return gpuConvTranspose(this, 'convTranspose2d', input, weight, options, 2);
  }
  convTranspose3d(input: TensorLike, weight: TensorLike, options?: GpuConvTransposeOptions): GpuTensor {
    return gpuConvTranspose(this, 'convTranspose3d', input, weight, options, 3);
  }

  /** Deformable convolution v1/v2 (torchvision.ops.deform_conv2d), channels-first. */
  deformConv(
    input: TensorLike,
    weight: TensorLike,
    offset: TensorLike,
    options?: GpuDeformConvOptions,
  ): GpuTensor {
    return gpuDeformConv(this, input, weight, offset, options);
  }

  /** { gradInput, gradWeight, gradBias } of `conv` with the same options. */
  convBackward(
    gradOutput: TensorLike,
    input: TensorLike,
    weight: TensorLike,
    options?: GpuConvOptions,
  ): GpuConvGradients {
    return gpuConvBackward(this, gradOutput, input, weight, options);
  }

  /** { gradInput, gradWeight, gradBias } of `convTranspose` with the same options. */
  convTransposeBackward(
    gradOutput: TensorLike,
    input: TensorLike,
    weight: TensorLike,
    options?: GpuConvTransposeOptions,
  ): GpuConvGradients {
    return gpuConvTransposeBackward(this, gradOutput, input, weight, options);
  }

  /** { gradInput, gradWeight, gradBias, gradOffset, gradMask } of `deformConv`. */
  deformConvBackward(
    gradOutput: TensorLike,
    input: TensorLike,
    weight: TensorLike,
    offset: TensorLike,
    options?: GpuDeformConvOptions,
  ): GpuDeformConvGradients {
    return gpuDeformConvBackward(this, gradOutput, input, weight, offset, options);
  }

  /** Waits for every submitted GPU command to finish. */
  async synchronize(): Promise<void> {
    await this.device.queue.onSubmittedWorkDone();
  }

  /** Frees the device. Tensors of this context must not be used afterwards. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const buffer of this.#live) buffer.destroy();
    this.#live.clear();
    this.device.destroy();
  }
}
