/**
 * How each pooled op is shared out: a plan per call, the same for the asynchronous and the
 * synchronous API of a CPU context (so both give the same bits for the same split). A plan
 * checks the call's arguments exactly as the synchronous op checks them (the shared resolve*Call
 * functions), then either runs the call on the caller (`inline`: small calls, calls that do not
 * split) or lists its pieces, one per thread, and how the pieces' results make the call's result
 * (`finish`: per-piece weight and bias gradients summed in piece order, halo rows of the input
 * gradient between bands added).
 *
 * Splits: samples of the batch, else blocks of whole groups (grouped and depthwise
 * convolution), else blocks of output channels (dense channels-first convolution with enough
 * channels; transposed and deformable convolution), else bands of output rows (a band is the
 * convolution of an input slice with its own zero padding, convRowBand in @convkit/tensor).
 */
import {
  ArgumentError,
  type ConvGeometry,
  checkGradOutput,
  convRowBands,
  describeValue,
  opNameForWeight,
  optionBoolean,
  readOptions,
  resolveConvCall,
  resolveConvTransposeCall,
  resolveDeformConvCall,
  Tensor,
  zeros,
} from '@convkit/tensor';
import { checkOutTensor } from '../check-out-tensor';
import { conv, convInto } from '../conv';
import { convBackward } from '../conv-backward';
import { convTranspose } from '../conv-transpose';
import { convTransposeBackward } from '../conv-transpose-backward';
import { deformConv } from '../deform-conv';
import { deformConvBackward } from '../deform-conv-backward';
import { channelDimOf, firstSpatialDimOf } from '../layout';
import type {
  ConvBackwardGradientOptions,
  ConvGradients,
  DeformConvGradients,
  PartialConvGradients,
} from '../options';
import { memoryBound } from './memory-bound';
import type { PoolOp, PoolPiece } from './pool-task';
import { addInto, tightView } from './shared-tensor';
import type { TeamPlan } from './wasm-team';

/**
 * The caller's result tensor (convInto's `out`, convBackward's `gradients.inputGradientInto`)
 * as a tensor of this package over its row-major block (as checkOutTensor returns it): the
 * pieces write their parts there, and the call returns the caller's tensor itself.
 */
function ownView(block: Float32Array, shape: readonly number[]): Tensor {
  return new Tensor(block, shape);
}

/** What a plan needs from its context. */
export interface PlanContext {
  /** The pieces a call may be split into (1: none). */
  parts: number;
  /**
   * Whether a call runs on the caller unsplit (too little work to share): its geometry, its
   * `algorithm` option and pass (the kernel that runs it), and whether it is deformable.
   */
  small(
    geometry: ConvGeometry,
    algorithm: unknown,
    pass: 'forward' | 'backward',
    deformable?: boolean,
  ): boolean;
  /** Checks made once the arguments are valid: a disposed context, an aborted signal. */
  ready(op: string): void;
  /** The context's team (threads sharing its WebAssembly memory), where the caller may block. */
  team?: TeamPlan | null;
}

/** A call: run on the caller as it is, or pieces to run and how their results join. */
export type CallPlan<R> = { inline(): R } | { pieces: PoolPiece[]; finish(): R };

/** Options as the op takes them (a plain object, or nothing). */
type Options = Record<string, unknown> | undefined;

/** The options without `bias` (and `mask`): pieces get their slices as tensor options. */
function withoutTensors(options: Options): Record<string, unknown> {
  const rest = { ...options };
  delete rest.bias;
  delete rest.mask;
  return rest;
}

/**
 * The plan of conv / conv1d / conv2d / conv3d (`op` names the call in errors); with `into`
 * (convInto's `out`, checked as the module's convInto checks it) the pieces write the result
 * there, and a call run on the caller runs the module's convInto.
 */
