/**
 * Module: the base of every layer, after torch.nn.Module. A module registers parameters
 * (trained), buffers (state that is saved but not trained: BatchNorm's running_mean,
 * running_var, num_batches_tracked) and child modules under names; the state dict is
 * built from those names exactly as PyTorch builds it (own parameters, own buffers, then
 * each child under `name.`), so a PyTorch checkpoint's keys (`features.3.weight`) load
 * unchanged. `train()`/`eval()` switch the mode of the whole tree (dropout, batch norm).
 */
import type { LayerSpec } from '@convkit/analysis';
import { ArgumentError, formatShape, isTensor, ShapeError, Tensor, UnsupportedError } from '@convkit/tensor';
import type { Parameter } from '../autograd/parameter';
import type { Variable } from '../autograd/variable';

export interface LoadStateDictResult {
  /** Keys the module has that the record lacks. */
  missingKeys: string[];
  /** Keys of the record the module does not have. */
  unexpectedKeys: string[];
}

export abstract class Module {
  /** The PyTorch class name (`Conv2d`), used in summaries and messages. */
  abstract readonly typeName: string;
  training = true;
  private readonly parametersByName = new Map<string, Parameter | null>();
  private readonly buffersByName = new Map<string, Tensor | null>();
  private readonly childrenByName = new Map<string, Module | null>();

  // biome-ignore lint/suspicious/noExplicitAny: each layer declares its own inputs (x; x, offset, mask; ids)
  abstract forward(...inputs: any[]): Variable;

  /** Adds (or replaces) a parameter; null registers the name with no parameter (bias=False). */
  registerParameter(name: string, parameter: Parameter | null): Parameter | null {
    this.checkName(name);
    this.parametersByName.set(name, parameter);
    return parameter;
  }

  registerBuffer(name: string, value: Tensor | null): Tensor | null {
    this.checkName(name);
    this.buffersByName.set(name, value);
    return value;
  }

  registerModule<M extends Module | null>(name: string, module: M): M {
    this.checkName(name);
    if (module !== null && !(module instanceof Module)) {
      throw new ArgumentError(`${this.typeName}: child '${name}' must be a Module, got ${String(module)}`);
    }
    this.childrenByName.set(name, module);
    return module;
  }

  private checkName(name: string): void {
    if (typeof name !== 'string' || name === '' || name.includes('.')) {
      throw new ArgumentError(
        `${this.typeName}: a member name must be a non-empty string without '.', got '${String(name)}'`,
      );
    }
  }

  /** The parameter registered under a name (null for a registered absent one, e.g. bias=False). */
  getParameter(name: string): Parameter | null {
    return this.parametersByName.get(name) ?? null;
  }

  getBuffer(name: string): Tensor | null {
    return this.buffersByName.get(name) ?? null;
  }

  /** Replaces a buffer's value (BatchNorm's num_batches_tracked counter). */
  setBuffer(name: string, value: Tensor): void {
    if (!this.buffersByName.has(name)) throw new ArgumentError(`${this.typeName}: no buffer named '${name}'`);
    this.buffersByName.set(name, value);
  }

