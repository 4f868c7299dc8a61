/**
 * Loss modules, PyTorch's names over functional/losses: CrossEntropyLoss (labelSmoothing,
 * ignoreIndex), NLLLoss, MSELoss, L1Loss, BCEWithLogitsLoss; forward(input, target). Options
 * are checked when the module is made.
 */
import type { Tensor } from '@convkit/tensor';
import type { Input } from '../autograd/record';
import type { Variable } from '../autograd/variable';
import {
  bceWithLogits,
  type CrossEntropyOptions,
  crossEntropy,
  l1Loss,
  mseLoss,
  type NllLossOptions,
  nllLoss,
  type Reduction,
  readLossOptions,
  readReduction,
} from '../functional/losses';
import { Module } from './module';

export class CrossEntropyLoss extends Module {
  readonly typeName = 'CrossEntropyLoss';
  readonly options: CrossEntropyOptions;
  constructor(options: CrossEntropyOptions = {}) {
    super();
    this.options = readLossOptions('CrossEntropyLoss', options, true);
  }
  forward(input: Input, target: Tensor): Variable {
    return crossEntropy(input, target, this.options);
  }
}

export class NLLLoss extends Module {
  readonly typeName = 'NLLLoss';
  readonly options: NllLossOptions;
  constructor(options: NllLossOptions = {}) {
    super();
    const { reduction, ignoreIndex } = readLossOptions('NLLLoss', options, false);
    this.options = { reduction, ignoreIndex };
  }
  forward(input: Input, target: Tensor): Variable {
    return nllLoss(input, target, this.options);
  }
}

abstract class PairLoss extends Module {
  readonly reduction: Reduction;
  constructor(op: string, options: { reduction?: Reduction }) {
    super();
    this.reduction = readReduction(op, options);
  }
}

export class MSELoss extends PairLoss {
  readonly typeName = 'MSELoss';
  constructor(options: { reduction?: Reduction } = {}) {
    super('MSELoss', options);
  }
  forward(input: Input, target: Input): Variable {
    return mseLoss(input, target, { reduction: this.reduction });
  }
}

export class L1Loss extends PairLoss {
  readonly typeName = 'L1Loss';
  constructor(options: { reduction?: Reduction } = {}) {
    super('L1Loss', options);
  }
  forward(input: Input, target: Input): Variable {
    return l1Loss(input, target, { reduction: this.reduction });
  }
}

export class BCEWithLogitsLoss extends PairLoss {
  readonly typeName = 'BCEWithLogitsLoss';
  constructor(options: { reduction?: Reduction } = {}) {
    super('BCEWithLogitsLoss', options);
  }
  forward(input: Input, target: Input): Variable {
    return bceWithLogits(input, target, { reduction: this.reduction });
  }
}
