/**
 * inputCoverage: the exact set of input positions that feed one output unit of one module,
 * as a mask over the input's spatial grid. It follows every layer's indexing backwards
 * (dimSources: zero padding reads nothing, reflect/replicate/circular padding read mirrored,
 * clamped or wrapped positions, transposed layers read only the inputs their phase hits,
 * interpolation only taps with non-zero weight), through Residual blocks as the union of body
 * and shortcut. With all weights positive it is where d unit / d input is non-zero, which is
 * how the golden fixtures measure it with PyTorch's autograd.
 *
 * Holes in the mask inside its bounding box are the gridding effect of stacked dilated (or
 * transposed) convolutions (Yu & Koltun 2016; Wang et al., "Understanding Convolution for
 * Semantic Segmentation", WACV 2018).
 */
import {
  ArgumentError,
  checkAllocation,
  contiguousStrides,
  formatValue,
  optionString,
  readOptions,
  UnsupportedError,
} from '@convkit/tensor';
import type { LayerType } from './layer-spec';
import type { ModelLike } from './layer-spec-source';
import { type PlanNode, planModel, preorder } from './model-plan';
import { type Nested, runNested } from './run-nested';
import { dimSources } from './spatial-map';

/** The keys an inputCoverage options object may hold. */
const INPUT_COVERAGE_OPTION_KEYS = ['path', 'outputIndex'] as const;

export interface InputCoverageOptions {
  /** The module whose output unit is traced; the last top-level module by default. */
  path?: string;
  /** The unit, one index per spatial dim; the centre (floor((n - 1) / 2) per dim) by default. */
  outputIndex?: readonly number[];
}

export interface InputCoverage {
  readonly path: string;
  readonly type: LayerType;
  readonly outputIndex: readonly number[];
  readonly inputSpatial: readonly number[];
  /** 1 where the input position feeds the unit; row-major over inputSpatial. */
  readonly mask: Uint8Array;
  /** How many positions feed the unit. */
  readonly count: number;
  /** Per spatial dim the first and last covered position; null when nothing is covered. */
  readonly bounds: readonly (readonly [number, number])[] | null;
  /** Positions inside the bounds that do not feed the unit (gridding holes). */
  readonly holes: number;
}

interface Mask {
  readonly spatial: readonly number[];
  readonly data: Uint8Array;
}

/** Input mask of a leaf from its output mask: the product over dims of each unit's sources. */
function backLeaf(node: PlanNode, mask: Mask): Mask {
  const map = node.map!;
  const inputSpatial = node.analysis.inputShape.slice(2);
  if (map.kind === 'pointwise') return mask;
  if (map.kind === 'flatten' || map.kind === 'dense') {
    throw new UnsupportedError(
      `inputCoverage: ${node.label} merges the spatial dims; trace a unit before it`,
    );
  }
  const dims = inputSpatial.length;
  const sources = mask.spatial.map((size, d) =>
    Array.from({ length: size }, (_, u) => dimSources(map, d, u)),
  );
  const inStrides = contiguousStrides(inputSpatial);
  const outStrides = contiguousStrides(mask.spatial);
  // One byte per input position, within the memory limit (setMemoryLimit).
  const data = new Uint8Array(
    checkAllocation('inputCoverage', `the coverage mask of ${node.label}'s input`, inputSpatial, 1),
  );
  const unit = new Array<number>(dims);
  for (let flat = 0; flat < mask.data.length; flat++) {
    if (!mask.data[flat]) continue;
    for (let d = 0; d < dims; d++) unit[d] = Math.floor(flat / outStrides[d]!) % mask.spatial[d]!;
    // Mark the product of the per-dim source lists, one dim at a time.
    const mark = (d: number, offset: number): void => {
      if (d === dims) {
        data[offset] = 1;
        return;
      }
      for (const s of sources[d]![unit[d]!]!) mark(d + 1, offset + s * inStrides[d]!);
    };
    mark(0, 0);
  }
  return { spatial: inputSpatial, data };
}

