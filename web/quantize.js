// quantize() and describeQuantizer(): one QKeras quantizer applied to a tensor, exactly as
// QKeras computes it at inference.
import { withInstance } from './instance.js';
import { toFloat32Array, checkShape, specToJson, optionsToJson } from './util.js';

/**
 * @param {string|object} spec quantizer spec as in a saved model: "quantized_bits(4,0,1)" or {class_name, config}
 * @param {ArrayLike<number>} data row-major values, Keras layout
 * @param {number[]} shape
 * @param {{weight?: boolean, internalSigmoid?: 'hard'|'smooth'|'real', qnoiseFactor?: number, returnScale?: boolean}} [options]
 * @returns {Promise<Float32Array>} (or {data, scale, scaleShape} with returnScale)
 */
export async function quantize(spec, data, shape, options = {}) {
  const values = toFloat32Array(data, 'quantize: data');
  checkShape(shape, values.length, 'quantize');
  if (options !== null && options !== undefined && typeof options !== 'object') throw new TypeError('quantize: options must be an object');
  const { returnScale = false, ...quantizerOptions } = options ?? {};
  const specJson = specToJson(spec);
  const optionsJson = optionsToJson(quantizerOptions);
  const result = await withInstance('quantizing', (wasm) => wasm.quantize(specJson, values, shape, optionsJson));
  if (returnScale) return { data: result.data, scale: result.scale, scaleShape: result.scaleShape ?? null };
  return result.data;
}

/**
 * Describes a quantizer the way QKeras sees it. Async (it loads the WASM module on first use).
 * @returns {Promise<import('./index.js').QuantizerDescription>}
 */
export async function describeQuantizer(spec, options = {}) {
  const specJson = specToJson(spec);
  const optionsJson = optionsToJson(options);
  return JSON.parse(await withInstance('describing a quantizer', (wasm) => wasm.describeQuantizer(specJson, optionsJson)));
}

/** QKeras's quantizer.range(): every representable value, in QKeras's order. */
export async function quantizerRange(spec, options = {}) {
  const specJson = specToJson(spec);
  const optionsJson = optionsToJson(options);
  return withInstance('computing a quantizer range', (wasm) => wasm.quantizerRange(specJson, optionsJson));
}
