/**
 * Helpers that write the WGSL every program shares: the binding declarations, the uniform
 * struct, the linear thread id that survives a dispatch split over x and y, and the padded
 * index map of the four padding modes (the same rule as `paddedIndex` in @convkit/tensor).
 */
import type { PaddingMode } from '@convkit/tensor';
import type { ProgramBinding } from './program';

/** `@group(0) @binding(i) var<storage, ...> name: array<f32>;` lines, then the uniform struct at the next binding. */
export function declareBindings(
  bindings: readonly ProgramBinding[],
  uniformNames: readonly string[],
  atomicNames: readonly string[] = [],
): string {
  const storage = bindings.map((b, i) => {
    const element = atomicNames.includes(b.name) ? 'atomic<u32>' : 'f32';
    return `@group(0) @binding(${i}) var<storage, ${b.access}> ${b.name}: array<${element}>;`;
  });
  const fields = uniformNames.map((name) => `  ${name}: i32,`).join('\n');
  return `${storage.join('\n')}
struct Params {
  // The first workgroup of this dispatch: a grid too large for the device is run in chunks.
  workgroupBase: i32,
${fields}
}
@group(0) @binding(${bindings.length}) var<uniform> P: Params;
`;
}

/**
 * The linear workgroup id: the chunk's first workgroup plus the position in its x-y grid.
 * Every kernel numbers its workgroups this way, so the runner may lay them over x and y and
 * cut them into several dispatches.
 */
export const LINEAR_WORKGROUP_ID = 'P.workgroupBase + i32(wid.x + wid.y * groups.x)';

/**
 * The entry point header of a kernel that runs one thread per element of a linear range:
 * `index` is the element, and threads past `P.total` return.
 */
export function linearEntry(workgroupSize: number): string {
  return `@compute @workgroup_size(${workgroupSize})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let index = (${LINEAR_WORKGROUP_ID}) * ${workgroupSize} + i32(lid);
  if (index >= P.total) { return; }`;
}

/**
 * `fn padded(position, size) -> i32`: the input index a padded position reads, or -1 for a
 * zero of the padding (zeros mode). Reflect mirrors without repeating the edge, replicate
 * clamps, circular wraps; one mirror or wrap suffices because convGeometry bounds the padding.
 */
export function paddedIndexFunction(mode: PaddingMode): string {
  const outside: Record<PaddingMode, string> = {
    zeros: 'return -1;',
    reflect: 'if (position < 0) { return -position; }\n  return 2 * (size - 1) - position;',
    replicate: 'if (position < 0) { return 0; }\n  return size - 1;',
    circular: 'return ((position % size) + size) % size;',
  };
  return `fn padded(position: i32, size: i32) -> i32 {
  if (position >= 0 && position < size) { return position; }
  ${outside[mode]}
}
`;
}

/** Threads per workgroup of the one-thread-per-element kernels. */
export const LINEAR_WORKGROUP_SIZE = 64;

/** Workgroups for `total` elements at `workgroupSize` threads each. */
export function workgroupsFor(total: number, workgroupSize: number = LINEAR_WORKGROUP_SIZE): number {
  return Math.ceil(total / workgroupSize);
}
