/**
 * A heat-map ramp for readers with any colour vision: an approximation of cividis (Nuñez et
 * al. 2018), which varies in lightness from dark blue to yellow, and the text colour that
 * reads on each step (WCAG contrast).
 */
const STOPS: readonly (readonly [number, number, number])[] = [
  [0, 34, 78],
  [59, 73, 108],
  [112, 113, 115],
  [166, 157, 117],
  [227, 205, 95],
  [253, 234, 69],
];

/** The ramp's colour at t in [0, 1], as #rrggbb. */
export function cividis(t: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const a = STOPS[i]!;
  const b = STOPS[i + 1]!;
  const channel = (j: number) => Math.round(a[j]! + (b[j]! - a[j]!) * f);
  return `#${[0, 1, 2].map((j) => channel(j).toString(16).padStart(2, '0')).join('')}`;
}

function luminance(hex: string): number {
  const c = [1, 3, 5].map((i) => {
    const v = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * c[0]! + 0.7152 * c[1]! + 0.0722 * c[2]!;
}

/** Black or white, whichever contrasts more with the background colour. */
export function textOn(hex: string): '#000000' | '#ffffff' {
  const l = luminance(hex);
  return (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? '#000000' : '#ffffff';
}
