/** The worker's side of the files the UI hands over: read on demand, zips expanded with fflate. */
import type { FileSource } from '../data/dataset.ts';
import { filesFromZip } from '../data/sources.ts';
import type { NamedFile } from './api.ts';

export async function readBytes(f: NamedFile): Promise<Uint8Array> {
  return new Uint8Array(await f.file.arrayBuffer());
}

const isZip = (name: string) => name.toLowerCase().endsWith('.zip');

/**
 * Every file as a FileSource; a zip becomes its image entries, named "<zip>/<entry path>" so a
 * zip of real/ and fake/ folders keeps its labels and two zips never collide.
 */
export async function sourcesOf(files: readonly NamedFile[]): Promise<FileSource[]> {
  const out: FileSource[] = [];
  for (const f of files) {
    if (isZip(f.name)) {
      const stem = f.name.replace(/\.zip$/i, '');
      for (const entry of filesFromZip(await readBytes(f), f.name)) out.push({ name: `${stem}/${entry.name}`, read: entry.read });
    } else {
      out.push({ name: f.name, read: () => readBytes(f) });
    }
  }
  return out;
}

/** Class names by index from a Hugging Face config.json's id2label, or null. */
export function labelsFromConfig(json: unknown): string[] | null {
  const id2label = (json as { id2label?: Record<string, unknown> } | null)?.id2label;
  if (!id2label || typeof id2label !== 'object') return null;
  const labels: string[] = [];
  for (const [k, v] of Object.entries(id2label)) {
    const i = Number(k);
    if (!Number.isInteger(i) || i < 0 || i > 1000 || typeof v !== 'string') return null;
    labels[i] = v;
  }
  // Array.every skips holes, so count what is there instead.
  return labels.length > 0 && Object.keys(labels).length === labels.length ? labels : null;
}
