/**
 * Browser image decoding with createImageBitmap + OffscreenCanvas (works in workers). The header
 * checks of image-header.ts run first, as in Node, so the browser's decoder never sees a file
 * over the pixel limit or with short pixel data.
 * Colour profiles are ignored (colorSpaceConversion 'none'), as PIL does. Canvas pixels are stored
 * premultiplied, so fully transparent pixels come back black here while the Node decoder keeps
 * their colour; partially transparent ones may differ by rounding.
 */
import { ImageDecodeError, rgbaToRgb, type DecodedImage, type ImageDecoder } from './decode.ts';
import { checkImage } from './image-header.ts';

const MIME = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', bmp: 'image/bmp', gif: 'image/gif' } as const;

export const decodeImageBrowser: ImageDecoder = async (bytes: Uint8Array, name: string): Promise<DecodedImage> => {
  const header = checkImage(bytes, name);
  let bitmap: ImageBitmap;
  try {
    const blob = new Blob([bytes.slice()], { type: MIME[header.format] });
    bitmap = await createImageBitmap(blob, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  } catch (e) {
    throw new ImageDecodeError(name, `corrupt ${header.format.toUpperCase()} data (${e instanceof Error ? e.message.slice(0, 200) : String(e)})`);
  }
  try {
    const { width, height } = bitmap;
    // A JPEG's EXIF orientation may turn it a quarter.
    const turned = header.format === 'jpeg' && width === header.height && height === header.width;
    if (!turned && (width !== header.width || height !== header.height)) {
      throw new ImageDecodeError(name, `the browser read ${width}x${height} pixels where the header declares ${header.width}x${header.height}`);
    }
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
