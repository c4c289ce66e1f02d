// The converted model format (.qkwm): one self-describing little-endian binary file.
//
//   0   "QKWM"                       magic
//   4   u16 major, u16 minor         format version (readers reject a newer major)
//   8   u32 H                        byte length of the stored header
//   12  u32 flags                    bit 0: the header is zlib-compressed (RFC 1950)
//   16  header, H bytes of UTF-8 JSON (after inflating when flag bit 0 is set):
//         { format, version, graph, provenance, inputs, outputs,
//           tensors: [{ layer, role, index, shape, encoding: "f32" | "int", bits, binary,
//                       offset, byteLength, stepsOffset }] }
//       zero padding to a multiple of 16: the data section starts there
//   ... tensor blobs, each at a multiple of 16 from the data section start (offsets count from it):
//         f32: the values; int: packed integers (bits per value) and, at stepsOffset, one
//         float32 step per channel (last axis; one for the whole tensor when rank < 2):
//         value = integer * step.
//   end-4  u32 CRC-32 of every byte before it.
// docs/converted-format.md describes the same in prose.
import { zlibSync } from 'fflate';

import { inflateBounded } from '../io/inflate.js';
import { checkJsonDepth } from '../io/util.js';
import { DEFAULT_LIMITS } from '../limits.js';

import { crc32 } from './crc32.js';
import { channelsOf, chooseEncoding, packInts, unpackToFloat32 } from './tensor_encoding.js';

export const MAGIC = 'QKWM';
export const FORMAT_MAJOR = 1;
export const FORMAT_MINOR = 0;
const ALIGN = 16;
const HEADER_START = 16;
const FLAG_ZLIB_HEADER = 1;

const align = (n) => Math.ceil(n / ALIGN) * ALIGN;

/**
 * @param {{graph: object, provenance: object, inputs: object[], outputs: object[],
 *          tensors: {layer: string, role: string, index: number, shape: number[], data: Float32Array}[]}} model
 * @returns {Uint8Array}
 */
export function encodeQkwm({ graph, provenance, inputs, outputs, tensors }) {
  const blobs = [];
  const entries = tensors.map((t) => {
    const choice = chooseEncoding(t.data, t.shape);
    const entry = { layer: t.layer, role: t.role, index: t.index, shape: t.shape };
    if (choice.encoding === 'int') {
      const packed = packInts(choice.ints, choice.bits, choice.binary);
      const steps = new Uint8Array(choice.steps.buffer.slice(0));
      Object.assign(entry, { encoding: 'int', bits: choice.bits, binary: choice.binary, byteLength: packed.length });
      blobs.push({ entry, key: 'offset', bytes: packed }, { entry, key: 'stepsOffset', bytes: steps });
    } else {
      const bytes = new Uint8Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength));
      Object.assign(entry, { encoding: 'f32', byteLength: bytes.length });
      blobs.push({ entry, key: 'offset', bytes });
    }
    return entry;
  });

  // Offsets count from the start of the data section, so they do not depend on the header's length.
  let offset = 0;
  for (const b of blobs) {
    b.entry[b.key] = offset;
    offset = align(offset + b.bytes.length);
  }
  const header = { format: 'qkeras-wasm/converted', version: `${FORMAT_MAJOR}.${FORMAT_MINOR}`, graph, provenance, inputs, outputs, tensors: entries };
  // Layer configs repeat the same keys hundreds of times: compressed, the header stays small
  // next to the weights even for deep models.
  const headerBytes = zlibSync(new TextEncoder().encode(JSON.stringify(header)), { level: 9 });
  const dataStart = align(HEADER_START + headerBytes.length);
  offset += dataStart;

  const total = offset + 4;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MAGIC), 0);
  view.setUint16(4, FORMAT_MAJOR, true);
  view.setUint16(6, FORMAT_MINOR, true);
  view.setUint32(8, headerBytes.length, true);
  view.setUint32(12, FLAG_ZLIB_HEADER, true);
  out.set(headerBytes, HEADER_START);
  for (const b of blobs) out.set(b.bytes, dataStart + b.entry[b.key]);
  view.setUint32(total - 4, crc32(out.subarray(0, total - 4)), true);
  return out;
}

export function isQkwm(bytes) {
  return bytes.length >= 4 && bytes[0] === 0x51 && bytes[1] === 0x4b && bytes[2] === 0x57 && bytes[3] === 0x4d;
}

/**
 * @param {Uint8Array} bytes
 * @param {string} [sourceName] used in error messages
 * @param {{ limits?: typeof DEFAULT_LIMITS }} [options]
 * @returns {{header: object, graph: object, weights: Record<string, {role: string, index: number, shape: number[], data: Float32Array}[]>}}
 */
