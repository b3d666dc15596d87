/** Reading a model, its external data and the preprocessor_config.json beside it, from disk. */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, isAbsolute } from 'node:path';
import { preprocessorFromConfig, PreprocessorConfigError, type PreprocessOptions } from '../src/data/preprocess.ts';
import { checkRange, type ByteSource } from '../src/onnx/byte-source.ts';
import { decodeModelSource } from '../src/onnx/decode-source.ts';
import type { Model } from '../src/onnx/ir.ts';
import { validateModel } from '../src/onnx/validate.ts';
import { CliFileError } from './errors.ts';

export interface LoadedModel {
  path: string;
  fileName: string;
  model: Model;
}

/** The size of a file the user named, with the usual mistakes spelled out. */
function userFileSize(path: string, what: string): number {
  let size: number;
  try {
    const info = statSync(path);
    if (info.isDirectory()) throw new CliFileError(`${what} ${path} is a folder, not a file`);
    size = info.size;
  } catch (e) {
    if (e instanceof CliFileError) throw e;
    const code = (e as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new CliFileError(`${what} ${path} does not exist`);
    if (code === 'EACCES') throw new CliFileError(`${what} ${path} cannot be read (permission denied)`);
    throw e;
  }
  if (size === 0) throw new CliFileError(`${what} ${path} is empty (0 bytes)`);
  return size;
}

/** The bytes of a file the user named, with the usual mistakes spelled out. */
export function readUserFile(path: string, what: string): Uint8Array {
  userFileSize(path, what);
  return new Uint8Array(readFileSync(path));
}

/**
 * A file read piece by piece as it is needed (a model's large tensors, when they are used). The
 * descriptor stays open for the life of the process, so reads see the file that was opened.
 */
export function fileSource(path: string, name = basename(path)): ByteSource {
  const fd = openSync(path, 'r');
  const size = statSync(path).size;
  return {
    name,
    size,
    read(offset, length) {
      checkRange(name, size, offset, length);
      const out = new Uint8Array(length);
      let at = 0;
      while (at < length) {
        const n = readSync(fd, out, at, length - at, offset + at);
        if (n === 0) throw new RangeError(`${name}: the file ended at byte ${offset + at}, before the ${size} bytes it had when it was opened`);
        at += n;
      }
      return out;
    },
    readInto(offset, target) {
      checkRange(name, size, offset, target.length);
      let at = 0;
      while (at < target.length) {
        const n = readSync(fd, target, at, target.length - at, offset + at);
        if (n === 0) throw new RangeError(`${name}: the file ended at byte ${offset + at}, before the ${size} bytes it had when it was opened`);
        at += n;
      }
    },
  };
}

/** SHA-256 of a file the user named, read a piece at a time (a model may not fit in memory twice). */
export function hashUserFile(path: string, what: string): { sha256: string; bytes: number } {
  const size = userFileSize(path, what);
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const chunk = new Uint8Array(1 << 22);
    for (let at = 0; at < size; ) {
      const n = readSync(fd, chunk, 0, Math.min(chunk.length, size - at), at);
      if (n === 0) break;
      hash.update(chunk.subarray(0, n));
      at += n;
    }
  } finally {
    closeSync(fd);
  }
  return { sha256: hash.digest('hex'), bytes: size };
}

/** External data is looked up beside the model and only there (no "../" escapes); it is read when used. */
function externalDataReader(modelPath: string): (location: string) => ByteSource | undefined {
  const dir = dirname(resolve(modelPath));
  const cache = new Map<string, ByteSource | undefined>();
  return (location) => {
    if (!cache.has(location)) {
      const path = resolve(dir, location);
      const rel = relative(dir, path);
      const inside = rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
      let source: ByteSource | undefined;
      if (inside) {
        try {
          source = statSync(path).isFile() ? fileSource(path, location) : undefined;
        } catch {
          source = undefined;
        }
      }
      cache.set(location, source);
    }
    return cache.get(location);
  };
}

/**
 * Decodes and validates MODEL.onnx (plus <model>.onnx_data etc. when the model refers to them).
 * Only the structure is read now; large tensors are read from the files when they are used.
 */
export function loadModel(path: string): LoadedModel {
  userFileSize(path, 'model file');
  const fileName = basename(path);
  const model = decodeModelSource(fileSource(path, fileName), { externalData: externalDataReader(path) });
  validateModel(model, fileName);
  return { path, fileName, model };
}

/**
 * preprocessor_config.json beside the model, or one folder up for the transformers.js layout
 * (onnx/model.onnx next to ../preprocessor_config.json); null when there is none.
 */
export function findPreprocessorConfig(modelPath: string): { path: string; options: PreprocessOptions } | null {
  const dir = dirname(resolve(modelPath));
  const candidates = [join(dir, 'preprocessor_config.json')];
  if (basename(dir) === 'onnx') candidates.push(join(dirname(dir), 'preprocessor_config.json'));
  for (const path of candidates) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      continue;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new PreprocessorConfigError(`${path} is not valid JSON: ${(e as Error).message}`);
    }
    return { path, options: preprocessorFromConfig(json, path) };
  }
  return null;
}
