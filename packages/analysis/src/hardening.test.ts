/**
 * Hostile inputs to the analysis functions: models that contain themselves, nesting far deeper
 * than any call stack, a polluted Object.prototype, counts past 2^53, coverage masks past the
 * memory limit, and the CLI on all of these (one line on stderr, exit 1, never a stack trace).
 */
import {
  ArgumentError,
  DEFAULT_MEMORY_LIMIT,
  ResourceError,
  ShapeError,
  setMemoryLimit,
} from '@convkit/tensor';
import { afterEach, describe, expect, it } from 'vitest';
import { analyzeLayer } from './analyze-layer';
import { analyzeModel } from './analyze-model';
import { inputCoverage } from './input-coverage';
import type { LayerSpec } from './layer-spec';
import { receptiveField } from './receptive-field';
import { runCli } from './run-cli';
import { summary } from './summary';

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the call to throw');
}

function cli(argv: string[], files: Record<string, string> = {}, version?: string) {
  const out: string[] = [];
  const err: string[] = [];
  const status = runCli(argv, {
    readFile: (path) => {
      if (!(path in files)) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
      return files[path]!;
    },
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    ...(version ? { version } : {}),
  });
  return { status, stdout: out.join(''), stderr: err.join('') };
}

/** A Sequential nested `depth` deep around one ReLU. */
function nested(depth: number): LayerSpec[] {
  let spec: LayerSpec = { type: 'ReLU' };
  for (let i = 0; i < depth; i++) spec = { type: 'Sequential', layers: [spec] } as LayerSpec;
  return [spec];
}

describe('analysis: cycles and depth', () => {
  it('refuses a Sequential that contains itself, naming where the cycle closes', () => {
    const loop = { type: 'Sequential', name: 'loop', layers: [] as unknown[] };
    loop.layers.push({ type: 'ReLU' }, loop);
    for (const call of [
      () => analyzeModel([loop as LayerSpec], [1, 1, 4, 4]),
      () => summary([loop as LayerSpec], [1, 1, 4, 4]),
      () => receptiveField([loop as LayerSpec], [1, 1, 4, 4]),
      () => inputCoverage([loop as LayerSpec], [1, 1, 4, 4]),
      () => analyzeLayer(loop as LayerSpec, [1, 1, 4, 4]),
    ]) {
      const e = thrown(call);
      expect(ArgumentError.isInstance(e)).toBe(true);
      expect(e.message).toMatch(
        /the model contains itself: this spec is the container at 'loop' again \(a cycle\)/,
      );
    }
  });

  it('refuses a Residual whose body contains the block', () => {
    const block = { type: 'Residual', name: 'r', body: [] as unknown[] };
    block.body.push(block);
    expect(thrown(() => analyzeModel([block as LayerSpec], [1, 1, 4, 4])).message).toMatch(/a cycle/);
  });

  it('accepts the same spec object twice side by side (not a cycle)', () => {
    const relu: LayerSpec = { type: 'ReLU' };
    const seq = { type: 'Sequential', layers: [relu, relu] } as LayerSpec;
    expect(analyzeModel([seq, seq], [1, 1, 2, 2]).layers).toHaveLength(6);
  });

  it('plans a model nested 10,000 deep without overflowing the stack', () => {
    const deep = nested(10_000);
    const model = analyzeModel(deep, [1, 1, 3, 3]);
    expect(model.layers).toHaveLength(10_001);
    expect(model.layers[10_000]!.depth).toBe(10_000);
    expect(receptiveField(deep, [1, 1, 3, 3]).layers).toHaveLength(10_001);
    expect(inputCoverage(deep, [1, 1, 3, 3]).count).toBe(1);
    expect(summary(deep, [1, 1, 3, 3], { depth: 1 })).toContain('Total params: 0');
  });
});

describe('analysis: numbers', () => {
  it('refuses counts past 2^53 instead of reporting Infinity or rounded values', () => {
    const huge: LayerSpec = { type: 'Linear', inFeatures: 1e15, outFeatures: 1e15 };
    const e = thrown(() => analyzeLayer(huge, [1, 1e15]));
    expect(ShapeError.isInstance(e)).toBe(true);
    expect(e.message).toMatch(/^Linear: the params count would be 1\.0*1e\+30, beyond the 2\^53/);
    // Without an input shape to plan on, the nominal walk cannot see the cycle: it asks for one.
    const loop = { type: 'Sequential', layers: [] as unknown[] };
    loop.layers.push(loop);
    expect(thrown(() => receptiveField([loop as LayerSpec])).message).toMatch(/pass inputShape$/);
    const conv: LayerSpec = { type: 'Conv2d', inChannels: 2 ** 26, outChannels: 2 ** 26, kernelSize: 3 };
    const c = thrown(() => analyzeLayer(conv, [1, 2 ** 26, 3, 3]));
    expect(ShapeError.isInstance(c)).toBe(true);
    expect(c.message).toMatch(
      /^Conv2d: the weight element count must be a safe integer \(below 2\^53\), got \d+/,
    );
  });

  it('refuses unsafe input sizes', () => {
    const e = thrown(() => analyzeModel([{ type: 'ReLU' }], [1, 1, 2 ** 60]));
    expect(ShapeError.isInstance(e)).toBe(true);
    expect(e.message).toMatch(/inputShape must be a non-empty list of positive integers/);
  });

  it("explains a failure on the nominal input of receptiveField instead of showing made-up sizes as the model's", () => {
    const specs: LayerSpec[] = [
      { type: 'Conv2d', inChannels: 8, outChannels: 8, kernelSize: 3 },
      { type: 'Flatten' },
      { type: 'Linear', inFeatures: 10, outFeatures: 2 },
    ];
    const e = thrown(() => receptiveField(specs));
    expect(ArgumentError.isInstance(e)).toBe(true);
    expect(e.message).toMatch(
      /^receptiveField: without inputShape the layers are planned on a nominal input of 2\^20 positions per spatial dim, .*; pass inputShape$/,
    );
  });
});

