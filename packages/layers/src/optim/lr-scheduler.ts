/**
 * Learning-rate schedules, PyTorch 1.13's: construction sets the step-0 rate, each `step()`
 * advances one epoch (or one batch, for OneCycleLR) and writes the new rate into every
 * parameter group.
 * - StepLR:            lr = base * gamma^floor(t / stepSize)
 * - CosineAnnealingLR: lr = etaMin + (base - etaMin) * (1 + cos(pi * t / tMax)) / 2
 * - OneCycleLR (Smith & Topin 2017): from maxLr / divFactor up to maxLr over pctStart of
 *   totalSteps, then down to initial / finalDivFactor, cosine or linear; with cycleMomentum
 *   the momentum (SGD) or beta1 (Adam) moves the opposite way between baseMomentum and
 *   maxMomentum. Phase ends at pctStart * totalSteps - 1 and totalSteps - 1, as PyTorch.
 */
import {
  ArgumentError,
  optionBoolean,
  optionEnum,
  optionNumber,
  optionPositiveInt,
  readOptions,
} from '@convkit/tensor';
import type { Optimizer } from './optimizer';

type AnyOptimizer = Optimizer<{ lr: number }>;

export abstract class LRScheduler {
  readonly optimizer: AnyOptimizer;
  readonly baseLrs: number[];
  /** Steps taken (PyTorch's last_epoch). */
  lastEpoch = 0;

  constructor(op: string, optimizer: AnyOptimizer) {
    if (!optimizer || !Array.isArray((optimizer as AnyOptimizer).paramGroups)) {
      throw new ArgumentError(`${op}: optimizer must be a convkit Optimizer, got ${String(optimizer)}`);
    }
    this.optimizer = optimizer;
    this.baseLrs = optimizer.paramGroups.map((g) => g.hyper.lr);
  }

  /** The rate of each group at step `lastEpoch`. */
  protected abstract rates(): number[];

  protected apply(): void {
    const rates = this.rates();
    this.optimizer.paramGroups.forEach((g, i) => {
      g.hyper.lr = rates[i]!;
    });
  }

  step(): void {
    this.lastEpoch++;
    this.apply();
  }

  /** The current rate of each group. */
  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.hyper.lr);
  }
}

export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;
  constructor(optimizer: AnyOptimizer, options: { stepSize: number; gamma?: number }) {
    super('StepLR', optimizer);
    const o = readOptions('StepLR', options, ['stepSize', 'gamma']);
    if (o.stepSize === undefined) throw new ArgumentError('StepLR: stepSize is required');
    this.stepSize = optionPositiveInt('StepLR', 'stepSize', o.stepSize, 1);
    this.gamma = optionNumber('StepLR', 'gamma', o.gamma, 0.1, { min: 0 });
    this.apply();
  }
  protected rates(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
}

export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number;
  readonly etaMin: number;
  constructor(optimizer: AnyOptimizer, options: { tMax: number; etaMin?: number }) {
    super('CosineAnnealingLR', optimizer);
    const o = readOptions('CosineAnnealingLR', options, ['tMax', 'etaMin']);
    if (o.tMax === undefined) throw new ArgumentError('CosineAnnealingLR: tMax is required');
    this.tMax = optionPositiveInt('CosineAnnealingLR', 'tMax', o.tMax, 1);
    this.etaMin = optionNumber('CosineAnnealingLR', 'etaMin', o.etaMin, 0, { min: 0 });
    this.apply();
  }
  protected rates(): number[] {
    const t = this.lastEpoch;
    return this.baseLrs.map(
      (b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * t) / this.tMax))) / 2,
    );
  }
}

export interface OneCycleOptions {
  maxLr: number;
  totalSteps: number;
  pctStart?: number;
  annealStrategy?: 'cos' | 'linear';
  cycleMomentum?: boolean;
  baseMomentum?: number;
  maxMomentum?: number;
  divFactor?: number;
  finalDivFactor?: number;
  threePhase?: boolean;
}

interface Phase {
  endStep: number;
  lr: [number, number];
  momentum: [number, number];
}

export class OneCycleLR extends LRScheduler {
  readonly totalSteps: number;
  private readonly phases: Phase[];
  private readonly anneal: (start: number, end: number, pct: number) => number;
  private readonly cycleMomentum: boolean;

