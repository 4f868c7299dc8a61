import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildOnnxModel, ONNX_IR_VERSION } from './onnx-model';

describe('buildOnnxModel', () => {
  const conv1x1 = () =>
    buildOnnxModel({
      opType: 'Conv',
      nodeInputs: ['X', 'W'],
      graphInputs: [{ name: 'X', shape: [1, 2, 1, 2] }],
      initializers: [{ name: 'W', shape: [1, 2, 1, 1], data: new Float32Array([2, -1]) }],
      output: { name: 'Y', shape: [1, 1, 1, 2] },
      attributes: { kernel_shape: [1, 1], group: 1 },
    });

  it('starts with ir_version and names its producer', () => {
    const bytes = conv1x1();
    expect([...bytes.slice(0, 2)]).toEqual([0x08, ONNX_IR_VERSION]);
    expect(Buffer.from(bytes).includes(Buffer.from('convkit-bench'))).toBe(true);
  });

  it('is a model ONNX Runtime loads and runs: y = 2 * x0 - x1 per pixel', async () => {
    const session = await ort.InferenceSession.create(conv1x1());
    expect(session.inputNames).toEqual(['X']);
    expect(session.outputNames).toEqual(['Y']);
    // x channel 0 = [1, 2], channel 1 = [10, 20]
    const x = new ort.Tensor('float32', new Float32Array([1, 2, 10, 20]), [1, 2, 1, 2]);
    const { Y } = await session.run({ X: x });
    expect(Y!.dims).toEqual([1, 1, 1, 2]);
    expect([...(Y!.data as Float32Array)]).toEqual([2 * 1 - 10, 2 * 2 - 20]);
    await session.release();
  });

  it('writes INT and INTS attributes that the runtime reads (stride 2, pads)', async () => {
    const model = buildOnnxModel({
      opType: 'Conv',
      nodeInputs: ['X', 'W'],
      graphInputs: [{ name: 'X', shape: [1, 1, 1, 5] }],
      initializers: [{ name: 'W', shape: [1, 1, 1, 1], data: new Float32Array([1]) }],
      output: { name: 'Y', shape: [1, 1, 1, 4] },
      attributes: { kernel_shape: [1, 1], strides: [1, 2], pads: [0, 1, 0, 1], group: 1 },
    });
    const session = await ort.InferenceSession.create(model);
    const { Y } = await session.run({
      X: new ort.Tensor('float32', new Float32Array([1, 2, 3, 4, 5]), [1, 1, 1, 5]),
    });
    // Padded row [0, 1, 2, 3, 4, 5, 0] sampled at 0, 2, 4, 6.
    expect([...(Y!.data as Float32Array)]).toEqual([0, 2, 4, 0]);
    await session.release();
  });

  it('refuses an initializer whose data does not fill its shape', () => {
    expect(() =>
      buildOnnxModel({
        opType: 'Conv',
        nodeInputs: ['X', 'W'],
        graphInputs: [{ name: 'X', shape: [1, 1, 1, 1] }],
        initializers: [{ name: 'W', shape: [1, 1, 2, 2], data: new Float32Array(3) }],
        output: { name: 'Y', shape: [1, 1, 1, 1] },
        attributes: {},
      }),
    ).toThrow("buildOnnxModel: initializer 'W' has 3 values for shape [1, 1, 2, 2]");
  });
});
