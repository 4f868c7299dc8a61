/**
 * SGD with momentum, dampening, Nesterov and weight decay, PyTorch 1.13's update:
 *   g = grad + weightDecay * p
 *   buf = g (first step), else buf = momentum * buf + (1 - dampening) * g
 *   g = nesterov ? g + momentum * buf : buf          (when momentum != 0)
 *   p = p - lr * g
 */
import { ArgumentError, optionBoolean, optionNumber, readOptions } from '@convkit/tensor';
import type { Parameter } from '../autograd/parameter';
import { Optimizer } from './optimizer';

export interface SgdOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

type SgdHyper = Required<SgdOptions>;

export class SGD extends Optimizer<SgdHyper> {
  constructor(params: readonly Parameter[], options: SgdOptions) {
    const o = readOptions('SGD', options, ['lr', 'momentum', 'dampening', 'weightDecay', 'nesterov']);
    if (o.lr === undefined) throw new ArgumentError('SGD: lr is required');
    const hyper: SgdHyper = {
      lr: optionNumber('SGD', 'lr', o.lr, 0, { min: 0 }),
      momentum: optionNumber('SGD', 'momentum', o.momentum, 0, { min: 0 }),
      dampening: optionNumber('SGD', 'dampening', o.dampening, 0),
      weightDecay: optionNumber('SGD', 'weightDecay', o.weightDecay, 0, { min: 0 }),
      nesterov: optionBoolean('SGD', 'nesterov', o.nesterov, false),
    };
    if (hyper.nesterov && (hyper.momentum <= 0 || hyper.dampening !== 0)) {
      throw new ArgumentError('SGD: nesterov needs a momentum > 0 and zero dampening');
    }
    super('SGD', params, hyper);
  }

  protected update(
    p: Float64Array,
    grad: Float64Array,
    state: Record<string, Float64Array | number>,
    h: SgdHyper,
  ): void {
    const g = grad;
    if (h.weightDecay !== 0) for (let i = 0; i < g.length; i++) g[i] += h.weightDecay * p[i]!;
    if (h.momentum !== 0) {
      let buf = state.momentumBuffer as Float64Array | undefined;
      if (!buf) {
        buf = Float64Array.from(g);
        state.momentumBuffer = buf;
      } else {
        for (let i = 0; i < g.length; i++) buf[i] = h.momentum * buf[i]! + (1 - h.dampening) * g[i]!;
      }
      for (let i = 0; i < g.length; i++) g[i] = h.nesterov ? g[i]! + h.momentum * buf[i]! : buf[i]!;
    }
    for (let i = 0; i < p.length; i++) p[i] -= h.lr * g[i]!;
  }
}