export function planConv(
  ctx: PlanContext,
  op: string,
  input: Tensor,
  weight: Tensor,
  options: Options,
  dims?: 1 | 2 | 3,
  into?: { value: unknown },
): CallPlan<Tensor> {
  const call = resolveConvCall(op, input, weight, options, dims);
  const g = call.geometry;
  const target = into
    ? ownView(
        checkOutTensor(op, 'out', into.value, g.outputShape, "the output's shape in the call's layout", {
          input: call.input,
          weight: call.weight,
          bias: call.bias,
        }),
        g.outputShape,
      )
    : null;
  ctx.ready(op);
  const whole = (): Tensor =>
    into
      ? convInto(into.value as Tensor, call.input, call.weight, options)
      : conv(call.input, call.weight, options);
  const inline = { inline: whole };
  if (ctx.small(g, call.algorithm, 'forward') || memoryBound(g)) return inline;
  const team = ctx.team;
  if (team?.takes(g, call.algorithm, 'forward')) return { inline: () => team.runOp(op, whole) };
  const parts = ctx.parts;
  const x = call.input;
  const w = call.weight;
  const bias = call.bias ?? null;
  const rest = withoutTensors(options);
  const channelDim = channelDimOf(g.layout, g.dims);
  const rowDim = firstSpatialDimOf(g.layout);
  // Every piece writes a disjoint part of the result, together all of it.
  const out = target ?? zeros(g.outputShape);
  const pieces: PoolPiece[] = [];
  const bands = g.batch < parts && g.groups < parts ? convRowBands(g, parts) : [];
  if (g.batch >= parts) {
    for (const [n0, n1] of chunks(g.batch, parts)) {
      pieces.push(piece('conv', [x.slice(0, n0, n1), w], rest, { bias }, { output: out.slice(0, n0, n1) }));
    }
  } else if (g.groups >= parts) {
    // Blocks of whole groups: each piece reads only its groups' input channels and weights.
    const cin = g.inChannelsPerGroup;
    const cout = g.outChannelsPerGroup;
    for (const [g0, g1] of chunks(g.groups, parts)) {
      pieces.push(
        piece(
          'conv',
          [x.slice(channelDim, g0 * cin, g1 * cin), w.slice(0, g0 * cout, g1 * cout)],
          { ...rest, groups: g1 - g0 },
          { bias: bias ? bias.slice(0, g0 * cout, g1 * cout) : null },
          { output: out.slice(channelDim, g0 * cout, g1 * cout) },
        ),
      );
    }
  } else if (prefersChannelBlocks(g, parts)) {
    // Blocks of output channels: each piece reads the whole input (no copy for the caller, one
    // for a worker) and writes one contiguous block of the result.
    for (const [c0, c1] of alignedChunks(g.outChannels, parts, CHANNEL_ALIGN)) {
      pieces.push(
        piece(
          'conv',
          [x, w.slice(0, c0, c1)],
          rest,
          { bias: bias ? bias.slice(0, c0, c1) : null },
          { output: out.slice(channelDim, c0, c1) },
        ),
      );
    }
  } else if (bands.length >= 2) {
    for (const band of bands) {
      const padding = paddingPairs(g);
      padding[0] = [band.padBefore, band.padAfter];
      pieces.push(
        piece(
          'conv',
          [x.slice(rowDim, band.inputStart, band.inputEnd), w],
          { ...rest, padding },
          { bias },
          { output: out.slice(rowDim, band.rowStart, band.rowEnd) },
        ),
      );
    }
  } else {
    return inline;
  }
  return { pieces, finish: () => (into ? (into.value as Tensor) : out) };
}

/**
 * The plan of convBackward (`gradients: { inputGradient: false }` skips the input gradient;
 * `gradients.inputGradientInto`, checked as the module op checks it, holds it: the pieces
 * write it there, a call run on the caller passes it to the module op).
 */
