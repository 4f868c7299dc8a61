/**
 * splitRange: [start, end) of `count` items for each of `parts` parts, as even as boundaries
 * that are multiples of `multiple` allow (the last part takes the rest; a part may be empty
 * when there are fewer items than parts). How a team's kernel drivers cut rows, positions,
 * samples and blocks into chunks.
 */
export function splitRange(count: number, parts: number, multiple: number): [number, number][] {
  const bounds = [0];
  for (let t = 1; t < parts; t++)
    bounds.push(Math.min(count, Math.round((count * t) / parts / multiple) * multiple));
  bounds.push(count);
  return bounds.slice(0, -1).map((start, t) => [start, bounds[t + 1]!]);
}
