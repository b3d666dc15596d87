import type { NamedFile } from '../worker/api.ts';

/** A picked or dropped File by reference, named by its path inside a picked folder when it has one. */
export function named(file: File, path?: string): NamedFile {
  return { name: path || (file as File & { webkitRelativePath?: string }).webkitRelativePath || file.name, file };
}

export const namedAll = (files: Iterable<File> | null | undefined): NamedFile[] => [...(files ?? [])].map((f) => named(f));

export const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

export const isModelFile = (name: string) => /\.(onnx|onnx_data|json)$/i.test(name) || /\.onnx\.data$/i.test(name);
