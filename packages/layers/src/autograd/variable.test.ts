import { ArgumentError, ShapeError, tensor } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { cpuBackend } from '../backend/cpu-backend';
import { getBackend, setBackend } from '../backend/use-backend';
import { relu } from '../functional/activations';
import { add, mul, sum } from '../functional/arithmetic';
import { gradCheck } from './grad-check';
import { isGradEnabled, noGrad } from './grad-mode';
import { Parameter } from './parameter';
import { asVariable, record } from './record';
import { Variable } from './variable';

describe('Variable and the tape', () => {
  it('accumulates gradients over backward calls and through shared uses', () => {
    const w = new Parameter(tensor([2, -1], [2]));
    const y = sum(mul(w, w));
    expect(y.isLeaf).toBe(false);
    y.backward();
    expect([...w.grad!.toFloat32Array()]).toEqual([4, -2]);
    sum(add(w, w)).backward();
    expect([...w.grad!.toFloat32Array()]).toEqual([6, 0]);
  });
  it('backward needs a gradient for non-scalars, of the right shape', () => {
    const w = new Parameter(tensor([1, 2], [2]));
    const y = mul(w, tensor([3, 4], [2]));
    expect(() => y.backward()).toThrow(/only a one-element value/);
    expect(() => y.backward(tensor([1, 2, 3], [3]))).toThrow(ShapeError);
    y.backward(tensor([1, 1], [2]));
    expect([...w.grad!.toFloat32Array()]).toEqual([3, 4]);
    expect(() => new Variable(tensor([1], [1])).backward()).toThrow(/does not require gradients/);
  });
  it('releases the graph after backward unless retainGraph', () => {
    const w = new Parameter(tensor([1], [1]));
    const y = relu(mul(w, w));
    y.backward(undefined, { retainGraph: true });
    y.backward();
    expect(w.grad!.toFloat32Array()[0]).toBe(4);
    expect(y.gradFn).toBeNull();
  });
  it('noGrad records nothing and restores the mode, even on errors', () => {
    const w = new Parameter(tensor([1], [1]));
    const y = noGrad(() => mul(w, w));
    expect(y.requiresGrad).toBe(false);
    expect(() =>
      noGrad(() => {
        throw new Error('x');
      }),
    ).toThrow('x');
    expect(isGradEnabled()).toBe(true);
  });
  it('detach, item, asVariable, record', () => {
    const w = new Parameter(tensor([3], [1]));
    expect(mul(w, w).detach().requiresGrad).toBe(false);
    expect(mul(w, w).item()).toBe(9);
    expect(() => new Variable(tensor([1, 2], [2])).item()).toThrow(/only a one-element value/);
    expect(() => asVariable('op', 'x', 3 as never)).toThrow(/op: x must be a Tensor, got number 3/);
    const v = record('twice', tensor([6], [1]), [w], (g) => [g]);
    expect(v.gradFn?.name).toBe('twice');
  });
  it('a backward pass that returns a wrongly shaped gradient is reported', () => {
    const w = new Parameter(tensor([3, 4], [2]));
    const bad = record('bad', tensor([1], [1]), [w], () => [tensor([1, 2, 3], [3])]);
    expect(() => bad.backward()).toThrow(/bad produced a gradient \[3\] for an input of shape \[2\]/);
  });
  it('setBackend swaps the kernels and refuses non-backends', () => {
    const calls: string[] = [];
    const previous = setBackend({
      ...cpuBackend,
      name: 'spy',
      unary: (k, x, p) => {
        calls.push(k);
        return cpuBackend.unary(k, x, p);
      },
    });
    try {
      relu(tensor([1], [1]));
      expect(getBackend().name).toBe('spy');
    } finally {
      setBackend(previous);
    }
    expect(calls).toEqual(['relu']);
    expect(() => setBackend({} as never)).toThrow(ArgumentError);
  });
  it('gradCheck and noGrad refuse bad arguments', () => {
    expect(() => gradCheck(3 as never, [])).toThrow(/gradCheck: fn must be a function/);
    expect(() => gradCheck((x) => x, [3 as never])).toThrow(/inputs\[0\] must be a Tensor/);
    expect(() => gradCheck((x) => x, [tensor([1], [1])], { eps: 0 })).toThrow(/eps must be/);
    expect(() => gradCheck((x) => x, [tensor([1], [1])], { check: [1] })).toThrow(
      /check must list input indices/,
    );
    expect(() => gradCheck((x) => x, [tensor([1], [1])], { tol: 1 } as never)).toThrow(
      /unknown option 'tol'/,
    );
    expect(() => noGrad(1 as never)).toThrow(/noGrad: fn must be a function/);
  });
  it('gradCheck catches a wrong backward pass', () => {
    const wrong = (x: Variable) => record('wrong', mul(x, x).data, [x], (g) => [g]);
    expect(gradCheck(wrong, [tensor([0.5, 2], [2])]).ok).toBe(false);
    expect(gradCheck((x) => mul(x, x), [tensor([0.5, 2], [2])]).ok).toBe(true);
  });
});
