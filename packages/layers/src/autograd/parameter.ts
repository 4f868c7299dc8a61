/** Parameter: a leaf Variable that a module owns and an optimizer updates (requiresGrad true). */
import type { Tensor } from '@convkit/tensor';
import { Variable } from './variable';

export class Parameter extends Variable {
  constructor(data: Tensor, requiresGrad = true) {
    super(data, requiresGrad, null);
  }
}
