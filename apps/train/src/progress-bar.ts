/**
 * A one-line progress bar for a terminal: `epoch 1/3 [=====>    ] 45% loss 0.512 acc 81.2% 520 img/s`,
 * redrawn in place with a carriage return; on a non-terminal stream only each epoch's final
 * line is written, so logs stay readable.
 */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface ProgressState {
  epoch: number;
  epochs: number;
  done: number;
  total: number;
  loss: number;
  accuracy: number;
  imagesPerSecond: number;
}

export function formatProgress(s: ProgressState, width = 24): string {
  const fraction = s.total > 0 ? Math.min(s.done / s.total, 1) : 1;
  const filled = Math.round(fraction * width);
  const bar = `${'='.repeat(Math.max(filled - 1, 0))}${filled > 0 ? (fraction < 1 ? '>' : '=') : ''}${' '.repeat(width - filled)}`;
  return `epoch ${s.epoch}/${s.epochs} [${bar}] ${String(Math.round(fraction * 100)).padStart(3)}% loss ${s.loss.toFixed(4)} acc ${(100 * s.accuracy).toFixed(1)}% ${Math.round(s.imagesPerSecond)} img/s`;
}

export class ProgressBar {
  private readonly stream: ProgressStream;
  constructor(stream: ProgressStream) {
    this.stream = stream;
  }
  update(state: ProgressState): void {
    if (this.stream.isTTY) this.stream.write(`\r${formatProgress(state)}`);
  }
  finish(state: ProgressState, suffix = ''): void {
    this.stream.write(`${this.stream.isTTY ? '\r' : ''}${formatProgress(state)}${suffix}\n`);
  }
}
