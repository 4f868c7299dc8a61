/**
 * Variable: a Tensor value on the autograd tape (micrograd's `Value`, PyTorch's autograd
 * tensor). An op that reads variables needing gradients records a Node: its inputs and a
 * function from the output's gradient to each input's gradient, written beside the op's
 * forward (functional/). `backward()` walks the recorded graph in reverse topological order,
 * sums the gradients reaching each variable, and accumulates those of leaves that require
 * gradients into `.grad` (PyTorch's accumulation: call zeroGrad between steps). The graph is
 * released as it is walked, so each intermediate value is held only until its gradient is used.
 */
import { ArgumentError, formatShape, ShapeError, type Tensor, tensor } from '@convkit/tensor';
import { getBackend } from '../backend/use-backend';
import { isPrivate, setConsumable } from './private-values';

export interface Node {
  /** The op's name, for error messages (`conv2d`, `add`). */
  readonly name: string;
  readonly inputs: readonly Variable[];
  /** The gradient of each input (null where it needs none) from the output's gradient. */
  backward(gradOutput: Tensor): readonly (Tensor | null)[];
  /**
   * Optional: called once when the engine drops the node (after its backward ran, without
   * retainGraph), so the op can give back what only its backward read (max pooling's argmax).
   */
  release?(): void;
}

export class Variable {
  /** The value. */
  data: Tensor;
  /** The accumulated gradient of a leaf that requires it (null until a backward pass). */
  grad: Tensor | null = null;
  requiresGrad: boolean;
  /** The op that made this value (null for leaves and constants). */
  gradFn: Node | null;

  constructor(data: Tensor, requiresGrad = false, gradFn: Node | null = null) {
    this.data = data;
    this.requiresGrad = requiresGrad;
    this.gradFn = gradFn;
  }

  get shape(): readonly number[] {
    return this.data.shape;
  }

  /** True for a variable no op made (parameters, inputs). */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** The same value, cut from the graph. */
  detach(): Variable {
    return new Variable(this.data, false, null);
  }

  /** The single value of a one-element variable (a loss). */
  item(): number {
    if (this.data.size !== 1) {
      throw new ShapeError(
        `item: only a one-element value has an item, got shape ${formatShape(this.shape)}`,
      );
    }
    return this.data.data[this.data.offset]!;
  }

  /**
   * Back-propagates from this value: `gradient` is d(objective)/d(this), by default 1 for a
   * one-element value (a loss). Gradients accumulate into `.grad` of every leaf that requires
   * them; the graph behind this value is released unless `retainGraph` is set.
   */
  backward(gradient?: Tensor, options: { retainGraph?: boolean } = {}): void {
    if (!this.requiresGrad) {
      throw new ArgumentError(
        'backward: this value does not require gradients (no parameter or input led to it)',
      );
    }
    let seed = gradient;
    if (seed === undefined) {
      if (this.data.size !== 1) {
        throw new ArgumentError(
          `backward: a gradient is needed for a value of shape ${formatShape(this.shape)}; only a one-element value (a loss) defaults to 1`,
        );
      }
      seed = tensor([1], this.shape);
    } else if (seed.shape.length !== this.shape.length || seed.shape.some((d, i) => d !== this.shape[i])) {
      throw new ShapeError(
        `backward: gradient ${formatShape(seed.shape)} must have the value's shape ${formatShape(this.shape)}`,
      );
    }
    runBackward(this, seed, options.retainGraph ?? false);
  }
}

/** Reverse topological order of the graph behind `root` (root first). */
function topologicalOrder(root: Variable): Variable[] {
  const order: Variable[] = [];
  const visited = new Set<Variable>();
  // Iterative DFS (deep networks would overflow a recursive one).
  const stack: [Variable, number][] = [[root, 0]];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [v, next] = top;
    const inputs = v.gradFn?.inputs ?? [];
    if (next < inputs.length) {
      top[1]++;
      const child = inputs[next]!;
      if (child.requiresGrad && !visited.has(child)) {
        visited.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(v);
    }
  }
  return order.reverse();
}

/** Whether `t` shares memory with the seed, a gradient an op returned, or one still pending. */
function sharesMemory(
  t: Tensor,
  seed: Tensor,
  returned: readonly (Tensor | null | undefined)[],
  pending: Map<Variable, Tensor>,
): boolean {
  const buffer = t.data.buffer;
  if (seed.data.buffer === buffer) return true;
  for (const r of returned) if (r?.data.buffer === buffer) return true;
  for (const p of pending.values()) if (p.data.buffer === buffer) return true;
  return false;
}

function runBackward(root: Variable, seed: Tensor, retainGraph: boolean): void {
  const backend = getBackend();
  // A used gradient that shares no memory with anything still needed goes back to the
  // backend, which may recycle it for a later gradient of the same size.
  const release = backend.release;
  const grads = new Map<Variable, Tensor>([[root, seed]]);
  const order: (Variable | undefined)[] = topologicalOrder(root);
  for (let i = 0; i < order.length; i++) {
    const v = order[i]!;
    // Once walked, a value is referenced only by whoever else holds it, so its activation
    // can be collected during the rest of the backward pass.
    if (!retainGraph) order[i] = undefined;
    const g = grads.get(v);
    grads.delete(v);
    if (g === undefined) continue;
    const node = v.gradFn;
    if (node === null) {
      const unshared = !sharesMemory(g, seed, [], grads);
      if (v.requiresGrad && v.grad === null) {
        // A whole gradient nothing else holds becomes the leaf's .grad as it is (PyTorch
        // steals it too): no copy, and it is never handed back for reuse.
        if (
          release &&
          unshared &&
          g.isContiguous &&
          g.offset === 0 &&
          g.size === g.data.length &&
          g.data.byteOffset === 0 &&
          g.data.byteLength === g.data.buffer.byteLength
        ) {
          v.grad = g;
          continue;
        }
        v.grad = g.clone();
      } else if (v.requiresGrad) {
        v.grad = backend.binary('add', v.grad!, g);
      }
      if (release && unshared) release(g);
      continue;
    }
    const consumable = release !== undefined && !sharesMemory(g, seed, [], grads);
    if (consumable) setConsumable(g, true);
    const inputGrads = node.backward(g);
    if (consumable) setConsumable(g, false);
    const value = v.data;
    node.inputs.forEach((input, i) => {
      const gi = inputGrads[i];
      if (!input.requiresGrad || gi === null || gi === undefined) return;
      if (gi.shape.length !== input.shape.length || gi.shape.some((d, k) => d !== input.shape[k])) {
        throw new ShapeError(
          `backward: ${node.name} produced a gradient ${formatShape(gi.shape)} for an input of shape ${formatShape(input.shape)}`,
        );
      }
      const previous = grads.get(input);
      grads.set(input, previous === undefined ? gi : backend.binary('add', previous, gi));
    });
    if (release && !sharesMemory(g, seed, inputGrads, grads)) release(g);
    if (
      release &&
      !retainGraph &&
      isPrivate(v) &&
      !node.inputs.some((input) => input.data.data.buffer === value.data.buffer) &&
      !sharesMemory(value, seed, inputGrads, grads)
    ) {
      release(value);
    }
    if (!retainGraph) {
      v.gradFn = null;
      node.release?.();
    }
  }
}
