/**
 * Activation modules: ReLU, ReLU6, LeakyReLU, GELU, SiLU, Sigmoid, Tanh, Softmax. They hold
 * no parameters. PyTorch's `inplace` is accepted and has no effect: convkit ops never write
 * into their inputs.
 */
import type { ActivationSpec, ActivationType } from '@convkit/analysis';
import { optionBoolean, optionEnum, optionInteger, optionNumber, readOptions } from '@convkit/tensor';
import type { Input } from '../autograd/record';
import type { Variable } from '../autograd/variable';
import { gelu, leakyRelu, relu, relu6, sigmoid, silu, softmax, tanh } from '../functional/activations';
import { Module } from './module';

abstract class Activation extends Module {
  abstract override readonly typeName: ActivationType;

  override toLayerSpec(): ActivationSpec {
    return { type: this.typeName };
  }
}

/** Reads `{ inplace? }`, the only option of the parameter-free activations. */
function readInplace(op: string, options: unknown): void {
  const o = readOptions(op, options, ['inplace']);
  optionBoolean(op, 'inplace', o.inplace, false);
}

export class ReLU extends Activation {
  readonly typeName = 'ReLU';
  constructor(options?: { inplace?: boolean }) {
    super();
    readInplace('ReLU', options);
  }
  forward(x: Input): Variable {
    return relu(x);
  }
}

export class ReLU6 extends Activation {
  readonly typeName = 'ReLU6';
  constructor(options?: { inplace?: boolean }) {
    super();
    readInplace('ReLU6', options);
  }
  forward(x: Input): Variable {
    return relu6(x);
  }
}

export class LeakyReLU extends Activation {
  readonly typeName = 'LeakyReLU';
  readonly negativeSlope: number;
  constructor(options?: { negativeSlope?: number; inplace?: boolean }) {
    super();
    const o = readOptions('LeakyReLU', options, ['negativeSlope', 'inplace']);
    this.negativeSlope = optionNumber('LeakyReLU', 'negativeSlope', o.negativeSlope, 0.01);
    optionBoolean('LeakyReLU', 'inplace', o.inplace, false);
  }
  forward(x: Input): Variable {
    return leakyRelu(x, this.negativeSlope);
  }
  override toLayerSpec(): ActivationSpec {
    return { type: 'LeakyReLU', negativeSlope: this.negativeSlope };
  }
}

export class GELU extends Activation {
  readonly typeName = 'GELU';
  readonly approximate: 'none' | 'tanh';
  constructor(options?: { approximate?: 'none' | 'tanh' }) {
    super();
    const o = readOptions('GELU', options, ['approximate']);
    this.approximate = optionEnum('GELU', 'approximate', o.approximate, ['none', 'tanh'] as const, 'none');
  }
  forward(x: Input): Variable {
    return gelu(x, this.approximate);
  }
  override toLayerSpec(): ActivationSpec {
    return { type: 'GELU', approximate: this.approximate };
  }
}

export class SiLU extends Activation {
  readonly typeName = 'SiLU';
  constructor(options?: { inplace?: boolean }) {
    super();
    readInplace('SiLU', options);
  }
  forward(x: Input): Variable {
    return silu(x);
  }
}

export class Sigmoid extends Activation {
  readonly typeName = 'Sigmoid';
  forward(x: Input): Variable {
    return sigmoid(x);
  }
}

export class Tanh extends Activation {
  readonly typeName = 'Tanh';
  forward(x: Input): Variable {
    return tanh(x);
  }
}

export class Softmax extends Activation {
  readonly typeName = 'Softmax';
  readonly dim: number;
  /** `dim` is required (PyTorch's implicit choice is deprecated). */
  constructor(options: { dim: number }) {
    super();
    const o = readOptions('Softmax', options, ['dim']);
    this.dim = optionInteger('Softmax', 'dim', o.dim, 1);
  }
  forward(x: Input): Variable {
    return softmax(x, this.dim);
  }
  override toLayerSpec(): ActivationSpec {
    return { type: 'Softmax', dim: this.dim };
  }
}
