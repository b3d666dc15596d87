/**
 * Random access to the bytes of a model file that need not be in memory: a big model is decoded
 * from its structure alone, and each large tensor reads its bytes when it is used (lazy-tensor.ts).
 * Reads are synchronous so tensor values stay plain typed arrays: `fs.readSync` in Node,
 * `FileReaderSync` in a worker, or a buffer already in memory.
 */
export interface ByteSource {
  /** Used in messages ("model.onnx", "model.onnx_data"). */
  readonly name: string;
  readonly size: number;
  /** Bytes [offset, offset + length): a fresh array the caller may keep. */
  read(offset: number, length: number): Uint8Array;
  /** Fills `target` with the bytes from `offset` on, without allocating (when the source can). */
  readInto?(offset: number, target: Uint8Array): void;
}

export function isByteSource(value: unknown): value is ByteSource {
  return typeof value === 'object' && value !== null && !ArrayBuffer.isView(value) && typeof (value as ByteSource).read === 'function';
}

/** A source over bytes already in memory (tests, small files). */
export function memorySource(bytes: Uint8Array, name = 'model.onnx'): ByteSource {
  return {
    name,
    size: bytes.length,
    read(offset, length) {
      checkRange(name, bytes.length, offset, length);
      return bytes.slice(offset, offset + length);
    },
  };
}

export function checkRange(name: string, size: number, offset: number, length: number): void {
  if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > size) {
    throw new RangeError(`${name}: bytes ${offset}..${offset + length} are outside the file (${size} bytes); was it changed or truncated after it was opened?`);
  }
}
