/**
 * receptiveField: per module and per spatial dim, the receptive field of the module's output
 * units in the network's input, as three numbers (Araujo, Norris & Sim, "Computing Receptive
 * Fields of Convolutional Neural Networks", Distill 2019; Dang Ha The Hien, "A guide to
 * receptive field arithmetic"):
 *   size  - the length of the interval one unit's field lies in, counted as last - first + 1
 *           input positions: for conv and pooling stacks, how many input positions it spans,
 *   jump  - the distance in input positions between the centres of neighbouring units (the
 *           stride product; 1/s of it after a transposed layer, 0 after one reading a whole dim),
 *   start - the centre of unit 0's field, in input positions (the first input is 0);
 * so unit u sees [start + u * jump - (size - 1) / 2, start + u * jump + (size - 1) / 2].
 *
 * Per layer, with the kernel extent e = dilation * (k - 1) + 1, stride s and left padding p:
 *   convolution, pooling: size += (e - 1) * jump; start += ((e - 1) / 2 - p) * jump; jump *= s
 *   transposed:           jump /= s; size += (e - 1) * jump; start += (p - (e - 1) / 2) * jump
 * A transposed convolution is a convolution with fractional stride 1 / s (Dumoulin & Visin,
 * arXiv 1603.07285, section 4): its output units sit 1/s input positions apart, so after one
 * size, jump and start may be fractions, and the interval above only bounds where a unit's
 * inputs can lie: its ends need not be positions, and the unit reads just the whole positions
 * inside it that its phase hits (ConvTranspose k=4, s=2, p=1: size 2.5, jump 0.5,
 * start -0.25, and every unit away from the border reads 2 positions per dim);
 * `inputCoverage` lists them exactly. Nearest and
 * (bi/tri)linear upsampling by an integer factor are such transposed windows, adaptive pooling
 * with even windows a pooling window. A Residual block covers the union of its body and its
 * shortcut. A layer that reads a whole dim (Linear on a spatial tensor, Linear after Flatten,
 * Softmax over a spatial dim) covers every position its input covers, with jump 0.
 * Padding is ignored (a field may hang over the border); normalisation statistics are not
 * counted (BatchNorm in eval mode is exactly pointwise).
 */
import { ArgumentError, ConvkitError, formatValue, UnsupportedError } from '@convkit/tensor';
import { checkFinite } from './check-count';
import { spatialDimsOf } from './layer-schema';
import type { LayerType } from './layer-spec';
import { layerSpecsOf, type ModelLike } from './layer-spec-source';
import { type PlanNode, planModel } from './model-plan';
import { type Nested, runNested } from './run-nested';
import { type AffineStep, affineStep } from './spatial-map';

/**
 * The receptive field along one spatial dim, in input positions; fractions after transposed
 * layers (fractional stride), where `size` bounds a unit's inputs but does not count them.
 */
export interface DimReceptiveField {
  /** last - first + 1 of the interval a unit's field lies in. */
  readonly size: number;
  /** The distance between the centres of neighbouring units' fields. */
  readonly jump: number;
  /** The centre of unit 0's field (the first input position is 0). */
  readonly start: number;
}

export interface ReceptiveFieldLayer {
  readonly path: string;
  readonly type: LayerType;
  readonly depth: number;
  /** One entry per spatial dim of the network's input (D, H, W order). */
  readonly dims: readonly DimReceptiveField[];
}

export interface ReceptiveFieldAnalysis {
  /** The input's spatial size, or null when receptiveField was called without inputShape. */
  readonly inputSpatial: readonly number[] | null;
  /** Every module, in PyTorch's named_modules() order. */
  readonly layers: readonly ReceptiveFieldLayer[];
}

/** The input positions unit `unit` of a layer can see along one dim: [first, last]. */
export function receptiveFieldInterval(field: DimReceptiveField, unit: number): [number, number] {
  const f = field as Partial<Record<keyof DimReceptiveField, unknown>> | null;
  if (
    typeof f !== 'object' ||
    f === null ||
    !(['size', 'jump', 'start'] as const).every((k) => typeof f[k] === 'number' && Number.isFinite(f[k]))
  ) {
    throw new ArgumentError(
      `receptiveFieldInterval: field must be { size, jump, start } (finite numbers, as receptiveField gives), got ${formatValue(field)}`,
    );
  }
  if (typeof unit !== 'number' || !Number.isSafeInteger(unit) || unit < 0) {
    throw new ArgumentError(
      `receptiveFieldInterval: unit must be a non-negative integer, got ${formatValue(unit)}`,
    );
  }
  const centre = field.start + unit * field.jump;
  return [centre - (field.size - 1) / 2, centre + (field.size - 1) / 2];
}

