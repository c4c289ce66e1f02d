// Runs QKeras's own quantizer test cases (../shared/qkeras/test_vectors.json) through the
// public JS API (WASM build). Enabled, asserted cases must pass; low-confidence ones
// (disabled_upstream, asserted_upstream false) and training-time ones are reported with
// their outcome and never fail the run.
import { test, after } from 'node:test';

import { quantize, describeQuantizer, quantizerRange, getScale, getIntegerBits, getUnrolledShape, getRolledBackShape } from '../../web/index.js';
import { hasShared, missingSharedMessage } from './helpers/shared.js';
import { allClose, flatten } from './helpers/compare.js';
import { loadVectorCases, vectorCaseTest, tolerances, sameJson } from './helpers/vector_cases.js';

const outcomes = [];

if (!hasShared) {
  test('QKeras quantizer test vectors', { skip: missingSharedMessage }, () => {});
} else {
  for (const c of loadVectorCases(['quantizer', 'function'])) {
    const trainingOnly = c.setup && c.setup.learning_phase === 1;
    const name = `${c.id} [${c.class}.${c.method}]`;
    if (trainingOnly) {
      outcomes.push({ c, status: 'not-applicable', message: 'training-time (learning phase 1) stochastic path' });
      test(name, { skip: 'learning phase 1: training-time stochastic rounding is outside inference semantics' }, () => {});
      continue;
    }
    vectorCaseTest(name, c, runCase, outcomes);
  }
}

after(() => {
  if (outcomes.length === 0) return;
  const byClass = new Map();
  for (const { c, status } of outcomes) {
    const key = `${c.kind === 'function' ? 'fn ' : ''}${c.class}`;
    const row = byClass.get(key) ?? { pass: 0, fail: 0, skipped: 0, 'not-applicable': 0, soft: 0 };
    const soft = c.disabled_upstream === true || c.asserted_upstream === false;
    if (soft && status !== 'not-applicable') row.soft += 1;
    else row[status] += 1;
    byClass.set(key, row);
  }
  const lines = ['QKeras test vectors by class (pass / fail / skipped / n.a. / low-confidence):'];
  for (const [key, r] of [...byClass].sort()) {
    lines.push(`  ${key.padEnd(28)} ${r.pass} / ${r.fail} / ${r.skipped} / ${r['not-applicable']} / ${r.soft}`);
  }
  for (const { c, status, message } of outcomes) {
    if ((c.disabled_upstream || c.asserted_upstream === false) && status !== 'not-applicable') {
      lines.push(`  low-confidence ${c.id}: ${status}${message ? ' (' + message + ')' : ''}`);
    }
  }
  console.log(lines.join('\n'));
});

function specOf(c) {
  const ctor = c.constructor;
  // The constructor string is QKeras's own syntax; use it (it exercises our safe_eval parser)
  // unless it holds Python the string grammar cannot express (lists with commas, expressions).
  if (typeof ctor === 'string' && !/[[\]{}]|np\.|tf\./.test(ctor)) {
    return ctor.includes('(') ? ctor : `${ctor}()`;
  }
  return { class_name: c.class, config: c.args };
}

function optionsOf(c) {
  const options = {};
  const setup = c.setup ?? {};
  if (setup.set_internal_sigmoid) options.internalSigmoid = setup.set_internal_sigmoid;
  if (setup.update_qnoise_factor !== undefined) options.qnoiseFactor = setup.update_qnoise_factor;
  return options;
}

