/** Node image decoding with pure-JS jpeg-js and pngjs (no native modules). Not for browser bundles. */
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { checkDimensions, checkImageBytes, ImageDecodeError, rgbaToRgb, type DecodedImage, type ImageDecoder } from './decode.ts';

const { PNG } = pngjs;

function reasonOf(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.split('\n')[0]!.trim() || 'unknown decoder error';
}

export const decodeImageNode: ImageDecoder = async (bytes: Uint8Array, name: string): Promise<DecodedImage> => {
  const format = checkImageBytes(bytes, name);
  let width: number;
  let height: number;
  let rgba: Uint8Array;
  try {
    if (format === 'jpeg') {
      // formatAsRGBA expands grayscale and converts CMYK/YCCK; alpha is then dropped.
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 100, maxMemoryUsageInMB: 1024 });
      ({ width, height } = img);
      rgba = img.data;
    } else if (format === 'png') {
      // pngjs expands palette and grayscale to RGBA and rescales 16-bit samples to 8-bit.
      const img = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      ({ width, height } = img);
      rgba = new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength);
    } else {
      throw new ImageDecodeError(name, `${format.toUpperCase()} is not supported by the command-line decoder; convert it to PNG or JPEG`);
    }
  } catch (e) {
    if (e instanceof ImageDecodeError) throw e;
    throw new ImageDecodeError(name, `corrupt ${format === 'jpeg' ? 'JPEG' : 'PNG'} data (${reasonOf(e)})`);
  }
  checkDimensions(width, height, name);
  if (rgba.length < width * height * 4) throw new ImageDecodeError(name, 'the decoder returned fewer pixels than the header declares');
  return { width, height, data: rgbaToRgb(rgba, width, height), name };
};
