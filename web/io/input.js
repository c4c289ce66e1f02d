// A model input from a file's bytes, for everything that feeds a user's file to a model: the CLI
// (`trace --input`, `predict --input`, through web/cli_files.js) and the demo page. Arrays
// (.npy, a JSON nested list, whitespace text with one sample per line) are fitted to the model
// input; images are decoded, resized (bilinear) and scaled (/255, /256 or [-1, 1]).
//
// Images are decoded by the platform when it can: createImageBitmap (browsers and their workers)
// reads PNG, JPEG, WebP, GIF, BMP, AVIF. Without it (Node), PNG is read by web/io/png.js, a small
// decoder on fflate; other image formats are refused with an error that says what to do.
// png.js or pngjs in Node? Measured (bench run by hand, Node 20, this 2-core machine, same pixels
// from both): a 1024×1024 RGB PNG decodes in 172 ms with png.js against 99 ms with pngjs (native
// zlib), a 32×32 one in 0.27 ms against 0.11 ms. pngjs is faster, but the difference is invisible
// beside loading a model, while png.js is 2.1 KB gzipped against pngjs's 18.8 KB, runs on any
// platform (pngjs needs Node's zlib and streams), and adds no dependency. So png.js stays.
import { readArray } from './npy.js';
import { decodePng, imageToTensor, isPng } from './png.js';
import { toUint8Array } from './util.js';
import { fitInputShape } from '../util.js';

const SCALE_TEXT = { 255: 'p/255', 256: 'p/256', signed: 'p/127.5 − 1' };

/** The image format of a file from its first bytes, or null for anything else. */
export function imageFormat(bytes) {
  const at = (i, ...values) => values.every((v, k) => bytes[i + k] === v);
  if (isPng(bytes)) return 'PNG';
  if (at(0, 0xff, 0xd8, 0xff)) return 'JPEG';
  if (at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return 'WebP';
  if (at(0, 0x47, 0x49, 0x46, 0x38)) return 'GIF';
  if (at(0, 0x42, 0x4d)) return 'BMP';
  if (at(4, 0x66, 0x74, 0x79, 0x70, 0x61, 0x76, 0x69, 0x66)) return 'AVIF';
  return null;
}

/** RGB bytes of an image through createImageBitmap: the file's own pixel values (no colour management). */
async function decodeWithBrowser(bytes, name) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes]), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch (error) {
    throw new Error(`${name}: this browser cannot decode it as an image (${error?.message ?? error})`);
  }
  try {
    const { width, height } = bitmap;
    const canvas = new OffscreenCanvas(width, height);
    const context = /** @type {OffscreenCanvasRenderingContext2D} */ (canvas.getContext('2d', { willReadFrequently: true }));
    context.drawImage(bitmap, 0, 0);
    const rgba = context.getImageData(0, 0, width, height).data;
    const rgb = new Uint8Array(width * height * 3);
    for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
      rgb[j] = rgba[i];
      rgb[j + 1] = rgba[i + 1];
      rgb[j + 2] = rgba[i + 2];
    }
    return { width, height, rgb };
  } finally {
    bitmap.close();
  }
}

/**
 * Decodes an image file to RGB bytes: createImageBitmap where the platform has it, else PNG only.
 * @returns {Promise<{width: number, height: number, rgb: Uint8Array}>}
 */
export async function decodeImage(source, name = 'image') {
  const bytes = toUint8Array(source);
  const format = imageFormat(bytes);
  if (!format) throw new Error(`${name}: not an image this library reads (PNG, JPEG, WebP, GIF, BMP, AVIF)`);
  if (typeof createImageBitmap === 'function' && typeof OffscreenCanvas === 'function') return decodeWithBrowser(bytes, name);
  if (format === 'PNG') return decodePng(bytes, name);
  throw new Error(`${name}: ${format} images are decoded in the browser only; here, convert it to PNG (or to a .npy array)`);
}

/**
 * Reads a model input from a file's bytes.
 * @param {ArrayBuffer|ArrayBufferView|Blob} source the file's contents
 * @param {string} name the file's name (errors and the note name it)
 * @param {(number|null)[]} inputShape the model input's shape, batch first (model.inputs[0].shape)
 * @param {{scale?: '255'|'256'|'signed'|number, sample?: number|string}} [options]
 *   scale: image pixels p become p/255 (default), p/256 or p/127.5 - 1; sample: one 0-based row of an array file
 * @returns {Promise<{data: Float32Array, shape: number[], note: string, image: {width: number, height: number}|null}>}
 */
export async function readInput(source, name, inputShape, options = {}) {
  if (typeof Blob === 'function' && source instanceof Blob) source = new Uint8Array(await source.arrayBuffer());
  const bytes = toUint8Array(source);
  if (!Array.isArray(inputShape) || inputShape.length < 2) throw new TypeError(`readInput: inputShape must be the model input's shape, batch first, got ${JSON.stringify(inputShape)}`);
  const dims = inputShape.slice(1);
  if (dims.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new Error(`${name}: the model input [${inputShape.map((d) => d ?? 'N').join(', ')}] has an unknown dimension besides the batch; a file cannot say its size`);
  }
  const { scale, sample } = options ?? {};
  if (imageFormat(bytes)) {
    if (sample !== undefined) throw new Error('--sample selects a row of an array file; an image is one sample');
    if (dims.length !== 3) throw new Error(`${name} is an image, but the model input is [${dims.join(', ')}] (images need [height, width, channels])`);
    const scaleKey = String(scale ?? '255');
    if (!SCALE_TEXT[scaleKey]) throw new Error(`image scale must be 255, 256 or signed, got ${scale}`);
    const image = await decodeImage(bytes, name);
    const data = imageToTensor(image, dims[0], dims[1], dims[2], scaleKey);
    return {
      data,
      shape: [1, ...dims],
      note: `${name}: ${image.width}×${image.height} image resized (bilinear) to ${dims[0]}×${dims[1]}, pixels ${SCALE_TEXT[scaleKey]}`,
      image: { width: image.width, height: image.height },
    };
  }
  if (scale !== undefined) throw new Error('--scale applies to images only');
  const array = readArray(bytes, name);
  const perSample = dims.reduce((a, b) => a * b, 1);
  const n = fitInputShape(dims, array.shape, name)[0];
  const values = array.data instanceof Float32Array ? array.data : Float32Array.from(array.data);
  if (sample !== undefined) {
    const index = /^\d+$/.test(String(sample)) ? Number(sample) : NaN;
    if (!Number.isInteger(index) || index >= n) {
      throw new Error(`--sample is a 0-based index: ${n === 1 ? 'the file has 1 sample, index 0' : `0 to ${n - 1} for the ${n} samples of ${name}`}, got ${sample}`);
    }
    return { data: values.subarray(index * perSample, (index + 1) * perSample), shape: [1, ...dims], note: `${name}[${index}] (0-based index; the file has ${n} sample${n === 1 ? '' : 's'})`, image: null };
  }
  return { data: values, shape: [n, ...dims], note: `${name}: ${n} sample${n === 1 ? '' : 's'}`, image: null };
}
