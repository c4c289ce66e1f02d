// QKeras's module-level helpers, for users who want to see what a quantizer computes inside
// (e.g. the per-channel auto_po2 scale of their kernel) and for QKeras's own test cases.
import { withInstance } from './instance.js';
import { toFloat32Array, checkShape } from './util.js';

async function call(name, args, tensors = []) {
  return JSON.parse(await withInstance(`computing ${name}`, (wasm) => wasm.qkerasHelper(name, JSON.stringify(args), tensors)));
}

/**
 * QKeras's _get_scale(alpha, x, q, scale_axis, per_channel_scale, elements_per_scale,
 * min_po2_exponent, max_po2_exponent): the least-squares scale of x against the integer
 * levels q ('auto'), rounded to a power of two for 'auto_po2'.
 * @returns {Promise<{scale: number[], shape: number[]}>}
 */
export async function getScale(alpha, x, q, shape, options = {}) {
  const xs = toFloat32Array(x, 'getScale: x');
  const qs = toFloat32Array(q, 'getScale: q');
  checkShape(shape, xs.length, 'getScale x');
  checkShape(shape, qs.length, 'getScale q');
  return call('_get_scale', { alpha, ...options }, [
    { data: xs, shape },
    { data: qs, shape },
  ]);
}

/** QKeras's _get_integer_bits(min_value, max_value, bits, symmetric, keep_negative, is_clipping). */
export function getIntegerBits(minValue, maxValue, options) {
  return call('_get_integer_bits', { min_value: Array.from(minValue), max_value: Array.from(maxValue), ...options });
}

/** QKeras's _get_unrolled_shape(input_shape, unroll_factor, unroll_axis) → [shape, axis]. */
export function getUnrolledShape(inputShape, unrollFactor, unrollAxis) {
  return call('_get_unrolled_shape', { input_shape: inputShape, unroll_factor: unrollFactor, unroll_axis: unrollAxis });
}

/** QKeras's _get_rolled_back_shape(input_shape, roll_axis). */
export function getRolledBackShape(inputShape, rollAxis) {
  return call('_get_rolled_back_shape', { input_shape: inputShape, roll_axis: rollAxis });
}
