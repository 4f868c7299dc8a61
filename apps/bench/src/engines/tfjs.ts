/**
 * tfjsEngines: TensorFlow.js (@tensorflow/tfjs-core) on its 'cpu' backend (plain JS) and its
 * 'wasm' backend (XNNPACK, single thread: its threads do not start in Node). tfjs is
 * channels-last: activations N[D]HWC, filters [k..., C_in, C_out] (depthwise [kh, kw, C, m],
 * transposed [kh, kw, C_out, C_in]); the data is converted once, outside the timed region.
 * Each engine keeps its tensors on its own backend and selects it before each run (untimed),
 * so interleaving the two never moves data between backends inside a timed region.
 * The timed region is the op plus `dataSync()` of its outputs.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { convGeometry } from '@convkit/tensor';
import type * as TfCore from '@tensorflow/tfjs-core';
import { concatOutputs, type Engine, type PreparedRun, timeRun, unsupported } from '../engine';
import { permuteData, permutedShape, toChannelsFirstOrder, toChannelsLastOrder } from '../layout';
import type { Problem } from '../problem';

type Tf = typeof TfCore;
type TfBackend = 'cpu' | 'wasm';

const require = createRequire(import.meta.url);

interface TfjsLibrary {
  tf: Tf;
  versions: Record<TfBackend, string>;
}

let loading: Promise<TfjsLibrary> | null = null;

/** Loads tfjs-core and both backends once; the wasm binaries come from the package's dist folder. */
function loadTfjs(): Promise<TfjsLibrary> {
  loading ??= (async () => {
    const tf = await import('@tensorflow/tfjs-core');
    const cpu = await import('@tensorflow/tfjs-backend-cpu');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // A file path prefix: in Node the emscripten loader reads the .wasm with fs.
    wasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
    wasm.setThreadsCount(1);
    return { tf, versions: { cpu: cpu.version_cpu, wasm: wasm.version_wasm } };
  })();
  return loading;
}

