/** Optimizer and schedule behaviour beyond the PyTorch goldens: groups, zeroGrad, bad options. */
import { ArgumentError, tensor } from '@convkit/tensor';
import { describe, expect, it } from 'vitest';
import { Parameter } from '../autograd/parameter';
import { Adam, AdamW } from './adam';
import { CosineAnnealingLR, OneCycleLR, StepLR } from './lr-scheduler';
import { SGD } from './sgd';

const param = () => new Parameter(tensor([1, -2], [2]));

describe('optimizers', () => {
  it('skip parameters without gradients; groups carry their own hyper-parameters', () => {
    const a = param();
    const b = param();
    const opt = new SGD([{ params: [a], lr: 1 }, { params: [b] }] as never, { lr: 0.1 });
    a.grad = tensor([1, 1], [2]);
    opt.step();
    expect([...a.data.toFloat32Array()]).toEqual([0, -3]);
    expect([...b.data.toFloat32Array()]).toEqual([1, -2]);
    b.grad = tensor([10, 10], [2]);
    opt.step();
    expect([...b.data.toFloat32Array()]).toEqual([0, -3]);
    opt.zeroGrad();
    expect(a.grad).toBeNull();
    expect(opt.lr).toBe(1);
  });
  it('refuse bad options', () => {
    expect(() => new SGD([param()], {} as never)).toThrow(/SGD: lr is required/);
    expect(() => new SGD([param()], { lr: -1 })).toThrow(/lr must be/);
    expect(() => new SGD([param()], { lr: 0.1, nesterov: true })).toThrow(/nesterov needs a momentum > 0/);
    expect(() => new SGD([], { lr: 0.1 })).toThrow(/non-empty array of Parameters/);
    expect(() => new SGD([{ params: [1] }] as never, { lr: 0.1 })).toThrow(
      /group 0 must hold an array of Parameters/,
    );
    expect(() => new Adam([param()], { betas: [0.9, 1] })).toThrow(/betas must be two numbers in \[0, 1\)/);
    expect(() => new Adam([param()], { eps: -1 })).toThrow(ArgumentError);
    expect(() => new AdamW([param()], { weight_decay: 0.1 } as never)).toThrow(/did you mean 'weightDecay'/);
  });
});

describe('learning-rate schedules', () => {
  it('write each step into the optimizer', () => {
    const opt = new SGD([param()], { lr: 1, momentum: 0.9 });
    const s = new StepLR(opt, { stepSize: 2, gamma: 0.5 });
    s.step();
    s.step();
    expect(s.getLastLr()).toEqual([0.5]);
    expect(s.lastEpoch).toBe(2);
    const c = new CosineAnnealingLR(new SGD([param()], { lr: 1 }), { tMax: 2 });
    c.step();
    expect(c.getLastLr()[0]).toBeCloseTo(0.5, 12);
  });
  it('refuse bad options and over-stepping', () => {
    const opt = () => new SGD([param()], { lr: 1, momentum: 0.9 });
    expect(() => new StepLR(opt(), {} as never)).toThrow(/stepSize is required/);
    expect(() => new CosineAnnealingLR(opt(), { tMax: 0 })).toThrow(/tMax must be a positive integer/);
    expect(() => new OneCycleLR(opt(), { maxLr: 1 } as never)).toThrow(/maxLr and totalSteps are required/);
    expect(
      () =>
        new OneCycleLR(new SGD([param()], { lr: 1 }), {
          maxLr: 1,
          totalSteps: 3,
          annealStrategy: 'exp' as never,
        }),
    ).toThrow(/annealStrategy/);
    expect(() => new StepLR({} as never, { stepSize: 1 })).toThrow(/optimizer must be a convkit Optimizer/);
    const one = new OneCycleLR(opt(), { maxLr: 1, totalSteps: 2 });
    one.step();
    one.step();
    expect(() => one.step()).toThrow(/more than totalSteps 2/);
  });
});
