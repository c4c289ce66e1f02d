// Bounded decompression: inflates in small input steps and stops as soon as the output passes
// its bound, so a small hostile archive cannot expand into gigabytes first (deflate reaches
// 1032:1). fflate's streaming inflaters are used; each 16 KB input step yields at most ~16 MB.
import { Inflate, Unzlib } from 'fflate';

const STEP = 16 << 10;

/**
 * @param {Uint8Array} compressed
 * @param {{ zlib?: boolean, maxBytes: number, describe: (produced: number) => string }} options
 *   zlib: RFC 1950 wrapper (else raw deflate); describe(produced) makes the message when the bound is passed
 * @returns {Uint8Array}
 */
export function inflateBounded(compressed, { zlib = false, maxBytes, describe }) {
  /** @type {Uint8Array[]} */
  const chunks = [];
  let produced = 0;
  let ended = false;
  const onData = (/** @type {Uint8Array} */ chunk, /** @type {boolean} */ final) => {
    produced += chunk.length;
    if (produced > maxBytes) throw new RangeError(describe(produced));
    chunks.push(chunk);
    if (final) ended = true;
  };
  const stream = zlib ? new Unzlib(onData) : new Inflate(onData);
  for (let at = 0; at < compressed.length; at += STEP) {
    const end = Math.min(compressed.length, at + STEP);
    stream.push(compressed.subarray(at, end), end === compressed.length);
  }
  if (compressed.length === 0) stream.push(new Uint8Array(0), true);
  if (!ended) throw new Error('compressed data is truncated');
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(produced);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}
