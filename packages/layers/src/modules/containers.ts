/**
 * Containers with PyTorch's child naming: Sequential (children '0', '1', ... run in order),
 * ModuleList (indexed, no forward of its own) and ModuleDict (named, no forward).
 */
import type { LayerSpec } from '@convkit/analysis';
import { ArgumentError } from '@convkit/tensor';
import { isPrivate, markPrivate, unmarkPrivate } from '../autograd/private-values';
import { asVariable, type Input } from '../autograd/record';
import type { Variable } from '../autograd/variable';
import { getBackend } from '../backend/use-backend';
import { reluInPlace } from '../functional/activations';
import { GELU, LeakyReLU, ReLU, ReLU6, Sigmoid, SiLU, Tanh } from './activations';
import { Conv1d, Conv2d, Conv3d } from './conv';
import { Module } from './module';
import { BatchNorm1d, BatchNorm2d, BatchNorm3d } from './normalization';
import { AvgPool1d, AvgPool2d, AvgPool3d, MaxPool1d, MaxPool2d, MaxPool3d } from './pooling';
import { Dropout, Flatten, Linear } from './simple';

/**
 * The built-in modules that keep no reference to their input or output (only parameters and
 * running statistics): exactly these classes, not subclasses, whose forward is the class's own.
 */
const KEEP_NO_VALUES: ReadonlySet<unknown> = new Set<unknown>([
  Conv1d,
  Conv2d,
  Conv3d,
  BatchNorm1d,
  BatchNorm2d,
  BatchNorm3d,
  ReLU,
  ReLU6,
  LeakyReLU,
  GELU,
  SiLU,
  Sigmoid,
  Tanh,
  MaxPool1d,
  MaxPool2d,
  MaxPool3d,
  AvgPool1d,
  AvgPool2d,
  AvgPool3d,
  Linear,
  Flatten,
  Dropout,
]);

/** Of those, the ones whose backward does not read their output (max pooling keeps only its argmax). */
const OUTPUT_UNUSED_IN_BACKWARD: ReadonlySet<unknown> = new Set<unknown>([
  Conv1d,
  Conv2d,
  Conv3d,
  BatchNorm1d,
  BatchNorm2d,
  BatchNorm3d,
  Linear,
  MaxPool1d,
  MaxPool2d,
  MaxPool3d,
]);

const MAX_POOLS: ReadonlySet<unknown> = new Set<unknown>([MaxPool1d, MaxPool2d, MaxPool3d]);

/** Of those, the ones whose backward does not read their input (max pooling: its argmax only). */
const INPUT_UNUSED_IN_BACKWARD = MAX_POOLS;

/**
 * The order a Sequential runs its children in: its own, except that a built-in ReLU directly
 * followed by a built-in max pooling runs after it. Max commutes with ReLU (monotone), so
 * relu(maxPool(x)) = maxPool(relu(x)) value for value (NaN included), and the gradients are
 * the same: where a window's maximum is positive (or NaN) both orders pick the same first
 * maximum and pass the gradient to it, and where it is <= 0 ReLU's derivative makes every
 * gradient of the window 0 either way. ReLU then runs on the pooled quarter of the values.
 */
function runOrder(children: readonly Module[]): Module[] {
  const order = [...children];
  for (let i = 0; i + 1 < order.length; i++) {
    if (isExactly(order[i]!, ReLU) && MAX_POOLS.has(classOf(order[i + 1]!))) {
      [order[i], order[i + 1]] = [order[i + 1]!, order[i]!];
      i++;
    }
  }
  return order;
}

/** The module's class, or null when an instance overrides its forward. */
function classOf(m: Module): unknown {
  return Object.hasOwn(m, 'forward')
    ? null
    : (Object.getPrototypeOf(m) as { constructor: unknown }).constructor;
}

function isExactly(m: Module, cls: unknown): boolean {
  return classOf(m) === cls;
}

function keepsNoValues(m: Module): boolean {
  return KEEP_NO_VALUES.has(classOf(m));
}

function checkModule(op: string, m: unknown, at: string): Module {
  if (!(m instanceof Module)) throw new ArgumentError(`${op}: ${at} must be a Module, got ${String(m)}`);
  return m;
}

export class Sequential extends Module {
  readonly typeName = 'Sequential';

  constructor(...modules: Module[]) {
    super();
    for (const [i, m] of modules.entries())
      this.registerModule(String(i), checkModule('Sequential', m, `module ${i}`));
  }

  /** Appends a module under the next index. */
  append(module: Module): this {
    this.registerModule(String(this.namedChildren().length), checkModule('Sequential', module, 'module'));
    return this;
  }

