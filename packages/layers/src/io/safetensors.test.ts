import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArgumentError, ResourceError, tensor, UnsupportedError } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { loadGoldens } from '../../../../tooling/goldens/load';
import { loadSafetensors, MAX_HEADER_BYTES, readSafetensorsMetadata, saveSafetensors } from './safetensors';

const goldenDir = join(dirname(fileURLToPath(import.meta.url)), '../../../../tooling/goldens/layers');

/** A file from a header object and a data region, as the format lays them out. */
function file(header: unknown, data: Uint8Array | number = 0, headerText?: string): Uint8Array {
  const text = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + text.length + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  out.set(body, 8 + text.length);
  return out;
}

describe('saveSafetensors / loadSafetensors', () => {
  it('round-trips F32 exactly, keeps key order and metadata, pads the header to 8 bytes', () => {
    const a = tensor([1.5, -2, 3.25, 1e-30, 65504, -0], [2, 3]);
    const b = tensor([7], []);
    const bytes = saveSafetensors({ z: a, a: b }, { metadata: { format: 'pt' } });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const loaded = loadSafetensors(bytes);
    expect(Object.keys(loaded)).toEqual(['z', 'a']);
    expect([...loaded.z!.toFloat32Array()]).toEqual([...a.toFloat32Array()]);
    expect(loaded.z!.shape).toEqual([2, 3]);
    expect(loaded.a!.shape).toEqual([]);
    expect(readSafetensorsMetadata(bytes)).toEqual({ format: 'pt' });
  });

  it('writes and reads F16, BF16, F64 and I64 (num_batches_tracked is I64 by default)', () => {
    const values = [0, 1, -2.5, 0.1, 1000, 6.1e-5];
    const t = tensor(values, [6]);
    const bytes = saveSafetensors(
      { h: t, b: t, d: t, 'bn.num_batches_tracked': tensor([3], []), i: tensor([2, -5], [2]) },
      { dtypes: { h: 'F16', b: 'BF16', d: 'F64', i: 'I64' } },
    );
    const header = JSON.parse(
      new TextDecoder().decode(
        bytes.subarray(8, 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true))),
      ),
    );
    expect(header['bn.num_batches_tracked'].dtype).toBe('I64');
    expect(header.h.dtype).toBe('F16');
    const loaded = loadSafetensors(bytes);
    expect([...loaded.d!.toFloat32Array()]).toEqual([...t.toFloat32Array()]);
    expect([...loaded.i!.toFloat32Array()]).toEqual([2, -5]);
    const half = loaded.h!.toFloat32Array();
    const brain = loaded.b!.toFloat32Array();
    for (const [k, v] of values.entries()) {
      expect(Math.abs(half[k]! - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11 + 1e-7);
      expect(Math.abs(brain[k]! - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -8);
    }
  });

  it('reads what PyTorch saved (every golden model) and re-saves convkit files byte for byte', () => {
    const torchSaved = loadSafetensors(
      new Uint8Array(readFileSync(join(goldenDir, 'resnet-basic-block.safetensors'))),
    );
    expect(torchSaved['0.downsample.0.weight']!.shape).toEqual([16, 8, 1, 1]);
    expect(torchSaved['0.bn1.num_batches_tracked']!.toFloat32Array()[0]).toBe(3);
    const ours = new Uint8Array(readFileSync(join(goldenDir, 'convkit-plain-cnn.safetensors')));
    expect(saveSafetensors(loadSafetensors(ours), { metadata: readSafetensorsMetadata(ours) })).toEqual(ours);
  });

  it('reads F32, F64, F16, BF16 and I64 as PyTorch saved them, exactly', () => {
    const { cases } = loadGoldens('layers');
    const expected = cases.find((c) => c.op === 'safetensors')!;
    const loaded = loadSafetensors(new Uint8Array(readFileSync(join(goldenDir, 'dtypes.safetensors'))));
    expect(Object.keys(loaded).sort()).toEqual(Object.keys(expected.tensors).sort());
    for (const [name, t] of Object.entries(expected.tensors)) {
      expect(loaded[name]!.shape).toEqual(t.shape);
      expect([...loaded[name]!.toFloat32Array()]).toEqual([...t.toFloat32Array()]);
    }
  });

  it('refuses bad arguments to saveSafetensors', () => {
    expect(() => saveSafetensors(null as never)).toThrow(ArgumentError);
    expect(() => saveSafetensors({ a: [1, 2] } as never)).toThrow(/'a' must be a Tensor/);
    expect(() => saveSafetensors({ __metadata__: tensor([1], [1]) })).toThrow(/reserved/);
    expect(() => saveSafetensors({ a: tensor([1], [1]) }, { dtypes: { a: 'U8' as never } })).toThrow(
      UnsupportedError,
    );
    expect(() => saveSafetensors({}, { metadata: { a: 1 as never } })).toThrow(
      /metadata values must be strings/,
    );
  });
});

