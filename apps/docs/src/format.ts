/** Number formats shared by the widgets and their tests. */

/** An integer with thousands separators: 1,234,567. */
export function formatInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A value with 4 significant digits, no exponent for ordinary sizes: 0.1204, -3.25, 1234. */
export function formatValue(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (n === 0) return '0';
  const abs = Math.abs(n);
  if (abs >= 1e6 || abs < 1e-4) return n.toExponential(3);
  return Number(n.toPrecision(4)).toString();
}

/** A ratio as a percentage with 2 decimals: 12.35%. */
export function formatPercent(r: number): string {
  return `${(r * 100).toFixed(2)}%`;
}
