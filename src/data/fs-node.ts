/** Node fs → FileSource. Not for browser bundles. */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DatasetError, isHiddenPath, type FileSource } from './dataset.ts';

/** Files in `dir` (recursively when asked), named by their '/'-separated path relative to it. */
export async function filesFromDirectory(dir: string, options: { recursive?: boolean } = {}): Promise<FileSource[]> {
  let info;
  try {
    info = await stat(dir);
  } catch {
    throw new DatasetError(`image folder ${dir} does not exist`);
  }
  if (!info.isDirectory()) throw new DatasetError(`${dir} is not a folder`);
  const out: FileSource[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(join(dir, rel), { withFileTypes: true });
    for (const entry of entries) {
      const name = rel ? `${rel}/${entry.name}` : entry.name;
      if (isHiddenPath(name)) continue;
      const path = join(dir, name);
      // Symbolic links count as what they point to; dangling ones are skipped.
      const target = entry.isSymbolicLink() ? await stat(path).catch(() => null) : entry;
      if (!target) continue;
      if (target.isDirectory()) {
        if (options.recursive) await walk(name);
      } else if (target.isFile()) {
        out.push({ name, read: async () => new Uint8Array(await readFile(path)) });
      }
    }
  };
  await walk('');
  return out;
}
