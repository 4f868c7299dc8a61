import { assertClose, convGeometry, createRng, tensor } from '@convkit/tensor';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { convBackwardInputReference } from '../reference/conv-backward-input-reference';
import { convBackwardWeightReference } from '../reference/conv-backward-weight-reference';
import { convReference } from '../reference/conv-reference';
import {
  implicitInputGradient,
  implicitPlan,
  implicitProduct,
  implicitWeightGradient,
} from './implicit-conv';
import { initWasmSync, type WasmBuild, wasmKernelsOfBuild, wasmSupport } from './wasm-runtime';

const BUILDS: readonly WasmBuild[] = ['simd', 'relaxed-simd'];
const supported = (build: WasmBuild) => (build === 'simd' ? wasmSupport().simd : wasmSupport().relaxedSimd);

afterAll(() => {
  initWasmSync();
});

function randomArray(seed: number, length: number): Float32Array {
  const rng = createRng(seed);
  const data = new Float32Array(length);
  for (let i = 0; i < length; i++) data[i] = rng.normal();
  return data;
}

/**
 * Convolutions the implicit product runs: 1-3-D, odd sizes and panel tails (output widths
 * 1-40), one to many channels (depth past one K block of 256), padding of any amount on each
 * side, strides 1-3 (width strides split the padded rows into phases), dilation 1-3, groups,
 * batch, bias.
 */
function implicitCase() {
  return fc
    .record({
      dims: fc.integer({ min: 1, max: 3 }),
      batch: fc.integer({ min: 1, max: 3 }),
      groups: fc.integer({ min: 1, max: 3 }),
      inPerGroup: fc.oneof(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 30, max: 70 })),
      outPerGroup: fc.integer({ min: 1, max: 11 }),
      inD: fc.integer({ min: 1, max: 4 }),
      inH: fc.integer({ min: 1, max: 9 }),
      inW: fc.integer({ min: 1, max: 90 }),
      kD: fc.integer({ min: 1, max: 2 }),
      kH: fc.integer({ min: 1, max: 4 }),
      kW: fc.integer({ min: 1, max: 5 }),
      strideH: fc.integer({ min: 1, max: 3 }),
      strideW: fc.integer({ min: 1, max: 3 }),
      strideD: fc.integer({ min: 1, max: 2 }),
      dilation: fc.integer({ min: 1, max: 3 }),
      pads: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 6, maxLength: 6 }),
      hasBias: fc.boolean(),
      seed: fc.integer({ min: 0, max: 2 ** 30 }),
    })
    .map((c) => {
      const spatial = c.dims === 1 ? [c.inW] : c.dims === 2 ? [c.inH, c.inW] : [c.inD, c.inH, c.inW];
      const kernelSize = c.dims === 1 ? [c.kW] : c.dims === 2 ? [c.kH, c.kW] : [c.kD, c.kH, c.kW];
      const stride =
        c.dims === 1
          ? [c.strideW]
          : c.dims === 2
            ? [c.strideH, c.strideW]
            : [c.strideD, c.strideH, c.strideW];
      const dilation = kernelSize.map((_, d) => (d === c.dims - 1 ? c.dilation : 1 + (c.dilation % 2)));
      const padding = spatial.map((_, d) => [c.pads[2 * d]!, c.pads[2 * d + 1]!] as [number, number]);
      return { ...c, spatial, kernelSize, stride, dilation, padding };
    })
    .filter(({ spatial, kernelSize, dilation, padding }) =>
      spatial.every((s, d) => s + padding[d]![0] + padding[d]![1] >= dilation[d]! * (kernelSize[d]! - 1) + 1),
    );
}

