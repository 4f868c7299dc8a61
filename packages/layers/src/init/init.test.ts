import { ArgumentError, ShapeError } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { globalRng, manualSeed } from './global-rng';
import { fanIn, kaimingUniform, normal, uniform } from './init';

describe('initialisation', () => {
  it('fan_in as PyTorch computes it', () => {
    expect(fanIn([16, 3, 3, 3])).toBe(27);
    expect(fanIn([10, 3136])).toBe(3136);
    expect(fanIn([5])).toBe(5);
  });
  it('kaimingUniform with a = sqrt(5) stays within 1 / sqrt(fan_in); a = 0 within sqrt(6 / fan_in)', () => {
    const w = kaimingUniform([64, 100]).toFloat32Array();
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(0.1);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.099);
    const relu = kaimingUniform([64, 100], 0).toFloat32Array();
    expect(Math.max(...relu.map(Math.abs))).toBeGreaterThan(0.24);
    expect(Math.max(...relu.map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 100));
  });
  it('manualSeed makes draws repeat', () => {
    manualSeed(42);
    const a = uniform([5], 1).toFloat32Array();
    const n = normal([3]).toFloat32Array();
    manualSeed(42);
    expect(uniform([5], 1).toFloat32Array()).toEqual(a);
    expect(normal([3]).toFloat32Array()).toEqual(n);
    expect(globalRng()).toBe(globalRng());
  });
  it('refuses bad arguments', () => {
    expect(() => manualSeed(1.5)).toThrow(/manualSeed: seed must be an integer/);
    expect(() => fanIn([])).toThrow(ArgumentError);
    expect(() => fanIn([2, -1])).toThrow(ShapeError);
    expect(() => uniform([2], -1)).toThrow(/bound must be a finite number >= 0/);
    expect(() => uniform([1.5], 1)).toThrow(ShapeError);
    expect(() => kaimingUniform([2, 2], Number.NaN)).toThrow(/a must be a finite number/);
    expect(() => normal([-2])).toThrow(ShapeError);
  });
});
