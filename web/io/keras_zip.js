// Keras v3 `.keras` archives: a zip holding config.json, metadata.json and model.weights.h5.
// Read with our own central-directory walk so that every entry's sizes are checked against the
// limits before inflating, inflation stops at the declared size, and the CRC-32 is verified.

import { crc32 } from '../format/crc32.js';
import { inflateBounded } from './inflate.js';
import { checkJsonSize, partError, rethrowWithPart } from './util.js';
import { DEFAULT_LIMITS } from '../limits.js';

const WANTED = new Set(['config.json', 'metadata.json', 'model.weights.h5', 'model.weights.npz']);

/**
 * The central directory entries we care about, with their stored sizes and CRCs.
 * @param {Uint8Array} bytes
 * @param {string} part
 */
function readCentralDirectory(bytes, part, wanted = (/** @type {string} */ name) => WANTED.has(name), kind = '.keras archive') {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const corrupt = (/** @type {string} */ why) => partError(part, `cannot unzip (corrupt or truncated ${kind}): ${why}`);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw corrupt('no end of central directory record');
  const count = view.getUint16(eocd + 10, true);
  let at = view.getUint32(eocd + 16, true);
  /** @type {Map<string, { name: string, method: number, flags: number, crc: number, compressedSize: number, size: number, localOffset: number }>} */
  const entries = new Map();
  for (let n = 0; n < count; n++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== 0x02014b50) throw corrupt(`central directory entry ${n} is missing`);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    if (at + 46 + nameLength + extraLength > bytes.length) throw corrupt(`central directory entry ${n} runs past the end`);
    const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength));
    const entry = {
      name,
      flags: view.getUint16(at + 8, true),
      method: view.getUint16(at + 10, true),
      crc: view.getUint32(at + 16, true),
      compressedSize: view.getUint32(at + 20, true),
      size: view.getUint32(at + 24, true),
      localOffset: view.getUint32(at + 42, true),
    };
    // ZIP64: the fields that do not fit read 0xFFFFFFFF and sit in extra field 0x0001, in order.
    if (entry.size === 0xffffffff || entry.compressedSize === 0xffffffff || entry.localOffset === 0xffffffff) {
      let e = at + 46 + nameLength;
      const end = e + extraLength;
      while (e + 4 <= end) {
        const id = view.getUint16(e, true);
        const length = view.getUint16(e + 2, true);
        if (id === 0x0001) {
          let f = e + 4;
          for (const key of /** @type {const} */ (['size', 'compressedSize', 'localOffset'])) {
            if (entry[key] !== 0xffffffff) continue;
            if (f + 8 > e + 4 + length) throw corrupt(`entry ${name}: short ZIP64 field`);
            entry[key] = Number(view.getBigUint64(f, true));
            f += 8;
          }
        }
        e += 4 + length;
      }
    }
    if (wanted(name)) {
      if (entries.has(name)) throw corrupt(`entry ${name} appears twice`);
      entries.set(name, entry);
    }
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/**
 * One entry's bytes: sizes checked against `maxBytes` before inflating, inflation stopped at the
 * declared size, CRC-32 checked.
 * @param {Uint8Array} bytes
 * @param {{ name: string, method: number, flags: number, crc: number, compressedSize: number, size: number, localOffset: number }} entry
 * @param {string} entryPart
 * @param {number} maxBytes
 * @param {string} limitName
 */
function readEntry(bytes, entry, entryPart, maxBytes, limitName) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = entry.localOffset;
  if (at + 30 > bytes.length || view.getUint32(at, true) !== 0x04034b50) throw partError(entryPart, 'cannot unzip: local header missing (corrupt archive)');
  if (entry.flags & 1) throw partError(entryPart, 'the entry is encrypted');
  const dataStart = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
  if (dataStart + entry.compressedSize > bytes.length) throw partError(entryPart, 'cannot unzip: compressed data runs past the end of the archive (truncated)');
  if (entry.size > maxBytes) {
    throw partError(entryPart, `declares ${entry.size} bytes uncompressed, over the limit of ${maxBytes} (limit ${limitName}; raise it with options.limits.${limitName})`);
  }
  const compressed = bytes.subarray(dataStart, dataStart + entry.compressedSize);
  let data;
  if (entry.method === 0) {
    if (entry.compressedSize !== entry.size) throw partError(entryPart, 'stored entry sizes disagree (corrupt archive)');
    data = compressed;
  } else if (entry.method === 8) {
    try {
      data = inflateBounded(compressed, {
        maxBytes: entry.size,
        describe: (n) => `inflates past its declared size of ${entry.size} bytes (got ${n} and counting): the archive is corrupt or hostile`,
      });
    } catch (e) {
      rethrowWithPart(entryPart, e, 'cannot unzip');
    }
  } else {
    throw partError(entryPart, `compression method ${entry.method} is not supported (only stored and deflate)`);
  }
  if (data.length !== entry.size) throw partError(entryPart, `cannot unzip: inflated to ${data.length} bytes, the archive declares ${entry.size} (corrupt archive)`);
  const actual = crc32(data);
  if (actual !== entry.crc) {
    throw partError(entryPart, `CRC-32 mismatch (stored ${entry.crc.toString(16)}, computed ${actual.toString(16)}): the archive is corrupt`);
  }
  return data;
}