export function planConvBackward(
  ctx: PlanContext,
  gradOutput: Tensor,
  input: Tensor,
  weight: Tensor,
  options: Options,
  gradients: ConvBackwardGradientOptions | undefined,
): CallPlan<PartialConvGradients> {
  const op = 'convBackward';
  const call = resolveConvCall(op, input, weight, options);
  const read = readOptions(op, gradients, ['inputGradient', 'inputGradientInto'], 'gradients');
  const wantInput = optionBoolean(op, 'inputGradient', read.inputGradient, true);
  const which = { inputGradient: wantInput };
  const g = call.geometry;
  const gy = checkGradOutput(op, gradOutput, g.outputShape, `conv${g.dims}d`);
  const given = read.inputGradientInto;
  if (given !== undefined && !wantInput) {
    // The module op's checks and messages (convBackward).
    throw new ArgumentError(
      `${op}: gradients.inputGradientInto must be left out with gradients.inputGradient false (no input gradient is computed), got ${describeValue(given)}; drop one of the two`,
    );
  }
  const target =
    given === undefined
      ? null
      : ownView(
          checkOutTensor(op, 'gradients.inputGradientInto', given, g.inputShape, "the input's shape", {
            gradOutput: gy,
            input: call.input,
            weight: call.weight,
            bias: call.bias,
          }),
          g.inputShape,
        );
  ctx.ready(op);
  const parts = ctx.parts;
  const x = call.input;
  const w = call.weight;
  const whole = (): PartialConvGradients =>
    convBackward(gy, x, w, options, given === undefined ? which : { inputGradientInto: given as Tensor });
  if (ctx.small(g, call.algorithm, 'backward') || memoryBound(g)) return { inline: whole };
  const team = ctx.team;
  if (team?.takes(g, call.algorithm, 'backward')) return { inline: () => team.runOp(op, whole) };
  const rest = withoutTensors(options);
  const rowDim = firstSpatialDimOf(g.layout);
  const bands = g.batch < parts ? convRowBands(g, parts) : [];
  if (g.batch < parts && bands.length < 2) return { inline: whole };
  // Without the input gradient each piece runs the weight-only op and nothing is staged for it.
  const pieceOp = wantInput ? 'convBackward' : 'convBackwardWeight';
  // Bands add their rows into it (rows two bands share get both): a given tensor starts at zero.
  const bandsAdd = g.batch < parts && wantInput;
  if (target !== null && bandsAdd) target.data.fill(0, target.offset, target.offset + target.size);
  const gradInput = target ?? zeros(wantInput ? g.inputShape : [0]);
  const pieces: PoolPiece[] = [];
  const weightParts: Tensor[] = [];
  const biasParts: Tensor[] = [];
  const inputParts: { part: Tensor; target: Tensor }[] = [];
  if (g.batch >= parts) {
    for (const [n0, n1] of chunks(g.batch, parts)) {
      const gw = zeros(g.weightShape);
      const gb = zeros([g.outChannels]);
      weightParts.push(gw);
      biasParts.push(gb);
      pieces.push(
        piece(
          pieceOp,
          [gy.slice(0, n0, n1), x.slice(0, n0, n1), w],
          rest,
          { bias: null },
          wantInput
            ? { gradInput: gradInput.slice(0, n0, n1), gradWeight: gw, gradBias: gb }
            : { gradWeight: gw, gradBias: gb },
        ),
      );
    }
  } else {
    for (const band of bands) {
      const padding = paddingPairs(g);
      padding[0] = [band.padBefore, band.padAfter];
      const xBand = x.slice(rowDim, band.inputStart, band.inputEnd);
      const gw = zeros(g.weightShape);
      const gb = zeros([g.outChannels]);
      const outputs: Record<string, Tensor> = { gradWeight: gw, gradBias: gb };
      if (wantInput) {
        const gi = zeros(xBand.shape);
        inputParts.push({ part: gi, target: gradInput.slice(rowDim, band.inputStart, band.inputEnd) });
        outputs.gradInput = gi;
      }
      weightParts.push(gw);
      biasParts.push(gb);
      pieces.push(
        piece(
          pieceOp,
          [gy.slice(rowDim, band.rowStart, band.rowEnd), xBand, w],
          { ...rest, padding },
          { bias: null },
          outputs,
        ),
      );
    }
  }
  return {
    pieces,
    finish: () => {
      for (const { part, target } of inputParts) addInto(part, target);
      const gradWeight = zeros(g.weightShape);
      const gradBias = zeros([g.outChannels]);
      sumInto(gradWeight, weightParts);
      sumInto(gradBias, biasParts);
      const gradInputResult = given === undefined ? gradInput : (given as Tensor);
      return { gradInput: wantInput ? gradInputResult : null, gradWeight, gradBias };
    },
  };
}