function* backList(list: readonly PlanNode[], mask: Mask): Nested<Mask> {
  for (let i = list.length - 1; i >= 0; i--) mask = (yield backNode(list[i]!, mask)) as Mask;
  return mask;
}

function* backNode(node: PlanNode, mask: Mask): Nested<Mask> {
  if (node.kind === 'leaf') return backLeaf(node, mask);
  if (node.kind === 'sequential') return yield* backList(node.children, mask);
  const [body, shortcut] = node.branches as [PlanNode[], PlanNode[]];
  const a = yield* backList(body, mask);
  const b = yield* backList(shortcut, mask);
  const data = new Uint8Array(
    checkAllocation('inputCoverage', `the coverage mask of ${node.label}'s input`, a.spatial, 1),
  );
  for (let i = 0; i < data.length; i++) data[i] = a.data[i]! | b.data[i]!;
  return { spatial: a.spatial, data };
}

type Chain = { list: readonly PlanNode[]; index: number }[];

/** The chain of (list, index) from the top level down to the module at `path`. */
function* locate(nodes: readonly PlanNode[], path: string): Nested<Chain | null> {
  for (let index = 0; index < nodes.length; index++) {
    const node = nodes[index]!;
    if (node.path === path) return [{ list: nodes, index }];
    for (const branch of node.branches) {
      const inner = (yield locate(branch, path)) as Chain | null;
      if (inner) return [{ list: nodes, index }, ...inner];
    }
  }
  return null;
}

/** Paths of modules whose output lies on the input's spatial grid (before any Flatten). */
function spatialPaths(nodes: readonly PlanNode[], rank: number): Set<string> {
  const ok = new Set<string>();
  function* walk(list: readonly PlanNode[], flat: boolean): Nested<boolean> {
    for (const node of list) {
      let after = flat;
      if (node.kind === 'leaf') after = flat || node.map!.kind === 'flatten' || node.map!.kind === 'dense';
      else {
        after = false;
        for (const branch of node.branches) if ((yield walk(branch, flat)) as boolean) after = true;
      }
      if (!after && node.analysis.outputShape.length === rank) ok.add(node.path);
      flat = after;
    }
    return flat;
  }
  runNested(walk(nodes, false));
  return ok;
}

/** The input positions feeding one output unit of one module of a sequential stack. */
export function inputCoverage(
  specs: ModelLike,
  inputShape: readonly number[],
  optionsArg?: InputCoverageOptions,
): InputCoverage {
  const options = readOptions('inputCoverage', optionsArg, INPUT_COVERAGE_OPTION_KEYS);
  const { nodes, input } = planModel('inputCoverage', specs, inputShape);
  const inputSpatial = input.slice(2);
  if (inputSpatial.length === 0) {
    throw new ArgumentError(
      `inputCoverage: the input [${input.join(', ')}] has no spatial dims (expected [N, C, ...spatial])`,
    );
  }
  const eligible = spatialPaths(nodes, input.length);
  let path = optionString('inputCoverage', 'path', options.path, undefined);
  if (path === undefined) {
    const last = [...nodes].reverse().find((n) => eligible.has(n.path));
    if (!last)
      throw new ArgumentError('inputCoverage: no top-level module keeps the spatial dims; give options.path');
    path = last.path;
  }
  const chain = runNested(locate(nodes, path));
  if (!chain) {
    const known = preorder(nodes).map((n) => `'${n.path}'`);
    throw new ArgumentError(
      `inputCoverage: no module at path '${path}'; the modules are ${known.join(', ')}`,
    );
  }
  const target = chain[chain.length - 1]!.list[chain[chain.length - 1]!.index]!;
  if (!eligible.has(path)) {
    throw new ArgumentError(
      `inputCoverage: ${target.label} gives ${JSON.stringify(target.analysis.outputShape)}, which does not lie on the input's spatial grid`,
    );
  }
  const outputSpatial = target.analysis.outputShape.slice(2);
  const given = options.outputIndex;
  if (given !== undefined && !Array.isArray(given)) {
    throw new ArgumentError(
      `inputCoverage: outputIndex must hold ${outputSpatial.length} integers within the output's spatial size [${outputSpatial.join(', ')}] of ${target.label}, got ${formatValue(given)}`,
    );
  }
  const outputIndex: unknown[] = given ? [...given] : outputSpatial.map((n) => Math.floor((n - 1) / 2));
  if (
    outputIndex.length !== outputSpatial.length ||
    outputIndex.some(
      (u, d) => typeof u !== 'number' || !Number.isInteger(u) || u < 0 || u >= outputSpatial[d]!,
    )
  ) {
    throw new ArgumentError(
      `inputCoverage: outputIndex must hold ${outputSpatial.length} integers within the output's spatial size [${outputSpatial.join(', ')}] of ${target.label}, got ${formatValue(given)}`,
    );
  }
  const unit = outputIndex as number[];
  const start = new Uint8Array(
    checkAllocation('inputCoverage', `the coverage mask of ${target.label}'s output`, outputSpatial, 1),
  );
  start[unit.reduce((flat, u, d) => flat * outputSpatial[d]! + u, 0)] = 1;
  let mask: Mask = runNested(backNode(target, { spatial: outputSpatial, data: start }));
  // Then back through what ran before the target at every level of nesting.
  for (let level = chain.length - 1; level >= 0; level--) {
    const { list, index } = chain[level]!;
    mask = runNested(backList(list.slice(0, index), mask));
  }
  return summarize(path, target.analysis.type, unit, inputSpatial, mask.data);
}