describe('analysis: options and prototype pollution', () => {
  it('ignores a polluted Object.prototype in specs and options', () => {
    const specs: LayerSpec[] = [{ type: 'Conv2d', inChannels: 1, outChannels: 1, kernelSize: 3 }];
    const clean = analyzeModel(specs, [1, 1, 8, 8]);
    const proto = Object.prototype as Record<string, unknown>;
    proto.stride = 4;
    proto.padding = 5;
    proto.format = 'json';
    proto.path = 'nope';
    try {
      expect(analyzeModel(specs, [1, 1, 8, 8]).layers[0]!.outputShape).toEqual(clean.layers[0]!.outputShape);
      expect(summary(specs, [1, 1, 8, 8], {})).not.toMatch(/^\{/);
      expect(inputCoverage(specs, [1, 1, 8, 8], {}).path).toBe('0');
    } finally {
      delete proto.stride;
      delete proto.padding;
      delete proto.format;
      delete proto.path;
    }
  });

  it('refuses unknown option keys of summary and inputCoverage with a hint', () => {
    const specs: LayerSpec[] = [{ type: 'ReLU' }];
    expect(thrown(() => summary(specs, [1, 1, 2, 2], { depht: 1 } as never)).message).toMatch(
      /^summary: unknown option 'depht'; .*did you mean 'depth'\?$/,
    );
    expect(
      thrown(() => inputCoverage(specs, [1, 1, 2, 2], { outputindex: [0, 0] } as never)).message,
    ).toMatch(/^inputCoverage: unknown option 'outputindex'; .*did you mean 'outputIndex'\?$/);
    expect(thrown(() => summary(specs, [1, 1, 2, 2], { receptiveField: 'yes' } as never)).message).toBe(
      "summary: receptiveField must be true or false, got string 'yes'",
    );
  });
});

describe('analysis: memory limit', () => {
  afterEach(() => {
    setMemoryLimit(DEFAULT_MEMORY_LIMIT);
  });

  it('refuses an inputCoverage mask over the limit before allocating it', () => {
    const e = thrown(() => inputCoverage([{ type: 'ReLU' }], [1, 1, 100_000, 100_000]));
    expect(ResourceError.isInstance(e)).toBe(true);
    expect(e.message).toMatch(
      /^inputCoverage: the coverage mask of ReLU '0''s output \[100000, 100000\] needs 9\.3 GiB/,
    );
    setMemoryLimit(1000);
    const small = thrown(() =>
      inputCoverage([{ type: 'Conv2d', inChannels: 1, outChannels: 1, kernelSize: 1 }], [1, 1, 40, 40]),
    );
    expect(ResourceError.isInstance(small)).toBe(true);
    expect(small.message).toMatch(/coverage mask .* needs 1\.6 KiB .*setMemoryLimit/);
  });
});

describe('convkit-analyze: one line per user error', () => {
  it('prints the version', () => {
    expect(cli(['--version'], {}, '1.2.3')).toEqual({
      status: 0,
      stdout: 'convkit-analyze 1.2.3\n',
      stderr: '',
    });
    expect(cli(['-v']).stdout).toBe('convkit-analyze unknown\n');
  });

  it('reports a 10,000-deep model, a cyclic model and absurd sizes in one line with exit 1', () => {
    let deep = '{"type":"ReLU"}';
    for (let i = 0; i < 10_000; i++) deep = `{"type":"Sequential","layers":[${deep}]}`;
    const ok = cli(['deep.json', '--input', '1,1,2,2', '--depth', '0'], { 'deep.json': `[${deep}]` });
    expect(ok.status).toBe(0);
    const bad = cli(['deep.json', '--input', '1,1,2,2'], {
      'deep.json': `[${deep.replace('"ReLU"', '"ReLu"')}]`,
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr.split('\n')).toHaveLength(2);
    expect(bad.stderr).toMatch(
      /^convkit-analyze: deep\.json: layer '0(\.0)+': unknown type 'ReLu'; did you mean 'ReLU'\?\n$/,
    );
    const huge = cli(['h.json', '--input', '1,1'], {
      'h.json': JSON.stringify([{ type: 'Linear', inFeatures: 1, outFeatures: 1e300 }]),
    });
    expect(huge.status).toBe(1);
    expect(huge.stderr.split('\n')).toHaveLength(2);
    expect(huge.stderr).not.toMatch(/\n\s+at /);
  });
});