for (const build of BUILDS) {
  describe.skipIf(!supported(build))(`implicit GEMM convolution [${build}]`, () => {
    it('matches the reference on random geometries (padding on every side, width strides 1-3, tails, K blocks)', () => {
      const kernels = wasmKernelsOfBuild(build);
      let ran = 0;
      fc.assert(
        fc.property(implicitCase(), (c) => {
          const geometry = convGeometry({
            batch: c.batch,
            inChannels: c.groups * c.inPerGroup,
            outChannels: c.groups * c.outPerGroup,
            inputSpatial: c.spatial,
            kernelSize: c.kernelSize,
            stride: c.stride,
            dilation: c.dilation,
            padding: c.padding,
            groups: c.groups,
          });
          const plan = implicitPlan(geometry, geometry.inputSpatial);
          // Short rows (panel tails past a quarter of the tile) stay on the packed path.
          if (plan === null) return;
          ran++;
          const input = randomArray(c.seed, geometry.batch * geometry.inChannels * geometry.inputVolume);
          const weight = randomArray(
            c.seed + 1,
            geometry.outChannels * geometry.inChannelsPerGroup * geometry.kernelVolume,
          );
          const bias = c.hasBias ? randomArray(c.seed + 2, geometry.outChannels) : null;
          const got = implicitProduct(kernels, geometry, plan, input, geometry.inputSpatial, weight, bias);
          const want = convReference(input, weight, bias, geometry);
          const shape = [geometry.batch, geometry.outChannels, geometry.outputVolume];
          assertClose(tensor(got, shape), tensor(want, shape), { atol: 1e-4, rtol: 1e-4 });
        }),
        { numRuns: 300, seed: 1401 },
      );
      expect(ran).toBeGreaterThan(100);
    });

    it('computes the input gradient of stride-1 convolutions as its adjoint forward (random geometries)', () => {
      const kernels = wasmKernelsOfBuild(build);
      let ran = 0;
      fc.assert(
        fc.property(implicitCase(), (c) => {
          const geometry = convGeometry({
            batch: c.batch,
            inChannels: c.groups * c.inPerGroup,
            outChannels: c.groups * c.outPerGroup,
            inputSpatial: c.spatial,
            kernelSize: c.kernelSize,
            dilation: c.dilation,
            padding: c.padding,
            groups: c.groups,
          });
          const gradOutput = randomArray(
            c.seed,
            geometry.batch * geometry.outChannels * geometry.outputVolume,
          );
          const weight = randomArray(
            c.seed + 1,
            geometry.outChannels * geometry.inChannelsPerGroup * geometry.kernelVolume,
          );
          const got = implicitInputGradient(kernels, geometry, gradOutput, weight);
          const reach = geometry.kernelSize.map((k, d) => geometry.dilation[d]! * (k - 1));
          const wide = [...geometry.padBefore, ...geometry.padAfter].some(
            (p, i) => p > reach[i % reach.length]!,
          );
          if (wide) expect(got).toBeNull();
          if (got === null) return;
          ran++;
          const want = convBackwardInputReference(gradOutput, weight, geometry);
          const shape = [geometry.batch, geometry.inChannels, geometry.inputVolume];
          assertClose(tensor(got, shape), tensor(want, shape), { atol: 1e-4, rtol: 1e-4 });
        }),
        { numRuns: 200, seed: 1402 },
      );
      expect(ran).toBeGreaterThan(40);
    });

    it('computes the weight gradient from the input and gradOutput in place (random geometries, any rows)', () => {
      const kernels = wasmKernelsOfBuild(build);
      fc.assert(
        fc.property(implicitCase(), (c) => {
          const geometry = convGeometry({
            batch: c.batch,
            inChannels: c.groups * c.inPerGroup,
            outChannels: c.groups * c.outPerGroup,
            inputSpatial: c.spatial,
            kernelSize: c.kernelSize,
            stride: c.stride,
            dilation: c.dilation,
            padding: c.padding,
            groups: c.groups,
          });
          // Every geometry has a plan when short rows are allowed.
          const plan = implicitPlan(geometry, geometry.inputSpatial, { anyRows: true })!;
          const input = randomArray(c.seed, geometry.batch * geometry.inChannels * geometry.inputVolume);
          const gradOutput = randomArray(
            c.seed + 1,
            geometry.batch * geometry.outChannels * geometry.outputVolume,
          );
          const got = implicitWeightGradient(
            kernels,
            geometry,
            plan,
            gradOutput,
            input,
            geometry.inputSpatial,
          );
          const want = convBackwardWeightReference(gradOutput, input, geometry);
          const shape = [geometry.outChannels, geometry.inChannelsPerGroup * geometry.kernelVolume];
          assertClose(tensor(got, shape), tensor(want, shape), { atol: 1e-4, rtol: 1e-4 });
        }),
        { numRuns: 200, seed: 1403 },
      );
    });

    it('holds the weight gradient of a large batch to the tolerance (sums folded into float64)', () => {
      const kernels = wasmKernelsOfBuild(build);
      const geometry = convGeometry({
        batch: 64,
        inChannels: 3,
        outChannels: 16,
        inputSpatial: [32, 32],
        kernelSize: [3, 3],
        padding: 1,
      });
      const input = new Float32Array(geometry.batch * geometry.inChannels * geometry.inputVolume);
      for (let i = 0; i < input.length; i++) input[i] = Math.sin(i * 12.9898) * 0.5;
      const gradOutput = new Float32Array(geometry.batch * geometry.outChannels * geometry.outputVolume);
      for (let i = 0; i < gradOutput.length; i++) gradOutput[i] = Math.sin(i * 12.9898) * 0.5;
      const plan = implicitPlan(geometry, geometry.inputSpatial, { anyRows: true })!;
      const got = implicitWeightGradient(kernels, geometry, plan, gradOutput, input, geometry.inputSpatial);
      const want = convBackwardWeightReference(gradOutput, input, geometry);
      assertClose(tensor(got, [16, 27]), tensor(want, [16, 27]), { atol: 1e-4, rtol: 1e-4 });
    });

    it('leaves the input gradient to the scatter for strides, wide padding and non-finite weights', () => {
      const kernels = wasmKernelsOfBuild(build);
      const base = { batch: 1, inChannels: 3, outChannels: 4, inputSpatial: [10, 40], kernelSize: [3, 3] };
      const run = (args: Partial<Parameters<typeof convGeometry>[0]>, weight?: Float32Array) => {
        const geometry = convGeometry({ ...base, ...args });
        const gradOutput = randomArray(7, geometry.batch * geometry.outChannels * geometry.outputVolume);
        return implicitInputGradient(kernels, geometry, gradOutput, weight ?? randomArray(8, 4 * 3 * 9));
      };
      expect(run({ padding: 1 })).not.toBeNull();
      expect(run({ padding: 1, stride: 2 })).toBeNull();
      expect(
        run({
          padding: [
            [1, 3],
            [1, 1],
          ],
        }),
      ).toBeNull();
      const infinite = randomArray(8, 4 * 3 * 9);
      infinite[5] = Number.POSITIVE_INFINITY;
      expect(run({ padding: 1 }, infinite)).toBeNull();
    });

    it('reads a cropped corner of a larger buffer as the input (positions past it are zeros, never read)', () => {
      const kernels = wasmKernelsOfBuild(build);
      const cases = [
        { input: [5, 15], buffer: [7, 17], k: [3, 3], padding: 1, channels: 3, out: 5 },
        { input: [4, 15], buffer: [6, 17], k: [1, 1], padding: 0, channels: 70, out: 9 },
        { input: [17], buffer: [19], k: [3], padding: 0, channels: 2, out: 4 },
        { input: [9, 31], buffer: [10, 36], k: [3, 3], padding: 1, channels: 5, out: 6, stride: 2 },
      ];
      for (const [i, c] of cases.entries()) {
        const geometry = convGeometry({
          batch: 2,
          inChannels: c.channels,
          outChannels: c.out,
          inputSpatial: c.input,
          kernelSize: c.k,
          padding: c.padding,
          stride: c.stride ?? 1,
        });
        const plan = implicitPlan(geometry, c.buffer);
        expect(plan).not.toBeNull();
        const bufferVolume = c.buffer.reduce((a, b) => a * b, 1);
        const buffer = randomArray(50 + i, 2 * c.channels * bufferVolume);
        // The geometry's input: the corner of each buffer plane.
        const corner = new Float32Array(2 * c.channels * geometry.inputVolume);
        const [h, w] = c.input.length === 2 ? c.input : [1, c.input[0]!];
        const [, bw] = c.buffer.length === 2 ? c.buffer : [1, c.buffer[0]!];
        for (let plane = 0; plane < 2 * c.channels; plane++) {
          for (let y = 0; y < h!; y++) {
            for (let x = 0; x < w!; x++) {
              corner[(plane * h! + y) * w! + x] = buffer[plane * bufferVolume + y * bw! + x]!;
            }
          }
        }
        const weight = randomArray(60 + i, c.out * c.channels * geometry.kernelVolume);
        const got = implicitProduct(kernels, geometry, plan!, buffer, c.buffer, weight, null);
        const want = convReference(corner, weight, null, geometry);
        const shape = [2, c.out, geometry.outputVolume];
        assertClose(tensor(got, shape), tensor(want, shape), { atol: 1e-4, rtol: 1e-4 });
      }
    });

    it('handles one channel, many channels (depth 1200: five K blocks), 100+ output channels and a bias', () => {
      const kernels = wasmKernelsOfBuild(build);
      const cases = [
        { x: [1, 1, 9, 13], w: [1, 1, 3, 3], padding: [0, 2] as [number, number] },
        { x: [1, 300, 6, 16], w: [5, 300, 2, 2], padding: [1, 0] as [number, number] },
        { x: [2, 7, 5, 29], w: [103, 7, 1, 3], padding: [0, 1] as [number, number] },
      ];
      for (const [i, c] of cases.entries()) {
        const geometry = convGeometry({
          batch: c.x[0]!,
          inChannels: c.x[1]!,
          outChannels: c.w[0]!,
          inputSpatial: c.x.slice(2),
          kernelSize: c.w.slice(2),
          padding: c.padding,
        });
        const plan = implicitPlan(geometry, geometry.inputSpatial);
        expect(plan).not.toBeNull();
        const input = randomArray(70 + i, geometry.batch * geometry.inChannels * geometry.inputVolume);
        const weight = randomArray(
          80 + i,
          geometry.outChannels * geometry.inChannels * geometry.kernelVolume,
        );
        const bias = randomArray(90 + i, geometry.outChannels);
        const got = implicitProduct(kernels, geometry, plan!, input, geometry.inputSpatial, weight, bias);
        const want = convReference(input, weight, bias, geometry);
        const shape = [geometry.batch, geometry.outChannels, geometry.outputVolume];
        assertClose(tensor(got, shape), tensor(want, shape), { atol: 1e-4, rtol: 1e-4 });
      }
    });
  });
}

