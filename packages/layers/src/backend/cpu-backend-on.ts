/**
 * cpuBackendOn: the CPU backend with its convolutions on other synchronous ops, in practice
 * a kernels-cpu context's `ctx.sync` (the convolutions split across the context's threads,
 * the caller's one included, and returned synchronously). The autograd ops call the backend
 * synchronously, so only a synchronous face of the pool fits; everything but the six
 * convolution entries (forward and backward of conv, convTranspose and deformConv) is
 * cpuBackend's own, recycled buffers included. Where the ops have the into-forms (`convInto`
 * and convBackward's `gradients.inputGradientInto`, as a context's ctx.sync), conv's output
 * and input gradient are written into recycled buffers too; ops without them make fresh ones.
 *
 *   const ctx = await createCpuContext({ threads: 2 });
 *   setBackend(cpuBackendOn(ctx.sync));
 */
import type { CpuSyncOps } from '@convkit/kernels-cpu';
import { ArgumentError, describeValue } from '@convkit/tensor';
import { type ConvIntoOps, recycledConv, recycledConvBackward } from '../cpu/recycled-conv';
import type { Backend } from './backend';
import { cpuBackend } from './cpu-backend';

/**
 * The part of a CpuContext's `ctx.sync` that cpuBackendOn uses: `threads` and the six
 * convolution ops, with the signatures, results and errors of kernels-cpu's synchronous ops
 * (so those ops with a `threads` count fit too); optionally `convInto`, whose presence says
 * that convBackward takes `gradients.inputGradientInto` too.
 */
export type SyncConvOps = { convInto?: ConvIntoOps['convInto'] } & Pick<
  CpuSyncOps,
  | 'threads'
  | 'conv'
  | 'convBackward'
  | 'convTranspose'
  | 'convTransposeBackward'
  | 'deformConv'
  | 'deformConvBackward'
>;

const OP_NAMES = [
  'conv',
  'convBackward',
  'convTranspose',
  'convTransposeBackward',
  'deformConv',
  'deformConvBackward',
] as const;

function checkOps(ops: unknown): asserts ops is SyncConvOps {
  if (typeof ops !== 'object' || ops === null) {
    throw new ArgumentError(
      `cpuBackendOn: ops must be synchronous convolution ops (a CpuContext's ctx.sync), got ${describeValue(ops)}`,
    );
  }
  const record = ops as Record<string, unknown>;
  // The context itself has the same names, but its ops return promises.
  if (typeof record.dispose === 'function' && 'sync' in record) {
    throw new ArgumentError(
      'cpuBackendOn: ops is a CpuContext, whose ops are asynchronous; pass its synchronous ops, ctx.sync',
    );
  }
  for (const name of OP_NAMES) {
    if (typeof record[name] !== 'function') {
      throw new ArgumentError(
        `cpuBackendOn: ops.${name} must be a function, got ${describeValue(record[name])}`,
      );
    }
  }
  if (record.convInto !== undefined && typeof record.convInto !== 'function') {
    throw new ArgumentError(
      `cpuBackendOn: ops.convInto must be a function when given, got ${describeValue(record.convInto)}`,
    );
  }
  const threads = record.threads;
  if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 0) {
    throw new ArgumentError(
      `cpuBackendOn: ops.threads must be a non-negative integer (the threads a call uses), got ${describeValue(threads)}`,
    );
  }
}

/**
 * A Backend that runs convolutions (forward and backward) through `ops` and every other
 * kernel as `cpuBackend` does. The results are the ops' own: with a context's sync ops,
 * forward values and batch-split input gradients are the same bits as on one thread when
 * each piece runs the same algorithm, and the rest agree within kernels-cpu's tolerance.
 */
export function cpuBackendOn(ops: SyncConvOps): Backend {
  checkOps(ops);
  const { convInto } = ops;
  const intoOps: ConvIntoOps | null =
    convInto === undefined
      ? null
      : {
          conv: (input, weight, options) => ops.conv(input, weight, options),
          convInto: (out, input, weight, options) => convInto.call(ops, out, input, weight, options),
          convBackward: (gradOutput, input, weight, options, gradients) =>
            ops.convBackward(gradOutput, input, weight, options, gradients),
        };
  return Object.freeze({
    ...cpuBackend,
    name: `cpu (convolutions on ${ops.threads} thread${ops.threads === 1 ? '' : 's'})`,
    conv: (input, weight, options) =>
      intoOps === null ? ops.conv(input, weight, options) : recycledConv(intoOps, input, weight, options),
    convBackward: (gradOutput, input, weight, options, gradients) =>
      intoOps !== null
        ? recycledConvBackward(intoOps, gradOutput, input, weight, options, gradients)
        : gradients === undefined
          ? ops.convBackward(gradOutput, input, weight, options)
          : ops.convBackward(gradOutput, input, weight, options, gradients),
    convTranspose: (input, weight, options) => ops.convTranspose(input, weight, options),
    convTransposeBackward: (gradOutput, input, weight, options) =>
      ops.convTransposeBackward(gradOutput, input, weight, options),
    deformConv: (input, weight, offset, options) => ops.deformConv(input, weight, offset, options),
    deformConvBackward: (gradOutput, input, weight, offset, options) =>
      ops.deformConvBackward(gradOutput, input, weight, offset, options),
  } satisfies Backend);
}
