// Node's side of platform.js: file paths and file: URLs are read with node:fs. Imported only by
// the Node entry (web/index.js), never by the browser entry.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as zlib from 'node:zlib';

import { setNodePlatform } from './platform.js';

/** A path, or a file: URL (string or URL object), as something node:fs reads. */
function toPath(source) {
  if (source instanceof URL) return source;
  if (/^file:/i.test(source)) return fileURLToPath(source);
  return source;
}

setNodePlatform({
  toPath,
  /** zlib's native CRC-32 (Node >= 20.15), or null. */
  crc32: typeof zlib.crc32 === 'function' ? zlib.crc32 : null,
  /** import.meta.resolve from here (bundlers never see it: this file is Node-only). */
  resolve: (specifier) => import.meta.resolve(specifier),
  async readFile(source) {
    const buffer = await readFile(toPath(source));
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  },
});