async function selectBackend(tf: Tf, backend: TfBackend): Promise<void> {
  if (tf.getBackend() === backend) return;
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs could not initialise its '${backend}' backend`);
  // The cpu backend prints a "install tfjs-node" banner on first use; it says nothing about speed here.
  (tf.backend() as { firstUse?: boolean }).firstUse = false;
}

/** What one problem needs on tfjs: the tensors to create and the op to run on them. */
interface TfjsPlan {
  /** Channels-last data and shapes for tf.tensor, created once on the engine's backend. */
  tensors: { data: Float32Array; shape: number[] }[];
  /** The op; returns its outputs (tfjs layouts). */
  run: (tf: Tf, inputs: TfCore.Tensor[]) => TfCore.Tensor[];
  /** The order that turns each output back into convkit's layout. */
  outputOrders: number[][];
}

/** Explicit [[0, 0], [before, after] per spatial dim..., [0, 0]] padding for an N...C tensor. */
function explicitPadding(problem: Problem): [number, number][] {
  const g = problem.geometry;
  return [[0, 0], ...g.padBefore.map((b, d) => [b, g.padAfter[d]!] as [number, number]), [0, 0]];
}

/** The tfjs calls for a problem, or why tfjs cannot run it. */
export function planTfjs(problem: Problem, backend: TfBackend, tf: Tf): TfjsPlan | string {
  const g = problem.geometry;
  const rank = g.dims + 2;
  const lastOrder = toChannelsLastOrder(rank);
  const firstOrder = toChannelsFirstOrder(rank);
  const input = {
    data: permuteData(problem.input.toFloat32Array(), problem.input.shape, lastOrder),
    shape: permutedShape(problem.input.shape, lastOrder),
  };
  const weightData = problem.weight.toFloat32Array();
  const strided = g.stride.some((s) => s !== 1);
  const dilated = g.dilation.some((d) => d !== 1);
  const pad = explicitPadding(problem) as TfCore.backend_util.ExplicitPadding;

  if (problem.op === 'deformConv') return 'tfjs has no deformable convolution';
  if (strided && dilated) return 'tfjs convolutions take stride > 1 or dilation > 1, not both';

  if (problem.op === 'convTranspose') {
    if (g.dims !== 2)
      return `tfjs has conv2dTranspose only, no ${g.dims}-D transposed convolution in this harness`;
    if (g.groups !== 1) return 'tfjs conv2dTranspose has no groups';
    if (dilated) return 'tfjs conv2dTranspose has no dilation';
    // PyTorch [C_in, C_out, kh, kw] -> tfjs [kh, kw, C_out, C_in].
    const order = [2, 3, 1, 0];
    const outputShape = permutedShape(g.outputShape, lastOrder) as [number, number, number, number];
    return {
      tensors: [
        input,
        { data: permuteData(weightData, g.weightShape, order), shape: permutedShape(g.weightShape, order) },
      ],
      run: (tfjs, [x, w]) => [
        tfjs.conv2dTranspose(
          x as TfCore.Tensor4D,
          w as TfCore.Tensor4D,
          outputShape,
          g.stride as [number, number],
          pad,
        ),
      ],
      outputOrders: [firstOrder],
    };
  }

  if (problem.op === 'convBackward') {
    if (g.dims !== 2) return 'tfjs has 2-D convolution gradients only in this harness';
    if (g.groups !== 1) return 'tfjs conv2d has no groups';
    if (dilated) return 'tfjs Conv2DBackpropInput/Filter take no dilation';
    if (!tf.getKernel('Conv2DBackpropFilter', backend)) {
      return `tfjs-backend-${backend} registers no Conv2DBackpropFilter kernel (the weight gradient)`;
    }
    // PyTorch [C_out, C_in, kh, kw] -> tfjs [kh, kw, C_in, C_out]; the weight gradient comes back the same way.
    const order = [2, 3, 1, 0];
    const filterShape = permutedShape(g.weightShape, order) as [number, number, number, number];
    const inputShape = input.shape as [number, number, number, number];
    const gradOutput = problem.gradOutput!;
    return {
      tensors: [
        input,
        { data: permuteData(weightData, g.weightShape, order), shape: filterShape },
        {
          data: permuteData(gradOutput.toFloat32Array(), gradOutput.shape, lastOrder),
          shape: permutedShape(gradOutput.shape, lastOrder),
        },
      ],
      run: (tfjs, [x, w, dy]) => [
        // The two kernels tf.grad runs for conv2d.
        tfjs.conv2dTranspose(
          dy as TfCore.Tensor4D,
          w as TfCore.Tensor4D,
          inputShape,
          g.stride as [number, number],
          pad,
        ),
        tfjs.engine().runKernel('Conv2DBackpropFilter', { x: x!, dy: dy! }, {
          strides: g.stride,
          pad,
          dataFormat: 'NHWC',
          dimRoundingMode: undefined,
          filterShape,
        } as unknown as TfCore.NamedAttrMap) as TfCore.Tensor,
      ],
      outputOrders: [firstOrder, [3, 2, 0, 1]],
    };
  }

  // Forward convolution.
  if (g.groups !== 1) {
    if (g.dims !== 2 || g.groups !== g.inChannels) {
      return `tfjs has no grouped convolution (groups=${g.groups}); only depthwiseConv2d, where groups = C_in`;
    }
    // Depthwise: PyTorch [C * m, 1, kh, kw] -> tfjs [kh, kw, C, m]; output channel c * m + j in both.
    const asCm = [g.inChannels, g.outChannelsPerGroup, ...g.kernelSize];
    const order = [2, 3, 0, 1];
    return {
      tensors: [input, { data: permuteData(weightData, asCm, order), shape: permutedShape(asCm, order) }],
      run: (tfjs, [x, w]) => [
        tfjs.depthwiseConv2d(
          x as TfCore.Tensor4D,
          w as TfCore.Tensor4D,
          g.stride as [number, number],
          pad,
          'NHWC',
          g.dilation as [number, number],
        ),
      ],
      outputOrders: [firstOrder],
    };
  }
  // PyTorch [C_out, C_in, ...k] -> tfjs [...k, C_in, C_out].
  const order = [...Array.from({ length: g.dims }, (_, i) => i + 2), 1, 0];
  const filter = {
    data: permuteData(weightData, g.weightShape, order),
    shape: permutedShape(g.weightShape, order),
  };
  if (g.dims === 1) {
    return {
      tensors: [input, filter],
      // conv1d runs conv2d on [N, 1, L, C]; its explicit padding is that conv2d's.
      run: (tfjs, [x, w]) => [
        tfjs.conv1d(
          x as TfCore.Tensor3D,
          w as TfCore.Tensor3D,
          g.stride[0]!,
          [[0, 0], [0, 0], pad[1]!, [0, 0]] as TfCore.backend_util.ExplicitPadding,
          'NWC',
          g.dilation[0]!,
        ),
      ],
      outputOrders: [firstOrder],
    };
  }
  if (g.dims === 2) {
    return {
      tensors: [input, filter],
      run: (tfjs, [x, w]) => [
        tfjs.conv2d(
          x as TfCore.Tensor4D,
          w as TfCore.Tensor4D,
          g.stride as [number, number],
          pad,
          'NHWC',
          g.dilation as [number, number],
        ),
      ],
      outputOrders: [firstOrder],
    };
  }
  // conv3d takes 'same' or 'valid' only: use it when the config's padding is one of them.
  const sameGeometry = convGeometry({
    inChannels: g.inChannels,
    outChannels: g.outChannels,
    inputSpatial: g.inputSpatial,
    kernelSize: g.kernelSize,
    stride: g.stride,
    dilation: g.dilation,
    padding: 'same',
  });
  const isSame = sameGeometry.padBefore.every(
    (p, d) => p === g.padBefore[d] && sameGeometry.padAfter[d] === g.padAfter[d],
  );
  const isValid = [...g.padBefore, ...g.padAfter].every((p) => p === 0);
  if (!isSame && !isValid) return "tfjs conv3d takes padding 'same' or 'valid' only, not explicit amounts";
  return {
    tensors: [input, filter],
    run: (tfjs, [x, w]) => [
      tfjs.conv3d(
        x as TfCore.Tensor5D,
        w as TfCore.Tensor5D,
        g.stride as [number, number, number],
        isValid ? 'valid' : 'same',
        'NDHWC',
        g.dilation as [number, number, number],
      ),
    ],
    outputOrders: [firstOrder],
  };
}

function tfjsEngine(backend: TfBackend): Engine {
  let library: TfjsLibrary | null = null;
  const engine: Engine = {
    info: {
      id: `tfjs-${backend}`,
      label: `tfjs ${backend}`,
      library: backend === 'cpu' ? '@tensorflow/tfjs-backend-cpu' : '@tensorflow/tfjs-backend-wasm',
      version: '',
      backend: backend === 'cpu' ? 'cpu (plain JS)' : 'wasm (XNNPACK, SIMD)',
      threads: 1,
      convkit: false,
    },
    async init() {
      library = await loadTfjs();
      engine.info.version = library.versions[backend];
      await selectBackend(library.tf, backend);
    },
    async prepare(problem) {
      const { tf } = library!;
      await selectBackend(tf, backend);
      const plan = planTfjs(problem, backend, tf);
      if (typeof plan === 'string') return unsupported(plan);
      const inputs = plan.tensors.map((t) => tf.tensor(t.data, t.shape, 'float32'));
      const prepared: PreparedRun = {
        async run(options) {
          await selectBackend(tf, backend);
          const { ms, value: outputs } = await timeRun(() => {
            const ys = plan.run(tf, inputs);
            for (const y of ys) y.dataSync();
            return ys;
          });
          let output: Float32Array | undefined;
          if (options?.keepOutput) {
            output = concatOutputs(
              outputs.map((y, i) =>
                permuteData(y.dataSync() as Float32Array, y.shape, plan.outputOrders[i]!),
              ),
            );
          }
          for (const y of outputs) y.dispose();
          return { ms, output };
        },
        dispose() {
          for (const t of inputs) t.dispose();
        },
        notes: ['channels-last (NHWC) data converted outside the timed region'],
      };
      return prepared;
    },
    async close() {},
  };
  return engine;
}

/** tfjs on the cpu backend and on the wasm backend (one thread). */
export function tfjsEngines(): Engine[] {
  return [tfjsEngine('cpu'), tfjsEngine('wasm')];
}
