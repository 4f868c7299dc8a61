/** A count with its noun, singular or plural: `plural(1, 'number')` is '1 number', `plural(3, 'dim')` '3 dims'. */
export function plural(count: number, noun: string): string {
  return `${count} ${count === 1 ? noun : `${noun}s`}`;
}
