import { zipSync } from 'fflate';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetError, labelledSet, listImages, type FileSource } from './dataset.ts';
import { filesFromDirectory } from './fs-node.ts';
import { filesFromFileList, filesFromZip } from './sources.ts';

const source = (name: string, text = name): FileSource => ({ name, read: async () => new TextEncoder().encode(text) });
const names = (files: { name: string }[]) => files.map((f) => f.name);

describe('listImages', () => {
  it('keeps image extensions, skips hidden files, sorts by code unit', () => {
    const files = ['b.PNG', 'a.jpg', '.hidden.png', 'notes.txt', 'B.jpeg', 'c.webp', 'd.bmp', 'e.gif', '.git/x.png', '__MACOSX/a.jpg'].map((n) => source(n));
    expect(names(listImages(files, 'dir'))).toEqual(['B.jpeg', 'a.jpg', 'b.PNG', 'c.webp', 'd.bmp', 'e.gif']);
  });

  it('names the place when there are no images', () => {
    expect(() => listImages([source('readme.md')], 'photos/')).toThrow(new DatasetError('no images in photos/ (looked for .jpg, .jpeg, .png, .webp, .bmp, .gif files)'));
  });
});

describe('labelledSet', () => {
  const files = ['set/real/r2.png', 'set/fake/f1.jpg', 'set/real/r1.png', 'set/other/o.png', 'Fake/f0.png'].map((n) => source(n));

  it('labels by parent folder with the fake class at index 1 by default', () => {
    const set = labelledSet(files, 'set');
    expect(set.images.map((i) => [i.file.name, i.label, i.isFake])).toEqual([
      ['Fake/f0.png', 1, true],
      ['set/fake/f1.jpg', 1, true],
      ['set/real/r1.png', 0, false],
      ['set/real/r2.png', 0, false],
    ]);
    expect([set.real, set.fake]).toEqual([2, 2]);
  });

  it('moves the fake class to index 0 when asked', () => {
    expect(labelledSet(files, 'set', 0).images.map((i) => i.label)).toEqual([0, 0, 1, 1]);
  });

  it('needs both classes', () => {
    expect(() => labelledSet([source('real/a.png')], 'faces')).toThrow('faces needs images in both real/ and fake/ folders; found 1 real and 0 fake');
  });
});

describe('sources', () => {
  it('reads image entries from a zip, at any depth, and nothing else', async () => {
    const zip = zipSync({ 'faces/real/a.png': new Uint8Array([1, 2]), 'faces/fake/b.jpg': new Uint8Array([3]), 'faces/notes.txt': new Uint8Array([9]) });
    const files = filesFromZip(zip, 'faces.zip');
    expect(names(files).sort()).toEqual(['faces/fake/b.jpg', 'faces/real/a.png']);
    const a = files.find((f) => f.name === 'faces/real/a.png')!;
    expect(Array.from(await a.read())).toEqual([1, 2]);
    expect(labelledSet(files, 'faces.zip').fake).toBe(1);
  });

  it('rejects a file that is not a zip, naming it', () => {
    expect(() => filesFromZip(new TextEncoder().encode('not a zip at all'), 'x.zip')).toThrow(/^x\.zip is not a readable zip archive/);
  });

  it('reads File objects, keeping folder paths when present', async () => {
    const file = new File([new Uint8Array([5, 6])], 'a.png');
    const [f] = filesFromFileList([file]);
    expect(f!.name).toBe('a.png');
    expect(Array.from(await f!.read())).toEqual([5, 6]);
  });

  it('lists a folder (recursively on request) with relative names', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'data-'));
    await mkdir(join(dir, 'real'));
    await mkdir(join(dir, '.cache'));
    await writeFile(join(dir, 'top.png'), 'x');
    await writeFile(join(dir, 'real', 'r.png'), 'y');
    await writeFile(join(dir, '.cache', 'c.png'), 'z');
    expect(names(await filesFromDirectory(dir))).toEqual(['top.png']);
    const all = await filesFromDirectory(dir, { recursive: true });
    expect(names(all).sort()).toEqual(['real/r.png', 'top.png']);
    expect(new TextDecoder().decode(await all.find((f) => f.name === 'real/r.png')!.read())).toBe('y');
    await expect(filesFromDirectory(join(dir, 'missing'))).rejects.toThrow(/does not exist/);
    await expect(filesFromDirectory(join(dir, 'top.png'))).rejects.toThrow(/is not a folder/);
  });
});