// Inputs the test builds with TF/numpy calls rather than literals: ones, or uniform [0, 1)
// (tf.random.uniform's default) from our own seeded generator; the checks on such cases are
// shape or range properties, not values of a particular random stream.
function materialize(input, shape, seed = 7) {
  if (typeof input !== 'string') return Float32Array.from(flatten(input));
  const n = shape.reduce((a, b) => a * b, 1);
  if (/^(tf|np)\.ones\(/.test(input)) return new Float32Array(n).fill(1);
  const m = /^(2 \*\* )?(tf\.random\.uniform|np\.random\.uniform|np\.random\.rand)\(/.exec(input);
  if (m) {
    const lo = Number(/minval=(-?[0-9.e]+)/.exec(input)?.[1] ?? 0);
    const hi = Number(/maxval=(-?[0-9.e]+)/.exec(input)?.[1] ?? 1);
    const u = uniformInput(0.5, 1, n, seed).map((v) => lo + (v + 0.5) * (hi - lo));
    return m[1] ? u.map((v) => 2 ** v) : u;
  }
  throw new Error(`cannot build input ${input}`);
}

function shapeOfRecipe(recipe) {
  return JSON.parse(/(?:shape=|\()\s*(\[[^\]]*\])/.exec(recipe)[1]);
}

// The literals in the test source are Python floats; the test compares float32 results with
// them after numpy's cast, so expected values are rounded to float32 when the input is.
function expectedValues(c) {
  const values = flatten(c.expected);
  return c.input_dtype === 'float32' || c.input_dtype == null ? values.map((v) => (typeof v === 'number' ? Math.fround(v) : v)) : values;
}

// Deterministic stand-in for the statistical recipes (uniform(-m, m)): the expected values
// are properties of the distribution (e.g. mean|x| = m/2), not of numpy's RNG stream.
function uniformInput(m, rows, cols, seed) {
  let s = seed >>> 0;
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = (s / 4294967296) * 2 * m - m;
  }
  return data;
}

async function runCase(c) {
  const spec = specOf(c);
  const options = optionsOf(c);
  switch (c.kind === 'function' ? 'function' : c.method) {
    case '__call__': {
      if (c.input == null) return { skip: `no literal input (${c.input_recipe ?? 'input_fill'})` };
      if (c.expected_reduction) return { skip: `statistical reduction: ${c.expected_reduction}` };
      const x = materialize(c.input, c.input_shape);
      const y = await quantize(spec, x, c.input_shape, options);
      return allClose(Array.from(y), expectedValues(c), tolerances(c));
    }
    case 'min_max': {
      const d = await describeQuantizer(spec, options);
      return allClose([d.min, d.max], c.expected, tolerances(c));
    }
    case '__str__': {
      const d = await describeQuantizer(spec, options);
      return d.str === c.expected ? { ok: true } : { ok: false, message: `str ${JSON.stringify(d.str)} != ${JSON.stringify(c.expected)}` };
    }
    case 'range': {
      const r = await quantizerRange(spec, options);
      return allClose(Array.from(r), c.expected, tolerances(c));
    }
    case 'scale':
    case 'scale_shape': {
      if (c.input == null) return { skip: 'no literal input' };
      const x = materialize(c.input, c.input_shape);
      const { scale, scaleShape } = await quantize(spec, x, c.input_shape, { ...options, returnScale: true });
      if (c.method === 'scale_shape' || c.expected == null) {
        const want = c.expected_scale_shape ?? c.expected_shape;
        return JSON.stringify(scaleShape) === JSON.stringify(want)
          ? { ok: true }
          : { ok: false, message: `scale shape ${JSON.stringify(scaleShape)} != ${JSON.stringify(want)}` };
      }
      return allClose(Array.from(scale), flatten(c.expected_scale ?? c.expected), { rtol: c.scale_rtol ?? c.rtol ?? 1e-7, atol: c.atol ?? 0 });
    }
    case 'get_weight_scale': {
      const m = Number(/m_([0-9.e-]+)$/.exec(c.id)?.[1]);
      if (!Number.isFinite(m)) return { skip: `unknown recipe ${c.input_recipe}` };
      const rows = 100000;
      const x = uniformInput(m, rows, 10, 42);
      const { scale } = await quantize(spec, x, [rows, 10], { ...options, returnScale: true });
      const values = Array.from(scale);
      const reduced = /np\.mean/.test(c.expected_reduction ?? '') ? [values.reduce((a, b) => a + b, 0) / values.length] : values;
      return allClose(reduced, reduced.map(() => c.expected), tolerances(c));
    }
    case 'function':
      return runFunctionCase(c);
    default:
      return { skip: `method ${c.method} is not a quantizer method we expose` };
  }
}

// Module-level QKeras helpers. hard_sigmoid / smooth_sigmoid are usable wherever a quantizer
// is (QKeras resolves them by name), so they go through quantize().
async function runFunctionCase(c) {
  switch (c.class) {
    case 'hard_sigmoid':
    case 'smooth_sigmoid': {
      const x = Float32Array.from(flatten(c.input));
      const y = await quantize(c.class, x, c.input_shape);
      return allClose(Array.from(y), flatten(c.expected), tolerances(c));
    }
    case '_get_integer_bits': {
      const got = await getIntegerBits(c.input.min_value, c.input.max_value, c.args);
      return sameJson(got, c.expected);
    }
    case '_get_unrolled_shape':
      return sameJson(await getUnrolledShape(c.input, c.args.unroll_factor, c.args.unroll_axis), c.expected);
    case '_get_rolled_back_shape':
      return sameJson(await getRolledBackShape(c.input, c.args.roll_axis), c.expected);
    case '_get_scale': {
      // x and q are built by TF calls (ones / random uniform): the checks are the scale's
      // shape and, where given, its number of distinct values.
      const shape = shapeOfRecipe(c.input.x);
      const x = materialize(c.input.x, shape, 11);
      const q = materialize(c.input.q, shape, 13);
      const { alpha, ...options } = c.args;
      const { scale, shape: scaleShape } = await getScale(alpha, x, q, shape, options);
      const shapeCheck = sameJson(scaleShape, c.expected_shape);
      if (!shapeCheck.ok) return shapeCheck;
      if (c.expected_log2_range) {
        const [lo, hi] = c.expected_log2_range;
        const logs = Array.from(scale, Math.log2);
        if (Math.min(...logs) < lo || Math.max(...logs) > hi) return { ok: false, message: `log2(scale) outside [${lo}, ${hi}]` };
      }
      if (c.expected_n_unique === undefined) return shapeCheck;
      const unique = new Set(scale).size;
      return unique === c.expected_n_unique ? { ok: true } : { ok: false, message: `${unique} distinct scales, expected ${c.expected_n_unique}` };
    }
    default:
      return { skip: `${c.class} is not part of QKeras's inference path (we do not expose it)` };
  }
}

