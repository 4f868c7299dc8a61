/**
 * memoryBound: whether a convolution does too few multiply-adds per float it reads and writes
 * to gain from being split among threads. Such a call runs on the caller alone, however many
 * multiply-adds it has (INLINE_MACS counts only those).
 *
 * A split call costs the caller, besides its share of the product, copying a worker's part of
 * the input into shared memory and its part of the result back out (and, without a recycled
 * result, mapping a fresh result's pages); two threads also share one memory bus. That cost
 * grows with the floats, the product with the multiply-adds: below INLINE_INTENSITY
 * multiply-adds per float of input + output the copies outweigh the half of the product the
 * worker takes.
 *
 * Measured (one thread against cpu.sync on 2 threads, the same process, interleaved, 25 rounds,
 * best/median ms, the loaded 2-core VM at load 2.8-3.6; "into": cpu.sync.convInto with a
 * recycled result):
 *
 * | call                                        | MAC/float | 1 thread   | split      | into       |
 * | ------------------------------------------- | --------- | ---------- | ---------- | ---------- |
 * | depthwise 3x3 N8 C256 28x28                 | 4.5       | 1.89/2.65  | 4.84/7.40  | 2.95/6.00  |
 * | depthwise 3x3 N1 C256 56x56 (group blocks)  | 4.5       | 0.96/1.15  | 1.89/3.95  | 1.36/2.37  |
 * | Fashion-MNIST conv1 N128 C1 28x28 -> 32 3x3 | 8.7       | 3.46/4.26  | 4.77/11.26 | 4.97/10.05 |
 * | 1x1 N32 C16 56x56 -> 32                     | 10.7      | 5.09/7.50  | 8.24/12.23 | 5.45/9.81  |
 * | 3x3 N16 C3 64x64 -> 16                      | 22.7      | 1.98/2.20  | 2.70/6.62  | 2.23/3.27  |
 * | 1x1 N8 C64 28x28 -> 64                      | 32        | 1.36/1.47  | 1.80/2.83  | 1.54/2.49  |
 * | 3x3 N32 C8 28x28 -> 8                       | 36        | 2.02/2.14  | 1.67/2.46  | 1.59/2.62  |
 * | 3x3 N32 C16 28x28 -> 16                     | 72        | 5.38/5.53  | 3.57/6.10  | 3.34/5.95  |
 * | pw1x1 N1 C128 28x28 -> 256                  | 85        | 1.17/1.28  | 1.66/2.20  | 1.41/2.03  |
 * | Fashion-MNIST conv2 N128 C32 14x14 -> 64    | 192       | 35.0/40.7  | 33.7/46.0  | 30.4/41.9  |
 * | c3x3 N1 C64 56x56 -> 64                     | 288       | 6.09/7.60  | 6.92/8.13  | 6.87/8.49  |
 *
 * Every call below 24 lost even at its best; from 36 up 3x3 calls gain at their best (the
 * medians of this load lose nearly everywhere: a worker often found no free core, and c3x3
 * gains 1.7-1.9x on a quiet machine). 1x1 calls do less work per multiply-add and still lose
 * at 32-85; they are left to the back-off of a late worker. The bench's dw3x3 (N1 C256 28x28,
 * 1.8M multiply-adds) is under INLINE_MACS and was never split; larger depthwise calls lose
 * (above), so the rule takes no exception for them. The backward pass (same geometry) loses
 * as well: conv1's weight gradient 5.14/6.00 against 5.45/8.62, 3x3 N32 C4 and C8 (18, 36)
 * 1.51 against 1.63 and 3.33 against 3.85 at their best.
 */
import { type ConvGeometry, shapeSize } from '@convkit/tensor';

/** Multiply-adds per float of input + output below which a convolution runs on the caller. */
export const INLINE_INTENSITY = 32;

/** A convolution's multiply-adds per float of its input and output (the whole batch). */
export function convIntensity(geometry: ConvGeometry): number {
  const floats = shapeSize(geometry.inputShape) + shapeSize(geometry.outputShape);
  return floats === 0 ? 0 : (geometry.batch * geometry.macsPerSample) / floats;
}

/** Whether a convolution (forward or backward) is memory-bound: below INLINE_INTENSITY. */
export function memoryBound(geometry: ConvGeometry): boolean {
  return convIntensity(geometry) < INLINE_INTENSITY;
}
