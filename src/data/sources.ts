/** FileSource adapters that work in the browser and in Node: File objects and zip archives. */
import { unzipSync } from 'fflate';
import { DatasetError, isImageName, type FileSource } from './dataset.ts';

/** Browser File objects (from an <input> or a drop); folders keep their relative paths. */
export function filesFromFileList(files: Iterable<File>): FileSource[] {
  return [...files].map((file) => ({
    name: (file as File & { webkitRelativePath?: string }).webkitRelativePath || file.name,
    read: async () => new Uint8Array(await file.arrayBuffer()),
  }));
}

/** The image entries of a zip archive (others are not even decompressed). */
export function filesFromZip(bytes: Uint8Array, zipName = 'archive.zip'): FileSource[] {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes, { filter: (entry) => !entry.name.endsWith('/') && isImageName(entry.name) });
  } catch (e) {
    throw new DatasetError(`${zipName} is not a readable zip archive: ${e instanceof Error ? e.message : String(e)}`);
  }
  return Object.entries(entries).map(([name, data]) => ({ name, read: async () => data }));
}
