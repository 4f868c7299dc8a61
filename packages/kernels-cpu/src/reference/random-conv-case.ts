/**
 * randomConvCase: a fast-check arbitrary over small convolution problems (1-3 spatial dims,
 * batch, groups with channel multipliers, stride, every padding form, dilation, padding mode,
 * output padding, layout, bias), for the property tests that hold the reference kernels and
 * every later algorithm to the algebra of convolution (adjoint identities, gradients). Test
 * support only: it is not exported from the package.
 */
import {
  type ConvGeometry,
  convGeometry,
  createRng,
  LAYOUTS,
  type Layout,
  PADDING_MODES,
  type Padding,
  type PaddingMode,
  type Tensor,
} from '@convkit/tensor';
import fc from 'fast-check';

interface CaseOptionsBase {
  stride: number[];
  dilation: number[];
  groups: number;
  layout: Layout;
}

/** A conv case's options (no bias: see `convCaseTensors`). */
export interface ConvCaseOptions extends CaseOptionsBase {
  padding: Padding;
  paddingMode: PaddingMode;
}

/** A convTranspose case's options (no bias). */
export interface ConvTransposeCaseOptions extends CaseOptionsBase {
  padding: Exclude<Padding, 'same'>;
  outputPadding: number[];
}

/** One random problem: its options, its geometry, and a seed for its tensors. */
export interface ConvCase<Options extends CaseOptionsBase = ConvCaseOptions | ConvTransposeCaseOptions> {
  transposed: boolean;
  options: Options;
  geometry: ConvGeometry;
  hasBias: boolean;
  seed: number;
}

/** Random tensors for a case, in the case's layout. */
export interface ConvCaseTensors {
  input: Tensor;
  weight: Tensor;
  bias: Tensor | null;
  /** A tensor of the output's shape, to play gradOutput. */
  gradOutput: Tensor;
}

function paddingArbitrary(dims: number, transposed: boolean): fc.Arbitrary<Padding> {
  const amount = fc.integer({ min: 0, max: 2 });
  const forms: fc.Arbitrary<Padding>[] = [
    amount,
    fc.array(amount, { minLength: dims, maxLength: dims }),
    fc.array(fc.tuple(amount, amount), { minLength: dims, maxLength: dims }),
    fc.constant('valid' as const),
  ];
  if (!transposed) forms.push(fc.constant('same' as const));
  return fc.oneof(...forms);
}

/**
 * Small valid problems for conv (`transposed` false) or convTranspose. `paddingModes`
 * restricts conv's padding modes (the transpose identity holds for zeros only).
 */
export function randomConvCase(
  transposed: false,
  paddingModes?: readonly PaddingMode[],
): fc.Arbitrary<ConvCase<ConvCaseOptions>>;
export function randomConvCase(transposed: true): fc.Arbitrary<ConvCase<ConvTransposeCaseOptions>>;
export function randomConvCase(
  transposed: boolean,
  paddingModes: readonly PaddingMode[] = PADDING_MODES,
): fc.Arbitrary<ConvCase> {
  return fc
    .integer({ min: 1, max: 3 })
    .chain((dims) => {
      const perDim = (min: number, max: number) =>
        fc.array(fc.integer({ min, max }), { minLength: dims, maxLength: dims });
      return fc.record({
        dims: fc.constant(dims),
        batch: fc.integer({ min: 1, max: 2 }),
        groups: fc.integer({ min: 1, max: 3 }),
        inPerGroup: fc.integer({ min: 1, max: 2 }),
        outPerGroup: fc.integer({ min: 1, max: 2 }),
        inputSpatial: perDim(1, dims === 3 ? 4 : 6),
        kernelSize: perDim(1, 3),
        stride: perDim(1, 3),
        dilation: perDim(1, 2),
        padding: paddingArbitrary(dims, transposed),
        paddingMode: transposed ? fc.constant<PaddingMode>('zeros') : fc.constantFrom(...paddingModes),
        outputPaddingDraw: perDim(0, 2),
        layout: fc.constantFrom(...LAYOUTS),
        hasBias: fc.boolean(),
        seed: fc.integer({ min: 0, max: 0x7fffffff }),
      });
    })
    .map((draw): ConvCase | null => {
      // outputPadding must stay below max(stride, dilation); fold the draw into that range.
      const outputPadding = draw.outputPaddingDraw.map(
        (v, d) => v % Math.max(draw.stride[d]!, draw.dilation[d]!),
      );
      const base = { stride: draw.stride, dilation: draw.dilation, groups: draw.groups, layout: draw.layout };
      // paddingArbitrary never draws 'same' for a transposed case.
      const options: ConvCase['options'] = transposed
        ? { ...base, padding: draw.padding as Exclude<Padding, 'same'>, outputPadding }
        : { ...base, padding: draw.padding, paddingMode: draw.paddingMode };
      try {
        const geometry = convGeometry({
          ...options,
          transposed,
          batch: draw.batch,
          inChannels: draw.groups * draw.inPerGroup,
          outChannels: draw.groups * draw.outPerGroup,
          inputSpatial: draw.inputSpatial,
          kernelSize: draw.kernelSize,
        });
        return { transposed, options, geometry, hasBias: draw.hasBias, seed: draw.seed };
      } catch {
        return null; // an empty output or too much reflect padding: not a problem to test
      }
    })
    .filter((c): c is ConvCase => c !== null);
}

/** Normal random input, weight, bias (if the case has one) and gradOutput for a case. */
export function convCaseTensors(c: ConvCase): ConvCaseTensors {
  const rng = createRng(c.seed);
  const { geometry } = c;
  return {
    input: rng.normalTensor(geometry.inputShape),
    weight: rng.normalTensor(geometry.weightShape),
    bias: c.hasBias ? rng.normalTensor([geometry.outChannels]) : null,
    gradOutput: rng.normalTensor(geometry.outputShape),
  };
}

/** <a, b> in float64 over the logical elements, and sum |a_i b_i|, the scale of its rounding error. */
export function dot(a: Tensor, b: Tensor): { value: number; scale: number } {
  const x = a.toFloat32Array();
  const y = b.toFloat32Array();
  if (x.length !== y.length) throw new Error(`dot: sizes ${x.length} and ${y.length} differ`);
  let value = 0;
  let scale = 0;
  for (let i = 0; i < x.length; i++) {
    value += x[i]! * y[i]!;
    scale += Math.abs(x[i]! * y[i]!);
  }
  return { value, scale };
}
