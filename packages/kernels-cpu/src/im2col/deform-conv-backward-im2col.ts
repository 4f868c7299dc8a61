/**
 * deformConvBackwardIm2col: every gradient of deformable convolution through its columns
 * (torchvision's deform_conv2d backward on the CPU has the same structure). Per tile:
 *   samples        = deformIm2col without the mask                (each sample taken once)
 *   gradColumns[g] = W_g^T * gradOut[n, g]                        (GEMM, W read transposed)
 *   gradInput, gradOffset, gradMask = the adjoints of the sampling (deformCol2imAccumulate,
 *                    gradMask from the samples)
 *   columns        = mask * samples, in place                     (the forward's columns)
 *   gradWeight_g  += gradOut[n, g] * columns[g]^T                 (GEMM, columns read transposed)
 * and gradBias = the sum of gradOut over batch and space.
 * Per tile of output positions both the columns and their gradient are held, for every input
 * channel, in two reused buffers that together stay within `maxTileBytes`; gradInput gathers
 * one sample at a time in float64 before it is stored.
 */
import { columnTiles, DEFAULT_TILE_BYTES, planColumnTiles } from '@convkit/im2col';
import type { ConvGeometry } from '@convkit/tensor';
import type { DeformConvData, DeformConvGradientData } from '../deform-algorithms';
import { gemm } from '../gemm';
import { biasGradientReference } from '../reference/bias-gradient-reference';
import { deformCol2imAccumulate, deformIm2colInto, modulateColumns } from './deform-columns';
import { tileScratch } from './tile-scratch';

/** Writes every gradient of the deformable convolution given `gradOutput` [N, C_out, H_out, W_out]. */
export function deformConvBackwardIm2col(
  geometry: ConvGeometry,
  gradOutput: Float32Array,
  data: DeformConvData,
  out: DeformConvGradientData,
  maxTileBytes: number = DEFAULT_TILE_BYTES,
): void {
  const { weight } = data;
  const { inChannels, outChannels, groups, kernelVolume, outputVolume } = geometry;
  const inPerGroup = geometry.inChannelsPerGroup;
  const outPerGroup = geometry.outChannelsPerGroup;
  const depth = inPerGroup * kernelVolume;
  const samplePlane = inChannels * geometry.inputVolume;

  // Two tile buffers (columns and their gradient) share the budget.
  const tileOptions = { maxBytes: maxTileBytes / 2, channels: inChannels };
  const plan = planColumnTiles(geometry, tileOptions);
  const columns = tileScratch(0, plan.rows * plan.columnsPerTile);
  const gradColumns = tileScratch(1, plan.rows * plan.columnsPerTile);
  const gradInput = new Float64Array(samplePlane);
  out.gradWeight.fill(0);
  out.gradInput.fill(0);

  let current = -1;
  const store = () => {
    if (current >= 0) out.gradInput.set(gradInput, current * samplePlane);
  };
  for (const { sample, columnStart, columnCount } of columnTiles(geometry, tileOptions)) {
    // Tiles come sample by sample: store the finished sample's gradInput, start the next.
    if (sample !== current) {
      store();
      gradInput.fill(0);
      current = sample;
    }
    const tile = { ...data, geometry, sample, columns, columnStart, columnCount };
    // Unmodulated samples first: gradMask needs them, and they are taken only once.
    deformIm2colInto({ ...tile, mask: null });
    for (let g = 0; g < groups; g++) {
      gemm(
        depth,
        columnCount,
        outPerGroup,
        weight,
        g * outPerGroup * depth,
        depth,
        gradOutput,
        (sample * outChannels + g * outPerGroup) * outputVolume + columnStart,
        outputVolume,
        gradColumns,
        g * depth * columnCount,
        columnCount,
        { transA: true },
      );
    }
    deformCol2imAccumulate({
      ...tile,
      gradColumns,
      gradInput,
      gradOffset: out.gradOffset,
      gradMask: out.gradMask,
    });
    // Then the forward's columns, for gradWeight.
    if (data.mask) modulateColumns({ ...tile, mask: data.mask });
    for (let g = 0; g < groups; g++) {
      gemm(
        outPerGroup,
        depth,
        columnCount,
        gradOutput,
        (sample * outChannels + g * outPerGroup) * outputVolume + columnStart,
        outputVolume,
        columns,
        g * depth * columnCount,
        columnCount,
        out.gradWeight,
        g * outPerGroup * depth,
        depth,
        { transB: true, beta: 1 },
      );
    }
  }
  store();
  out.gradBias.set(biasGradientReference(gradOutput, geometry));
}
