/**
 * The GPU context the tests share (one per test file), or the reason there is none. Without
 * an adapter the GPU suites skip, and this prints one line saying why, never silently.
 */
import { createGpuContext, type GpuContext, type GpuContextOptions } from '../src/index';

export interface TestGpu {
  gpu: GpuContext | null;
  /** Why `gpu` is null; empty when there is a GPU. */
  skipReason: string;
}

export async function openTestGpu(suite: string, options?: GpuContextOptions): Promise<TestGpu> {
  try {
    const gpu = await createGpuContext(options);
    return { gpu, skipReason: '' };
  } catch (error) {
    const skipReason = `${suite}: GPU tests skipped, no WebGPU adapter: ${(error as Error).message}`;
    console.warn(`[kernels-gpu] ${skipReason}`);
    return { gpu: null, skipReason };
  }
}

/** Whether the long suites run in full (`pnpm test:gpu`) or on a representative subset (CI). */
export const FULL_GPU_SUITE = process.env.CONVKIT_GPU_FULL === '1';
