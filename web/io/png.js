// A small PNG decoder (8-bit and 16-bit, gray / gray+alpha / RGB / RGBA / palette,
// non-interlaced) on fflate's zlib inflate, for `trace --input image.png`. Returns RGB bytes.
import { unzlibSync } from 'fflate';

import { partError } from './util.js';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function isPng(bytes) {
  return bytes.length >= 8 && SIGNATURE.every((b, i) => bytes[i] === b);
}

/** @returns {{width: number, height: number, rgb: Uint8Array}} */
export function decodePng(bytes, part = 'image.png') {
  if (!isPng(bytes)) throw partError(part, 'not a PNG file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 8;
  let header = null;
  let palette = null;
  const idat = [];
  while (offset + 8 <= bytes.length) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    const body = bytes.subarray(offset + 8, offset + 8 + length);
    if (body.length !== length) throw partError(part, `chunk ${type} is truncated`);
    if (type === 'IHDR') {
      header = { width: view.getUint32(offset + 8), height: view.getUint32(offset + 12), depth: body[8], color: body[9], interlace: body[12] };
    } else if (type === 'PLTE') palette = body;
    else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    offset += 12 + length;
  }
  if (!header) throw partError(part, 'missing IHDR chunk');
  const { width, height, depth, color, interlace } = header;
  if (interlace !== 0) throw partError(part, 'interlaced PNGs are not supported; re-save without interlacing');
  if (depth !== 8 && depth !== 16) throw partError(part, `bit depth ${depth} is not supported (8 or 16)`);
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[color];
  if (!channels) throw partError(part, `color type ${color} is not supported`);
  if (color === 3 && !palette) throw partError(part, 'palette image without PLTE chunk');
  const joined = new Uint8Array(idat.reduce((a, c) => a + c.length, 0));
  let at = 0;
  for (const c of idat) {
    joined.set(c, at);
    at += c.length;
  }
  let raw;
  try {
    raw = unzlibSync(joined);
  } catch (error) {
    throw partError(part, `corrupt image data (${error.message})`);
  }
  const bpp = (channels * depth) / 8;
  const stride = width * bpp;
  if (raw.length < height * (stride + 1)) throw partError(part, 'image data is truncated');
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = pixels.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : null;
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? out[x - bpp] : 0;
      const b = prev ? prev[x] : 0;
      const c = prev && x >= bpp ? prev[x - bpp] : 0;
      let v = line[x];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (filter !== 0) throw partError(part, `unknown filter type ${filter} on row ${y}`);
      out[x] = v & 0xff;
    }
  }
  const rgb = new Uint8Array(width * height * 3);
  const sample = (i, ch) => (depth === 8 ? pixels[i * channels + ch] : pixels[(i * channels + ch) * 2]);
  for (let i = 0; i < width * height; i++) {
    if (color === 3) {
      const p = pixels[i];
      rgb.set(palette.subarray(p * 3, p * 3 + 3), i * 3);
    } else if (channels <= 2) {
      rgb.fill(sample(i, 0), i * 3, i * 3 + 3);
    } else {
      for (let ch = 0; ch < 3; ch++) rgb[i * 3 + ch] = sample(i, ch);
    }
  }
  return { width, height, rgb };
}

/**
 * Resizes with bilinear interpolation (half-pixel centres, as tf.image.resize) and scales the
 * pixels: '255' -> p/255, '256' -> p/256, 'signed' -> p/127.5 - 1. Returns HWC float32.
 */
export function imageToTensor({ width, height, rgb }, targetH, targetW, targetC, scale) {
  const scaleFn = { 255: (p) => p / 255, 256: (p) => p / 256, signed: (p) => p / 127.5 - 1 }[scale];
  if (!scaleFn) throw new Error(`--scale must be 255, 256 or signed, got ${scale}`);
  if (targetC !== 1 && targetC !== 3) throw new Error(`the model input has ${targetC} channels; images give 1 or 3`);
  const out = new Float32Array(targetH * targetW * targetC);
  const pixel = (x, y, ch) => rgb[(y * width + x) * 3 + ch];
  for (let y = 0; y < targetH; y++) {
    const sy = Math.min(Math.max((y + 0.5) * (height / targetH) - 0.5, 0), height - 1);
    const y0 = Math.floor(sy);
    const y1 = Math.min(y0 + 1, height - 1);
    const fy = sy - y0;
    for (let x = 0; x < targetW; x++) {
      const sx = Math.min(Math.max((x + 0.5) * (width / targetW) - 0.5, 0), width - 1);
      const x0 = Math.floor(sx);
      const x1 = Math.min(x0 + 1, width - 1);
      const fx = sx - x0;
      const value = (ch) =>
        (pixel(x0, y0, ch) * (1 - fx) + pixel(x1, y0, ch) * fx) * (1 - fy) + (pixel(x0, y1, ch) * (1 - fx) + pixel(x1, y1, ch) * fx) * fy;
      if (targetC === 3) for (let ch = 0; ch < 3; ch++) out[(y * targetW + x) * 3 + ch] = scaleFn(value(ch));
      else out[y * targetW + x] = scaleFn(0.299 * value(0) + 0.587 * value(1) + 0.114 * value(2));
    }
  }
  return out;
}
