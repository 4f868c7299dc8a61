/**
 * A dependency-free SVG of a training run: left, the loss of every batch (light) with its
 * running mean over an epoch's worth of batches (dark) and each epoch's test loss (dots);
 * right, train and test accuracy per epoch.
 */
import type { TrainHistory } from './train';

const W = 360;
const H = 240;
const M = { left: 48, right: 12, top: 28, bottom: 36 };

function scale(lo: number, hi: number, a: number, b: number) {
  const span = hi - lo || 1;
  return (v: number) => a + ((v - lo) / span) * (b - a);
}

function path(points: [number, number][]): string {
  return points.map(([x, y], i) => `${i ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`).join('');
}

function axes(
  x0: number,
  title: string,
  yLo: number,
  yHi: number,
  xLabel: string,
  format: (v: number) => string,
): string {
  const y = scale(yLo, yHi, H - M.bottom, M.top);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => yLo + f * (yHi - yLo));
  return [
    `<text x="${x0 + W / 2}" y="16" text-anchor="middle" font-weight="bold">${title}</text>`,
    `<line x1="${x0 + M.left}" y1="${H - M.bottom}" x2="${x0 + W - M.right}" y2="${H - M.bottom}" stroke="#333"/>`,
    `<line x1="${x0 + M.left}" y1="${M.top}" x2="${x0 + M.left}" y2="${H - M.bottom}" stroke="#333"/>`,
    ...ticks.map(
      (t) =>
        `<text x="${x0 + M.left - 4}" y="${y(t) + 4}" text-anchor="end">${format(t)}</text><line x1="${x0 + M.left}" x2="${x0 + W - M.right}" y1="${y(t)}" y2="${y(t)}" stroke="#eee"/>`,
    ),
    `<text x="${x0 + W / 2}" y="${H - 6}" text-anchor="middle">${xLabel}</text>`,
  ].join('');
}

export function plotSvg(history: TrainHistory, title = 'convkit on Fashion-MNIST'): string {
  const losses = history.batchLoss;
  const perEpoch = Math.max(1, Math.round(losses.length / Math.max(history.epochs.length, 1)));
  const window = Math.max(1, Math.round(perEpoch / 5));
  const smooth = losses.map((_, i) => {
    const from = Math.max(0, i - window + 1);
    const part = losses.slice(from, i + 1);
    return part.reduce((a, b) => a + b, 0) / part.length;
  });
  const maxLoss = Math.max(...losses, ...history.epochs.map((e) => e.testLoss), 1e-6);
  const bx = scale(0, Math.max(losses.length - 1, 1), M.left, W - M.right);
  const ly = scale(0, maxLoss, H - M.bottom, M.top);
  const epochs = history.epochs;
  const ex = scale(0, Math.max(epochs.length, 1), M.left, W - M.right);
  const accLo = Math.max(
    0,
    Math.floor(10 * Math.min(...epochs.map((e) => Math.min(e.trainAccuracy, e.testAccuracy)), 1)) / 10 - 0.1,
  );
  const ay = scale(accLo, 1, H - M.bottom, M.top);
  const right = W;
  const accLine = (key: 'trainAccuracy' | 'testAccuracy') =>
    path(epochs.map((e) => [right + ex(e.epoch), ay(e[key])] as [number, number]));
  const last = epochs[epochs.length - 1];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${H + 20}" font-family="sans-serif" font-size="11">`,
    '<rect width="100%" height="100%" fill="white"/>',
    axes(0, 'loss', 0, maxLoss, 'batch', (v) => v.toFixed(2)),
    `<path d="${path(losses.map((v, i) => [bx(i), ly(v)]))}" fill="none" stroke="#9ecae1" stroke-width="1"/>`,
    `<path d="${path(smooth.map((v, i) => [bx(i), ly(v)]))}" fill="none" stroke="#08519c" stroke-width="2"/>`,
    ...epochs.map(
      (e) => `<circle cx="${bx(e.epoch * perEpoch - 1)}" cy="${ly(e.testLoss)}" r="3" fill="#d94801"/>`,
    ),
    `<text x="${W - M.right}" y="${M.top + 12}" text-anchor="end" fill="#08519c">train (per batch, running mean)</text>`,
    `<text x="${W - M.right}" y="${M.top + 26}" text-anchor="end" fill="#d94801">test (per epoch)</text>`,
    axes(right, 'accuracy', accLo, 1, 'epoch', (v) => `${(100 * v).toFixed(0)}%`),
    `<path d="${accLine('trainAccuracy')}" fill="none" stroke="#08519c" stroke-width="2"/>`,
    `<path d="${accLine('testAccuracy')}" fill="none" stroke="#d94801" stroke-width="2"/>`,
    ...epochs.map(
      (e) =>
        `<circle cx="${right + ex(e.epoch)}" cy="${ay(e.trainAccuracy)}" r="3" fill="#08519c"/><circle cx="${right + ex(e.epoch)}" cy="${ay(e.testAccuracy)}" r="3" fill="#d94801"/>`,
    ),
    `<text x="${right + W - M.right}" y="${M.top + 12}" text-anchor="end" fill="#08519c">train</text>`,
    `<text x="${right + W - M.right}" y="${M.top + 26}" text-anchor="end" fill="#d94801">test${last ? ` ${(100 * last.testAccuracy).toFixed(1)}%` : ''}</text>`,
    `<text x="${W}" y="${H + 14}" text-anchor="middle" fill="#555">${title}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