/**
 * @param {Uint8Array} bytes
 * @param {string} part name of the archive, used in messages
 * @param {typeof DEFAULT_LIMITS} [limits]
 * @returns {{ config: unknown, metadata: Record<string, any>, weightsBytes: Uint8Array, configPart: string, weightsPart: string }}
 */
export function readKerasZip(bytes, part, limits = DEFAULT_LIMITS) {
  const entries = readCentralDirectory(bytes, part);
  const configPart = `${part}/config.json`;
  const metadataPart = `${part}/metadata.json`;
  const weightsPart = `${part}/model.weights.h5`;
  const configEntry = entries.get('config.json');
  const weightsEntry = entries.get('model.weights.h5');
  const metadataEntry = entries.get('metadata.json');
  if (!configEntry) throw partError(part, 'archive has no config.json (not a Keras v3 .keras file)');
  if (!weightsEntry) {
    if (entries.has('model.weights.npz')) throw partError(part, 'weights are stored as model.weights.npz; only model.weights.h5 is supported');
    throw partError(part, 'archive has no model.weights.h5');
  }
  const total = configEntry.size + weightsEntry.size + (metadataEntry?.size ?? 0);
  if (total > limits.maxDecompressedBytes) {
    throw partError(part, `entries declare ${total} bytes uncompressed, over the limit of ${limits.maxDecompressedBytes} (limit maxDecompressedBytes; raise it with options.limits.maxDecompressedBytes)`);
  }
  const config = parseJsonBytes(readEntry(bytes, configEntry, configPart, limits.maxJsonBytes, 'maxJsonBytes'), configPart, limits);
  const metadata = metadataEntry ? parseJsonBytes(readEntry(bytes, metadataEntry, metadataPart, limits.maxJsonBytes, 'maxJsonBytes'), metadataPart, limits) : {};
  if (typeof metadata !== 'object' || metadata === null) throw partError(metadataPart, 'not a JSON object');
  const weightsBytes = readEntry(bytes, weightsEntry, weightsPart, limits.maxDecompressedBytes, 'maxDecompressedBytes');
  return { config, metadata: /** @type {Record<string, any>} */ (metadata), weightsBytes, configPart, weightsPart };
}

/**
 * @param {Uint8Array} bytes
 * @param {string} part
 * @param {typeof DEFAULT_LIMITS} [limits]
 * @returns {unknown}
 */
export function parseJsonBytes(bytes, part, limits = DEFAULT_LIMITS) {
  checkJsonSize(bytes.length, limits.maxJsonBytes, part);
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (e) {
    rethrowWithPart(part, e, 'not UTF-8 text');
  }
  try {
    // Python's json writes NaN/Infinity for non-finite floats; JSON.parse does not accept them.
    return JSON.parse(text);
  } catch (first) {
    try {
      return JSON.parse(text.replace(/\bNaN\b/g, 'null').replace(/-?\bInfinity\b/g, 'null'));
    } catch {
      rethrowWithPart(part, first, 'invalid JSON');
    }
  }
}

/**
 * Every entry of a zip archive whose name passes `wanted`, unzipped (sizes checked against the
 * limits, CRC-32 verified), in archive order. Used for NumPy .npz files.
 * @param {Uint8Array} bytes
 * @param {string} part name of the archive, used in messages
 * @param {(name: string) => boolean} wanted
 * @param {typeof DEFAULT_LIMITS} [limits]
 * @returns {Map<string, Uint8Array>}
 */
export function readZipEntries(bytes, part, wanted, limits = DEFAULT_LIMITS) {
  const entries = readCentralDirectory(bytes, part, wanted, 'zip archive');
  let total = 0;
  for (const entry of entries.values()) total += entry.size;
  if (total > limits.maxDecompressedBytes) {
    throw partError(part, `entries declare ${total} bytes uncompressed, over the limit of ${limits.maxDecompressedBytes} (limit maxDecompressedBytes)`);
  }
  const out = new Map();
  for (const [name, entry] of entries) out.set(name, readEntry(bytes, entry, `${part}/${name}`, limits.maxDecompressedBytes, 'maxDecompressedBytes'));
  return out;
}
