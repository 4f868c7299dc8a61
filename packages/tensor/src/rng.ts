/**
 * A seeded random number generator (xoshiro128**, seeded through splitmix32) so that
 * examples, tests and benchmarks draw the same numbers on every machine.
 */
import { checkAllocation } from './check-allocation';
import { formatValue } from './describe-value';
import { ArgumentError, ShapeError } from './errors';
import { Tensor } from './tensor';

function finite(op: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ArgumentError(`${op}: ${name} must be a finite number, got ${formatValue(value)}`);
  }
  return value;
}

function checkRange(op: string, low: unknown, high: unknown): void {
  finite(op, 'low', low);
  finite(op, 'high', high);
  if ((low as number) > (high as number)) {
    throw new ArgumentError(`${op}: low must be <= high, got low ${low} and high ${high}`);
  }
}

function checkSpread(op: string, mean: unknown, std: unknown): void {
  finite(op, 'mean', mean);
  if (finite(op, 'std', std) < 0) throw new ArgumentError(`${op}: std must be >= 0, got ${std}`);
}

/** The element count of a shape given to a tensor sampler, within the memory budget. */
function samplerSize(op: string, shape: unknown): number {
  if (!Array.isArray(shape)) {
    throw new ArgumentError(`${op}: shape must be an array of sizes, got ${formatValue(shape)}`);
  }
  if (shape.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)) {
    throw new ShapeError(`${op}: shape ${formatValue(shape)} must hold non-negative integers`);
  }
  return checkAllocation(op, 'the tensor', shape as number[]);
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal: number | null = null;

  constructor(seed = 0) {
    if (typeof seed !== 'number' || !Number.isFinite(seed))
      throw new ArgumentError(`Rng: seed must be a finite number, got ${formatValue(seed)}`);
    let state = Math.trunc(seed) >>> 0;
    const splitmix = () => {
      state = (state + 0x9e3779b9) >>> 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = splitmix();
    this.s1 = splitmix();
    this.s2 = splitmix();
    this.s3 = splitmix();
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    this.s2 >>>= 0;
    return result;
  }

  /** A uniform float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** A uniform float in [low, high). */
  uniform(low = 0, high = 1): number {
    checkRange('Rng.uniform', low, high);
    return low + (high - low) * this.next();
  }

  /** A uniform integer in [low, high] (both ends included). */
  int(low: number, high: number): number {
    if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high) || high < low) {
      throw new ArgumentError(
        `Rng.int: low and high must be integers with low <= high, got ${formatValue(low)} and ${formatValue(high)}`,
      );
    }
    return low + Math.floor(this.next() * (high - low + 1));
  }

  /** A normal sample (Box-Muller, both values used). */
  normal(mean = 0, std = 1): number {
    checkSpread('Rng.normal', mean, std);
    return this.sampleNormal(mean, std);
  }

  /** Box-Muller without the argument checks (the arithmetic of every seeded sample stays as it was). */
  private sampleNormal(mean: number, std: number): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return mean + std * z;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  /** One element of an array, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (!Array.isArray(items)) {
      throw new ArgumentError(`Rng.pick: items must be an array, got ${formatValue(items)}`);
    }
    if (items.length === 0) throw new ArgumentError('Rng.pick: cannot pick from an empty list');
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** A tensor of uniform samples in [low, high). */
  uniformTensor(shape: readonly number[], low = 0, high = 1): Tensor {
    const size = samplerSize('Rng.uniformTensor', shape);
    checkRange('Rng.uniformTensor', low, high);
    const data = new Float32Array(size);
    for (let i = 0; i < data.length; i++) data[i] = low + (high - low) * this.next();
    return new Tensor(data, shape);
  }

  /** A tensor of normal samples. */
  normalTensor(shape: readonly number[], mean = 0, std = 1): Tensor {
    const size = samplerSize('Rng.normalTensor', shape);
    checkSpread('Rng.normalTensor', mean, std);
    const data = new Float32Array(size);
    for (let i = 0; i < data.length; i++) data[i] = this.sampleNormal(mean, std);
    return new Tensor(data, shape);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** A seeded generator. */
export function createRng(seed = 0): Rng {
  return new Rng(seed);
}
