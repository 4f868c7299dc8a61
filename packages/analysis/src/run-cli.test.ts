import { describe, expect, it } from 'vitest';
import { runCli, USAGE } from './run-cli';

const MODEL = [
  { type: 'Conv2d', inChannels: 3, outChannels: 8, kernelSize: 3, padding: 1 },
  { type: 'ReLU' },
  { type: 'MaxPool2d', kernelSize: 2 },
];

function run(argv: string[], files: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const status = runCli(argv, {
    readFile: (path) => {
      if (!(path in files)) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
      return files[path]!;
    },
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
  });
  return { status, stdout: out.join(''), stderr: err.join('') };
}

describe('convkit-analyze', () => {
  it('prints the summary of a JSON list of layer specs', () => {
    const r = run(['model.json', '--input', '1,3,224,224'], { 'model.json': JSON.stringify(MODEL) });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('0 (Conv2d)     [1, 3, 224, 224]  [1, 8, 224, 224]     224  10,838,016');
    expect(r.stdout).toContain('2 (MaxPool2d)  [1, 8, 224, 224]  [1, 8, 112, 112]       0           0');
    expect(r.stdout).toContain('Total params: 224');
    expect(r.stdout.endsWith('\n')).toBe(true);
  });

  it('takes the input from the file, --input=, --format, --rf and --depth', () => {
    const files = {
      'net.json': JSON.stringify({
        input: [1, 3, 32, 32],
        layers: [{ type: 'Sequential', name: 'features', layers: MODEL }],
      }),
    };
    const json = run(['net.json', '--format', 'json'], files);
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout).outputShape).toEqual([1, 8, 16, 16]);
    const md = run(['--format=markdown', 'net.json', '--input=2,3,8,8', '--rf', '--depth', '0'], files);
    expect(md.status).toBe(0);
    expect(md.stdout.split('\n')).toEqual(
      expect.arrayContaining([
        '| `features` | Sequential | [2, 3, 8, 8] | [2, 8, 4, 4] | 224 | 13,824 | 4x4 / 2x2 |',
      ]),
    );
    expect(md.stdout).not.toContain('features.0');
  });

  it('prints one line naming the layer and field of a bad spec, and exits 1', () => {
    const bad = [MODEL[0], { type: 'Conv2d', inChannels: 8, outChannels: 8, kernel_size: 3 }];
    const r = run(['bad.json', '--input', '1,3,32,32'], { 'bad.json': JSON.stringify(bad) });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      "convkit-analyze: bad.json: Conv2d '1': unknown field 'kernel_size'; did you mean 'kernelSize'?\n",
    );
    const shape = run(['m.json', '--input', '1,4,32,32'], { 'm.json': JSON.stringify(MODEL) });
    expect(shape.status).toBe(1);
    expect(shape.stderr).toBe(
      "convkit-analyze: m.json: Conv2d '0': input has 4 channels but inChannels is 3\n",
    );
  });

  it('reports unreadable and malformed files in one line, exit 1', () => {
    expect(run(['missing.json', '--input', '1,3,8,8'])).toEqual({
      status: 1,
      stdout: '',
      stderr:
        "convkit-analyze: missing.json: cannot read the file: ENOENT: no such file or directory, open 'missing.json'\n",
    });
    const broken = run(['b.json', '--input', '1,3,8,8'], { 'b.json': '[{"type": ' });
    expect(broken.status).toBe(1);
    expect(broken.stderr).toMatch(/^convkit-analyze: b\.json: not valid JSON: .+\n$/);
    const shapeless = run(['o.json', '--input', '1,3,8,8'], { 'o.json': '{"type": "ReLU"}' });
    expect(shapeless.stderr).toBe(
      'convkit-analyze: o.json: expected a JSON list of layer specs, or an object with "layers" (and optionally "input")\n',
    );
    const badInput = run(['o.json'], { 'o.json': JSON.stringify({ input: [1, 0], layers: [] }) });
    expect(badInput.status).toBe(1);
    expect(badInput.stderr).toContain(
      'convkit-analyze: o.json: analyzeModel: inputShape must be a non-empty list of positive integers',
    );
  });

  it('refuses a bad command line with exit 2', () => {
    const files = { 'm.json': JSON.stringify(MODEL) };
    const cases: [string[], string][] = [
      [[], 'no model file given'],
      [['m.json'], 'no input shape: pass --input N,C,H,W or put "input" in m.json'],
      [
        ['m.json', '--input', '1,3,x'],
        "--input must be comma-separated positive integers such as 1,3,224,224, got '1,3,x'",
      ],
      [['m.json', '--input'], '--input needs a value'],
      [
        ['m.json', '--input', '1,3,8,8', '--format', 'html'],
        "--format must be text, markdown or json, got 'html'",
      ],
      [['m.json', '--input', '1,3,8,8', '--depth', '-1'], "--depth must be a non-negative integer, got '-1'"],
      [['m.json', '--verbose'], "unknown option '--verbose'"],
      // A switch given a value is refused, not read as the switch.
      [['m.json', '--input', '1,3,8,8', '--rf=no'], "--rf takes no value, got '--rf=no'"],
      [['m.json', '--input', '1,3,8,8', '--rf='], "--rf takes no value, got '--rf='"],
      [['m.json', '--help=yes'], "--help takes no value, got '--help=yes'"],
      [['m.json', 'n.json'], "one model file only, got 'm.json' and 'n.json'"],
    ];
    for (const [argv, message] of cases) {
      const r = run(argv, files);
      expect(r.status, argv.join(' ')).toBe(2);
      expect(r.stderr, argv.join(' ')).toContain(`convkit-analyze: ${message}`);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it("notes 'same' padding at stride > 1, which PyTorch refuses, and still prints the summary", () => {
    const strided = [
      { type: 'Conv2d', inChannels: 3, outChannels: 8, kernelSize: 3, stride: 2, padding: 'same' },
    ];
    const r = run(['s.json', '--input', '1,3,32,32'], { 's.json': JSON.stringify(strided) });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('[1, 3, 32, 32]  [1, 8, 16, 16]');
    expect(r.stdout).toContain(
      "Note: padding 'same' at stride > 1 ('0') follows TensorFlow/ONNX SAME_UPPER: out = ceil(in / stride)",
    );
  });

  it('prints its usage for --help', () => {
    const r = run(['--help']);
    expect(r).toEqual({ status: 0, stdout: `${USAGE}\n`, stderr: '' });
    expect(USAGE).toContain('Usage: convkit-analyze <model.json> [--input N,C,H,W]');
  });
});
