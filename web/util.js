// Argument checks shared by the public API. Errors name the argument that is wrong.
import { resolveLimits } from './limits.js';

export function toFloat32Array(data, what) {
  if (data instanceof Float32Array) return data;
  if (ArrayBuffer.isView(data) && !(data instanceof DataView)) return Float32Array.from(data);
  if (Array.isArray(data)) {
    const bad = data.findIndex((v) => typeof v !== 'number');
    if (bad >= 0) {
      throw new TypeError(`${what}: element ${bad} is ${Array.isArray(data[bad]) ? 'an array' : JSON.stringify(data[bad])}, not a number (pass a flat array of numbers with a shape)`);
    }
    return Float32Array.from(data);
  }
  throw new TypeError(`${what} must be a Float32Array, another typed array or an array of numbers`);
}

/**
 * Fits an array read from a file to a model input of per-sample shape `dims`: accepted are
 * [n, ...dims], [n, prod(dims)] (one flattened sample per row, as text files hold them), dims
 * alone or [prod(dims)] (one sample). Anything else is an error naming the file and both shapes.
 */
export function fitInputShape(dims, arrayShape, part) {
  const perSample = dims.reduce((a, b) => a * b, 1);
  const same = (a, b) => a.length === b.length && a.every((d, i) => d === b[i]);
  if (arrayShape.length === dims.length + 1 && same(arrayShape.slice(1), dims)) return arrayShape;
  if (arrayShape.length === 2 && arrayShape[1] === perSample) return [arrayShape[0], ...dims];
  if (same(arrayShape, dims) || same(arrayShape, [perSample])) return [1, ...dims];
  // Trailing size-1 axes (channels of a grayscale image) may be left out: [n, 28, 28] or [28, 28] for [28, 28, 1].
  let kept = dims.length;
  while (kept > 0 && dims[kept - 1] === 1) kept--;
  if (kept < dims.length) {
    const squeezed = dims.slice(0, kept);
    if (arrayShape.length === kept + 1 && same(arrayShape.slice(1), squeezed)) return [arrayShape[0], ...dims];
    if (kept > 0 && same(arrayShape, squeezed)) return [1, ...dims];
  }
  throw new Error(`${part}: shape [${arrayShape.join(', ')}] does not fit the model input [batch, ${dims.join(', ')}] (give [n, ${dims.join(', ')}], one flattened sample per row, or a single sample)`);
}

export function checkShape(shape, length, what) {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new TypeError(`${what}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== length) {
    throw new Error(`${what}: data has ${length} values but shape [${shape.join(', ')}] needs ${n}`);
  }
}

export function specToJson(spec) {
  if (typeof spec === 'string' || (spec !== null && typeof spec === 'object' && !Array.isArray(spec))) {
    return JSON.stringify(spec);
  }
  throw new TypeError(`quantizer spec must be a string like "quantized_bits(4,0,1)" or a {class_name, config} object, got ${JSON.stringify(spec)}`);
}

export function optionsToJson(options) {
  if (options == null) return 'null';
  if (typeof options !== 'object') throw new TypeError('options must be an object');
  checkQuantizerOptions(options, 'options');
  // JSON.stringify would turn NaN and Infinity into null (silently "not set").
  return JSON.stringify(options, (key, value) => {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError(`option '${key}' must be a finite number, got ${value}`);
    return value;
  });
}

/** Unknown keys of an options object are errors that list the valid ones (typos never pass silently). */
export function checkOptionKeys(options, allowed, what) {
  if (options === undefined || options === null) return;
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${what}: options must be an object (or null), got ${Array.isArray(options) ? 'an array' : typeof options}`);
  }
  const unknown = Object.keys(options).filter((k) => !allowed.includes(k));
  if (unknown.length) {
    throw new TypeError(`${what}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}; valid options are ${allowed.join(', ')}`);
  }
}

/** A {data, shape} object, as predict() returns and readNpy() reads (shape may be left out). */
export function isTensorLike(value) {
  return (
    value !== null && typeof value === 'object' && !ArrayBuffer.isView(value) && !Array.isArray(value) &&
    'data' in value && (ArrayBuffer.isView(value.data) || Array.isArray(value.data))
  );
}

/** True for an array of arrays (numbers at the leaves): a tensor written as nested JS arrays. */
export function isNestedArray(value) {
  return Array.isArray(value) && value.length > 0 && (Array.isArray(value[0]) || (ArrayBuffer.isView(value[0]) && value.every((v) => ArrayBuffer.isView(v))));
}

/**
 * Flattens nested arrays (rows may be typed arrays) in row-major order and infers their shape;
 * ragged arrays and non-numbers are errors naming the position.
 * @returns {{data: Float32Array, shape: number[]}}
 */
export function flattenNested(value, what) {
  const shape = [];
  for (let v = value; Array.isArray(v) || ArrayBuffer.isView(v); v = v[0]) {
    shape.push(v.length);
    if (!Array.isArray(v) || v.length === 0) break;
  }
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  let offset = 0;
  const walk = (v, depth, path) => {
    const isArray = Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
    if (depth === shape.length) {
      if (typeof v !== 'number') throw new TypeError(`${what}: element ${path} is ${isArray ? 'an array' : JSON.stringify(v)}, not a number`);
      data[offset++] = v;
      return;
    }
    if (!isArray || v.length !== shape[depth]) {
      throw new Error(`${what}: ragged nested array: element ${path} has ${isArray ? v.length : 'no'} entries, expected ${shape[depth]} (shape [${shape.join(', ')}] from the first elements)`);
    }
    if (depth === shape.length - 1 && ArrayBuffer.isView(v)) {
      data.set(v, offset);
      offset += v.length;
      return;
    }
    for (let i = 0; i < v.length; i++) walk(v[i], depth + 1, `${path}[${i}]`);
  };
  walk(value, 0, '');
  return { data, shape };
}

// JSON.stringify would turn NaN/Infinity into null, which the core would read as "not given".
function checkQuantizerOptions(options, what) {
  const { qnoiseFactor, internalSigmoid } = options;
  if (qnoiseFactor !== undefined && (typeof qnoiseFactor !== 'number' || !Number.isFinite(qnoiseFactor) || qnoiseFactor < 0 || qnoiseFactor > 1)) {
    throw new RangeError(`${what}.qnoiseFactor must be a finite number from 0 to 1, got ${String(qnoiseFactor)}`);
  }
  if (internalSigmoid !== undefined && !['hard', 'smooth', 'real'].includes(internalSigmoid)) {
    throw new RangeError(`${what}.internalSigmoid must be 'hard', 'smooth' or 'real', got ${JSON.stringify(internalSigmoid) ?? String(internalSigmoid)}`);
  }
}

/**
 * Checks loadModel()/convert() options: null and undefined mean none; anything else must be an
 * object. Returns a plain object with the limits resolved.
 */
export function checkLoadOptions(options) {
  if (options === undefined || options === null) return { limits: resolveLimits(null) };
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`options must be an object (or null), got ${Array.isArray(options) ? 'an array' : typeof options}`);
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new TypeError('options.onProgress must be a function');
  if (options.ignoreExtraWeights !== undefined && typeof options.ignoreExtraWeights !== 'boolean') {
    throw new TypeError('options.ignoreExtraWeights must be true or false');
  }
  checkQuantizerOptions(options, 'options');
  return { ...options, limits: resolveLimits(options) };
}