  get length(): number {
    return this.namedChildren().length;
  }

  at(index: number): Module {
    const m = this.children()[index];
    if (m === undefined)
      throw new ArgumentError(`Sequential.at: index ${index} is outside [0, ${this.length - 1}]`);
    return m;
  }

  forward(x: Input): Variable {
    let y = asVariable('Sequential', 'input', x);
    const order = runOrder(this.children());
    for (let i = 0; i < order.length; i++) {
      const child = order[i]!;
      // A ReLU after a convolution, batch norm, linear layer or max pooling runs in place on
      // the value between them (private, and unused by that layer's backward), as PyTorch's
      // ReLU(inplace=True) would: one activation less to hold and to allocate.
      const inPlace =
        i > 0 &&
        isPrivate(y) &&
        isExactly(child, ReLU) &&
        OUTPUT_UNUSED_IN_BACKWARD.has(classOf(order[i - 1]!));
      const next = inPlace ? reluInPlace(y) : child.forward(y);
      // A value between two built-in children is the container's own: its memory may be
      // recycled once its backward step is done (autograd/private-values.ts).
      if (i + 1 < order.length && next !== y && keepsNoValues(child) && keepsNoValues(order[i + 1]!)) {
        markPrivate(next);
      }
      // When nothing was recorded (noGrad, evaluation, or no input needs gradients), no op
      // kept the private value this child read: its memory goes back at once (unless the
      // child wrote its result over it).
      if (!next.requiresGrad && isPrivate(y) && next.data.data.buffer !== y.data.data.buffer) {
        getBackend().release?.(y.data);
      } else if (
        // Recorded, but no backward will read the value: neither its maker's (a batch norm's
        // reads its input) nor this child's (max pooling keeps its argmax). It goes back now,
        // for the gradients of the backward pass to reuse, and the tape keeps only its shape.
        next.requiresGrad &&
        isPrivate(y) &&
        i > 0 &&
        OUTPUT_UNUSED_IN_BACKWARD.has(classOf(order[i - 1]!)) &&
        INPUT_UNUSED_IN_BACKWARD.has(classOf(child)) &&
        next.data.data.buffer !== y.data.data.buffer &&
        !(y.gradFn?.inputs ?? []).some((input) => input.data.data.buffer === y.data.data.buffer)
      ) {
        unmarkPrivate(y);
        getBackend().release?.(y.data);
      }
      y = next;
    }
    return y;
  }

  override toLayerSpec(): LayerSpec {
    return { type: 'Sequential', layers: this.toLayerSpecs() };
  }

  override toLayerSpecs(): LayerSpec[] {
    return this.namedChildren().map(([name, m]) => ({ ...m.toLayerSpec(), name }));
  }
}

export class ModuleList extends Module {
  readonly typeName = 'ModuleList';

  constructor(modules: readonly Module[] = []) {
    super();
    if (!Array.isArray(modules)) throw new ArgumentError('ModuleList: modules must be an array of Modules');
    for (const [i, m] of modules.entries())
      this.registerModule(String(i), checkModule('ModuleList', m, `modules[${i}]`));
  }

  append(module: Module): this {
    this.registerModule(String(this.namedChildren().length), checkModule('ModuleList', module, 'module'));
    return this;
  }

  get length(): number {
    return this.namedChildren().length;
  }

  at(index: number): Module {
    const m = this.children()[index];
    if (m === undefined)
      throw new ArgumentError(`ModuleList.at: index ${index} is outside [0, ${this.length - 1}]`);
    return m;
  }

  forward(): Variable {
    throw new ArgumentError('ModuleList: has no forward; call its modules');
  }
}

export class ModuleDict extends Module {
  readonly typeName = 'ModuleDict';

  constructor(modules: Record<string, Module> = {}) {
    super();
    if (typeof modules !== 'object' || modules === null) {
      throw new ArgumentError('ModuleDict: modules must be an object of Modules by name');
    }
    for (const [name, m] of Object.entries(modules))
      this.registerModule(name, checkModule('ModuleDict', m, `'${name}'`));
  }

  get(name: string): Module {
    const found = this.namedChildren().find(([n]) => n === name);
    if (!found) throw new ArgumentError(`ModuleDict.get: no module named '${name}'`);
    return found[1];
  }

  set(name: string, module: Module): void {
    this.registerModule(name, checkModule('ModuleDict', module, `'${name}'`));
  }

  keys(): string[] {
    return this.namedChildren().map(([n]) => n);
  }

  forward(): Variable {
    throw new ArgumentError('ModuleDict: has no forward; call its modules');
  }
}
