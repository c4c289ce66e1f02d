// NumPy .npy reading/writing, plus the two text forms our reference data comes in
// (whitespace-separated matrices and JSON nested lists). Everything becomes float32.

import { partError, toUint8Array } from './util.js';

/** @typedef {{ data: Float32Array, shape: number[] }} FloatArray */

const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/**
 * @param {Uint8Array} bytes
 */
export function isNpy(bytes) {
  return bytes.length >= 6 && NPY_MAGIC.every((b, i) => bytes[i] === b);
}

/**
 * Reads a .npy file (format versions 1.0, 2.0, 3.0; C order only).
 * Supported dtypes: f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1, either byte order.
 * @param {ArrayBuffer | ArrayBufferView} input
 * @param {string} [part] file name used in error messages
 * @returns {FloatArray}
 */
export function readNpy(input, part = 'array.npy') {
  const bytes = toUint8Array(input);
  if (!isNpy(bytes)) throw partError(part, 'not a .npy file (missing \\x93NUMPY magic)');
  if (bytes.length < 10) throw partError(part, 'truncated .npy header');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLength;
  let headerStart;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw partError(part, 'truncated .npy header');
    headerLength = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw partError(part, `unsupported .npy format version ${major}.${bytes[7]}`);
  }
  if (headerStart + headerLength > bytes.length) throw partError(part, 'truncated .npy header');
  const headerBytes = bytes.subarray(headerStart, headerStart + headerLength);
  const header = major === 3 ? new TextDecoder('utf-8').decode(headerBytes) : latin1(headerBytes);

  const descr = matchHeaderField(header, /'descr'\s*:\s*'([^']*)'/, part, 'descr');
  const fortran = matchHeaderField(header, /'fortran_order'\s*:\s*(True|False)/, part, 'fortran_order');
  const shapeText = matchHeaderField(header, /'shape'\s*:\s*\(([^)]*)\)/, part, 'shape');
  if (fortran === 'True') throw partError(part, 'fortran_order=True arrays are not supported (save with C order)');
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const n = Number(s.replace(/L$/, ''));
      if (!Number.isInteger(n) || n < 0) throw partError(part, `invalid shape entry '${s}' in .npy header`);
      return n;
    });
  const count = shape.reduce((a, b) => a * b, 1);

  const dtype = parseDescr(descr, part);
  const dataStart = headerStart + headerLength;
  const needed = count * dtype.size;
  if (bytes.length - dataStart < needed) {
    throw partError(part, `truncated .npy data: shape [${shape}] ${descr} needs ${needed} bytes, file has ${bytes.length - dataStart}`);
  }
  const data = new Float32Array(count);
  const little = dtype.littleEndian;
  const dv = new DataView(bytes.buffer, bytes.byteOffset + dataStart, needed);
  const get = dtype.read;
  for (let i = 0; i < count; i++) data[i] = get(dv, i * dtype.size, little);
  return { data, shape };
}

/**
 * @param {string} header
 * @param {RegExp} re
 * @param {string} part
 * @param {string} field
 */
function matchHeaderField(header, re, part, field) {
  const m = header.match(re);
  if (!m) throw partError(part, `.npy header has no valid '${field}' field`);
  return m[1];
}

