/**
 * phasePlan: the phase (sub-pixel) decomposition of a transposed convolution. Per spatial dim,
 * output o receives tap t from input i exactly when o + padBefore = i * stride + t * dilation.
 * Writing o = rho + stride * a (rho < stride: the output's phase), the taps that reach phase
 * rho are those with t * dilation = r (mod stride), r = (rho + padBefore) mod stride, each from
 * input i = a + delta_t, delta_t = floor((rho + padBefore) / stride) - (t * dilation - r) / stride.
 * So each phase is a stride-1 correlation of the input with a sub-kernel (its taps) at fixed
 * offsets; dilated taps simply fall into the phases their dilated positions select, and a
 * phase no tap reaches holds the bias alone. Padding only crops (it moves rho's residue) and
 * outputPadding only lengthens the phases that reach past the last input. A 1-3-D geometry
 * is planned as 3-D with leading unit dims. Phases of several dims are the products of the
 * per-dim ones.
 */
import type { ConvGeometry } from '@convkit/tensor';

/** One phase of one spatial dim: outputs start + stride * a, a < count, and their taps. */
export interface DimPhase {
  /** The phase's first output position (its residue mod stride). */
  start: number;
  /** How many outputs of the dim the phase holds. */
  count: number;
  /** The kernel taps that reach it, ascending. */
  taps: number[];
  /** Per tap: the input read by the phase's output a is a + delta. */
  deltas: number[];
}

/** One phase of the whole (3-D) output. */
export interface Phase {
  /** Per dim (d, h, w): first output position. */
  start: [number, number, number];
  /** Per dim: number of outputs. */
  count: [number, number, number];
  /** Per dim: the stride (the step between a phase's outputs). */
  stride: [number, number, number];
  /** Flat tap indices into the full kernel (d, h, w order), one per sub-kernel tap. */
  taps: number[];
  /** Per sub-kernel tap: input offsets (d, h, w) of the tap. */
  deltas: [number, number, number][];
}

/** The phases of one spatial dim (only those holding at least one output). */
export function dimPhases(
  outputSize: number,
  kernelSize: number,
  stride: number,
  dilation: number,
  padBefore: number,
): DimPhase[] {
  const phases: DimPhase[] = [];
  for (let start = 0; start < Math.min(stride, outputSize); start++) {
    const residue = (start + padBefore) % stride;
    const base = Math.floor((start + padBefore) / stride);
    const taps: number[] = [];
    const deltas: number[] = [];
    for (let t = 0; t < kernelSize; t++) {
      if ((t * dilation) % stride === residue) {
        taps.push(t);
        deltas.push(base - (t * dilation - residue) / stride);
      }
    }
    phases.push({ start, count: Math.ceil((outputSize - start) / stride), taps, deltas });
  }
  return phases;
}

/** 3-D view of 1-3-D per-dim values: leading dims get `fill`. */
function as3d(values: readonly number[], fill: number): [number, number, number] {
  return [...Array.from({ length: 3 - values.length }, () => fill), ...values] as [number, number, number];
}

/** Every phase of a transposed geometry's output, with its sub-kernel (possibly empty). */
export function phasePlan(geometry: ConvGeometry): Phase[] {
  const out = as3d(geometry.outputSpatial, 1);
  const k = as3d(geometry.kernelSize, 1);
  const stride = as3d(geometry.stride, 1);
  const dilation = as3d(geometry.dilation, 1);
  const pad = as3d(geometry.padBefore, 0);
  const [pd, ph, pw] = [0, 1, 2].map((d) => dimPhases(out[d]!, k[d]!, stride[d]!, dilation[d]!, pad[d]!)) as [
    DimPhase[],
    DimPhase[],
    DimPhase[],
  ];
  const phases: Phase[] = [];
  for (const a of pd) {
    for (const b of ph) {
      for (const c of pw) {
        const taps: number[] = [];
        const deltas: [number, number, number][] = [];
        a.taps.forEach((td, i) => {
          b.taps.forEach((th, j) => {
            c.taps.forEach((tw, l) => {
              taps.push((td * k[1] + th) * k[2] + tw);
              deltas.push([a.deltas[i]!, b.deltas[j]!, c.deltas[l]!]);
            });
          });
        });
        phases.push({
          start: [a.start, b.start, c.start],
          count: [a.count, b.count, c.count],
          stride,
          taps,
          deltas,
        });
      }
    }
  }
  return phases;
}
