/** Bad inputs of the functional ops: typed errors naming the op, the argument and the values. */
import { ArgumentError, createRng, ShapeError, tensor, UnsupportedError } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { gelu, leakyRelu, softmax } from './activations';
import { add, mean, scale, sum } from './arithmetic';
import { conv } from './convolution';
import { dropout } from './dropout';
import { embedding } from './embedding';
import { interpolate } from './interpolate';
import { linear, matmul } from './linear';
import { bceWithLogits, crossEntropy, mseLoss, nllLoss } from './losses';
import { batchNorm, groupNorm, layerNorm } from './normalization';
import { adaptiveAvgPool, avgPool, maxPool } from './pooling';
import { cat, flatten, pad, pixelShuffle, split, transpose } from './shape-ops';

const rng = createRng(1);
const x4 = rng.normalTensor([1, 2, 4, 4]);

describe('functional ops refuse bad inputs', () => {
  const cases: [
    string,
    () => unknown,
    RegExp,
    typeof ArgumentError | typeof ShapeError | typeof UnsupportedError,
  ][] = [
    [
      'add broadcast',
      () => add(tensor([1, 2], [2]), tensor([1, 2, 3], [3])),
      /add: shapes \[2\] and \[3\] do not broadcast/,
      ShapeError,
    ],
    ['sum dims', () => sum(x4, [4]), /sum: dims \[4\] must be distinct dimensions/, ArgumentError],
    ['mean repeated dims', () => mean(x4, [1, 1]), /distinct/, ArgumentError],
    ['scale', () => scale(x4, Number.NaN), /finite/, ArgumentError],
    ['softmax dim', () => softmax(x4, 4), /softmax: dim 4 does not exist/, ArgumentError],
    ['leakyRelu slope', () => leakyRelu(x4, Number.NaN), /negativeSlope/, ArgumentError],
    ['gelu mode', () => gelu(x4, 'fast' as never), /approximate/, ArgumentError],
    ['conv channels', () => conv(x4, rng.normalTensor([3, 3, 3, 3])), /channels/, ShapeError],
    [
      'conv input type',
      () => conv('x' as never, rng.normalTensor([3, 2, 3, 3])),
      /conv: input must be a Tensor/,
      ArgumentError,
    ],
    [
      'matmul',
      () => matmul(tensor([1, 2], [1, 2]), tensor([1, 2], [1, 2])),
      /matmul: needs \[m, k\] and \[k, n\]/,
      ShapeError,
    ],
    [
      'linear features',
      () => linear(tensor([1, 2], [1, 2]), tensor([1, 2, 3], [1, 3])),
      /linear: input \[1, 2\] has 2 features/,
      ShapeError,
    ],
    [
      'linear bias',
      () => linear(tensor([1, 2], [1, 2]), tensor([1, 2], [1, 2]), tensor([1, 2], [2])),
      /bias must be \[1\]/,
      ShapeError,
    ],
    ['cat empty', () => cat([]), /non-empty/, ArgumentError],
    [
      'cat shapes',
      () => cat([x4, rng.normalTensor([1, 2, 3, 4])], 1),
      /cat: inputs\[1\] has shape/,
      ShapeError,
    ],
    [
      'split sizes',
      () => split(x4, [1, 2], 1),
      /sizes \[1, 2\] must be non-negative integers summing to/,
      ArgumentError,
    ],
    ['split size', () => split(x4, 0), /positive integer/, ArgumentError],
    ['transpose dim', () => transpose(x4, 0, 9), /dim 9 does not exist/, ArgumentError],
    ['flatten order', () => flatten(x4, 3, 1), /must not come after/, ArgumentError],
    ['pad pairs', () => pad(x4, [1]), /pair per padded dim/, ArgumentError],
    ['pad crop', () => pad(x4, [-3, -3]), /negative size/, ShapeError],
    ['pixelShuffle channels', () => pixelShuffle(x4, 2), /divisible by 4/, ShapeError],
    [
      'maxPool rank',
      () => maxPool(x4, 1, { kernelSize: 2 }),
      /maxPool1d: input must be \[N, C, L\]/,
      ShapeError,
    ],
    ['maxPool kernel', () => maxPool(x4, 2, {} as never), /kernelSize is required/, ArgumentError],
    [
      'avgPool divisor',
      () => avgPool(x4, 2, { kernelSize: 2, divisorOverride: 0.5 }),
      /divisorOverride/,
      ArgumentError,
    ],
    [
      'adaptive size',
      () => adaptiveAvgPool(x4, 2, [0, 1]),
      /outputSize must be a positive integer/,
      ArgumentError,
    ],
    ['adaptive rank', () => adaptiveAvgPool(x4, 1, 1), /1 spatial dims/, ShapeError],
    [
      'batchNorm one value',
      () => batchNorm(tensor([1, 2], [1, 2]), { training: true }),
      /more than one value per channel/,
      ShapeError,
    ],
    [
      'batchNorm weight',
      () => batchNorm(x4, { training: true, weight: tensor([1], [1]) }),
      /weight must be \[2\]/,
      ShapeError,
    ],
    ['groupNorm groups', () => groupNorm(x4, 3), /divisible by 3 groups/, ShapeError],
    ['layerNorm shape', () => layerNorm(x4, [5]), /must end with the normalized shape \[5\]/, ShapeError],
    [
      'interpolate mode',
      () => interpolate(x4, { scaleFactor: 2, mode: 'bicubic' as never }),
      /mode must be/,
      UnsupportedError,
    ],
    [
      'interpolate bilinear rank',
      () => interpolate(rng.normalTensor([1, 1, 4]), { scaleFactor: 2, mode: 'bilinear' }),
      /4-D input/,
      ShapeError,
    ],
    ['interpolate both', () => interpolate(x4, {}), /exactly one of size and scaleFactor/, ArgumentError],
    ['interpolate size', () => interpolate(x4, { size: [2.5, 2] }), /integers/, ArgumentError],
    [
      'interpolate factor',
      () => interpolate(x4, { scaleFactor: [2] }),
      /scaleFactor must be a positive number or 2 of them/,
      ArgumentError,
    ],
    ['dropout p', () => dropout(x4, 2), /dropout: p must be a probability/, ArgumentError],
    [
      'embedding id',
      () => embedding(tensor([3], [1]), rng.normalTensor([3, 2])),
      /ids must be integers in \[0, 2\], got 3/,
      ArgumentError,
    ],
    [
      'embedding weight',
      () => embedding(tensor([0], [1]), rng.normalTensor([3])),
      /weight must be \[V, D\]/,
      ShapeError,
    ],
    [
      'crossEntropy target shape',
      () => crossEntropy(rng.normalTensor([2, 3]), tensor([0], [1])),
      /target must be \[2\] class ids/,
      ShapeError,
    ],
    [
      'crossEntropy class id',
      () => crossEntropy(rng.normalTensor([2, 3]), tensor([0, 3], [2])),
      /target holds 3, not a class id in \[0, 2\]/,
      ArgumentError,
    ],
    [
      'crossEntropy option',
      () => crossEntropy(rng.normalTensor([2, 3]), tensor([0, 1], [2]), { label_smoothing: 0.1 } as never),
      /unknown option 'label_smoothing'/,
      ArgumentError,
    ],
    [
      'nllLoss reduction',
      () => nllLoss(rng.normalTensor([2, 3]), tensor([0, 1], [2]), { reduction: 'avg' as never }),
      /reduction must be one of/,
      ArgumentError,
    ],
    [
      'nllLoss target type',
      () => nllLoss(rng.normalTensor([2, 3]), [0, 1] as never),
      /target must be a Tensor/,
      ArgumentError,
    ],
    [
      'mseLoss shapes',
      () => mseLoss(tensor([1, 2], [2]), tensor([1], [1])),
      /mseLoss: input \[2\] and target \[1\] must have one shape/,
      ShapeError,
    ],
    [
      'bce options',
      () => bceWithLogits(tensor([1], [1]), tensor([1], [1]), { weight: 1 } as never),
      /unknown option 'weight'/,
      ArgumentError,
    ],
  ];
  for (const [name, fn, message, kind] of cases) {
    it(name, () => {
      expect(fn).toThrow(kind);
      expect(fn).toThrow(message);
    });
  }
});
