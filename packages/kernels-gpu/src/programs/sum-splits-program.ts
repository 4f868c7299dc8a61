/**
 * sumSplitsProgram: the second half of a split-K reduction, out[i] = sum_s partial[s * count + i].
 */
import type { GpuProgram } from '../program';
import { linearProgram } from './linear-program';

export function sumSplitsProgram(count: number, splits: number): GpuProgram {
  return linearProgram({
    name: 'sum-splits',
    variant: [],
    bindings: [
      { name: 'partial', access: 'read' },
      { name: 'y', access: 'read_write' },
    ],
    total: count,
    uniforms: [['splits', splits]],
    body: `
  var acc: f32 = 0.0;
  for (var s = 0; s < P.splits; s++) { acc = acc + partial[s * P.total + index]; }
  y[index] = acc;`,
  });
}
