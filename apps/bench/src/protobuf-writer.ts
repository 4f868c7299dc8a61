/**
 * ProtobufWriter: the few protocol-buffer wire types an ONNX model needs (varint, 32-bit
 * float, length-delimited), written by hand so that the bench can build its single-node
 * models in code without a .proto compiler. Encoding rules:
 * https://protobuf.dev/programming-guides/encoding/ (tag = field << 3 | wire type).
 */

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

const utf8 = new TextEncoder();

export class ProtobufWriter {
  private chunks: Uint8Array[] = [];
  private pending: number[] = [];
  private byteLength = 0;

  /** A varint field (int32, int64, enum, bool). Negative values take ten bytes, as int64 does. */
  varint(field: number, value: number | bigint | boolean): this {
    this.tag(field, WIRE_VARINT);
    this.rawVarint(typeof value === 'boolean' ? (value ? 1 : 0) : value);
    return this;
  }

  /** A 32-bit float field (wire type 5, little-endian). */
  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.push(bytes);
    return this;
  }

  /** A length-delimited field holding raw bytes. */
  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LENGTH_DELIMITED);
    this.rawVarint(value.length);
    this.push(value);
    return this;
  }

  /** A length-delimited field holding a UTF-8 string. */
  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value));
  }

  /** An embedded message. */
  message(field: number, message: ProtobufWriter): this {
    return this.bytes(field, message.finish());
  }

  /** A packed repeated varint field (proto3 default for repeated int64). */
  packedVarints(field: number, values: readonly (number | bigint)[]): this {
    const inner = new ProtobufWriter();
    for (const v of values) inner.rawVarint(v);
    return this.bytes(field, inner.finish());
  }

  /** A packed repeated float field. */
  packedFloats(field: number, values: ArrayLike<number>): this {
    const bytes = new Uint8Array(values.length * 4);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
    return this.bytes(field, bytes);
  }

  /** The encoded bytes so far. */
  finish(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.byteLength);
    let at = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }

  private tag(field: number, wireType: number): void {
    if (!Number.isInteger(field) || field < 1 || field > 536_870_911) {
      throw new RangeError(`ProtobufWriter: field number must be an integer in [1, 2^29 - 1], got ${field}`);
    }
    this.rawVarint(field * 8 + wireType);
  }

  private rawVarint(value: number | bigint): void {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) {
      throw new RangeError(`ProtobufWriter: varint must be a safe integer (or a bigint), got ${value}`);
    }
    // Two's complement over 64 bits, so that negative int64 values encode as protobuf does.
    let v = BigInt.asUintN(64, BigInt(value));
    do {
      const low = Number(v & 0x7fn);
      v >>= 7n;
      this.pending.push(v > 0n ? low | 0x80 : low);
    } while (v > 0n);
  }

  private push(bytes: Uint8Array): void {
    this.flush();
    this.chunks.push(bytes);
    this.byteLength += bytes.length;
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.chunks.push(Uint8Array.from(this.pending));
    this.byteLength += this.pending.length;
    this.pending = [];
  }
}
