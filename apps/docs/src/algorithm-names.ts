/** The algorithm names the "run it" box lists before @convkit/kernels-cpu has loaded (it then uses CONV_ALGORITHMS). */
export const CONV_ALGORITHMS_FALLBACK: readonly string[] = ['im2col', 'reference'];
