/**
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian header length N,
 * N bytes of JSON ({ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__"?:
 * { string: string } }), then the raw little-endian tensor bytes, offsets relative to the
 * end of the header. As the reference implementation checks: the header is at most 100 MB,
 * the tensors tile the data region exactly (sorted by offset, no gap, no overlap, ending at
 * the file's end), and each tensor's byte size is prod(shape) * the dtype's size.
 *
 * loadSafetensors reads F32, F16, BF16, F64 and the integer dtypes (I64, I32, I16, I8, U8,
 * BOOL; PyTorch stores num_batches_tracked as I64) and converts them to float32.
 * saveSafetensors writes F32, except keys ending in `num_batches_tracked`, written as I64 as
 * PyTorch does; the header is padded with spaces to a multiple of 8 bytes.
 */
import { ArgumentError, isTensor, ResourceError, shapeSize, Tensor, UnsupportedError } from '@convkit/tensor';

/** The largest header the reference implementation accepts. */
export const MAX_HEADER_BYTES = 100_000_000;

const DTYPE_BYTES: Record<string, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16' | 'F64' | 'I64';

const OP = 'loadSafetensors';

/** IEEE half -> number. */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function decode(dtype: string, bytes: Uint8Array, count: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  switch (dtype) {
    case 'F32':
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
      break;
    case 'F64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, true);
      break;
    case 'F16':
      for (let i = 0; i < count; i++) out[i] = halfToNumber(view.getUint16(2 * i, true));
      break;
    case 'BF16': {
      // bfloat16 is the top half of a float32.
      const word = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < count; i++) {
        word.setUint32(0, view.getUint16(2 * i, true) << 16, true);
        out[i] = word.getFloat32(0, true);
      }
      break;
    }
    case 'I64':
      for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(8 * i, true));
      break;
    case 'I32':
      for (let i = 0; i < count; i++) out[i] = view.getInt32(4 * i, true);
      break;
    case 'I16':
      for (let i = 0; i < count; i++) out[i] = view.getInt16(2 * i, true);
      break;
    case 'I8':
      for (let i = 0; i < count; i++) out[i] = view.getInt8(i);
      break;
    default:
      // U8, BOOL
      for (let i = 0; i < count; i++) out[i] = view.getUint8(i);
  }
  return out;
}

interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/** The header's entries and metadata, checked; throws on any malformed part. */
function readHeader(bytes: Uint8Array): {
  entries: Entry[];
  metadata: Record<string, string>;
  dataStart: number;
} {
  if (!(bytes instanceof Uint8Array)) {
    throw new ArgumentError(`${OP}: bytes must be a Uint8Array (the file's contents), got ${String(bytes)}`);
  }
  if (bytes.byteLength < 8) {
    throw new ArgumentError(
      `${OP}: truncated file: ${bytes.byteLength} bytes, fewer than the 8-byte header length`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    throw new ResourceError(
      `${OP}: header too large: ${headerLength} bytes, the limit is ${MAX_HEADER_BYTES}`,
    );
  }
  const n = Number(headerLength);
  if (8 + n > bytes.byteLength) {
    throw new ArgumentError(
      `${OP}: truncated file: the header claims ${n} bytes but only ${bytes.byteLength - 8} follow`,
    );
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (error) {
    throw new ArgumentError(`${OP}: the header is not valid UTF-8 JSON (${(error as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new ArgumentError(`${OP}: the header must be a JSON object`);
  }
  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Object.values(raw).some((v) => typeof v !== 'string')) {
        throw new ArgumentError(`${OP}: __metadata__ must map strings to strings`);
      }
      Object.assign(metadata, raw);
      continue;
    }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null)
      throw new ArgumentError(`${OP}: tensor '${name}' must be an object`);
    if (typeof e.dtype !== 'string' || !(e.dtype in DTYPE_BYTES)) {
      throw new UnsupportedError(
        `${OP}: tensor '${name}' has unknown dtype ${JSON.stringify(e.dtype)}; known: ${Object.keys(DTYPE_BYTES).join(', ')}`,
      );
    }
    if (!Array.isArray(e.shape) || e.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      throw new ArgumentError(`${OP}: tensor '${name}' has an invalid shape ${JSON.stringify(e.shape)}`);
    }
    const offsets = e.data_offsets;
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      offsets.some((o) => !Number.isSafeInteger(o) || o < 0) ||
      offsets[1] < offsets[0]
    ) {
      throw new ArgumentError(`${OP}: tensor '${name}' has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const expected = shapeSize(e.shape) * DTYPE_BYTES[e.dtype]!;
    if (offsets[1] - offsets[0] !== expected) {
      throw new ArgumentError(
        `${OP}: tensor '${name}' spans ${offsets[1] - offsets[0]} bytes but ${e.dtype} ${JSON.stringify(e.shape)} needs ${expected}`,
      );
    }
    entries.push({ name, dtype: e.dtype, shape: e.shape, begin: offsets[0], end: offsets[1] });
  }
  // The tensors must tile the data region exactly.
  const dataLength = bytes.byteLength - 8 - n;
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of sorted) {
    if (e.end > dataLength) {
      throw new ArgumentError(
        `${OP}: tensor '${e.name}' is out of bounds: bytes [${e.begin}, ${e.end}) of a ${dataLength}-byte data region (truncated file?)`,
      );
    }
    if (e.begin < at)
      throw new ArgumentError(
        `${OP}: tensor '${e.name}' overlaps the one before it (offset ${e.begin} < ${at})`,
      );
    if (e.begin > at)
      throw new ArgumentError(`${OP}: a gap of ${e.begin - at} bytes lies before tensor '${e.name}'`);
    at = e.end;
  }
  if (at !== dataLength) {
    throw new ArgumentError(
      `${OP}: ${dataLength - at} bytes after the last tensor are not described by the header`,
    );
  }
  return { entries, metadata, dataStart: 8 + n };
}

/** The tensors of a safetensors file, by name, as float32 Tensors. */
export function loadSafetensors(bytes: Uint8Array): Record<string, Tensor> {
  const { entries, dataStart } = readHeader(bytes);
  const out: Record<string, Tensor> = {};
  for (const e of entries) {
    const slice = bytes.subarray(dataStart + e.begin, dataStart + e.end);
    out[e.name] = new Tensor(decode(e.dtype, slice, shapeSize(e.shape)), e.shape);
  }
  return out;
}

/** The `__metadata__` strings of a safetensors file. */
export function readSafetensorsMetadata(bytes: Uint8Array): Record<string, string> {
  return readHeader(bytes).metadata;
}

export interface SaveSafetensorsOptions {
  /** String metadata stored under `__metadata__`. */
  metadata?: Record<string, string>;
  /** The dtype per key (default F32; I64 for `*num_batches_tracked`). */
  dtypes?: Record<string, SafetensorsDtype>;
}

function encodeHalf(v: number): number {
  const f = new DataView(new ArrayBuffer(4));
  f.setFloat32(0, v, true);
  const x = f.getUint32(0, true);
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  const mant = x & 0x7fffff;
  if (((x >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  if (exp >= 31) return sign | 0x7c00;
  if (exp <= 0) {
    if (exp < -10) return sign;
    const m = (mant | 0x800000) >> (1 - exp);
    return sign | ((m + 0x1000) >> 13);
  }
  return (sign | (exp << 10) | (mant >> 13)) + ((mant >> 12) & 1);
}

/** A safetensors file of the given tensors (keys in the record's order). */
export function saveSafetensors(
  record: Record<string, Tensor>,
  options: SaveSafetensorsOptions = {},
): Uint8Array {
  if (typeof record !== 'object' || record === null) {
    throw new ArgumentError('saveSafetensors: record must be an object of Tensors by name');
  }
  const header: Record<string, unknown> = {};
  if (options.metadata) {
    if (Object.values(options.metadata).some((v) => typeof v !== 'string')) {
      throw new ArgumentError('saveSafetensors: metadata values must be strings');
    }
    header.__metadata__ = options.metadata;
  }
  const parts: { dtype: SafetensorsDtype; values: Float32Array }[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(record)) {
    if (!isTensor(t)) throw new ArgumentError(`saveSafetensors: '${name}' must be a Tensor, got ${typeof t}`);
    if (name === '__metadata__') throw new ArgumentError("saveSafetensors: '__metadata__' is reserved");
    const dtype = options.dtypes?.[name] ?? (name.endsWith('num_batches_tracked') ? 'I64' : 'F32');
    if (!(dtype in DTYPE_BYTES) || !['F32', 'F16', 'BF16', 'F64', 'I64'].includes(dtype)) {
      throw new UnsupportedError(
        `saveSafetensors: dtype '${dtype}' for '${name}'; write F32, F16, BF16, F64 or I64`,
      );
    }
    const size = t.size * DTYPE_BYTES[dtype]!;
    header[name] = { dtype, shape: [...t.shape], data_offsets: [offset, offset + size] };
    parts.push({ dtype, values: t.toFloat32Array() });
    offset += size;
  }
  let json = JSON.stringify(header);
  const encoder = new TextEncoder();
  let headerBytes = encoder.encode(json);
  const padding = (8 - (headerBytes.length % 8)) % 8;
  if (padding) {
    json += ' '.repeat(padding);
    headerBytes = encoder.encode(json);
  }
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const { dtype, values } of parts) {
    for (const v of values) {
      if (dtype === 'F32') view.setFloat32(at, v, true);
      else if (dtype === 'F64') view.setFloat64(at, v, true);
      else if (dtype === 'I64') view.setBigInt64(at, BigInt(Math.round(v)), true);
      else if (dtype === 'F16') view.setUint16(at, encodeHalf(v), true);
      else {
        // BF16: round the float32 to nearest even in its top 16 bits.
        const f = new DataView(new ArrayBuffer(4));
        f.setFloat32(0, v, true);
        const bits = f.getUint32(0, true);
        const rounded = Number.isNaN(v) ? 0x7fc0 : (bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16;
        view.setUint16(at, rounded & 0xffff, true);
      }
      at += DTYPE_BYTES[dtype]!;
    }
  }
  return out;
}
