/**
 * Optimizer: the base of SGD, Adam and AdamW, after torch.optim.Optimizer. Parameters are
 * held in groups (each with its own hyper-parameters, e.g. the `lr` a scheduler sets); `step()`
 * updates every parameter that has a gradient, without recording on the tape; `zeroGrad()`
 * clears the gradients. State (momentum buffers, moments) is kept per parameter in float64;
 * each update is one loop over the parameter that computes in float64 and rounds the new
 * value to float32 once, into a fresh buffer (the old value may still be held elsewhere).
 */
import { ArgumentError, Tensor } from '@convkit/tensor';
import { Parameter } from '../autograd/parameter';
import { flatValues } from '../cpu/flat-values';

export interface ParamGroup<H> {
  params: Parameter[];
  hyper: H;
}

export abstract class Optimizer<H extends { lr: number }> {
  readonly paramGroups: ParamGroup<H>[];
  protected readonly state = new Map<Parameter, Record<string, Float64Array | number>>();

  constructor(
    op: string,
    params: readonly Parameter[] | readonly ({ params: readonly Parameter[] } & Partial<H>)[],
    defaults: H,
  ) {
    if (!Array.isArray(params) || params.length === 0) {
      throw new ArgumentError(
        `${op}: params must be a non-empty array of Parameters (model.parameters()) or of groups`,
      );
    }
    const groups =
      params[0] instanceof Parameter
        ? [{ params: params as Parameter[] }]
        : (params as { params: Parameter[] }[]);
    this.paramGroups = groups.map((g, i) => {
      if (!Array.isArray(g.params) || g.params.some((p) => !(p instanceof Parameter))) {
        throw new ArgumentError(`${op}: group ${i} must hold an array of Parameters in 'params'`);
      }
      const { params: list, ...overrides } = g as { params: Parameter[] } & Partial<H>;
      return { params: [...list], hyper: { ...defaults, ...overrides } as H };
    });
  }

  /** The learning rate of the first group (schedulers set every group's). */
  get lr(): number {
    return this.paramGroups[0]!.hyper.lr;
  }

  /** Clears the gradient of every parameter. */
  zeroGrad(): void {
    for (const g of this.paramGroups) for (const p of g.params) p.grad = null;
  }

  /** One update of every parameter with a gradient. */
  step(): void {
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        if (p.grad === null) continue;
        const value = p.data.toFloat32Array();
        let s = this.state.get(p);
        if (!s) {
          s = {};
          this.state.set(p, s);
        }
        this.update(value, flatValues(p.grad), s, group.hyper);
        p.data = new Tensor(value, p.data.shape);
      }
    }
  }

  /** Updates `value` (a fresh copy) in place from `grad` (read only) and the parameter's `state`. */
  protected abstract update(
    value: Float32Array,
    grad: Float32Array,
    state: Record<string, Float64Array | number>,
    hyper: H,
  ): void;
}