export function decodeQkwm(bytes, sourceName = 'model.qkwm', { limits = DEFAULT_LIMITS } = {}) {
  const fail = (part, why) => {
    throw new Error(`${sourceName}: ${part}: ${why}`);
  };
  if (!isQkwm(bytes)) fail('magic', 'not a qkeras-wasm converted model (expected "QKWM")');
  if (bytes.length < HEADER_START + 4) fail('header', `file is truncated (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = view.getUint16(4, true);
  if (major > FORMAT_MAJOR) fail('version', `format ${major}.${view.getUint16(6, true)} is newer than this reader (${FORMAT_MAJOR}.x); update qkeras-wasm`);
  const stored = view.getUint32(bytes.length - 4, true);
  const actual = crc32(bytes.subarray(0, bytes.length - 4));
  if (stored !== actual) fail('checksum', `CRC-32 mismatch (stored ${stored.toString(16)}, computed ${actual.toString(16)}): the file is corrupt or truncated`);
  const headerLength = view.getUint32(8, true);
  const flags = view.getUint32(12, true);
  if (HEADER_START + headerLength > bytes.length - 4) fail('header', `length ${headerLength} runs past the end of the file`);
  if (flags & ~FLAG_ZLIB_HEADER) fail('header', `unknown flags 0x${flags.toString(16)}`);
  let header;
  try {
    let text = bytes.subarray(HEADER_START, HEADER_START + headerLength);
    // Bounded while inflating: a small header must not expand into gigabytes before the check.
    const tooBig = (n) => `inflates to more than ${limits.maxJsonBytes} bytes (${n} so far; limit maxJsonBytes, raise it with options.limits.maxJsonBytes)`;
    if (flags & FLAG_ZLIB_HEADER) text = inflateBounded(text, { zlib: true, maxBytes: limits.maxJsonBytes, describe: tooBig });
    else if (text.length > limits.maxJsonBytes) throw new RangeError(tooBig(text.length));
    header = JSON.parse(new TextDecoder().decode(text));
  } catch (error) {
    fail('header', `cannot read the header (${error.message})`);
  }
  try {
    checkJsonDepth(header, limits.maxNestingDepth, 'JSON');
  } catch (error) {
    fail('header', error.message);
  }
  if (!header || typeof header !== 'object' || !header.graph || !Array.isArray(header.tensors)) fail('header', 'missing graph or tensors');
  const dataStart = align(HEADER_START + headerLength);
  const weights = new Map();
  header.tensors.forEach((t, i) => {
    if (!t || typeof t !== 'object' || Array.isArray(t)) fail(`tensor ${i}`, 'not an object');
    if (typeof t.layer !== 'string' || (t.role != null && typeof t.role !== 'string') || (t.index != null && !Number.isInteger(t.index))) {
      fail(`tensor ${i}`, 'layer must be a string, role a string and index an integer');
    }
    const where = `tensor ${i} (${t.layer}/${t.role || t.index})`;
    if (!Array.isArray(t.shape) || t.shape.some((d) => !Number.isInteger(d) || d < 0)) fail(where, 'bad shape');
    const count = t.shape.reduce((a, b) => a * b, 1);
    const inFile = (offset, length) => Number.isInteger(offset) && offset >= 0 && offset % ALIGN === 0 && dataStart + offset + length <= bytes.length - 4;
    const at = (offset, length) => bytes.slice(dataStart + offset, dataStart + offset + length);
    let data;
    if (t.encoding === 'f32') {
      if (t.byteLength !== count * 4 || !inFile(t.offset, t.byteLength)) fail(where, 'data lies outside the file or has the wrong length');
      data = new Float32Array(at(t.offset, t.byteLength).buffer);
    } else if (t.encoding === 'int') {
      if (!Number.isInteger(t.bits) || t.bits < 1 || t.bits > 16) fail(where, `unsupported bit width ${t.bits}`);
      const channels = channelsOf(t.shape);
      if (t.byteLength !== Math.ceil((count * t.bits) / 8) || !inFile(t.offset, t.byteLength) || !inFile(t.stepsOffset, channels * 4)) {
        fail(where, 'data lies outside the file or has the wrong length');
      }
      const steps = new Float32Array(at(t.stepsOffset, channels * 4).buffer);
      data = unpackToFloat32(at(t.offset, t.byteLength), count, t.bits, !!t.binary, steps);
    } else {
      fail(where, `unknown encoding ${JSON.stringify(t.encoding)}`);
    }
    if (typeof t.layer !== 'string') fail(where, 'layer name is not a string');
    if (!weights.has(t.layer)) weights.set(t.layer, []);
    weights.get(t.layer).push({ role: t.role, index: t.index, shape: t.shape, data });
  });
  return { header, graph: header.graph, weights };
}
