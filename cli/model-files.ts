/** Reading a model, its external data and the preprocessor_config.json beside it, from disk. */
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, isAbsolute } from 'node:path';
import { preprocessorFromConfig, PreprocessorConfigError, type PreprocessOptions } from '../src/data/preprocess.ts';
import { decodeModel } from '../src/onnx/decode.ts';
import type { Model } from '../src/onnx/ir.ts';
import { validateModel } from '../src/onnx/validate.ts';
import { CliFileError } from './errors.ts';

export interface LoadedModel {
  path: string;
  fileName: string;
  model: Model;
}

/** The bytes of a file the user named, with the usual mistakes spelled out. */
export function readUserFile(path: string, what: string): Uint8Array {
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
  return new Uint8Array(readFileSync(path));
}

/** External data is looked up beside the model and only there (no "../" escapes). */
function externalDataReader(modelPath: string): (location: string) => Uint8Array | undefined {
  const dir = dirname(resolve(modelPath));
  const cache = new Map<string, Uint8Array | undefined>();
  return (location) => {
    if (!cache.has(location)) {
      const path = resolve(dir, location);
      const rel = relative(dir, path);
      const inside = rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
      let bytes: Uint8Array | undefined;
      if (inside) {
        try {
          bytes = new Uint8Array(readFileSync(path));
        } catch {
          bytes = undefined;
        }
      }
      cache.set(location, bytes);
    }
    return cache.get(location);
  };
}

/** Reads, decodes and validates MODEL.onnx (plus <model>.onnx_data etc. when the model refers to them). */
export function loadModel(path: string): LoadedModel {
  const bytes = readUserFile(path, 'model file');
  const fileName = basename(path);
  const model = decodeModel(bytes, { fileName, externalData: externalDataReader(path) });
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
