/**
 * Protobuf wire format: a bounds-checked reader and a chunked writer.
 * Only what ONNX needs: varints (64-bit values as JS numbers), fixed32/fixed64,
 * length-delimited fields and packed repeated scalars. Groups are rejected.
 */

export const WireType = { VARINT: 0, FIXED64: 1, BYTES: 2, START_GROUP: 3, END_GROUP: 4, FIXED32: 5 } as const;

/** A malformed or truncated buffer; `offset` is the absolute byte offset of the problem. */
export class WireError extends Error {
  override name = 'WireError';
  constructor(readonly reason: string, readonly offset: number, readonly total: number) {
    super(`${reason} at byte ${offset} of ${total}`);
  }
}

const TWO_32 = 4294967296;
const utf8 = new TextDecoder('utf-8');

export interface Tag {
  field: number;
  wireType: number;
}

/**
 * Reads one message from `buf[start, end)`. Nested messages get their own reader over the same
 * buffer so every error reports an absolute offset.
 */
export class WireReader {
  pos: number;

  constructor(readonly buf: Uint8Array, start = 0, readonly end = buf.length) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  fail(reason: string, offset = this.pos): never {
    throw new WireError(reason, offset, this.buf.length);
  }

  private need(n: number): void {
    if (n > this.end - this.pos) {
      // Truncation of the whole buffer and overrun of a nested message's declared length differ.
      this.fail(this.end === this.buf.length ? 'truncated' : 'field overruns its enclosing message', this.end);
    }
  }

  readTag(): Tag {
    const at = this.pos;
    const key = this.readVarint();
    const wireType = key % 8;
    const field = Math.floor(key / 8);
    if (field === 0) this.fail('invalid field number 0', at);
    if (field > 536870911) this.fail(`invalid field number ${field}`, at);
    if (wireType === WireType.START_GROUP || wireType === WireType.END_GROUP || wireType > 5) {
      this.fail(`invalid wire type ${wireType}`, at);
    }
    return { field, wireType };
  }

  /** The raw 64 bits of a varint as unsigned low and high words. */
  private readVarint64Parts(): [number, number] {
    const start = this.pos;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail(this.end === this.buf.length ? 'truncated' : 'field overruns its enclosing message', this.end);
      const b = this.buf[this.pos++]!;
      if (i < 4) lo += (b & 0x7f) * 2 ** (7 * i);
      else if (i === 4) {
        lo += (b & 0x0f) * 2 ** 28;
        hi += (b & 0x7f) >>> 4;
      } else hi += (b & 0x7f) * 2 ** (7 * i - 32);
      if (b < 0x80) return [lo >>> 0, hi >>> 0];
    }
    return this.fail('varint longer than 10 bytes', start);
  }

  /** An unsigned varint (uint64 / enum / length / tag) as a number; exact below 2^53. */
  readVarint(): number {
    const [lo, hi] = this.readVarint64Parts();
    return hi * TWO_32 + lo;
  }

  /** A two's-complement int64 (or int32, which is sign-extended on the wire) as a number. */
  readInt64(): number {
    const [lo, hi] = this.readVarint64Parts();
    return (hi | 0) * TWO_32 + lo;
  }

  readFixed32Float(): number {
    this.need(4);
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }

  readFixed64Double(): number {
    this.need(8);
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0, true);
    this.pos += 8;
    return v;
  }

  /** A length-delimited field's bytes, as a view into the buffer (no copy). */
  readBytes(): Uint8Array {
    const at = this.pos;
    const len = this.readVarint();
    if (len > this.end - this.pos) {
      this.fail(this.end === this.buf.length ? `truncated (a field of ${len} bytes starts here)` : 'field overruns its enclosing message', at);
    }
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  readString(): string {
    return utf8.decode(this.readBytes());
  }

  /** A reader over the next length-delimited field, which is skipped in this reader. */
  readMessage(): WireReader {
    const bytes = this.readBytes();
    const start = bytes.byteOffset - this.buf.byteOffset;
    return new WireReader(this.buf, start, start + bytes.length);
  }

  skip(wireType: number): void {
    switch (wireType) {
      case WireType.VARINT:
        this.readVarint64Parts();
        return;
      case WireType.FIXED64:
        this.need(8);
        this.pos += 8;
        return;
      case WireType.BYTES:
        this.readBytes();
        return;
      case WireType.FIXED32:
        this.need(4);
        this.pos += 4;
        return;
      default:
        this.fail(`cannot skip wire type ${wireType}`);
    }
  }

  /** Appends a repeated varint field's values, packed (BYTES) or one at a time (VARINT). */
  readRepeatedInt64(wireType: number, into: number[], unsigned = false): void {
    if (wireType === WireType.VARINT) {
      into.push(unsigned ? this.readVarint() : this.readInt64());
    } else if (wireType === WireType.BYTES) {
      const sub = this.readMessage();
      while (!sub.done) into.push(unsigned ? sub.readVarint() : sub.readInt64());
    } else this.fail(`wire type ${wireType} where a varint was expected`);
  }

  readRepeatedFloat(wireType: number, into: number[]): void {
    if (wireType === WireType.FIXED32) {
      into.push(this.readFixed32Float());
    } else if (wireType === WireType.BYTES) {
      const sub = this.readMessage();
      if ((sub.end - sub.pos) % 4 !== 0) this.fail('packed float field length is not a multiple of 4', sub.pos);
      while (!sub.done) into.push(sub.readFixed32Float());
    } else this.fail(`wire type ${wireType} where a float was expected`);
  }

  readRepeatedDouble(wireType: number, into: number[]): void {
    if (wireType === WireType.FIXED64) {
      into.push(this.readFixed64Double());
    } else if (wireType === WireType.BYTES) {
      const sub = this.readMessage();
      if ((sub.end - sub.pos) % 8 !== 0) this.fail('packed double field length is not a multiple of 8', sub.pos);
      while (!sub.done) into.push(sub.readFixed64Double());
    } else this.fail(`wire type ${wireType} where a double was expected`);
  }

  /** Throws unless `wireType` is `expected`; `what` names the field in the message. */
  expect(wireType: number, expected: number, what: string): void {
    if (wireType !== expected) this.fail(`${what} has wire type ${wireType}, expected ${expected}`);
  }
}

