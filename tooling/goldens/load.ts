/**
 * Loads the committed golden fixtures (tooling/goldens/*.json, written by generate.py from
 * PyTorch) as Tensors. Non-finite values are stored as the strings "NaN", "Infinity" and
 * "-Infinity". Every backend's tests read the same cases through this loader.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tensor } from '@convkit/tensor';

export interface RawTensor {
  shape: number[];
  data: (number | string)[];
}

export interface GoldenCase {
  /** Unique, readable: 'conv2d/stride2-dilation2-groups2'. */
  name: string;
  /** Which op: 'conv', 'convTranspose', 'deformConv', 'unfold', 'fold', ... */
  op: string;
  /** The convkit options object (JSON form: padding may be a number, list, pairs, 'same', 'valid'). */
  options: Record<string, unknown>;
  /** Inputs, expected outputs and gradients, by name (input, weight, bias, output, gradInput...). */
  tensors: Record<string, Tensor>;
}

export interface GoldenFile {
  meta: Record<string, unknown>;
  cases: GoldenCase[];
}

const here = dirname(fileURLToPath(import.meta.url));

function decode(raw: RawTensor): Tensor {
  const data = new Float32Array(raw.data.length);
  for (let i = 0; i < raw.data.length; i++) {
    const v = raw.data[i]!;
    data[i] = typeof v === 'number' ? v : Number(v);
  }
  return new Tensor(data, raw.shape);
}

/** Reads `tooling/goldens/<file>.json` (e.g. 'conv', 'conv-transpose', 'deform-conv', 'im2col'). */
export function loadGoldens(file: string): GoldenFile {
  const parsed = JSON.parse(readFileSync(join(here, `${file}.json`), 'utf8')) as {
    meta: Record<string, unknown>;
    cases: {
      name: string;
      op: string;
      options: Record<string, unknown>;
      tensors: Record<string, RawTensor>;
    }[];
  };
  return {
    meta: parsed.meta,
    cases: parsed.cases.map((c) => ({
      name: c.name,
      op: c.op,
      options: c.options,
      tensors: Object.fromEntries(Object.entries(c.tensors).map(([k, v]) => [k, decode(v)])),
    })),
  };
}