/** The plan of convTranspose / convTranspose1d/2d/3d. */
export function planConvTranspose(
  ctx: PlanContext,
  input: Tensor,
  weight: Tensor,
  options: Options,
  dims?: 1 | 2 | 3,
): CallPlan<Tensor> {
  const op = opNameForWeight('convTranspose', weight);
  const call = resolveConvTransposeCall(op, input, weight, options, dims);
  const g = call.geometry;
  ctx.ready(op);
  const x = call.input;
  const w = call.weight;
  if (ctx.small(g, call.algorithm, 'forward')) return { inline: () => convTranspose(x, w, options) };
  const team = ctx.team;
  if (team?.takes(g, call.algorithm, 'forward'))
    return { inline: () => team.runOp(op, () => convTranspose(x, w, options)) };
  const parts = ctx.parts;
  const bias = call.bias ?? null;
  const rest = withoutTensors(options);
  const channelDim = channelDimOf(g.layout, g.dims);
  const out = zeros(g.outputShape);
  const pieces: PoolPiece[] = [];
  if (g.batch >= parts) {
    for (const [n0, n1] of chunks(g.batch, parts)) {
      pieces.push(
        piece('convTranspose', [x.slice(0, n0, n1), w], rest, { bias }, { output: out.slice(0, n0, n1) }),
      );
    }
  } else if (g.groups >= parts) {
    // Blocks of whole groups (weight [C_in, C_out/groups, ...k]: its groups are blocks of dim 0).
    const cin = g.inChannelsPerGroup;
    const cout = g.outChannelsPerGroup;
    for (const [g0, g1] of chunks(g.groups, parts)) {
      pieces.push(
        piece(
          'convTranspose',
          [x.slice(channelDim, g0 * cin, g1 * cin), w.slice(0, g0 * cin, g1 * cin)],
          { ...rest, groups: g1 - g0 },
          { bias: bias ? bias.slice(0, g0 * cout, g1 * cout) : null },
          { output: out.slice(channelDim, g0 * cout, g1 * cout) },
        ),
      );
    }
  } else if (g.groups === 1 && g.outChannels >= 2 * parts) {
    // One sample: blocks of output channels (weight [C_in, C_out, ...k] sliced on dim 1).
    for (const [c0, c1] of chunks(g.outChannels, parts)) {
      pieces.push(
        piece(
          'convTranspose',
          [x, w.slice(1, c0, c1)],
          rest,
          { bias: bias ? bias.slice(0, c0, c1) : null },
          { output: out.slice(channelDim, c0, c1) },
        ),
      );
    }
  } else {
    return { inline: () => convTranspose(x, w, options) };
  }
  return { pieces, finish: () => out };
}

/** The plan of convTransposeBackward: split by sample. */
export function planConvTransposeBackward(
  ctx: PlanContext,
  gradOutput: Tensor,
  input: Tensor,
  weight: Tensor,
  options: Options,
): CallPlan<ConvGradients> {
  const op = 'convTransposeBackward';
  const call = resolveConvTransposeCall(op, input, weight, options);
  const g = call.geometry;
  const gy = checkGradOutput(op, gradOutput, g.outputShape, `convTranspose${g.dims}d`);
  ctx.ready(op);
  if (ctx.small(g, call.algorithm, 'backward') || g.batch < ctx.parts)
    return { inline: () => convTransposeBackward(gy, call.input, call.weight, options) };
  return batchBackward(ctx, 'convTransposeBackward', g, [gy, call.input, call.weight], options);
}

