/**
 * Decoding a model that is too big to hold twice: only its structure is read into memory.
 *
 * The file is walked as protobuf (ModelProto → graph → initializers) through a ByteSource. Every
 * field is copied as it is into a small skeleton model, except the raw_data of large initializers,
 * which becomes an external-data reference to its own place in the file. The skeleton is then
 * decoded by decodeModel as any model with external data, and those tensors read their bytes
 * lazily (lazy-tensor.ts). Every check decodeModel makes still applies, with the same messages.
 */
import type { ByteSource } from './byte-source.ts';
import { decodeModel, notOnnx, type DecodeOptions } from './decode.ts';
import { OnnxFormatError, type Model } from './ir.ts';
import { WireError, WireType, WireWriter } from './wire.ts';

/** raw_data at least this long stays in the file until it is used. */
export const LAZY_MIN_BYTES = 64 * 1024;

/** The location name that stands for the model file itself; not a valid file name anywhere. */
const SELF = '\u0000model';

const MODEL_GRAPH = 7;
const GRAPH_INITIALIZER = 5;
const TENSOR_RAW_DATA = 9;
const TENSOR_EXTERNAL_DATA = 13;
const TENSOR_DATA_LOCATION = 14;

export interface SourceDecodeOptions extends Omit<DecodeOptions, 'fileName'> {
  /** raw_data of at least this many bytes is read lazily (default LAZY_MIN_BYTES). */
  lazyFrom?: number;
}

/** Decodes `source` with large initializers left in the file, read when used. */
export function decodeModelSource(source: ByteSource, options: SourceDecodeOptions = {}): Model {
  const lazyFrom = options.lazyFrom ?? LAZY_MIN_BYTES;
  if (source.size === 0) throw new OnnxFormatError(`${source.name} is empty (0 bytes), not an ONNX model`);
  let skeleton: Uint8Array;
  try {
    skeleton = new Skeleton(source, lazyFrom).model();
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    throw new OnnxFormatError(notOnnx(source.name, source.read(0, Math.min(source.size, 512)), e.message));
  }
  const externalData = (location: string) => (location === SELF ? source : options.externalData?.(location));
  return decodeModel(skeleton, { fileName: source.name, externalData });
}

interface Field {
  field: number;
  wireType: number;
  /** Where the tag starts, where the payload starts and where the field ends (absolute offsets). */
  start: number;
  payload: number;
  end: number;
}

/** Walks the fields of one message in the source, a window of bytes at a time. */
class Skeleton {
  private window: Uint8Array = new Uint8Array(0);
  private windowAt = 0;

  constructor(
    private readonly source: ByteSource,
    private readonly lazyFrom: number,
  ) {}

  model(): Uint8Array {
    const out = new WireWriter();
    for (const f of this.fields(0, this.source.size)) {
      if (f.field === MODEL_GRAPH && f.wireType === WireType.BYTES) out.message(MODEL_GRAPH, this.graph(f));
      else out.raw(this.bytes(f.start, f.end));
    }
    return out.finish();
  }

  private graph(g: Field): WireWriter {
    const out = new WireWriter();
    for (const f of this.fields(g.payload, g.end)) {
      if (f.field === GRAPH_INITIALIZER && f.wireType === WireType.BYTES && f.end - f.payload >= this.lazyFrom) out.message(GRAPH_INITIALIZER, this.tensor(f));
      else out.raw(this.bytes(f.start, f.end));
    }
    return out;
  }

  /** The tensor with its raw_data replaced by a reference to where it lies in the file. */
  private tensor(t: Field): WireWriter {
    const out = new WireWriter();
    let raw: Field | undefined;
    for (const f of this.fields(t.payload, t.end)) {
      if (f.field === TENSOR_RAW_DATA && f.wireType === WireType.BYTES && f.end - f.payload >= this.lazyFrom) raw = f;
      else out.raw(this.bytes(f.start, f.end));
    }
    if (raw) {
      const entry = (key: string, value: string) => new WireWriter().string(1, key).string(2, value);
      out.message(TENSOR_EXTERNAL_DATA, entry('location', SELF));
      out.message(TENSOR_EXTERNAL_DATA, entry('offset', String(raw.payload)));
      out.message(TENSOR_EXTERNAL_DATA, entry('length', String(raw.end - raw.payload)));
      out.int(TENSOR_DATA_LOCATION, 1);
    }
    return out;
  }

  private *fields(start: number, end: number): Generator<Field> {
    let pos = start;
    while (pos < end) {
      const tagAt = pos;
      const [key, afterTag] = this.varint(pos, end);
      const wireType = key % 8;
      const field = Math.floor(key / 8);
      if (field === 0) throw new WireError('invalid field number 0', tagAt, this.source.size);
      let payload = afterTag;
      let next: number;
      switch (wireType) {
        case WireType.VARINT:
          next = this.varint(afterTag, end)[1];
          break;
        case WireType.FIXED64:
          next = afterTag + 8;
          break;
        case WireType.FIXED32:
          next = afterTag + 4;
          break;
        case WireType.BYTES: {
          const [length, at] = this.varint(afterTag, end);
          payload = at;
          next = at + length;
          break;
        }
        default:
          throw new WireError(`invalid wire type ${wireType}`, tagAt, this.source.size);
      }
      if (next > end) throw new WireError(end === this.source.size ? 'truncated' : 'field overruns its enclosing message', tagAt, this.source.size);
      yield { field, wireType, start: tagAt, payload, end: next };
      pos = next;
    }
  }

  /** An unsigned varint at `pos` and the offset after it. */
  private varint(pos: number, end: number): [number, number] {
    let value = 0;
    for (let i = 0; i < 10; i++) {
      if (pos + i >= end) throw new WireError(end === this.source.size ? 'truncated' : 'field overruns its enclosing message', end, this.source.size);
      const b = this.byteAt(pos + i);
      value += (b & 0x7f) * 2 ** (7 * i);
      if (b < 0x80) return [value, pos + i + 1];
    }
    throw new WireError('varint longer than 10 bytes', pos, this.source.size);
  }

  private byteAt(at: number): number {
    if (at < this.windowAt || at >= this.windowAt + this.window.length) {
      this.windowAt = at;
      this.window = this.source.read(at, Math.min(WINDOW, this.source.size - at));
    }
    return this.window[at - this.windowAt]!;
  }

  private bytes(start: number, end: number): Uint8Array {
    // A copy, so the skeleton does not keep every window it took a few bytes from.
    if (start >= this.windowAt && end <= this.windowAt + this.window.length) return this.window.slice(start - this.windowAt, end - this.windowAt);
    return this.source.read(start, end - start);
  }
}

const WINDOW = 1 << 16;