/** Without inputShape, spatial sizes are taken as 2^20: large enough for any stride product. */
const NOMINAL_SIZE = 2 ** 20;

interface State {
  readonly dims: readonly DimReceptiveField[];
  /** Spatial sizes where a Flatten merged the dims, once one has. */
  readonly flattenedFrom: readonly number[] | null;
}

/** A shape [1, C, 2^20, ...] read off the first specs: their rank and input channels. */
function nominalInput(specs: readonly unknown[]): number[] {
  let dims: number | null = null;
  let channels: number | null = null;
  // Depth first in order, on an explicit stack; a list met again (a cycle) is skipped here and
  // refused by planModel with its path.
  const pending: unknown[] = [...specs].reverse();
  const seen = new Set<unknown>();
  while (pending.length > 0 && (dims === null || channels === null)) {
    const raw = pending.pop();
    if (typeof raw !== 'object' || raw === null) break;
    if (seen.has(raw)) continue;
    seen.add(raw);
    const spec = raw as Record<string, unknown>;
    const children =
      spec.type === 'Sequential' ? spec.layers : spec.type === 'Residual' ? spec.body : undefined;
    if (Array.isArray(children)) {
      for (let i = children.length - 1; i >= 0; i--) pending.push(children[i]);
      continue;
    }
    dims ??= typeof spec.type === 'string' ? spatialDimsOf(spec.type) : null;
    const count = spec.inChannels ?? spec.numFeatures ?? spec.numChannels;
    if (channels === null && typeof count === 'number') channels = count;
  }
  if (dims === null) {
    throw new ArgumentError(
      'receptiveField: cannot tell the number of spatial dims from the specs; pass inputShape',
    );
  }
  return [1, channels ?? 1, ...new Array<number>(dims).fill(NOMINAL_SIZE)];
}

/** A map step that depends on the actual input size cannot be taken on the nominal input. */
function needsSizes(node: PlanNode): boolean {
  const map = node.map!;
  if (map.kind === 'adaptive' || map.kind === 'global' || map.kind === 'dense') return true;
  return map.kind === 'upsample' && map.scaleFactors.some((f) => f === null);
}

/**
 * The receptive field of every module of a sequential stack. `inputShape` (batch first) is
 * needed for layers whose footprint depends on sizes (adaptive pooling, Upsample by size,
 * Linear); without it, conv and pooling stacks are analysed on a nominal input of 2^20
 * positions per dim (padding 'same' with stride > 1 then pads as for sizes that are multiples
 * of the stride).
 */
