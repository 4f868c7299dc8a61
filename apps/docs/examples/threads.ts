import { conv2d, convBackward, createCpuContext } from '@convkit/kernels-cpu';
import { allclose, createRng, maxAbsDiff, zeros } from '@convkit/tensor';

const rng = createRng(3);
const x = rng.normalTensor([4, 32, 28, 28]); // a batch: the pool splits it by sample
const w = rng.normalTensor([64, 32, 3, 3]);

// One thread, synchronous: the ops as every other page uses them.
const single = conv2d(x, w, { padding: 1 });

// A pool: the same ops with the same options, returning Promises. threads counts the calling
// thread too, so 2 is the caller and one worker; 'auto' takes every core.
const cpu = await createCpuContext({ threads: 2 });
const pooled = await cpu.conv2d(x, w, { padding: 1 });
console.log(pooled.shape); // [4, 64, 28, 28]
console.log(allclose(pooled, single)); // true

// Backward passes too. The partial weight gradients of the two halves of the batch are added
// in another order than one thread's sum, so the bits may differ by float32 rounding.
const gradOutput = rng.normalTensor([4, 64, 28, 28]);
const pooledGrads = await cpu.convBackward(gradOutput, x, w, { padding: 1 });
const singleGrads = convBackward(gradOutput, x, w, { padding: 1 });
const scale = maxAbsDiff(singleGrads.gradWeight, zeros(singleGrads.gradWeight.shape)); // largest |value|
console.log(maxAbsDiff(pooledGrads.gradWeight, singleGrads.gradWeight) < 1e-6 * scale); // true

// The same ops, blocking, for synchronous code (a training loop): the same bits as the awaited call.
const blocking = cpu.sync.conv2d(x, w, { padding: 1 });
console.log(maxAbsDiff(blocking, pooled)); // 0

// An AbortSignal cancels a call; dispose() ends the workers.
const controller = new AbortController();
controller.abort();
const cancelled = await cpu
  .conv2d(x, w, { padding: 1, signal: controller.signal })
  .catch((e: Error) => e.name);
console.log(cancelled); // AbortError
cpu.dispose();
