/**
 * The trainer's memory measure, the figure the Fashion-MNIST comparison quotes:
 *
 *   ratio = (peak RSS while training and evaluating - RSS just before training)
 *           / (the activations of one training batch)
 *
 * The peak is the kernel's high-water mark of the resident set (`maxRSS`, which catches peaks
 * inside a step) when training raised it, else the largest RSS sampled after each training
 * step and evaluation batch. The activations are what a tape needs for one batch: the input
 * and every top-level layer's output, float32 (`batchActivationBytes`). RSS counts everything
 * the process touched since the baseline: live tensors, buffers the layers keep for reuse,
 * kernels-cpu's WebAssembly memory (reported on its own: it only grows), and arrays that are
 * garbage but not yet collected.
 */
import { type Module, noGrad } from '@convkit/layers';
import { Tensor } from '@convkit/tensor';

const MB = 2 ** 20;

/**
 * Bytes of one batch's activations: the input and each child's output, from a one-image
 * probe in eval mode without recording (no running statistics move, nothing large is made
 * before the baseline), times the batch size.
 */
export function batchActivationBytes(model: Module, image: Float32Array, batchSize: number): number {
  const probe = new Tensor(image.slice(0, 784), [1, 1, 28, 28]);
  let elements = probe.size;
  const wasTraining = model.training;
  model.eval();
  noGrad(() => {
    let y = probe;
    for (const layer of model.children()) {
      y = layer.forward(y).data;
      elements += y.size;
    }
  });
  model.train(wasTraining);
  return elements * 4 * batchSize;
}

export interface MemoryReport {
  /** RSS just before training (the data set, the model, the runtime). */
  rssBeforeTrainingMb: number;
  /** The peak RSS during training and evaluation, and its growth over the baseline. */
  peakRssMb: number;
  peakRssGrowthMb: number;
  /** Whether the peak is the kernel's high-water mark (true) or the largest sample. */
  peakFromHighWaterMark: boolean;
  /** The sample at or before which the peak was reached ('training step 12 of epoch 1', 'evaluation batch 3 of epoch 1'). */
  peakAt: string;
  /** Typed-array memory growth at the samples (V8's count, WebAssembly memory excluded). */
  arrayBufferGrowthMb: number;
  /** kernels-cpu's WebAssembly memories at the end, the module's and a CPU context's (a part of the growth). */
  wasmMemoryMb: number;
  batchActivationsMb: number;
  /** peakRssGrowthMb / batchActivationsMb: the "no more than 2x". */
  ratio: number;
}

export class MemoryMeter {
  private readonly baselineRss: number;
  private readonly baselineHighWater: number;
  private readonly baselineBuffers: number;
  private peakSampledRss: number;
  private peakBuffers: number;
  private highWater: number;
  private peakAt = 'before training';

  /**
   * Takes the baseline: call right before training. Where the runtime exposes its collector
   * (`node --expose-gc`, as the train script runs), the garbage of loading the data set is
   * collected first: freed during training, it would hide that much of the growth.
   */
  constructor() {
    (globalThis as { gc?: () => void }).gc?.();
    const now = process.memoryUsage();
    this.baselineRss = now.rss;
    this.baselineBuffers = now.arrayBuffers;
    this.baselineHighWater = process.resourceUsage().maxRSS * 1024;
    this.peakSampledRss = now.rss;
    this.peakBuffers = now.arrayBuffers;
    this.highWater = this.baselineHighWater;
  }

  /** After each training step and evaluation batch; `at` names it. */
  sample(at = 'the end'): void {
    const now = process.memoryUsage();
    const highWater = process.resourceUsage().maxRSS * 1024;
    if (highWater > this.highWater || now.rss > this.peakSampledRss) this.peakAt = at;
    this.highWater = Math.max(this.highWater, highWater);
    this.peakSampledRss = Math.max(this.peakSampledRss, now.rss);
    this.peakBuffers = Math.max(this.peakBuffers, now.arrayBuffers);
  }

  /** Right after the last sample (before the results are written). */
  report(batchActivations: number, wasmMemoryBytes: number): MemoryReport {
    const highWater = process.resourceUsage().maxRSS * 1024;
    if (highWater > this.highWater) this.peakAt = 'the end';
    const fromHighWater = highWater > this.baselineHighWater;
    const peak = fromHighWater ? Math.max(highWater, this.peakSampledRss) : this.peakSampledRss;
    const growth = peak - this.baselineRss;
    return {
      rssBeforeTrainingMb: this.baselineRss / MB,
      peakRssMb: peak / MB,
      peakRssGrowthMb: growth / MB,
      peakFromHighWaterMark: fromHighWater,
      peakAt: this.peakAt,
      arrayBufferGrowthMb: (this.peakBuffers - this.baselineBuffers) / MB,
      wasmMemoryMb: wasmMemoryBytes / MB,
      batchActivationsMb: batchActivations / MB,
      ratio: growth / batchActivations,
    };
  }
}

/** One line for the console. */
export function formatMemory(m: MemoryReport): string {
  return `memory: peak RSS ${m.peakRssMb.toFixed(0)} MB, ${m.peakRssGrowthMb.toFixed(0)} MB over the ${m.rssBeforeTrainingMb.toFixed(0)} MB before training = ${m.ratio.toFixed(2)}x the ${m.batchActivationsMb.toFixed(0)} MB of one batch's activations, reached by ${m.peakAt} (kernels-cpu's WebAssembly memory ${m.wasmMemoryMb.toFixed(0)} MB of it; typed arrays grew ${m.arrayBufferGrowthMb.toFixed(0)} MB)`;
}