function summarize(
  path: string,
  type: LayerType,
  outputIndex: readonly number[],
  inputSpatial: readonly number[],
  mask: Uint8Array,
): InputCoverage {
  const dims = inputSpatial.length;
  const inStrides = contiguousStrides(inputSpatial);
  const low = new Array<number>(dims).fill(Number.POSITIVE_INFINITY);
  const high = new Array<number>(dims).fill(Number.NEGATIVE_INFINITY);
  let count = 0;
  for (let flat = 0; flat < mask.length; flat++) {
    if (!mask[flat]) continue;
    count++;
    for (let d = 0; d < dims; d++) {
      const x = Math.floor(flat / inStrides[d]!) % inputSpatial[d]!;
      if (x < low[d]!) low[d] = x;
      if (x > high[d]!) high[d] = x;
    }
  }
  const bounds = count === 0 ? null : low.map((lo, d) => [lo, high[d]!] as const);
  const box = bounds ? bounds.reduce((v, [lo, hi]) => v * (hi - lo + 1), 1) : 0;
  return { path, type, outputIndex, inputSpatial, mask, count, bounds, holes: box - count };
}

/**
 * A coverage mask as text, '#' for positions that feed the unit and '.' for those that do
 * not: one line for 1-D, one line per row for 2-D, depth slices separated by blank lines for 3-D.
 */
export function formatCoverage(coverage: InputCoverage): string {
  const c = coverage as Partial<InputCoverage> | null;
  const spatial = typeof c === 'object' && c !== null ? c.inputSpatial : undefined;
  if (
    !Array.isArray(spatial) ||
    spatial.length < 1 ||
    spatial.length > 3 ||
    spatial.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 1) ||
    !(c!.mask instanceof Uint8Array) ||
    c!.mask.length !== spatial.reduce((a, b) => a * b, 1)
  ) {
    throw new ArgumentError(
      `formatCoverage: coverage must be what inputCoverage returns (inputSpatial of 1 to 3 sizes and a Uint8Array mask of their product), got ${formatValue(coverage)}`,
    );
  }
  const [depth, height, width] = [...new Array<number>(3 - spatial.length).fill(1), ...spatial] as [
    number,
    number,
    number,
  ];
  const planes: string[] = [];
  for (let z = 0; z < depth; z++) {
    const rows: string[] = [];
    for (let y = 0; y < height; y++) {
      let line = '';
      for (let x = 0; x < width; x++) line += coverage.mask[(z * height + y) * width + x] ? '#' : '.';
      rows.push(line);
    }
    planes.push(rows.join('\n'));
  }
  return planes.join('\n\n');
}
