import { describe, expect, it } from 'vitest';
import { badBmps, bmpCases } from './bmp-cases.ts';
import { ImageDecodeError } from './decode.ts';
import { decodeImageNode } from './decode-node.ts';

describe('BMP (our decoder, in the CLI)', () => {
  for (const c of bmpCases()) {
    it(`reads ${c.name}`, async () => {
      const img = await decodeImageNode(c.bytes, c.name);
      expect([img.width, img.height]).toEqual([c.width, c.height]);
      expect(Array.from(img.data)).toEqual(c.rgb);
    });
  }

  it('refuses broken and unsupported files with the reason', async () => {
    for (const bad of badBmps()) {
      const e = await decodeImageNode(bad.bytes, bad.name).catch((x: unknown) => x);
      expect(e, bad.name).toBeInstanceOf(ImageDecodeError);
      expect((e as Error).message, bad.name).toMatch(new RegExp(`^${bad.name.replace('.', '\\.')} could not be decoded: `));
      expect((e as Error).message, bad.name).toMatch(bad.reason);
    }
  });
});
