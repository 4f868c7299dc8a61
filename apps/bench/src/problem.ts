/**
 * createProblem: one config made concrete: its geometry (from `convGeometry`, the only shape
 * arithmetic), seeded random tensors in convkit's layout (channels-first, PyTorch weight
 * layouts) and the work it stands for:
 *   forward, deformable: MACs = N x macsPerSample (conv: C_out * prod(out) * C_in/groups * prod(k);
 *                        transposed: C_in * prod(in) * C_out/groups * prod(k))
 *   backward:            MACs = 2 x N x macsPerSample (gradInput and gradWeight each cost the forward)
 *   FLOPs = 2 x MACs
 */
import { type ConvGeometry, convGeometry, createRng, type Tensor } from '@convkit/tensor';
import {
  type BenchConfig,
  type BenchOp,
  type ConvSizes,
  configSizes,
  describeSizes,
  pytorchModule,
} from './bench-configs';

export interface Problem {
  config: BenchConfig;
  /** The sizes actually run (the smoke overrides applied in smoke mode). */
  sizes: ConvSizes;
  smoke: boolean;
  /** Identifies the problem's data within a process: config id, sizes and seed. */
  key: string;
  op: BenchOp;
  notation: string;
  pytorch: string;
  geometry: ConvGeometry;
  macs: number;
  flops: number;
  /** How `macs` was counted, printed with the results. */
  macsFormula: string;
  input: Tensor;
  /** [C_out, C_in/groups, ...k], or [C_in, C_out/groups, ...k] for transposed convolution. */
  weight: Tensor;
  /** Deformable only: [N, 2*kh*kw, H_out, W_out] (dy, dx) pairs, and the mask [N, kh*kw, H_out, W_out]. */
  offset: Tensor | null;
  mask: Tensor | null;
  /** Backward only: the gradient of the output, [N, C_out, ...out]. */
  gradOutput: Tensor | null;
  /** What an engine returns, in this order, each flattened row-major: [output] or [gradInput, gradWeight]. */
  outputShapes: readonly (readonly number[])[];
}

export const MACS_FORMULAS: Readonly<Record<BenchOp, string>> = {
  conv: 'MACs = N * C_out * prod(out) * C_in/groups * prod(k)',
  convTranspose: 'MACs = N * C_in * prod(in) * C_out/groups * prod(k)',
  deformConv: 'MACs = N * C_out * prod(out) * C_in/groups * prod(k) (bilinear sampling and mask not counted)',
  convBackward:
    'MACs = 2 * N * C_out * prod(out) * C_in/groups * prod(k) (gradInput + gradWeight, each the forward cost; gradBias not counted)',
};

export const FLOPS_FORMULA = 'FLOPs = 2 * MACs; GFLOP/s = FLOPs / median time / 1e9';

/** FNV-1a, so that each config draws the same numbers whatever --filter selects. */
function hashId(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** The tensors and counts of one config; the same seed gives the same numbers on every machine. */
export function createProblem(
  config: BenchConfig,
  options: { smoke?: boolean; seed?: number } = {},
): Problem {
  const smoke = options.smoke ?? false;
  const sizes = configSizes(config, smoke);
  const op = config.op;
  const geometry = convGeometry({
    op: `${config.id}`,
    transposed: op === 'convTranspose',
    batch: sizes.batch,
    inChannels: sizes.inChannels,
    outChannels: sizes.outChannels,
    inputSpatial: sizes.inputSpatial,
    kernelSize: sizes.kernelSize,
    stride: sizes.stride,
    padding: sizes.padding,
    dilation: sizes.dilation,
    groups: sizes.groups,
    outputPadding: sizes.outputPadding,
    offsetGroups: op === 'deformConv' ? 1 : undefined,
  });
  const seed = options.seed ?? 0;
  const rng = createRng((seed ^ hashId(config.id)) >>> 0);
  // PyTorch's default init bound 1/sqrt(fan_in) keeps outputs O(1), so 1e-4 tolerances mean something.
  const fanIn =
    (op === 'convTranspose' ? geometry.outChannelsPerGroup : geometry.inChannelsPerGroup) *
    geometry.kernelVolume;
  const bound = 1 / Math.sqrt(fanIn);
  const input = rng.uniformTensor(geometry.inputShape, -1, 1);
  const weight = rng.uniformTensor(geometry.weightShape, -bound, bound);
  const offset = geometry.offsetShape ? rng.uniformTensor(geometry.offsetShape, -2, 2) : null;
  const mask = geometry.maskShape ? rng.uniformTensor(geometry.maskShape, 0, 1) : null;
  const gradOutput = op === 'convBackward' ? rng.uniformTensor(geometry.outputShape, -1, 1) : null;
  const notation = describeSizes(op, sizes);
  const forwardMacs = geometry.macsPerSample * geometry.batch;
  const macs = op === 'convBackward' ? 2 * forwardMacs : forwardMacs;
  return {
    config,
    sizes,
    smoke,
    key: `${config.id}: ${notation}, seed ${seed}`,
    op,
    notation,
    pytorch: pytorchModule(op, sizes),
    geometry,
    macs,
    flops: 2 * macs,
    macsFormula: MACS_FORMULAS[op],
    input,
    weight,
    offset,
    mask,
    gradOutput,
    outputShapes:
      op === 'convBackward' ? [geometry.inputShape, geometry.weightShape] : [geometry.outputShape],
  };
}