describe('loadSafetensors refuses malformed files with a typed error naming the problem', () => {
  const ok = { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  it('accepts the well-formed file these cases break', () => {
    expect(loadSafetensors(file(ok, 8)).w!.shape).toEqual([2]);
  });
  it('truncated', () => {
    expect(() => loadSafetensors(new Uint8Array(5))).toThrow(/truncated file/);
    expect(() => loadSafetensors(file(ok, 8).subarray(0, 20))).toThrow(/truncated file/);
    expect(() => loadSafetensors(file(ok, 4))).toThrow(/out of bounds/);
    expect(() => loadSafetensors('abc' as never)).toThrow(ArgumentError);
  });
  it('header too large', () => {
    const bytes = new Uint8Array(16);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(MAX_HEADER_BYTES + 1), true);
    expect(() => loadSafetensors(bytes)).toThrow(ResourceError);
    expect(() => loadSafetensors(bytes)).toThrow(/header too large/);
  });
  it('invalid header JSON or shape of it', () => {
    expect(() => loadSafetensors(file(null, 0, '{"w": '))).toThrow(/not valid UTF-8 JSON/);
    expect(() => loadSafetensors(file([1, 2]))).toThrow(/must be a JSON object/);
    expect(() => loadSafetensors(file({ w: 3 }))).toThrow(/'w' must be an object/);
    expect(() => loadSafetensors(file({ __metadata__: { a: 1 } }))).toThrow(/__metadata__/);
  });
  it('unknown dtype', () => {
    expect(() => loadSafetensors(file({ w: { ...ok.w, dtype: 'F8' } }, 8))).toThrow(UnsupportedError);
    expect(() => loadSafetensors(file({ w: { ...ok.w, dtype: 'F8' } }, 8))).toThrow(/unknown dtype "F8"/);
  });
  it('bad shape, bad offsets, size mismatch', () => {
    expect(() => loadSafetensors(file({ w: { ...ok.w, shape: [-1] } }, 8))).toThrow(/invalid shape/);
    expect(() => loadSafetensors(file({ w: { ...ok.w, data_offsets: [8, 0] } }, 8))).toThrow(
      /invalid data_offsets/,
    );
    expect(() => loadSafetensors(file({ w: { ...ok.w, data_offsets: [0, 4] } }, 4))).toThrow(
      /spans 4 bytes but F32 \[2\] needs 8/,
    );
  });
  it('out-of-bounds, overlapping, gaps and undescribed trailing bytes', () => {
    const two = (a: number[], b: number[], size: number) =>
      file(
        {
          a: { dtype: 'F32', shape: [1], data_offsets: a },
          b: { dtype: 'F32', shape: [1], data_offsets: b },
        },
        size,
      );
    expect(() => loadSafetensors(two([0, 4], [4, 8], 6))).toThrow(/'b' is out of bounds/);
    expect(() => loadSafetensors(two([0, 4], [2, 6], 8))).toThrow(/overlaps/);
    expect(() => loadSafetensors(two([0, 4], [6, 10], 10))).toThrow(/a gap of 2 bytes/);
    expect(() => loadSafetensors(two([0, 4], [4, 8], 12))).toThrow(/4 bytes after the last tensor/);
    expect(loadSafetensors(two([4, 8], [0, 4], 8)).a!.shape).toEqual([1]);
  });
});
