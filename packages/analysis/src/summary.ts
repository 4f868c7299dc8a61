/**
 * summary: a torchinfo-style report of a sequential stack of layer specs, as plain text,
 * Markdown or JSON: per module path its type, input and output shapes, parameters and MACs
 * (optionally its receptive field), then the totals and the float32 memory estimate.
 * MACs are per sample and FLOPs = 2 x MACs; MB are 10^6 bytes. Convolutions padded 'same' at a
 * stride > 1 get a note: convkit pads them as TensorFlow/ONNX SAME_UPPER, where PyTorch refuses.
 */
import {
  ArgumentError,
  ConvkitError,
  formatValue,
  optionBoolean,
  optionEnum,
  optionInteger,
  readOptions,
} from '@convkit/tensor';
import { analyzeModel, type ModelAnalysis } from './analyze-model';
import { layerSpecsOf, type ModelLike } from './layer-spec-source';
import { type ReceptiveFieldLayer, receptiveField } from './receptive-field';

export type SummaryFormat = 'text' | 'markdown' | 'json';

/** The keys a summary options object may hold. */
const SUMMARY_OPTION_KEYS = ['format', 'receptiveField', 'depth'] as const;

export interface SummaryOptions {
  /** 'text' (default), 'markdown' or 'json'. */
  format?: SummaryFormat;
  /** Add each module's receptive field (size and jump per spatial dim). */
  receptiveField?: boolean;
  /** Show modules down to this nesting depth (0: the specs given); all by default. Totals count every layer. */
  depth?: number;
}

/** 1234567 -> '1,234,567'. */
export function formatCount(value: number): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ArgumentError(`formatCount: value must be a finite number, got ${formatValue(value)}`);
  }
  const [whole, fraction] = String(value).split('.');
  const grouped = whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

/** 1234567 -> '1.23 M'. */
function formatUnits(value: number): string {
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'K'],
  ];
  for (const [scale, unit] of units)
    if (Math.abs(value) >= scale) return `${(value / scale).toFixed(2)} ${unit}`;
  return String(value);
}

function megabytes(bytes: number): string {
  return (bytes / 1e6).toFixed(2);
}

function shape(dims: readonly number[]): string {
  return `[${dims.join(', ')}]`;
}

/** A receptive-field number: integers as they are, fractions (transposed layers) to 3 places. */
function fieldNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(3)));
}

function fieldText(row: ReceptiveFieldLayer | undefined): string {
  if (!row) return '--';
  return `${row.dims.map((d) => fieldNumber(d.size)).join('x')} / ${row.dims.map((d) => fieldNumber(d.jump)).join('x')}`;
}

interface Prepared {
  analysis: ModelAnalysis;
  fields: Map<string, ReceptiveFieldLayer> | null;
  fieldNote: string | null;
  paddingNote: string | null;
  rows: ModelAnalysis['layers'];
}

/**
 * The note on convolutions padded 'same' at a stride > 1, or null when there are none: the
 * specs name PyTorch layers, but PyTorch refuses that combination, so say which rule applies.
 */
function samePaddingNote(layers: ModelAnalysis['layers']): string | null {
  const strided = layers.filter((row) => {
    const { padding, stride } = row.spec as { padding?: unknown; stride?: unknown };
    if (!row.leaf || padding !== 'same') return false;
    return typeof stride === 'number' ? stride > 1 : Array.isArray(stride) && stride.some((s) => s > 1);
  });
  if (strided.length === 0) return null;
  const paths = strided.map((row) => `'${row.path}'`).join(', ');
  return `padding 'same' at stride > 1 (${paths}) follows TensorFlow/ONNX SAME_UPPER: out = ceil(in / stride), the odd padding element after; PyTorch refuses padding='same' with stride > 1`;
}

function prepare(model: ModelLike, inputShape: readonly number[], options: SummaryOptions): Prepared {
  // Ask a model for its specs once: both analyses below then see the same list.
  const specs = layerSpecsOf('summary', model);
  const analysis = analyzeModel(specs, inputShape);
  let fields: Map<string, ReceptiveFieldLayer> | null = null;
  let fieldNote: string | null = null;
  if (options.receptiveField) {
    try {
      fields = new Map(receptiveField(specs, inputShape).layers.map((row) => [row.path, row]));
    } catch (error) {
      // A model the arithmetic cannot follow still gets its summary, with the reason.
      if (!ConvkitError.isInstance(error)) throw error;
      fieldNote = error.message;
    }
  }
  const depth = options.depth;
  if (depth !== undefined && (!Number.isInteger(depth) || depth < 0)) {
    throw new ArgumentError(`summary: depth must be a non-negative integer, got ${depth}`);
  }
  const rows = depth === undefined ? analysis.layers : analysis.layers.filter((row) => row.depth <= depth);
  return { analysis, fields, fieldNote, paddingNote: samePaddingNote(analysis.layers), rows };
}

function totalsLines(a: ModelAnalysis): [string, string][] {
  const total = a.inputBytes + a.activationBytes + a.paramBytes + a.bufferBytes;
  return [
    ['Total params', formatCount(a.totalParams)],
    ['Trainable params', formatCount(a.totalParams)],
    ['Non-trainable params', '0'],
    ['Buffers (BatchNorm running statistics)', formatCount(a.totalBuffers)],
    ['MACs per sample', `${formatCount(a.totalMacs)} (${formatUnits(a.totalMacs)})`],
    ['FLOPs per sample (2 x MACs)', `${formatCount(a.totalFlops)} (${formatUnits(a.totalFlops)})`],
    ['Input size (MB)', megabytes(a.inputBytes)],
    ['Forward pass size (MB)', megabytes(a.activationBytes)],
    ['Params size (MB)', megabytes(a.paramBytes)],
    ['Buffers size (MB)', megabytes(a.bufferBytes)],
    ['Estimated total size (MB)', megabytes(total)],
  ];
}