/** The plan of deformConv. */
export function planDeformConv(
  ctx: PlanContext,
  input: Tensor,
  weight: Tensor,
  offset: Tensor,
  options: Options,
): CallPlan<Tensor> {
  const op = 'deformConv2d';
  const call = resolveDeformConvCall(op, input, weight, offset, options);
  const g = call.geometry;
  ctx.ready(op);
  const x = call.input;
  const w = call.weight;
  const off = call.offset;
  if (ctx.small(g, call.algorithm, 'forward', true)) return { inline: () => deformConv(x, w, off, options) };
  const parts = ctx.parts;
  const mask = call.mask ?? null;
  const bias = call.bias ?? null;
  const rest = withoutTensors(options);
  const out = zeros(g.outputShape);
  const pieces: PoolPiece[] = [];
  if (g.batch < parts && g.groups === 1 && g.outChannels >= 2 * parts) {
    // One sample: blocks of output channels (weight [C_out, ...] sliced on dim 0).
    for (const [c0, c1] of chunks(g.outChannels, parts)) {
      pieces.push(
        piece(
          'deformConv',
          [x, w.slice(0, c0, c1), off],
          rest,
          { bias: bias ? bias.slice(0, c0, c1) : null, mask },
          { output: out.slice(1, c0, c1) },
        ),
      );
    }
  } else if (g.batch >= parts) {
    for (const [n0, n1] of chunks(g.batch, parts)) {
      pieces.push(
        piece(
          'deformConv',
          [x.slice(0, n0, n1), w, off.slice(0, n0, n1)],
          rest,
          { bias, mask: mask ? mask.slice(0, n0, n1) : null },
          { output: out.slice(0, n0, n1) },
        ),
      );
    }
  } else {
    return { inline: () => deformConv(x, w, off, options) };
  }
  return { pieces, finish: () => out };
}

/** The plan of deformConvBackward: split by sample. */
export function planDeformConvBackward(
  ctx: PlanContext,
  gradOutput: Tensor,
  input: Tensor,
  weight: Tensor,
  offset: Tensor,
  options: Options,
): CallPlan<DeformConvGradients> {
  const op = 'deformConv2dBackward';
  const call = resolveDeformConvCall(op, input, weight, offset, options);
  const g = call.geometry;
  const gy = checkGradOutput(op, gradOutput, g.outputShape, 'deformConv2d');
  ctx.ready(op);
  if (ctx.small(g, call.algorithm, 'backward', true) || g.batch < ctx.parts)
    return { inline: () => deformConvBackward(gy, call.input, call.weight, call.offset, options) };
  return batchBackward(ctx, 'deformConvBackward', g, [gy, call.input, call.weight, call.offset], options, {
    offset: call.offset,
    mask: call.mask ?? null,
  });
}

/** Backward passes split over samples: gradInput per slice, weight and bias gradients summed. */
function batchBackward(
  ctx: PlanContext,
  op: 'convTransposeBackward' | 'deformConvBackward',
  g: ConvGeometry,
  args: Tensor[],
  options: Options,
  extra: { offset?: Tensor; mask?: Tensor | null } = {},
): CallPlan<DeformConvGradients> {
  const rest = withoutTensors(options);
  const gradInput = zeros(g.inputShape);
  const gradOffset = extra.offset ? zeros(extra.offset.shape) : null;
  const gradMask = extra.mask ? zeros(extra.mask.shape) : null;
  const weightParts: Tensor[] = [];
  const biasParts: Tensor[] = [];
  const pieces: PoolPiece[] = [];
  for (const [n0, n1] of chunks(g.batch, ctx.parts)) {
    const gw = zeros(g.weightShape);
    const gb = zeros([g.outChannels]);
    weightParts.push(gw);
    biasParts.push(gb);
    const sliced = args.map((t, i) => (i === 2 ? t : t.slice(0, n0, n1)));
    const outputs: Record<string, Tensor> = {
      gradInput: gradInput.slice(0, n0, n1),
      gradWeight: gw,
      gradBias: gb,
    };
    if (gradOffset) outputs.gradOffset = gradOffset.slice(0, n0, n1);
    if (gradMask) outputs.gradMask = gradMask.slice(0, n0, n1);
    const tensorOptions: Record<string, Tensor | null> = { bias: null };
    if (extra.mask !== undefined) tensorOptions.mask = extra.mask ? extra.mask.slice(0, n0, n1) : null;
    pieces.push(piece(op, sliced, rest, tensorOptions, outputs));
  }
  return {
    pieces,
    finish: () => {
      const gradWeight = zeros(g.weightShape);
      const gradBias = zeros([g.outChannels]);
      sumInto(gradWeight, weightParts);
      sumInto(gradBias, biasParts);
      // The transposed convolution's gradients have no offset or mask keys (as its synchronous op).
      if (!gradOffset) return { gradInput, gradWeight, gradBias } as DeformConvGradients;
      return { gradInput, gradWeight, gradBias, gradOffset, gradMask };
    },
  };
}

