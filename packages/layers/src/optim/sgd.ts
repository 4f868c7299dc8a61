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

  /** One loop: decay, the momentum buffer (a copy of the first gradient), Nesterov, the step. */
  protected update(
    p: Float32Array,
    grad: Float32Array,
    state: Record<string, Float64Array | number>,
    h: SgdHyper,
  ): void {
    const n = p.length;
    let buf = state.momentumBuffer as Float64Array | undefined;
    const first = buf === undefined;
    if (h.momentum !== 0 && buf === undefined) {
      buf = new Float64Array(n);
      state.momentumBuffer = buf;
    }
    const { lr, momentum, dampening, weightDecay, nesterov } = h;
    for (let i = 0; i < n; i++) {
      let g = grad[i]! + weightDecay * p[i]!;
      if (buf !== undefined) {
        const b = first ? g : momentum * buf[i]! + (1 - dampening) * g;
        buf[i] = b;
        g = nesterov ? g + momentum * b : b;
      }
      p[i] = p[i]! - lr * g;
    }
  }
}