const utf8Encoder = new TextEncoder();

/**
 * Builds a message as a list of chunks so large byte fields (tensor data) are never copied
 * until `finish()`, and nested messages are spliced in without re-copying.
 */
export class WireWriter {
  private chunks: Uint8Array[] = [];
  private scratch = new Uint8Array(256);
  private used = 0;
  private flushedLength = 0;

  get length(): number {
    return this.flushedLength + this.used;
  }

  private room(n: number): void {
    if (this.used + n <= this.scratch.length) return;
    this.flush();
    if (n > this.scratch.length) this.scratch = new Uint8Array(Math.max(n, 256));
  }

  private flush(): void {
    if (this.used === 0) return;
    this.chunks.push(this.scratch.slice(0, this.used));
    this.flushedLength += this.used;
    this.used = 0;
    // Grow the scratch buffer for messages with many small fields.
    if (this.scratch.length < 65536) this.scratch = new Uint8Array(this.scratch.length * 2);
  }

  private appendChunk(bytes: Uint8Array): void {
    if (bytes.length <= 64) {
      this.room(bytes.length);
      this.scratch.set(bytes, this.used);
      this.used += bytes.length;
      return;
    }
    this.flush();
    this.chunks.push(bytes);
    this.flushedLength += bytes.length;
  }

  /** Unsigned varint of a non-negative integer up to 2^64 - 1 (exact below 2^53). */
  private varintUnsigned(v: number): void {
    this.room(10);
    let lo = v % TWO_32;
    let hi = Math.floor(v / TWO_32);
    while (hi > 0 || lo > 0x7f) {
      this.scratch[this.used++] = (lo & 0x7f) | 0x80;
      lo = (lo >>> 7) | ((hi & 0x7f) << 25);
      lo >>>= 0;
      hi = Math.floor(hi / 128);
    }
    this.scratch[this.used++] = lo;
  }

  /** A signed int64 varint: negatives take ten bytes (two's complement); clamps to the int64 range. */
  private varintSigned(v: number): void {
    if (!Number.isFinite(v)) throw new Error(`cannot encode ${v} as an integer`);
    v = Math.trunc(v);
    if (v >= 2 ** 63) {
      this.varintBig(2n ** 63n - 1n);
    } else if (v >= 0) {
      this.varintUnsigned(v);
    } else if (v < -(2 ** 63)) {
      this.varintBig(2n ** 64n - 2n ** 63n);
    } else {
      this.varintBig(BigInt.asUintN(64, BigInt(v)));
    }
  }

  private varintBig(v: bigint): void {
    this.room(10);
    while (v > 0x7fn) {
      this.scratch[this.used++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.scratch[this.used++] = Number(v);
  }

  tag(field: number, wireType: number): this {
    this.varintUnsigned(field * 8 + wireType);
    return this;
  }

  /** int64 / int32 / enum / bool field. */
  int(field: number, v: number): this {
    this.tag(field, WireType.VARINT);
    this.varintSigned(v);
    return this;
  }

  /** uint64 field. */
  uint(field: number, v: number): this {
    this.tag(field, WireType.VARINT);
    if (v < 0 || !Number.isFinite(v)) throw new Error(`cannot encode ${v} as an unsigned integer`);
    this.varintUnsigned(Math.min(Math.trunc(v), 2 ** 64 - 1));
    return this;
  }

  float(field: number, v: number): this {
    this.tag(field, WireType.FIXED32);
    this.room(4);
    new DataView(this.scratch.buffer, this.used, 4).setFloat32(0, v, true);
    this.used += 4;
    return this;
  }

  double(field: number, v: number): this {
    this.tag(field, WireType.FIXED64);
    this.room(8);
    new DataView(this.scratch.buffer, this.used, 8).setFloat64(0, v, true);
    this.used += 8;
    return this;
  }

  bytes(field: number, bytes: Uint8Array): this {
    this.tag(field, WireType.BYTES);
    this.varintUnsigned(bytes.length);
    this.appendChunk(bytes);
    return this;
  }

  /** Bytes that are already encoded fields (copied from another message as they are). */
  raw(bytes: Uint8Array): this {
    this.appendChunk(bytes);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, utf8Encoder.encode(s));
  }

  message(field: number, child: WireWriter): this {
    this.tag(field, WireType.BYTES);
    this.varintUnsigned(child.length);
    child.flush();
    this.flush();
    for (const c of child.chunks) this.chunks.push(c);
    this.flushedLength += child.flushedLength;
    return this;
  }

  packedInts(field: number, values: ArrayLike<number>): this {
    const inner = new WireWriter();
    for (let i = 0; i < values.length; i++) inner.varintSigned(values[i]!);
    return this.message(field, inner);
  }

  packedFloats(field: number, values: ArrayLike<number>): this {
    const bytes = new Uint8Array(values.length * 4);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
    return this.bytes(field, bytes);
  }

  finish(): Uint8Array {
    this.flush();
    if (this.chunks.length === 1) return this.chunks[0]!;
    const out = new Uint8Array(this.flushedLength);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}
