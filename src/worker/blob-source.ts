import type { ByteSource } from '../onnx/byte-source.ts';
import { checkRange } from '../onnx/byte-source.ts';

/**
 * A file the user dropped, read a piece at a time as the model needs it (FileReaderSync, which
 * dedicated workers have): the worker never holds the whole of a large model.
 */
export function blobSource(blob: Blob, name: string): ByteSource {
  const reader = new FileReaderSync();
  return {
    name,
    size: blob.size,
    read(offset, length) {
      checkRange(name, blob.size, offset, length);
      return new Uint8Array(reader.readAsArrayBuffer(blob.slice(offset, offset + length)));
    },
  };
}
