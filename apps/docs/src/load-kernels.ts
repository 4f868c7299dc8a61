/**
 * The CPU kernels, loaded on demand: @convkit/kernels-cpu (and the WebAssembly it carries)
 * arrives in its own chunk after the page has painted, the first time a widget needs it.
 */
type KernelsModule = typeof import('@convkit/kernels-cpu');

let pending: Promise<KernelsModule> | null = null;

export function loadKernels(): Promise<KernelsModule> {
  pending ??= import('@convkit/kernels-cpu');
  return pending;
}
