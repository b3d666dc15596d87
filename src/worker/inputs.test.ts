import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { labelledSet } from '../data/dataset.ts';
import { sourcesOf } from './inputs.ts';

const blob = (bytes: Uint8Array) => new Blob([bytes.slice()]);
const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);

describe('sourcesOf', () => {
  it('reads plain files by reference and expands zips under their own name', async () => {
    const zip = zipSync({ 'real/a.png': png, 'fake/b.png': png, 'notes.txt': new Uint8Array([1]) });
    const sources = await sourcesOf([
      { name: 'eval.zip', file: blob(zip) },
      { name: 'more/fake/c.png', file: blob(png) },
    ]);
    expect(sources.map((s) => s.name).sort()).toEqual(['eval/fake/b.png', 'eval/real/a.png', 'more/fake/c.png']);
    expect(await sources.find((s) => s.name === 'more/fake/c.png')!.read()).toEqual(png);
    const set = labelledSet(sources, 'the evaluation set');
    expect([set.real, set.fake]).toEqual([1, 2]);
  });

  it('names a zip that does not unpack', async () => {
    await expect(sourcesOf([{ name: 'broken.zip', file: blob(new Uint8Array([1, 2, 3])) }])).rejects.toThrow(/broken\.zip is not a readable zip archive/);
  });
});
