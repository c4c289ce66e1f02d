// CRC-32 (IEEE 802.3, the zip/PNG polynomial) over a byte array.
import { loadedNodePlatform } from '../platform.js';

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

// Node (>= 20.15) has zlib's native CRC-32: at cold start the JS loop runs in V8's interpreter
// and costs ~10 ms per MB of model. The Node platform hooks (node-platform.js, never in a
// browser bundle) supply it; browsers take the JS loop.
export function crc32(bytes) {
  const nativeCrc32 = loadedNodePlatform()?.crc32;
  if (nativeCrc32) return nativeCrc32(bytes) >>> 0;
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
