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
