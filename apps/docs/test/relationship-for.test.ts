import { DUMOULIN_VISIN_RELATIONSHIPS } from '@convkit/analysis';
import { convGeometry } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { type AxisArgs, relationshipFor, relationshipNumber } from '../src/relationship-for';

const axis = (over: Partial<AxisArgs>): AxisArgs => ({
  inputSize: 5,
  kernelSize: 3,
  stride: 1,
  padding: 0,
  dilation: 1,
  transposed: false,
  outputPadding: 0,
  ...over,
});

function geometryOutput(a: AxisArgs): number {
  return convGeometry({
    transposed: a.transposed,
    inChannels: 1,
    outChannels: 1,
    inputSpatial: [a.inputSize],
    kernelSize: a.kernelSize,
    stride: a.stride,
    padding: a.padding,
    dilation: a.dilation,
    outputPadding: a.transposed ? a.outputPadding : undefined,
  }).outputSpatial[0]!;
}

describe('relationshipFor', () => {
  it("picks each relationship for the paper's own example and agrees with convGeometry", () => {
    for (const r of DUMOULIN_VISIN_RELATIONSHIPS) {
      if (r.number === 7) continue; // pooling: never picked for a convolution
      const e = r.example.args;
      const transposed = r.number >= 8 && r.number <= 14;
      // The half and full padding examples leave p implicit: p = floor(k/2), p = k - 1.
      const padding =
        e.padding ??
        ([3, 10].includes(r.number)
          ? Math.floor(e.kernelSize / 2)
          : [4, 11].includes(r.number)
            ? e.kernelSize - 1
            : 0);
      const args = axis({
        inputSize: e.inputSize,
        kernelSize: e.kernelSize,
        stride: e.stride ?? 1,
        padding,
        dilation: e.dilation ?? 1,
        transposed,
        outputPadding: e.a ?? 0,
      });
      const match = relationshipFor(args);
      expect(match?.relationship.number, `relationship ${r.number}`).toBe(r.number);
      expect(match?.output).toBe(r.example.output);
      expect(geometryOutput(args)).toBe(r.example.output);
    }
  });

  it('agrees with convGeometry over a grid of direct and transposed convolutions', () => {
    let checked = 0;
    for (const transposed of [false, true]) {
      for (let i = 1; i <= 7; i++) {
        for (let k = 1; k <= 4; k++) {
          for (let s = 1; s <= 3; s++) {
            for (let p = 0; p <= k - 1; p++) {
              for (let a = 0; a < (transposed ? s : 1); a++) {
                const args = axis({
                  inputSize: i,
                  kernelSize: k,
                  stride: s,
                  padding: p,
                  transposed,
                  outputPadding: a,
                });
                let expected: number;
                try {
                  expected = geometryOutput(args);
                } catch {
                  continue;
                }
                const match = relationshipFor(args);
                if (match) {
                  expect(match.output, JSON.stringify(args)).toBe(expected);
                  checked++;
                }
              }
            }
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(300);
  });

  it('returns null where no relationship applies', () => {
    expect(relationshipNumber(axis({ transposed: true, dilation: 2 }))).toBeNull();
    expect(relationshipNumber(axis({ transposed: true, stride: 1, outputPadding: 1 }))).toBeNull();
    expect(relationshipFor(axis({ transposed: true, dilation: 2 }))).toBeNull();
  });

  it("passes the package's error through for sizes that do not fit", () => {
    expect(() => relationshipFor(axis({ inputSize: 2, kernelSize: 5 }))).toThrow(/kernel|input/i);
  });
});
