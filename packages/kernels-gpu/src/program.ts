/**
 * GpuProgram: a GPU kernel as data (after ONNX Runtime Web's `ProgramInfo`). A program
 * generator is a plain TypeScript function from a geometry to this object; nothing in it
 * touches the device, so programs are tested and printed without a GPU. The WGSL source
 * depends only on what `cacheKey` names (padding mode, whether there is a bias, tile sizes);
 * every size goes into `uniforms`, so one compiled pipeline serves every problem of its kind.
 */

/** How a kernel uses one of its storage buffers, in binding order. */
export interface ProgramBinding {
  readonly name: string;
  readonly access: 'read' | 'read_write';
}

export interface GpuProgram {
  /** Readable name for errors and debugging: 'conv-direct'. */
  readonly name: string;
  /** The pipeline cache key: the name plus every compile-time choice the source depends on. */
  readonly cacheKey: string;
  /** Complete WGSL, entry point `main`. Storage buffers at @binding(0..), uniforms after them. */
  readonly source: string;
  /** Threads per workgroup (x only; kernels index a linear range or a tile grid). */
  readonly workgroupSize: number;
  /** Storage buffers in binding order. */
  readonly bindings: readonly ProgramBinding[];
  /** Uniform values in declaration order (all i32), after `workgroupBase`, which the runner sets. */
  readonly uniforms: readonly (readonly [string, number])[];
  /**
   * Workgroups to run, numbered linearly: the runner lays them over x and y when they exceed
   * `maxComputeWorkgroupsPerDimension`, and cuts them into several dispatches (each with its
   * `workgroupBase`) when they exceed that squared.
   */
  readonly workgroups: number;
  /** Bytes of workgroup (shared) memory the source declares, checked against the device. */
  readonly workgroupStorageBytes: number;
}

/** The program's WGSL with a header of its name, key and uniform values, for debugging. */
export function printProgram(program: GpuProgram): string {
  const uniforms = program.uniforms.map(([name, value]) => `//   ${name} = ${value}`).join('\n');
  return `// program ${program.name}\n// cache key ${program.cacheKey}\n// workgroups ${program.workgroups} x ${program.workgroupSize} threads\n// uniforms:\n${uniforms}\n${program.source}`;
}