export function receptiveField(model: ModelLike, inputShape?: readonly number[]): ReceptiveFieldAnalysis {
  const specs = layerSpecsOf('receptiveField', model);
  const nominal = inputShape === undefined;
  const shape = nominal ? nominalInput(specs) : inputShape;
  let planned: ReturnType<typeof planModel>;
  try {
    // The nominal input's counts are never reported, so they need not be exact.
    planned = planModel('receptiveField', specs, shape, !nominal);
  } catch (error) {
    if (!nominal || !ConvkitError.isInstance(error) || (error as Error).message.startsWith('layer '))
      throw error;
    // Sizes in the message are the nominal ones: say so instead of showing made-up numbers as the user's.
    throw new ArgumentError(
      `receptiveField: without inputShape the layers are planned on a nominal input of 2^20 positions per spatial dim, where the model does not fit (${(error as Error).message}); pass inputShape`,
    );
  }
  const { nodes, input } = planned;
  const spatialRank = input.length - 2;
  if (spatialRank < 1) {
    throw new ArgumentError(
      `receptiveField: the input [${input.join(', ')}] has no spatial dims (expected [N, C, ...spatial])`,
    );
  }
  const layers: ReceptiveFieldLayer[] = [];

  const stepLeaf = (node: PlanNode, state: State): State => {
    const map = node.map!;
    if (nominal && needsSizes(node)) {
      throw new ArgumentError(`receptiveField: ${node.label} depends on the input size; pass inputShape`);
    }
    if (map.kind === 'flatten') return { dims: state.dims, flattenedFrom: node.analysis.inputShape.slice(2) };
    if (map.kind === 'dense') {
      // Every output reads every flattened feature, so every position the Flatten's input covered.
      const sizes = state.flattenedFrom ?? [];
      const dims = state.dims.map((f, d) => {
        const n = sizes[d] ?? 1;
        return { size: f.size + (n - 1) * f.jump, jump: 0, start: f.start + ((n - 1) * f.jump) / 2 };
      });
      return { dims, flattenedFrom: state.flattenedFrom };
    }
    if (map.kind === 'pointwise') return state;
    if (state.flattenedFrom !== null) {
      throw new UnsupportedError(
        `receptiveField: ${node.label} comes after a Flatten, where positions no longer lie on the input's grid`,
      );
    }
    const dims = state.dims.map((f, d) => applyStep(f, affineStep(map, d, node.label)));
    return { dims, flattenedFrom: null };
  };

  function* walkList(list: readonly PlanNode[], state: State): Nested<State> {
    let s = state;
    for (const node of list) s = (yield walk(node, s)) as State;
    return s;
  }

  function* walk(node: PlanNode, state: State): Nested<State> {
    const row = layers.length;
    layers.push({ path: node.path, type: node.analysis.type, depth: node.depth, dims: [] });
    let after: State;
    if (node.kind === 'leaf') {
      after = stepLeaf(node, state);
    } else if (node.kind === 'sequential') {
      after = yield* walkList(node.children, state);
    } else {
      const [body, shortcut] = node.branches as [PlanNode[], PlanNode[]];
      const a = yield* walkList(body, state);
      const b = yield* walkList(shortcut, state);
      after = union(node, a, b);
    }
    for (const f of after.dims) {
      checkFinite(`receptiveField: ${node.label}`, 'the receptive field', f.size + f.jump + f.start);
    }
    layers[row] = { ...layers[row]!, dims: after.dims };
    return after;
  }

  const start: State = {
    dims: Array.from({ length: spatialRank }, () => ({ size: 1, jump: 1, start: 0 })),
    flattenedFrom: null,
  };
  runNested(walkList(nodes, start));
  return { inputSpatial: nominal ? null : input.slice(2), layers };
}

/** One step of the recurrence in the module header. */
function applyStep(f: DimReceptiveField, step: AffineStep): DimReceptiveField {
  if (step.kind === 'identity') return f;
  if (step.kind === 'conv') {
    return {
      size: f.size + (step.extent - 1) * f.jump,
      jump: f.jump * step.stride,
      start: f.start + ((step.extent - 1) / 2 - step.padBefore) * f.jump,
    };
  }
  if (step.kind === 'transposed') {
    const jump = f.jump / step.stride;
    return {
      size: f.size + (step.extent - 1) * jump,
      jump,
      start: f.start + (step.padBefore - (step.extent - 1) / 2) * jump,
    };
  }
  // Global: the span of all input units' fields, the same for every output unit.
  return {
    size: f.size + (step.inputSize - 1) * f.jump,
    jump: 0,
    start: f.start + ((step.inputSize - 1) * f.jump) / 2,
  };
}

/** The union of two branches' fields (a Residual's body and shortcut): same jump, wider span. */
function union(node: PlanNode, a: State, b: State): State {
  const dims = a.dims.map((fa, d) => {
    const fb = b.dims[d]!;
    if (Math.abs(fa.jump - fb.jump) > 1e-12 * Math.max(fa.jump, fb.jump, 1)) {
      throw new UnsupportedError(
        `receptiveField: ${node.label} adds branches whose units step by ${fa.jump} and ${fb.jump} input positions (spatial dim ${d}); their fields have no common description`,
      );
    }
    const [loA, hiA] = receptiveFieldInterval(fa, 0);
    const [loB, hiB] = receptiveFieldInterval(fb, 0);
    const lo = Math.min(loA, loB);
    const hi = Math.max(hiA, hiB);
    return { size: hi - lo + 1, jump: fa.jump, start: (lo + hi) / 2 };
  });
  return { dims, flattenedFrom: a.flattenedFrom ?? b.flattenedFrom };
}
