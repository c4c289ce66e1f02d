// Small helpers shared by the file readers: error construction that always names the file part,
// byte-source normalisation and magic-byte detection.

/**
 * An Error whose message starts with the file part it concerns (e.g. "model.h5: ...").
 * @param {string} part
 * @param {string} message
 * @param {unknown} [cause]
 * @returns {Error}
 */
export function partError(part, message, cause) {
  const error = new Error(`${part}: ${message}`);
  if (cause !== undefined) error.cause = cause;
  return error;
}

/**
 * Re-throws anything that is not already an Error naming `part` as one that does, so callers
 * never see a bare string or an error without context.
 * @param {string} part
 * @param {unknown} error
 * @param {string} what what was being done, e.g. "cannot parse JSON"
 * @returns {never}
 */
export function rethrowWithPart(part, error, what) {
  if (error instanceof Error && error.message.startsWith(`${part}:`)) throw error;
  const detail = error instanceof Error ? error.message : String(error);
  throw partError(part, `${what}: ${detail}`, error);
}

/**
 * @param {ArrayBuffer | ArrayBufferView} value
 * @returns {Uint8Array}
 */
export function toUint8Array(value) {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError('expected an ArrayBuffer or a typed array');
}

/** @param {unknown} value */
export function isBytes(value) {
  return value instanceof ArrayBuffer || ArrayBuffer.isView(value);
}

/** @param {unknown} value */
export function isBlob(value) {
  return typeof Blob !== 'undefined' && value instanceof Blob;
}

export const HDF5_SIGNATURE = Uint8Array.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
export const ZIP_SIGNATURE = Uint8Array.from([0x50, 0x4b, 0x03, 0x04]);
export const QKWM_SIGNATURE = Uint8Array.from([0x51, 0x4b, 0x57, 0x4d]); // "QKWM"

/**
 * @param {Uint8Array} bytes
 * @param {Uint8Array} signature
 * @param {number} [offset]
 */
export function startsWith(bytes, signature, offset = 0) {
  if (bytes.length < offset + signature.length) return false;
  for (let i = 0; i < signature.length; i++) if (bytes[offset + i] !== signature[i]) return false;
  return true;
}

/**
 * The HDF5 superblock may sit at 0, 512, 1024, 2048... (user block); Keras files use 0 but
 * accepting the others costs nothing.
 * @param {Uint8Array} bytes
 */
export function isHdf5(bytes) {
  for (let offset = 0; offset + 8 <= bytes.length && offset <= 1 << 20; offset = offset === 0 ? 512 : offset * 2) {
    if (startsWith(bytes, HDF5_SIGNATURE, offset)) return true;
  }
  return false;
}

/**
 * @param {Uint8Array} bytes
 * @returns {'hdf5' | 'zip' | 'qkwm' | 'json' | 'unknown'}
 */
export function detectFormat(bytes) {
  if (startsWith(bytes, HDF5_SIGNATURE)) return 'hdf5';
  if (startsWith(bytes, ZIP_SIGNATURE)) return 'zip';
  if (startsWith(bytes, QKWM_SIGNATURE)) return 'qkwm';
  let i = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3; // UTF-8 BOM
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  if (bytes[i] === 0x7b) return 'json'; // "{"
  if (isHdf5(bytes)) return 'hdf5';
  return 'unknown';
}

/**
 * Last path component of a path or URL, used to name file parts in messages.
 * @param {string} pathOrUrl
 */
export function baseName(pathOrUrl) {
  const withoutQuery = pathOrUrl.split(/[?#]/)[0];
  const parts = withoutQuery.split(/[\\/]/).filter((p) => p.length > 0);
  return parts.length > 0 ? decodeURIComponentSafe(parts[parts.length - 1]) : pathOrUrl;
}

/** @param {string} s */
function decodeURIComponentSafe(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Keras's `naming.to_snake_case` (the rule that names groups in Keras 3 weight files).
 * @param {string} name
 */
export function toSnakeCase(name) {
  let s = name.replace(/\W+/g, '');
  s = s.replace(/(.)([A-Z][a-z]+)/g, '$1_$2');
  s = s.replace(/([a-z])([A-Z])/g, '$1_$2');
  return s.toLowerCase();
}

/**
 * Converts any numeric typed array (including BigInt64 counters) to float32.
 * @param {ArrayLike<number> | BigInt64Array | BigUint64Array} values
 * @returns {Float32Array}
 */
export function toFloat32Array(values) {
  if (values instanceof Float32Array) return values;
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
    const out = new Float32Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = Number(values[i]);
    return out;
  }
  return Float32Array.from(/** @type {ArrayLike<number>} */ (values));
}

/**
 * True for a trap inside a WebAssembly instance (out-of-bounds access, unreachable, an
 * Emscripten abort), found on the error itself or anywhere on its cause chain. After a trap
 * the instance's state (stack pointer, allocator, open handles) cannot be trusted.
 * @param {unknown} error
 */
export function isWasmTrap(error) {
  for (let e = error, depth = 0; e && depth < 8; e = /** @type {any} */ (e).cause, depth++) {
    if (typeof WebAssembly !== 'undefined' && e instanceof WebAssembly.RuntimeError) return true;
    if (/** @type {any} */ (e).name === 'RuntimeError') return true;
  }
  return false;
}

/**
 * Nesting depth of a parsed JSON value, measured without recursion, checked against the limit
 * before anything recursive (normalizing, JSON.stringify, structuredClone) walks it.
 * @param {unknown} value
 * @param {number} maxDepth
 * @param {string} part
 */
export function checkJsonDepth(value, maxDepth, part) {
  /** @type {[unknown, number][]} */
  const stack = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = /** @type {[unknown, number]} */ (stack.pop());
    if (typeof v !== 'object' || v === null) continue;
    if (depth > maxDepth) {
      throw partError(part, `JSON nested deeper than ${maxDepth} levels (limit maxNestingDepth; raise it with options.limits.maxNestingDepth)`);
    }
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
}

/**
 * @param {number} length bytes (or UTF-16 units) of a JSON document
 * @param {number} maxBytes
 * @param {string} part
 */
export function checkJsonSize(length, maxBytes, part) {
  if (length > maxBytes) {
    throw partError(part, `JSON document of ${length} bytes is over the limit of ${maxBytes} (limit maxJsonBytes; raise it with options.limits.maxJsonBytes)`);
  }
}
