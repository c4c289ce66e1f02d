// Argument checks shared by the public API. Errors name the argument that is wrong.

export function toFloat32Array(data, what) {
  if (data instanceof Float32Array) return data;
  if (ArrayBuffer.isView(data) || Array.isArray(data)) {
    const out = Float32Array.from(data);
    return out;
  }
  throw new TypeError(`${what} must be a Float32Array, another typed array or an array of numbers`);
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
  return JSON.stringify(options);
}
