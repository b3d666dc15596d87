/**
 * Image sets over an abstract file source, shared by the browser (File objects, zips) and Node
 * (fs). Names are '/'-separated relative paths ("real/face_001.jpg").
 */

export interface FileSource {
  name: string;
  read(): Promise<Uint8Array>;
}

export class DatasetError extends Error {
  override name = 'DatasetError';
}

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.bmp', '.gif'] as const;

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Hidden files and folders (".DS_Store", ".git/…") and macOS zip metadata ("__MACOSX/…"). */
export function isHiddenPath(path: string): boolean {
  return path.split('/').some((part) => part.startsWith('.') || part === '__MACOSX');
}

export function isImageName(path: string): boolean {
  const lower = baseName(path).toLowerCase();
  return !isHiddenPath(path) && IMAGE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** Code-unit order, the same everywhere (localeCompare depends on the machine's locale). */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The image files, sorted by name; `where` names the folder or archive in the error. */
export function listImages(files: readonly FileSource[], where: string): FileSource[] {
  const images = files.filter((f) => isImageName(f.name)).sort((a, b) => compareNames(a.name, b.name));
  if (images.length === 0) {
    throw new DatasetError(`no images in ${where} (looked for ${IMAGE_EXTENSIONS.join(', ')} files)`);
  }
  return images;
}

export interface LabelledImage {
  file: FileSource;
  /** The class index the image belongs to. */
  label: number;
  isFake: boolean;
}

export interface LabelledSet {
  images: LabelledImage[];
  real: number;
  fake: number;
}

/**
 * Images labelled by their parent folder, "real" or "fake" (any case, at any depth, e.g.
 * "faces/real/a.png"). Fake images get class `fakeIndex` (default 1), real ones the other of 0/1.
 * Sorted by path; both classes must be present.
 */
export function labelledSet(files: readonly FileSource[], where: string, fakeIndex = 1): LabelledSet {
  if (fakeIndex !== 0 && fakeIndex !== 1) throw new DatasetError(`the fake class index must be 0 or 1, got ${fakeIndex}`);
  const images: LabelledImage[] = [];
  for (const file of listImages(files, where)) {
    const parts = file.name.split('/');
    const folder = parts.length > 1 ? parts[parts.length - 2]!.toLowerCase() : '';
    if (folder !== 'real' && folder !== 'fake') continue;
    const isFake = folder === 'fake';
    images.push({ file, isFake, label: isFake ? fakeIndex : 1 - fakeIndex });
  }
  const fake = images.filter((i) => i.isFake).length;
  const real = images.length - fake;
  if (real === 0 || fake === 0) {
    throw new DatasetError(`${where} needs images in both real/ and fake/ folders; found ${real} real and ${fake} fake`);
  }
  return { images, real, fake };
}
