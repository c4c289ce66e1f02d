// Small RGB PNG files made in the test (8-bit, no interlace), for the PNG readers of the CLI,
// readInput and the demo page. pixel: [r, g, b] for every pixel, or (x, y) => [r, g, b].
import { zlibSync } from 'fflate';
import { crc32 } from '../../../web/format/crc32.js';

export function rgbPng(width, height, pixel) {
  const at = typeof pixel === 'function' ? pixel : () => pixel;
  const raw = new Uint8Array(height * (1 + width * 3));
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) raw.set(at(x, y), y * (1 + width * 3) + 1 + x * 3);
  const chunk = (type, body) => {
    const out = Buffer.alloc(12 + body.length);
    out.writeUInt32BE(body.length, 0);
    out.write(type, 4, 'latin1');
    Buffer.from(body).copy(out, 8);
    out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)) >>> 0, 8 + body.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', zlibSync(raw)), chunk('IEND', new Uint8Array(0))]);
}