function text(p: Prepared): string {
  const header = ['Layer (type)', 'Input shape', 'Output shape', 'Params', 'MACs'];
  if (p.fields) header.push('RF size / jump');
  const body = p.rows.map((row) => {
    const cells = [
      `${'  '.repeat(row.depth)}${row.path} (${row.type})`,
      shape(row.inputShape),
      shape(row.outputShape),
      formatCount(row.params),
      formatCount(row.macs),
    ];
    if (p.fields) cells.push(fieldText(p.fields.get(row.path)));
    return cells;
  });
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((cells) => cells[c]!.length)));
  // Text columns align left, counts right.
  const numeric = (c: number) => c === 3 || c === 4;
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (numeric(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  const width = widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
  const rule = '='.repeat(width);
  const totals = totalsLines(p.analysis).map(([k, v]) => `${k}: ${v}`);
  const out = [
    rule,
    line(header),
    rule,
    ...body.map(line),
    rule,
    ...totals.slice(0, 6),
    rule,
    ...totals.slice(6),
    rule,
  ];
  if (p.fieldNote) out.push(`Receptive field not shown: ${p.fieldNote}`);
  if (p.paddingNote) out.push(`Note: ${p.paddingNote}.`);
  out.push('MACs and FLOPs per sample; memory in float32 for the whole batch; MB = 10^6 bytes.');
  return out.join('\n');
}

function markdown(p: Prepared): string {
  const header = ['Layer', 'Type', 'Input shape', 'Output shape', 'Params', 'MACs'];
  if (p.fields) header.push('RF size / jump');
  const align = header.map((_, c) => (c === 4 || c === 5 ? '---:' : '---'));
  const rows = p.rows.map((row) => {
    const cells = [
      `\`${row.path}\``,
      row.type,
      shape(row.inputShape),
      shape(row.outputShape),
      formatCount(row.params),
      formatCount(row.macs),
    ];
    if (p.fields) cells.push(fieldText(p.fields.get(row.path)));
    return `| ${cells.join(' | ')} |`;
  });
  const totals = totalsLines(p.analysis).map(([k, v]) => `| ${k} | ${v} |`);
  const out = [
    `| ${header.join(' | ')} |`,
    `| ${align.join(' | ')} |`,
    ...rows,
    '',
    '| Total | |',
    '| --- | ---: |',
    ...totals,
  ];
  if (p.fieldNote) out.push('', `Receptive field not shown: ${p.fieldNote}`);
  if (p.paddingNote) out.push('', `Note: ${p.paddingNote}.`);
  out.push('', 'MACs and FLOPs per sample; memory in float32 for the whole batch; MB = 10^6 bytes.');
  return out.join('\n');
}

function json(p: Prepared): string {
  const a = p.analysis;
  const layers = p.rows.map((row) => ({
    path: row.path,
    type: row.type,
    depth: row.depth,
    leaf: row.leaf,
    inputShape: row.inputShape,
    outputShape: row.outputShape,
    params: row.params,
    buffers: row.buffers,
    macs: row.macs,
    flops: row.flops,
    activationBytes: row.activationBytes,
    paramBytes: row.paramBytes,
    bufferBytes: row.bufferBytes,
    ...(row.parts ? { parts: row.parts } : {}),
    ...(p.fields?.get(row.path) ? { receptiveField: p.fields.get(row.path)!.dims } : {}),
  }));
  return JSON.stringify(
    {
      inputShape: a.inputShape,
      outputShape: a.outputShape,
      layers,
      totals: {
        params: a.totalParams,
        trainableParams: a.totalParams,
        buffers: a.totalBuffers,
        macs: a.totalMacs,
        flops: a.totalFlops,
        inputBytes: a.inputBytes,
        activationBytes: a.activationBytes,
        paramBytes: a.paramBytes,
        bufferBytes: a.bufferBytes,
      },
      ...(p.fieldNote ? { receptiveFieldNote: p.fieldNote } : {}),
      ...(p.paddingNote ? { paddingNote: p.paddingNote } : {}),
      notes: 'MACs and FLOPs per sample (FLOPs = 2 x MACs); bytes assume float32 and cover the whole batch',
    },
    null,
    2,
  );
}

/**
 * The report of a sequential stack of layer specs (or of a model with `toLayerSpecs()`, such as
 * an @convkit/layers Module) on an input of the given shape.
 */
export function summary(
  specs: ModelLike,
  inputShape: readonly number[],
  optionsArg?: SummaryOptions,
): string {
  // Own keys only, each typed (readOptions): { depht: 1 } is refused, { receptiveField: 'no' } too.
  const read = readOptions('summary', optionsArg, SUMMARY_OPTION_KEYS);
  const format = optionEnum('summary', 'format', read.format, ['text', 'markdown', 'json'] as const, 'text');
  const options: SummaryOptions = {
    format,
    receptiveField: optionBoolean('summary', 'receptiveField', read.receptiveField, false),
    depth: optionInteger('summary', 'depth', read.depth, undefined, { min: 0 }),
  };
  const prepared = prepare(specs, inputShape, options);
  return format === 'text' ? text(prepared) : format === 'markdown' ? markdown(prepared) : json(prepared);
}