/** @param {Uint8Array} bytes */
function latin1(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

/**
 * @param {string} descr
 * @param {string} part
 * @returns {{ size: number, littleEndian: boolean, read: (dv: DataView, offset: number, little: boolean) => number }}
 */
function parseDescr(descr, part) {
  const m = descr.match(/^([<>|=]?)([fiub])(\d+)$/);
  if (!m) throw partError(part, `unsupported .npy dtype '${descr}'`);
  const [, order, kind, sizeText] = m;
  const size = Number(sizeText);
  // '=' is native order; every platform we run on is little-endian.
  const littleEndian = order !== '>';
  /** @type {Record<string, (dv: DataView, o: number, l: boolean) => number>} */
  const readers = {
    f4: (dv, o, l) => dv.getFloat32(o, l),
    f8: (dv, o, l) => dv.getFloat64(o, l),
    i1: (dv, o) => dv.getInt8(o),
    i2: (dv, o, l) => dv.getInt16(o, l),
    i4: (dv, o, l) => dv.getInt32(o, l),
    i8: (dv, o, l) => Number(dv.getBigInt64(o, l)),
    u1: (dv, o) => dv.getUint8(o),
    u2: (dv, o, l) => dv.getUint16(o, l),
    u4: (dv, o, l) => dv.getUint32(o, l),
    u8: (dv, o, l) => Number(dv.getBigUint64(o, l)),
    b1: (dv, o) => (dv.getUint8(o) !== 0 ? 1 : 0),
  };
  const read = readers[`${kind}${size}`];
  if (!read) throw partError(part, `unsupported .npy dtype '${descr}'`);
  return { size, littleEndian, read };
}

/**
 * Writes a float32 array as a version 1.0 .npy file ('<f4', C order).
 * @param {ArrayLike<number>} data
 * @param {number[]} shape
 * @returns {Uint8Array}
 */
export function writeNpy(data, shape) {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`writeNpy: shape [${shape}] holds ${count} values, data has ${data.length}`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Total header (magic + version + length + text + '\n') is padded to a multiple of 64 bytes.
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  if (header.length > 0xffff) throw new Error('writeNpy: header too long for format 1.0');
  const out = new Uint8Array(10 + header.length + count * 4);
  out.set(NPY_MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  const dv = new DataView(out.buffer);
  dv.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const start = 10 + header.length;
  for (let i = 0; i < count; i++) dv.setFloat32(start + i * 4, data[i], true);
  return out;
}

/** @param {string} token */
function parseNumberToken(token) {
  const lower = token.toLowerCase();
  if (lower === 'nan' || lower === '+nan' || lower === '-nan') return NaN;
  if (lower === 'inf' || lower === '+inf' || lower === 'infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(token)) return undefined;
  return Number(token);
}

/**
 * Whitespace-separated text matrix: one row per non-empty line ('#' lines are comments).
 * @param {string} text
 * @param {string} [part]
 * @returns {FloatArray} shape [rows, columns]
 */
export function parseTextMatrix(text, part = 'matrix.txt') {
  const rows = [];
  const lines = text.split(/\r?\n/);
  let columns = -1;
  for (let lineIndex = 0; lineIndex < lines.length; lineIndex++) {
    const line = lines[lineIndex].trim();
    if (line.length === 0 || line.startsWith('#')) continue;
    const tokens = line.split(/[\s,]+/).filter((t) => t.length > 0);
    const values = tokens.map((token, column) => {
      const v = parseNumberToken(token);
      if (v === undefined) throw partError(part, `line ${lineIndex + 1}, column ${column + 1}: '${token}' is not a number`);
      return v;
    });
    if (columns < 0) columns = values.length;
    else if (values.length !== columns) {
      throw partError(part, `line ${lineIndex + 1} has ${values.length} values, earlier lines have ${columns}`);
    }
    rows.push(values);
  }
  if (rows.length === 0) throw partError(part, 'no numbers found');
  const data = new Float32Array(rows.length * columns);
  rows.forEach((row, r) => data.set(row, r * columns));
  return { data, shape: [rows.length, columns] };
}

/**
 * JSON nested lists (or an already-parsed value) to a float32 array; rejects ragged lists.
 * @param {string | unknown[]} input
 * @param {string} [part]
 * @returns {FloatArray}
 */
export function parseJsonArray(input, part = 'array.json') {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (e) {
      throw partError(part, `invalid JSON: ${/** @type {Error} */ (e).message}`);
    }
  }
  if (typeof value === 'number') return { data: Float32Array.of(value), shape: [] };
  if (!Array.isArray(value)) throw partError(part, 'expected a JSON array of numbers');
  /** @type {number[]} */
  const shape = [];
  for (let v = /** @type {unknown} */ (value); Array.isArray(v); v = v[0]) {
    shape.push(v.length);
    if (v.length === 0) break;
  }
  const count = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(count);
  let offset = 0;
  /** @param {unknown} v @param {number} depth @param {string} where */
  const visit = (v, depth, where) => {
    if (depth === shape.length) {
      if (typeof v !== 'number' && v !== null) throw partError(part, `element ${where} is not a number`);
      data[offset++] = typeof v === 'number' ? v : NaN;
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw partError(part, `ragged array at ${where || 'top level'}: expected a list of ${shape[depth]}`);
    }
    v.forEach((child, i) => visit(child, depth + 1, `${where}[${i}]`));
  };
  visit(value, 0, '');
  return { data, shape };
}

/**
 * Reads .npy bytes, JSON text or a whitespace text matrix, by content.
 * @param {ArrayBuffer | ArrayBufferView | string} input
 * @param {string} [part]
 * @returns {FloatArray}
 */
export function readArray(input, part = 'array') {
  if (typeof input !== 'string') {
    const bytes = toUint8Array(input);
    if (isNpy(bytes)) return readNpy(bytes, part);
    // Control bytes other than whitespace mean a binary file that is not an .npy (often a
    // model file passed where an input array belongs).
    if (bytes.subarray(0, 512).some((b) => b < 9 || (b > 13 && b < 32))) {
      throw partError(part, 'not an input array: expected a .npy file, a JSON array or whitespace-separated numbers');
    }
    input = new TextDecoder('utf-8').decode(bytes);
  }
  const trimmed = input.trimStart();
  if (trimmed.startsWith('[')) return parseJsonArray(trimmed, part);
  return parseTextMatrix(input, part);
}
