/**
 * Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019), PyTorch 1.13's updates:
 *   AdamW only: p = p * (1 - lr * weightDecay)
 *   Adam only:  g = grad + weightDecay * p
 *   m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g^2   (vMax = max(vMax, v) with amsgrad)
 *   p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 */
import { ArgumentError, optionBoolean, optionNumber, readOptions } from '@convkit/tensor';
import type { Parameter } from '../autograd/parameter';
import { Optimizer } from './optimizer';

export interface AdamOptions {
  lr?: number;
  betas?: readonly [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
}

export interface AdamHyper {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
}

function readAdam(op: string, options: unknown, weightDecay: number): AdamHyper {
  const o = readOptions(op, options, ['lr', 'betas', 'eps', 'weightDecay', 'amsgrad']);
  const betas = (o.betas ?? [0.9, 0.999]) as [number, number];
  if (
    !Array.isArray(betas) ||
    betas.length !== 2 ||
    betas.some((b) => typeof b !== 'number' || !(b >= 0 && b < 1))
  ) {
    throw new ArgumentError(`${op}: betas must be two numbers in [0, 1), got ${JSON.stringify(o.betas)}`);
  }
  return {
    lr: optionNumber(op, 'lr', o.lr, 1e-3, { min: 0 }),
    betas: [betas[0], betas[1]],
    eps: optionNumber(op, 'eps', o.eps, 1e-8, { min: 0 }),
    weightDecay: optionNumber(op, 'weightDecay', o.weightDecay, weightDecay, { min: 0 }),
    amsgrad: optionBoolean(op, 'amsgrad', o.amsgrad, false),
  };
}

/** One fused loop: decay, both moments, (amsgrad's maximum) and the step, per element in float64. */
function adamUpdate(
  p: Float32Array,
  grad: Float32Array,
  state: Record<string, Float64Array | number>,
  h: AdamHyper,
  decoupled: boolean,
): void {
  const n = p.length;
  if (state.step === undefined) {
    state.step = 0;
    state.expAvg = new Float64Array(n);
    state.expAvgSq = new Float64Array(n);
    if (h.amsgrad) state.maxExpAvgSq = new Float64Array(n);
  }
  const step = (state.step as number) + 1;
  state.step = step;
  const m = state.expAvg as Float64Array;
  const v = state.expAvgSq as Float64Array;
  const vMax = h.amsgrad ? (state.maxExpAvgSq as Float64Array) : null;
  const [b1, b2] = h.betas;
  const stepSize = h.lr / (1 - b1 ** step);
  const correction2 = Math.sqrt(1 - b2 ** step);
  const eps = h.eps;
  // AdamW decays the parameter, Adam adds the decay to the gradient (either factor 0 without it).
  const keep = decoupled ? 1 - h.lr * h.weightDecay : 1;
  const l2 = decoupled ? 0 : h.weightDecay;
  for (let i = 0; i < n; i++) {
    let value = p[i]!;
    const g = grad[i]! + l2 * value;
    value *= keep;
    const mi = b1 * m[i]! + (1 - b1) * g;
    let vi = b2 * v[i]! + (1 - b2) * g * g;
    m[i] = mi;
    v[i] = vi;
    if (vMax !== null) {
      vi = Math.max(vMax[i]!, vi);
      vMax[i] = vi;
    }
    p[i] = value - (stepSize * mi) / (Math.sqrt(vi) / correction2 + eps);
  }
}

export class Adam extends Optimizer<AdamHyper> {
  constructor(params: readonly Parameter[], options: AdamOptions = {}) {
    super('Adam', params, readAdam('Adam', options, 0));
  }
  protected update(
    p: Float32Array,
    g: Float32Array,
    s: Record<string, Float64Array | number>,
    h: AdamHyper,
  ): void {
    adamUpdate(p, g, s, h, false);
  }
}

/** AdamW: Adam with decoupled weight decay (default 0.01). */
export class AdamW extends Optimizer<AdamHyper> {
  constructor(params: readonly Parameter[], options: AdamOptions = {}) {
    super('AdamW', params, readAdam('AdamW', options, 1e-2));
  }
  protected update(
    p: Float32Array,
    g: Float32Array,
    s: Record<string, Float64Array | number>,
    h: AdamHyper,
  ): void {
    adamUpdate(p, g, s, h, true);
  }
}
