// Stores weight tensors at their bit width, losslessly.
//
// A quantized weight tensor is, per output channel (last axis), an integer times a step:
// fixed-point quantizers give one step per tensor, auto_po2 one power-of-two step per channel,
// binary/ternary {-s, 0, +s}. We find that form from the values themselves (the smallest
// power-of-two step that makes every value of the channel an integer), store the integers at
// the narrowest width that holds them (1 to 16 bits, two's complement, packed least significant
// bit first) plus one float32 step per channel, and check that step * k reproduces every
// float32 value bit for bit. Anything that does not fit (float weights, non-dyadic scales,
// more than 16 bits) stays float32. Decoding is exact by construction.

// Any width from 1 to 16 bits: a 6-bit kernel costs 6 bits a value, not 8.
const WIDTHS = Array.from({ length: 16 }, (_, i) => i + 1);

// Kernels get one step per output channel (last axis); vectors (biases, BN parameters) one
// step for the whole tensor, since a step per element would cost more than the values.
export function channelsOf(shape) {
  return shape.length >= 2 ? shape[shape.length - 1] : 1;
}

// Largest power of two dividing |v| (v != 0, finite float32), as an exponent.
function lowestSetBitExponent(v) {
  const f = new Float32Array([Math.abs(v)]);
  const bits = new Uint32Array(f.buffer)[0];
  const exponentField = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  let exponent;
  if (exponentField === 0) {
    exponent = -149; // subnormal
  } else {
    mantissa |= 0x800000;
    exponent = exponentField - 150;
  }
  let shift = 0;
  while (((mantissa >>> shift) & 1) === 0) shift++;
  return exponent + shift;
}

/**
 * Each channel (last axis) as integers times its coarsest power-of-two step: the largest
 * power of two dividing every value of the channel. Null when a value is not finite, is -0,
 * needs a step below 2^-126, or gives an integer beyond 2^15 in magnitude. Shared by the
 * converter (chooseEncoding) and model.weights() (web/weights.js).
 * @returns {{steps: Float32Array, ints: Int32Array, maxAbsInt: number} | null}
 */
export function dyadicCodes(data, shape) {
  const channels = channelsOf(shape);
  if (data.length === 0 || channels === 0 || data.length % channels !== 0) return null;
  const steps = new Float32Array(channels);
  const ints = new Int32Array(data.length);
  let maxAbsInt = 0;
  for (let c = 0; c < channels; c++) {
    let minExp = Infinity;
    for (let i = c; i < data.length; i += channels) {
      const v = data[i];
      if (!Number.isFinite(v)) return null;
      if (v !== 0) minExp = Math.min(minExp, lowestSetBitExponent(v));
      else if (Object.is(v, -0)) return null; // keep -0 exact
    }
    if (minExp === Infinity) minExp = 0; // an all-zero channel
    if (minExp < -126) return null;
    const step = 2 ** minExp;
    steps[c] = step;
    for (let i = c; i < data.length; i += channels) {
      const k = data[i] / step;
      if (!Number.isInteger(k) || Math.abs(k) > 32768) return null;
      ints[i] = k;
      maxAbsInt = Math.max(maxAbsInt, Math.abs(k));
    }
  }
  return { steps, ints, maxAbsInt };
}

/**
 * @param {Float32Array} data
 * @param {number[]} shape
 * @returns {{encoding: 'f32'} | {encoding: 'int', bits: number, steps: Float32Array, ints: Int32Array}}
 */
export function chooseEncoding(data, shape) {
  const channels = channelsOf(shape);
  const codes = dyadicCodes(data, shape);
  if (!codes) return { encoding: 'f32' };
  const { steps, ints } = codes;
  // Binary weights {-s, +s} use one bit: 0 -> -1, 1 -> +1.
  let binary = true;
  for (let i = 0; i < ints.length && binary; i++) binary = ints[i] === 1 || ints[i] === -1;
  let choice = null;
  if (binary) choice = { encoding: 'int', bits: 1, binary: true, steps, ints };
  for (const bits of WIDTHS.slice(1)) {
    if (choice) break;
    const lo = -(2 ** (bits - 1));
    const hi = 2 ** (bits - 1) - 1;
    let fits = true;
    for (let i = 0; i < ints.length && fits; i++) fits = ints[i] >= lo && ints[i] <= hi;
    if (fits) choice = { encoding: 'int', bits, binary: false, steps, ints };
  }
  if (!choice) return { encoding: 'f32' };
  const packedBytes = Math.ceil((ints.length * choice.bits) / 8) + 4 * channels;
  return packedBytes < 4 * data.length ? choice : { encoding: 'f32' };
}

export function packInts(ints, bits, binary) {
  const bytes = new Uint8Array(Math.ceil((ints.length * bits) / 8));
  const mask = (1 << bits) - 1;
  for (let i = 0; i < ints.length; i++) {
    const code = binary ? (ints[i] > 0 ? 1 : 0) : ints[i] & mask;
    // A code spans at most three bytes (16 bits starting at bit 7).
    let bit = i * bits;
    let value = code;
    let remaining = bits;
    while (remaining > 0) {
      const shift = bit & 7;
      const take = Math.min(8 - shift, remaining);
      bytes[bit >>> 3] |= (value & ((1 << take) - 1)) << shift;
      value >>>= take;
      bit += take;
      remaining -= take;
    }
  }
  return bytes;
}

export function unpackToFloat32(bytes, count, bits, binary, steps) {
  const out = new Float32Array(count);
  const channels = steps.length;
  const signBit = 1 << (bits - 1);
  for (let i = 0; i < count; i++) {
    let bit = i * bits;
    let code = 0;
    let got = 0;
    while (got < bits) {
      const shift = bit & 7;
      const take = Math.min(8 - shift, bits - got);
      code |= ((bytes[bit >>> 3] >>> shift) & ((1 << take) - 1)) << got;
      bit += take;
      got += take;
    }
    const k = binary ? (code ? 1 : -1) : code & signBit ? code - (1 << bits) : code;
    out[i] = k * steps[i % channels];
  }
  return out;
}