describe('implicitPlan', () => {
  it('runs rows whose panels are at least 90% used, any stride; not transposed or non-zero padding', () => {
    const base = { batch: 1, inChannels: 4, outChannels: 4 };
    const plan = (args: Partial<Parameters<typeof convGeometry>[0]>, buffer: number[]) =>
      implicitPlan(convGeometry({ ...base, kernelSize: [3, 3], ...args, inputSpatial: buffer }), buffer);
    // 16-wide output rows at width stride 2: padded rows split into two phase rows of 17.
    const strided = plan({ stride: [1, 2], padding: 1 }, [20, 32])!;
    expect(strided.phases).toBe(2);
    expect(strided.phaseLength).toBe(17);
    expect(strided.plane).toEqual([1, 22, 34]);
    expect([...strided.table.slice(0, 4)]).toEqual([0, 17 * 4, 4, 34 * 4]);
    expect(plan({ stride: [2, 1] }, [20, 18])).not.toBeNull();
    // 18-wide rows: 18 of 24 computed columns used.
    expect(plan({ stride: [2, 1] }, [20, 20])).toBeNull();
    // 4-wide output rows: half of every 8-column panel would be thrown away.
    expect(plan({}, [6, 6])).toBeNull();
    expect(plan({ transposed: true }, [6, 30])).toBeNull();
    expect(plan({ padding: 1, paddingMode: 'reflect' }, [20, 30])).toBeNull();
  });

  it('reads an unpadded input in place, rows flattened where they are contiguous, and pads a 3x3 input once', () => {
    const base = { batch: 1, inChannels: 8, outChannels: 16 };
    // A plain 1x1 convolution (its columns are its input) stays on the packed path.
    expect(
      implicitPlan(convGeometry({ ...base, inputSpatial: [7, 9], kernelSize: [1, 1] }), [7, 9]),
    ).toBeNull();
    const column = implicitPlan(convGeometry({ ...base, inputSpatial: [7, 9], kernelSize: [3, 1] }), [7, 9])!;
    expect(column.padded).toBe(false);
    expect(column.params.slice(0, 2)).toEqual([1, 45]);
    expect([...column.table.slice(0, 4)]).toEqual([0, 9 * 4, 18 * 4, 63 * 4]);
    const padded = implicitPlan(
      convGeometry({ ...base, inputSpatial: [16, 16], kernelSize: [3, 3], padding: 1 }),
      [16, 16],
    )!;
    expect(padded.padded).toBe(true);
    expect(padded.plane).toEqual([1, 18, 18]);
    expect(padded.params.slice(0, 2)).toEqual([16, 16]);
    expect([...padded.table.slice(0, 4)]).toEqual([0, 4, 8, 18 * 4]);
  });
});
