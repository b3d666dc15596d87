/**
 * Browser image decoding with createImageBitmap + OffscreenCanvas (works in workers).
 * Colour profiles are ignored (colorSpaceConversion 'none'), as PIL does. Canvas pixels are stored
 * premultiplied, so fully transparent pixels come back black here while the Node decoder keeps
 * their colour; partially transparent ones may differ by rounding.
 */
import { checkDimensions, checkImageBytes, ImageDecodeError, rgbaToRgb, type DecodedImage, type ImageDecoder } from './decode.ts';

const MIME = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', bmp: 'image/bmp', gif: 'image/gif' } as const;

export const decodeImageBrowser: ImageDecoder = async (bytes: Uint8Array, name: string): Promise<DecodedImage> => {
  const format = checkImageBytes(bytes, name);
  let bitmap: ImageBitmap;
  try {
    const blob = new Blob([bytes.slice()], { type: MIME[format] });
    bitmap = await createImageBitmap(blob, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  } catch (e) {
    throw new ImageDecodeError(name, `corrupt ${format.toUpperCase()} data (${e instanceof Error ? e.message : String(e)})`);
  }
  try {
    const { width, height } = bitmap;
    checkDimensions(width, height, name);
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new ImageDecodeError(name, 'no 2D canvas is available to read its pixels');
    ctx.drawImage(bitmap, 0, 0);
    const rgba = ctx.getImageData(0, 0, width, height).data;
    return { width, height, data: rgbaToRgb(rgba, width, height), name };
  } finally {
    bitmap.close();
  }
};