  /** Direct children, in registration order. */
  namedChildren(): [string, Module][] {
    return [...this.childrenByName].filter((e): e is [string, Module] => e[1] !== null);
  }

  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module and every descendant, with dotted paths ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.namedChildren()) {
      out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name));
    }
    return out;
  }

  /** Every parameter with its state-dict key, each once, in PyTorch's order. */
  namedParameters(prefix = ''): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    const seen = new Set<Parameter>();
    for (const [path, module] of this.namedModules(prefix)) {
      for (const [name, p] of module.parametersByName) {
        if (p === null || seen.has(p)) continue;
        seen.add(p);
        out.push([path ? `${path}.${name}` : name, p]);
      }
    }
    return out;
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  namedBuffers(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [path, module] of this.namedModules(prefix)) {
      for (const [name, b] of module.buffersByName)
        if (b !== null) out.push([path ? `${path}.${name}` : name, b]);
    }
    return out;
  }

  /**
   * Parameters and buffers by key, in PyTorch's order (per module: parameters, buffers,
   * then children). The tensors are the module's own values (not copies).
   */
  stateDict(prefix = ''): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    const key = (name: string) => (prefix ? `${prefix}.${name}` : name);
    for (const [name, p] of this.parametersByName) if (p !== null) out[key(name)] = p.data;
    for (const [name, b] of this.buffersByName) if (b !== null) out[key(name)] = b;
    for (const [name, child] of this.namedChildren()) Object.assign(out, child.stateDict(key(name)));
    return out;
  }

  /**
   * Copies values from a state dict (PyTorch's load_state_dict). Shapes must match (a
   * ShapeError names the key); with `strict` (the default) a missing or unexpected key is an
   * ArgumentError listing them, otherwise they are reported and the rest is loaded.
   */
  loadStateDict(record: Record<string, Tensor>, options: { strict?: boolean } = {}): LoadStateDictResult {
    if (typeof record !== 'object' || record === null) {
      throw new ArgumentError(
        `loadStateDict: record must be an object of tensors by key, got ${String(record)}`,
      );
    }
    const strict = options.strict ?? true;
    const own = this.stateSlots();
    const missingKeys = [...own.keys()].filter((k) => !(k in record));
    const unexpectedKeys = Object.keys(record).filter((k) => !own.has(k));
    if (strict && (missingKeys.length > 0 || unexpectedKeys.length > 0)) {
      const parts = [];
      if (missingKeys.length) parts.push(`missing keys: ${missingKeys.map((k) => `"${k}"`).join(', ')}`);
      if (unexpectedKeys.length)
        parts.push(`unexpected keys: ${unexpectedKeys.map((k) => `"${k}"`).join(', ')}`);
      throw new ArgumentError(
        `loadStateDict: error(s) loading the state dict for ${this.typeName}: ${parts.join('; ')}`,
      );
    }
    for (const [key, slot] of own) {
      const value = record[key];
      if (value === undefined) continue;
      if (!isTensor(value))
        throw new ArgumentError(`loadStateDict: '${key}' must be a Tensor, got ${typeof value}`);
      const current = slot.get();
      if (current.shape.length !== value.shape.length || current.shape.some((d, i) => d !== value.shape[i])) {
        throw new ShapeError(
          `loadStateDict: size mismatch for ${key}: the checkpoint has ${formatShape(value.shape)}, the model ${formatShape(current.shape)}`,
        );
      }
      slot.set(new Tensor(value.toFloat32Array(), current.shape));
    }
    return { missingKeys, unexpectedKeys };
  }

  /** Every state-dict key with a getter and a setter of its value. */
  private stateSlots(prefix = ''): Map<string, { get(): Tensor; set(t: Tensor): void }> {
    const out = new Map<string, { get(): Tensor; set(t: Tensor): void }>();
    const key = (name: string) => (prefix ? `${prefix}.${name}` : name);
    for (const [name, p] of this.parametersByName) {
      if (p !== null) out.set(key(name), { get: () => p.data, set: (t) => (p.data = t) });
    }
    for (const [name, b] of this.buffersByName) {
      if (b !== null) {
        out.set(key(name), {
          get: () => this.buffersByName.get(name)!,
          set: (t) => this.buffersByName.set(name, t),
        });
      }
    }
    for (const [name, child] of this.namedChildren())
      for (const e of child.stateSlots(key(name))) out.set(...e);
    return out;
  }

  /** Training mode for this module and its descendants (dropout active, batch statistics). */
  train(mode = true): this {
    if (typeof mode !== 'boolean')
      throw new ArgumentError(`train: mode must be true or false, got ${String(mode)}`);
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /** Evaluation mode (train(false)). */
  eval(): this {
    return this.train(false);
  }

  /** Clears every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** Number of trainable values. */
  numParameters(): number {
    return this.parameters().reduce((acc, p) => acc + p.data.size, 0);
  }

  /**
   * This module as an @convkit/analysis LayerSpec (for `summary(model.toLayerSpecs(), shape)`).
   * Layers override it; a module with no spec form says so.
   */
  toLayerSpec(): LayerSpec {
    throw new UnsupportedError(`toLayerSpec: ${this.typeName} has no @convkit/analysis layer spec`);
  }

  /** The specs `summary` and `analyzeModel` take: a Sequential's layers, or [this module]. */
  toLayerSpecs(): LayerSpec[] {
    return [this.toLayerSpec()];
  }

  toString(): string {
    const kids = this.namedChildren();
    if (kids.length === 0) return `${this.typeName}()`;
    const lines = kids.map(([name, m]) => `  (${name}): ${m.toString().replace(/\n/g, '\n  ')}`);
    return `${this.typeName}(\n${lines.join('\n')}\n)`;
  }
}
