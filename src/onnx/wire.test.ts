import { describe, expect, it } from 'vitest';
import { WireError, WireReader, WireType, WireWriter } from './wire.ts';

function readAll(bytes: Uint8Array): { field: number; value: unknown }[] {
  const r = new WireReader(bytes);
  const out: { field: number; value: unknown }[] = [];
  while (!r.done) {
    const { field, wireType } = r.readTag();
    if (wireType === WireType.VARINT) out.push({ field, value: r.readInt64() });
    else if (wireType === WireType.FIXED32) out.push({ field, value: r.readFixed32Float() });
    else if (wireType === WireType.FIXED64) out.push({ field, value: r.readFixed64Double() });
    else out.push({ field, value: r.readString() });
  }
  return out;
}

describe('varints', () => {
  it('decodes the protobuf spec examples', () => {
    expect(new WireReader(Uint8Array.of(0x01)).readVarint()).toBe(1);
    expect(new WireReader(Uint8Array.of(0x96, 0x01)).readVarint()).toBe(150);
    expect(new WireReader(Uint8Array.of(0xac, 0x02)).readVarint()).toBe(300);
  });

  it('round-trips 64-bit values including negatives and the int64 extremes', () => {
    const values = [0, 1, 127, 128, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 35 + 3, 2 ** 53 - 1, -1, -2, -(2 ** 31), -(2 ** 40) - 7, -(2 ** 53) + 1];
    const w = new WireWriter();
    values.forEach((v, i) => w.int(i + 1, v));
    expect(readAll(w.finish()).map((e) => e.value)).toEqual(values);
  });

  it('writes negatives as ten bytes (two\'s complement) like protoc', () => {
    const bytes = new WireWriter().int(1, -1).finish();
    expect([...bytes]).toEqual([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  });

  it('clamps INT64_MAX (held as 2^63) to the int64 range on write and reads it back as 2^63', () => {
    const bytes = new WireWriter().int(1, 2 ** 63).finish();
    expect([...bytes.subarray(1)]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]);
    expect(readAll(bytes)[0]!.value).toBe(2 ** 63);
  });

  it('reads uint64 above 2^63 as unsigned', () => {
    const w = new WireWriter().uint(1, 2 ** 63 + 2 ** 12);
    const r = new WireReader(w.finish());
    r.readTag();
    expect(r.readVarint()).toBe(2 ** 63 + 2 ** 12);
  });

  it('rejects a varint longer than ten bytes', () => {
    const bytes = new Uint8Array(11).fill(0x80);
    expect(() => new WireReader(bytes).readVarint()).toThrow(/varint longer than 10 bytes at byte 0/);
  });
});

describe('fixed, length-delimited and packed fields', () => {
  it('reads nested messages with absolute positions', () => {
    const inner = new WireWriter().string(1, 'héllo').float(2, 1.5);
    const bytes = new WireWriter().double(9, Math.PI).message(4, inner).finish();
    const r = new WireReader(bytes);
    expect(r.readTag()).toEqual({ field: 9, wireType: WireType.FIXED64 });
    expect(r.readFixed64Double()).toBe(Math.PI);
    r.readTag();
    const sub = r.readMessage();
    expect(sub.pos).toBe(11);
    expect(sub.readTag().field).toBe(1);
    expect(sub.readString()).toBe('héllo');
    expect(sub.readTag().field).toBe(2);
    expect(sub.readFixed32Float()).toBe(1.5);
    expect(sub.done).toBe(true);
    expect(r.done).toBe(true);
  });

  it('reads repeated fields both packed and unpacked', () => {
    const packed = new WireWriter().packedInts(1, [3, -4, 2 ** 40]).packedFloats(2, [0.5, -2]).finish();
    const unpacked = new WireWriter().int(1, 3).int(1, -4).int(1, 2 ** 40).float(2, 0.5).float(2, -2).finish();
    for (const bytes of [packed, unpacked]) {
      const r = new WireReader(bytes);
      const ints: number[] = [];
      const floats: number[] = [];
      while (!r.done) {
        const { field, wireType } = r.readTag();
        if (field === 1) r.readRepeatedInt64(wireType, ints);
        else r.readRepeatedFloat(wireType, floats);
      }
      expect(ints).toEqual([3, -4, 2 ** 40]);
      expect(floats).toEqual([0.5, -2]);
    }
  });

  it('skips unknown fields of every wire type', () => {
    const bytes = new WireWriter().int(5, -9).double(6, 1).float(7, 2).string(8, 'x').string(1, 'kept').finish();
    const r = new WireReader(bytes);
    let kept = '';
    while (!r.done) {
      const { field, wireType } = r.readTag();
      if (field === 1) kept = r.readString();
      else r.skip(wireType);
    }
    expect(kept).toBe('kept');
  });

  it('keeps large byte fields intact across chunk boundaries', () => {
    const big = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) & 0xff);
    const bytes = new WireWriter().string(1, 'a').bytes(2, big).int(3, 1).finish();
    const r = new WireReader(bytes);
    r.readTag();
    r.readString();
    r.readTag();
    expect(Buffer.from(r.readBytes()).equals(Buffer.from(big))).toBe(true);
    expect(r.readTag().field).toBe(3);
  });
});

describe('malformed input', () => {
  it('reports truncation with the absolute byte offset', () => {
    const bytes = new WireWriter().string(1, 'abcdef').finish().subarray(0, 5);
    const r = new WireReader(bytes);
    r.readTag();
    expect(() => r.readBytes()).toThrow(/truncated \(a field of 6 bytes starts here\) at byte 1 of 5/);
  });

  it('reports a truncated varint and a truncated fixed field', () => {
    expect(() => new WireReader(Uint8Array.of(0x96)).readVarint()).toThrow(/truncated at byte 1 of 1/);
    expect(() => new WireReader(Uint8Array.of(1, 2, 3)).readFixed32Float()).toThrow(WireError);
    expect(() => new WireReader(Uint8Array.of(1, 2, 3, 4, 5)).readFixed64Double()).toThrow(/truncated/);
  });

  it('distinguishes a field overrunning its parent message from file truncation', () => {
    // Outer message says 3 bytes; inside, a string claims 5.
    const bytes = Uint8Array.of(0x0a, 0x03, 0x0a, 0x05, 0x61, 0x62, 0x63, 0x64, 0x65);
    const r = new WireReader(bytes);
    r.readTag();
    const sub = r.readMessage();
    sub.readTag();
    expect(() => sub.readBytes()).toThrow(/overruns its enclosing message/);
  });

  it('rejects groups, invalid wire types and field 0', () => {
    expect(() => new WireReader(Uint8Array.of(0x0b)).readTag()).toThrow(/invalid wire type 3/);
    expect(() => new WireReader(Uint8Array.of(0x0e)).readTag()).toThrow(/invalid wire type 6/);
    expect(() => new WireReader(Uint8Array.of(0x00)).readTag()).toThrow(/invalid field number 0/);
  });

  it('rejects a packed float field whose length is not a multiple of 4', () => {
    const r = new WireReader(new WireWriter().bytes(1, Uint8Array.of(1, 2, 3)).finish());
    const { wireType } = r.readTag();
    expect(() => r.readRepeatedFloat(wireType, [])).toThrow(/not a multiple of 4/);
  });
});
