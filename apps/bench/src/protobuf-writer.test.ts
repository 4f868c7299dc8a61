import { describe, expect, it } from 'vitest';
import { ProtobufWriter } from './protobuf-writer';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('ProtobufWriter', () => {
  it('encodes varints as the protobuf guide does (field 1 = 150 -> 08 96 01)', () => {
    expect(hex(new ProtobufWriter().varint(1, 150).finish())).toBe('089601');
    expect(hex(new ProtobufWriter().varint(2, 0).finish())).toBe('1000');
    expect(hex(new ProtobufWriter().varint(1, true).finish())).toBe('0801');
  });

  it('encodes large and negative int64 values in two-complement, ten bytes for negatives', () => {
    expect(hex(new ProtobufWriter().varint(1, 2 ** 35).finish())).toBe('08808080808001');
    expect(hex(new ProtobufWriter().varint(1, -1).finish())).toBe('08ffffffffffffffffff01');
    expect(hex(new ProtobufWriter().varint(1, 2n ** 63n).finish())).toBe('0880808080808080808001');
  });

  it('encodes strings, bytes and embedded messages length-delimited', () => {
    expect(hex(new ProtobufWriter().string(2, 'testing').finish())).toBe('120774657374696e67');
    const inner = new ProtobufWriter().varint(1, 150);
    expect(hex(new ProtobufWriter().message(3, inner).finish())).toBe('1a03089601');
    expect(hex(new ProtobufWriter().bytes(4, new Uint8Array([1, 2])).finish())).toBe('22020102');
  });

  it('encodes packed repeated fields and little-endian floats', () => {
    expect(hex(new ProtobufWriter().packedVarints(4, [3, 270, 86942]).finish())).toBe('2206038e029ea705');
    expect(hex(new ProtobufWriter().float(1, 1).finish())).toBe('0d0000803f');
    expect(hex(new ProtobufWriter().packedFloats(5, [1, -2]).finish())).toBe('2a080000803f000000c0');
  });

  it('keeps fields in the order they were written', () => {
    const bytes = new ProtobufWriter().varint(1, 1).string(2, 'a').varint(3, 2).finish();
    expect(hex(bytes)).toBe('080112016118' + '02');
  });

  it('refuses field numbers and varints protobuf cannot hold', () => {
    expect(() => new ProtobufWriter().varint(0, 1)).toThrow(
      /field number must be an integer in \[1, 2\^29 - 1\], got 0/,
    );
    expect(() => new ProtobufWriter().varint(1, 0.5)).toThrow(
      /varint must be a safe integer \(or a bigint\), got 0.5/,
    );
    expect(() => new ProtobufWriter().varint(1, 2 ** 60)).toThrow(/safe integer/);
  });
});