function paddingPairs(geometry: ConvGeometry): [number, number][] {
  return geometry.padBefore.map((before, d) => [before, geometry.padAfter[d]!] as [number, number]);
}

/** Sum of per-piece partials into `into` (fixed piece order: the same bits every run). */
function sumInto(into: Tensor, partials: Tensor[]): void {
  const target = into.data;
  for (const part of partials) {
    const data = part.data;
    for (let i = 0; i < target.length; i++) target[i] += data[i]!;
  }
}

/** A piece of a call (the tensors of its arguments made tight views, see tightView). */
function piece(
  op: PoolOp,
  args: Tensor[],
  options: Record<string, unknown>,
  tensorOptions: Record<string, Tensor | null>,
  outputs: Record<string, Tensor>,
): PoolPiece {
  const tight: Record<string, Tensor | null> = {};
  for (const [name, t] of Object.entries(tensorOptions)) tight[name] = t ? tightView(t) : null;
  return { op, args: args.map(tightView), options, tensorOptions: tight, outputs };
}

/** Output-channel blocks start at multiples of this where they can (the GEMM's register tile). */
const CHANNEL_ALIGN = 8;

/**
 * Whether a one-sample dense convolution splits into blocks of output channels rather than
 * bands of rows. Bands of a channels-first tensor are strided (a copy of one run per channel
 * plane for every piece), channel blocks are contiguous; each block repeats the lowering of
 * the whole input, which costs little against its share of the product when there are enough
 * input channels (measured, one thread, half the work against the whole: pw1x1 0.63 of 1.24
 * ms by channels, 0.67 by rows; c3x3 1.25 of 2.5 by channels, 1.17-1.31 by rows; stem7x7,
 * three input channels, 4.37 of 7.81 by channels against 3.50 by rows). Channels-last tensors
 * keep bands, which are contiguous there.
 */
function prefersChannelBlocks(g: ConvGeometry, parts: number): boolean {
  return (
    g.layout !== 'channels-last' &&
    g.groups === 1 &&
    g.inChannels >= 16 &&
    g.outChannels >= 2 * CHANNEL_ALIGN * parts
  );
}

/** Chunks of `count` for `parts` threads whose boundaries are multiples of `align` where that leaves none empty. */
function alignedChunks(count: number, parts: number, align: number): [number, number][] {
  const plain = chunks(count, parts);
  const bounds = plain.map(([start]) => Math.round(start / align) * align);
  for (let i = 1; i < bounds.length; i++)
    if (bounds[i]! <= bounds[i - 1]! || bounds[i]! >= count) return plain;
  return bounds.map((start, i) => [start, i + 1 < bounds.length ? bounds[i + 1]! : count]);
}

/** Near-equal chunks [start, end) of `count` items for `parts` threads. */
function chunks(count: number, parts: number): [number, number][] {
  const n = Math.min(count, parts);
  return Array.from({ length: n }, (_, i) => [
    Math.round((i * count) / n),
    Math.round(((i + 1) * count) / n),
  ]);
}
