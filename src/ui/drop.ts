/** Files from a drop, folders included (walked with the File System entries API, paths kept). */
import type { NamedFile } from '../worker/api.ts';
import { named } from '../store/files.ts';

const fileOf = (entry: FileSystemFileEntry) => new Promise<File>((resolve, reject) => entry.file(resolve, reject));

async function entriesOf(dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = dir.createReader();
  const all: FileSystemEntry[] = [];
  // readEntries hands out at most ~100 entries per call.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

async function walk(entry: FileSystemEntry, out: NamedFile[]): Promise<void> {
  if (entry.isFile) {
    out.push(named(await fileOf(entry as FileSystemFileEntry), entry.fullPath.replace(/^\//, '')));
  } else if (entry.isDirectory) {
    for (const child of await entriesOf(entry as FileSystemDirectoryEntry)) await walk(child, out);
  }
}

export async function droppedFiles(data: DataTransfer): Promise<NamedFile[]> {
  const entries = [...data.items].map((i) => i.webkitGetAsEntry?.()).filter((e): e is FileSystemEntry => !!e);
  if (entries.length === 0) return [...data.files].map((f) => named(f));
  const out: NamedFile[] = [];
  for (const e of entries) await walk(e, out);
  return out;
}
