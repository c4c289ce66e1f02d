// Argument checks shared by the public API. Errors name the argument that is wrong.

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
  // JSON.stringify would turn NaN and Infinity into null (silently "not set").
  return JSON.stringify(options, (key, value) => {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError(`option '${key}' must be a finite number, got ${value}`);
    return value;
  });
}
