/**
 * finiteDifference: the gradient of a scalar function of a tensor by central differences,
 * (f(t + h e_i) - f(t - h e_i)) / (2h) per element, the independent check of the backward
 * kernels. The step actually taken is the float32 difference of the perturbed values, so
 * the rounding of t +- h does not bias the quotient; for the functions tested here (linear in
 * each argument) the quotient is then exact up to the rounding of f. Test support only.
 */
import { Tensor } from '@convkit/tensor';

/** d f / d t for every element of `t` (row-major), by central differences with step `h`. */
export function finiteDifference(f: (t: Tensor) => number, t: Tensor, h = 0.5): Float64Array {
  const base = t.toFloat32Array();
  const gradient = new Float64Array(base.length);
  for (let i = 0; i < base.length; i++) {
    const plus = base.slice();
    const minus = base.slice();
    plus[i] = base[i]! + h;
    minus[i] = base[i]! - h;
    const step = plus[i]! - minus[i]!;
    gradient[i] = (f(new Tensor(plus, t.shape)) - f(new Tensor(minus, t.shape))) / step;
  }
  return gradient;
}