  constructor(optimizer: AnyOptimizer, options: OneCycleOptions) {
    super('OneCycleLR', optimizer);
    const op = 'OneCycleLR';
    const o = readOptions(op, options, [
      'maxLr',
      'totalSteps',
      'pctStart',
      'annealStrategy',
      'cycleMomentum',
      'baseMomentum',
      'maxMomentum',
      'divFactor',
      'finalDivFactor',
      'threePhase',
    ]);
    if (o.maxLr === undefined || o.totalSteps === undefined)
      throw new ArgumentError(`${op}: maxLr and totalSteps are required`);
    const maxLr = optionNumber(op, 'maxLr', o.maxLr, 0, { min: 0 });
    this.totalSteps = optionPositiveInt(op, 'totalSteps', o.totalSteps, 1);
    const pct = optionNumber(op, 'pctStart', o.pctStart, 0.3, { min: 0, max: 1 });
    const strategy = optionEnum(op, 'annealStrategy', o.annealStrategy, ['cos', 'linear'] as const, 'cos');
    this.cycleMomentum = optionBoolean(op, 'cycleMomentum', o.cycleMomentum, true);
    const baseMomentum = optionNumber(op, 'baseMomentum', o.baseMomentum, 0.85);
    const maxMomentum = optionNumber(op, 'maxMomentum', o.maxMomentum, 0.95);
    const divFactor = optionNumber(op, 'divFactor', o.divFactor, 25, { min: 0, minExclusive: true });
    const finalDiv = optionNumber(op, 'finalDivFactor', o.finalDivFactor, 1e4, {
      min: 0,
      minExclusive: true,
    });
    const threePhase = optionBoolean(op, 'threePhase', o.threePhase, false);
    this.anneal =
      strategy === 'cos'
        ? (start, end, p) => end + ((start - end) / 2) * (Math.cos(Math.PI * p) + 1)
        : (start, end, p) => (end - start) * p + start;
    const initial = maxLr / divFactor;
    const min = initial / finalDiv;
    const T = this.totalSteps;
    this.phases = threePhase
      ? [
          { endStep: pct * T - 1, lr: [initial, maxLr], momentum: [maxMomentum, baseMomentum] },
          { endStep: 2 * pct * T - 2, lr: [maxLr, initial], momentum: [baseMomentum, maxMomentum] },
          { endStep: T - 1, lr: [initial, min], momentum: [maxMomentum, maxMomentum] },
        ]
      : [
          { endStep: pct * T - 1, lr: [initial, maxLr], momentum: [maxMomentum, baseMomentum] },
          { endStep: T - 1, lr: [maxLr, min], momentum: [baseMomentum, maxMomentum] },
        ];
    if (this.cycleMomentum) {
      for (const g of optimizer.paramGroups) {
        const h = g.hyper as { momentum?: number; betas?: [number, number] };
        if (h.momentum === undefined && h.betas === undefined) {
          throw new ArgumentError(`${op}: cycleMomentum needs an optimizer with momentum or betas`);
        }
      }
    }
    this.apply();
  }

  protected rates(): number[] {
    const stepNum = this.lastEpoch;
    if (stepNum > this.totalSteps) {
      throw new ArgumentError(
        `OneCycleLR: stepped ${stepNum} times, more than totalSteps ${this.totalSteps}`,
      );
    }
    let startStep = 0;
    let lr = 0;
    let momentum = 0;
    for (let i = 0; i < this.phases.length; i++) {
      const phase = this.phases[i]!;
      if (stepNum <= phase.endStep || i === this.phases.length - 1) {
        const pct = (stepNum - startStep) / (phase.endStep - startStep);
        lr = this.anneal(phase.lr[0], phase.lr[1], pct);
        momentum = this.anneal(phase.momentum[0], phase.momentum[1], pct);
        break;
      }
      startStep = phase.endStep;
    }
    if (this.cycleMomentum) {
      for (const g of this.optimizer.paramGroups) {
        const h = g.hyper as { momentum?: number; betas?: [number, number] };
        if (h.betas) h.betas = [momentum, h.betas[1]];
        else h.momentum = momentum;
      }
    }
    return this.baseLrs.map(() => lr);
  }
}
