// ap_fixed<W,I> / ap_ufixed<W,I> arithmetic for hls4ml configs: the narrowest type that holds a
// dyadic grid exactly, a suggested type for a float range, and whether a value fits a type.
//
// ap_fixed<W,I>: W bits two's complement, I of them integer bits (sign included), so values
// are k * 2^(I-W) with -2^(W-1) <= k <= 2^(W-1) - 1. ap_ufixed<W,I>: 0 <= k <= 2^W - 1.
// I may be negative or larger than W (Vitis/Vivado HLS allow both).

/** Exponent e with 2^e == step, or null when step is not a positive power of two. */
export function log2Exact(step) {
  if (!(step > 0) || !Number.isFinite(step)) return null;
  const e = Math.round(Math.log2(step));
  return 2 ** e === step ? e : null;
}

// Bits for integer codes in [kmin, kmax] (signed: two's complement; unsigned: plain).
function widthFor(kmin, kmax, signed) {
  let w = 1;
  if (signed) {
    while (-(2 ** (w - 1)) > kmin || 2 ** (w - 1) - 1 < kmax) w++;
  } else {
    while (2 ** w - 1 < kmax) w++;
  }
  return w;
}

/** {W, I, signed, step, text}. */
export function makeType(W, I, signed) {
  return { W, I, signed, step: 2 ** (I - W), text: `${signed ? 'ap_fixed' : 'ap_ufixed'}<${W},${I}>` };
}

/**
 * The narrowest type holding every value k * step in [min, max] exactly (step a power of two).
 * Null when step is not a power of two.
 */
export function exactType(min, max, step) {
  const e = log2Exact(step);
  if (e === null || !Number.isFinite(min) || !Number.isFinite(max)) return null;
  const kmin = Math.floor(min / step);
  const kmax = Math.ceil(max / step);
  const signed = kmin < 0;
  const W = widthFor(Math.min(kmin, 0), Math.max(kmax, 0), signed);
  return makeType(W, W + e, signed);
}

/** The narrowest type for integer codes times power-of-two scales (one or per channel). */
export function typeForCodes(integers, scale) {
  const scales = typeof scale === 'number' ? [scale] : Array.from(scale);
  if (scales.some((s) => log2Exact(s) === null)) return null;
  const finest = Math.min(...scales);
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < integers.length; i++) {
    const s = scales.length === 1 ? scales[0] : scales.length === integers.length ? scales[i] : scales[i % scales.length];
    const v = integers[i] * s;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return exactType(lo, hi, finest);
}

/**
 * A W-bit type whose integer part covers [min, max] (signed when min < 0), for float tensors.
 * Lossy by nature; the fraction gets the bits left over (at least 0).
 */
export function suggestedType(min, max, totalBits = 16) {
  const signed = min < 0;
  const mag = Math.max(Math.abs(min), Math.abs(max), 2 ** -30);
  let I = Math.ceil(Math.log2(mag)) + (signed ? 1 : 0);
  // max itself must fit below 2^(I - signed): ap types stop one step short of it.
  if (2 ** (I - (signed ? 1 : 0)) <= max) I += 1;
  const W = Math.max(totalBits, I, 1);
  return makeType(W, I, signed);
}

/** True when v is exactly k * 2^(I-W) with k in the type's range. */
export function representable(v, type) {
  if (!Number.isFinite(v)) return false;
  const k = v / type.step;
  if (!Number.isInteger(k)) return false;
  return type.signed ? k >= -(2 ** (type.W - 1)) && k <= 2 ** (type.W - 1) - 1 : k >= 0 && k <= 2 ** type.W - 1;
}

/**
 * v cast to the type as ap_fixed's defaults do (AP_TRN: toward minus infinity; AP_SAT assumed
 * at the ends, since wrap-around would make any error possible).
 */
export function castToType(v, type) {
  const lo = type.signed ? -(2 ** (type.W - 1)) : 0;
  const hi = type.signed ? 2 ** (type.W - 1) - 1 : 2 ** type.W - 1;
  const k = Math.min(hi, Math.max(lo, Math.floor(v / type.step)));
  return k * type.step;
}

/** Parses 'ap_fixed<W,I>' / 'ap_ufixed<W,I>' (extra quantization/overflow modes ignored), 'ap_int<W>' / 'ap_uint<W>'; null otherwise. */
export function parseType(text) {
  const m = /^\s*ap_(u?)(fixed|int)<\s*(-?\d+)\s*(?:,\s*(-?\d+))?[^>]*>\s*$/.exec(String(text));
  if (!m) return null;
  const W = Number(m[3]);
  const I = m[2] === 'int' ? W : Number(m[4]);
  if (!Number.isInteger(I)) return null;
  return makeType(W, I, m[1] !== 'u');
}

/** True when every value of type `inner` is a value of type `outer`. */
export function covers(outer, inner) {
  if (inner.step < outer.step) return false;
  const lo = (t) => (t.signed ? -(2 ** (t.I - 1)) : 0);
  const hi = (t) => 2 ** (t.signed ? t.I - 1 : t.I) - t.step;
  return lo(outer) <= lo(inner) && hi(outer) >= hi(inner);
}
