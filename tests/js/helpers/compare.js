// numpy.testing.assert_allclose semantics: |actual - expected| <= atol + rtol * |expected|.

export function flatten(value) {
  if (Array.isArray(value)) return value.flatMap(flatten);
  return [value];
}

// Rounds to IEEE half precision (round to nearest even), as numpy's astype(float16) does.
export function toFloat16(x) {
  if (!Number.isFinite(x)) return x;
  if (x === 0) return x;
  const sign = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  if (a >= 65520) return sign * Infinity;
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e -= 1;
  if (2 ** (e + 1) <= a) e += 1;
  const quantum = 2 ** (Math.max(e, -14) - 10);
  const scaled = a / quantum;
  let r = Math.round(scaled);
  if (Math.abs(scaled - Math.trunc(scaled) - 0.5) === 0) r = Math.trunc(scaled) % 2 === 0 ? Math.trunc(scaled) : Math.trunc(scaled) + 1;
  return sign * r * quantum;
}

export function allClose(actual, expected, { rtol = 1e-7, atol = 0, float16 = false } = {}) {
  if (actual.length !== expected.length) {
    return { ok: false, message: `length ${actual.length} != expected ${expected.length}` };
  }
  for (let i = 0; i < actual.length; i++) {
    let a = actual[i];
    let e = expected[i];
    if (float16) {
      a = toFloat16(a);
      e = toFloat16(e);
    }
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (a === e) continue;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      return { ok: false, message: `element ${i}: got ${a}, expected ${e} (rtol ${rtol}, atol ${atol})` };
    }
  }
  return { ok: true };
}
