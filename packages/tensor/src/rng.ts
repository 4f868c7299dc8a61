/**
 * A seeded random number generator (xoshiro128**, seeded through splitmix32) so that
 * examples, tests and benchmarks draw the same numbers on every machine.
 */
import { ArgumentError } from './errors';
import { checkShape, shapeSize } from './shape';
import { Tensor } from './tensor';

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal: number | null = null;

  constructor(seed = 0) {
    if (!Number.isFinite(seed)) throw new ArgumentError(`Rng: seed must be a finite number, got ${seed}`);
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
    return low + (high - low) * this.next();
  }

  /** A uniform integer in [low, high] (both ends included). */
  int(low: number, high: number): number {
    if (!Number.isInteger(low) || !Number.isInteger(high) || high < low) {
      throw new ArgumentError(`Rng.int: need integers low <= high, got ${low} and ${high}`);
    }
    return low + Math.floor(this.next() * (high - low + 1));
  }

  /** A normal sample (Box-Muller, both values used). */
  normal(mean = 0, std = 1): number {
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
    if (items.length === 0) throw new ArgumentError('Rng.pick: cannot pick from an empty list');
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** A tensor of uniform samples in [low, high). */
  uniformTensor(shape: readonly number[], low = 0, high = 1): Tensor {
    checkShape('Rng.uniformTensor', 'the', shape);
    const data = new Float32Array(shapeSize(shape));
    for (let i = 0; i < data.length; i++) data[i] = this.uniform(low, high);
    return new Tensor(data, shape);
  }

  /** A tensor of normal samples. */
  normalTensor(shape: readonly number[], mean = 0, std = 1): Tensor {
    checkShape('Rng.normalTensor', 'the', shape);
    const data = new Float32Array(shapeSize(shape));
    for (let i = 0; i < data.length; i++) data[i] = this.normal(mean, std);
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
