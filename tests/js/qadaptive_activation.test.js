// QAdaptiveActivation end to end (fixture file -> loadModel -> predict / analyze / trace) against a
// reference written here from QKeras's source (qlayers.py QAdaptiveActivation, quantizers.py
// quantized_bits / quantized_relu / _get_integer_bits), sharing no code with the runtime.
//
// What QKeras computes at the first call after loading: the quantizer's integer-bits variable
// still holds build()'s value, _get_integer_bits(ema_min=0, ema_max=0) = 0 (it is not a saved
// weight; the file holds [step, ema_min, ema_max]), and call() quantizes BEFORE recomputing it from
// the EMAs. So the output is quantized_bits(total_bits, 0, symmetric, alpha=1) or
// quantized_relu(total_bits, 0, negative_slope, is_quantized_clip=False) whatever the EMAs are.
// Keras's model.predict calls the layer once per batch of 32: samples 32.. of the first predict
// after loading (and every later call) use the bits _get_integer_bits(ema_min, ema_max). Our
// predict() is stateless: every call is that first model.predict (tests at the end of the file),
// or, with adaptiveActivation: 'ema', every sample uses the EMA bits.
// The reference emulates float32 with Math.fround in QKeras's operation order, including the STE
// sum x + (-x + xq), which is not xq for huge x: every comparison is bit-exact.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { loadModel, convert } from '../../web/index.js';
import { writeKerasH5, writeKerasJsonAndWeights, writeKerasV3, functionalConfig, inputLayer } from '../fixtures/keras_writer.js';

const f = Math.fround;

function roundHalfEven(v) {
  const fl = Math.floor(v);
  const d = v - fl;
  if (d > 0.5) return fl + 1;
  if (d < 0.5) return fl;
  return fl % 2 === 0 ? fl : fl + 1;
}
const clip = (v, lo, hi) => Math.min(Math.max(v, lo), hi);

/** quantized_bits(bits, integer, symmetric, keep_negative=True, alpha=1) then the STE sum. */
function refBits(x, bits, symmetric, integer = 0) {
  const mi = 2 ** integer;
  const m = 2 ** (bits - 1); // unsigned_bits = bits - keep_negative
  if (bits - 1 === 0) {
    // "1 bit becomes a binary implementation": sign(x) with 0 -> 1.
    let xq = Math.sign(x);
    xq += 1 - Math.abs(xq);
    return f(x + f(-x + xq));
  }
  const p = f(f(x * m) / mi); // x * m / m_i
  const xq = f(f(mi * clip(roundHalfEven(p), -m + (symmetric ? 1 : 0), m - 1)) / m);
  return f(x + f(1 * f(-x + xq)));
}

/** quantized_relu(bits, integer, negative_slope=s, is_quantized_clip=False) then the STE sum. */
function refRelu(x, bits, s, integer = 0) {
  const mi = 2 ** integer;
  const m = 2 ** (bits - (s !== 0 ? 1 : 0));
  const xu = s === 0 ? Math.max(x, 0) : x > 0 ? x : f(s * x); // K.relu(x, alpha=s): leaky_relu
  const p = f(f(x * m) / mi);
  let xq = f(mi * clip(f(roundHalfEven(p) / m), 0, f(1 - 1 / m)));
  if (s > 0) {
    const negFactor = f(1 / f(s * m));
    xq = f(xq + f(f(mi * s) * clip(f(roundHalfEven(f(p * s)) * negFactor), -1, 0)));
  }
  return f(xu + f(1 * f(-xu + xq)));
}

/** QKeras's _get_integer_bits for the warning's "later calls" value (float64 is enough away from powers of 2). */
function refIntegerBits(lo, hi, bits, symmetric, keepNegative, po2Rounding) {
  if (!keepNegative) {
    lo = Math.max(lo, 0);
    hi = Math.max(hi, 0);
  }
  const ub = bits - (keepNegative ? 1 : 0);
  const pos = (v) => Math.max(Math.log2(Math.abs(v)), 0);
  let minInt = po2Rounding ? roundHalfEven(pos(lo)) : Math.ceil(pos(lo));
  let maxInt = po2Rounding ? roundHalfEven(pos(hi)) : Math.ceil(pos(hi));
  if (!po2Rounding) {
    if (!(hi <= 2 ** maxInt - 2 ** Math.min(maxInt - ub, 0))) maxInt += 1;
    if (symmetric && !(-(2 ** minInt) + 2 ** Math.min(minInt - ub, 0) <= lo)) minInt += 1;
  }
  return Math.min(ub, Math.max(minInt, maxInt));
}

// ---- fixtures -------------------------------------------------------------------------------

/** Keras 2 get_config of a built, loaded QAdaptiveActivation (qlayers.py get_config). */
function adaptiveLayer(name, options) {
  return {
    class_name: 'QAdaptiveActivation',
    config: {
      name, trainable: true, dtype: 'float32',
      activation: options.activation, total_bits: options.total_bits, current_step: options.step ?? 1000,
      symmetric: options.symmetric ?? true, quantization_delay: 0, ema_freeze_delay: options.ema_freeze_delay ?? null,
      ema_decay: 0.9998999834060669, per_channel: options.per_channel ?? false, po2_rounding: options.po2_rounding ?? false,
      relu_neg_slope: options.relu_neg_slope ?? 0.0,
    },
  };
}

/** Input(shape) -> QAdaptiveActivation, with its variables [step, ema_min, ema_max] as Keras 2 saves them. */
function adaptiveModel(options, shape, emaMin, emaMax) {
  const nodes = [{ layer: inputLayer('x', shape) }, { layer: adaptiveLayer('qaa', options), inbound: ['x'] }];
  const modelConfig = functionalConfig('qaa_model', nodes, ['x'], ['qaa']);
  const weights = {
    qaa: [
      { name: 'Variable:0', shape: [], data: BigInt64Array.of(BigInt(options.step ?? 1000)) },
      { name: 'qaa/ema_min:0', shape: [emaMin.length], data: Float32Array.from(emaMin) },
      { name: 'qaa/ema_max:0', shape: [emaMax.length], data: Float32Array.from(emaMax) },
    ],
  };
  return { modelConfig, weights };
}

// Inputs: on and between the 1/16 lattice, ties, beyond the clip range, and huge values where the
// STE sum x + (-x + xq) rounds away from xq (x = 2^23 + 1 gives 1.0, x = 1e30 gives 0).
const X = Float32Array.from([
  0, 0.03125, -0.03125, 0.0625, -0.0625, 0.1875, 0.3, -0.3, 0.4375, -0.4375, 0.7, -0.7, 0.9375, -0.9375,
  0.999, -0.999, 1.5, -1.5, 3, -3, 100, -100, 8388609, -8388609, 1e30, -1e30, 2 ** 20, -(2 ** 20),
]);

const CASES = [
  { label: 'quantized_bits(4) symmetric', options: { activation: 'quantized_bits', total_bits: 4 }, ref: (x) => refBits(x, 4, true) },
  { label: 'quantized_bits(3) symmetric=False', options: { activation: 'quantized_bits', total_bits: 3, symmetric: false }, ref: (x) => refBits(x, 3, false) },
  { label: 'quantized_bits(8)', options: { activation: 'quantized_bits', total_bits: 8 }, ref: (x) => refBits(x, 8, true) },
  { label: 'quantized_bits(1) (sign)', options: { activation: 'quantized_bits', total_bits: 1 }, ref: (x) => refBits(x, 1, true) },
  { label: 'quantized_relu(4)', options: { activation: 'quantized_relu', total_bits: 4 }, ref: (x) => refRelu(x, 4, 0) },
  { label: 'quantized_relu(6)', options: { activation: 'quantized_relu', total_bits: 6 }, ref: (x) => refRelu(x, 6, 0) },
  { label: 'quantized_relu(4) relu_neg_slope=0.25', options: { activation: 'quantized_relu', total_bits: 4, relu_neg_slope: 0.25 }, ref: (x) => refRelu(x, 4, 0.25) },
];

// Trained-looking EMAs: far from 0, so later calls' bits differ from the first call's 0.
const EMA_MIN = [-2.7];
const EMA_MAX = [5.2];

for (const c of CASES) {
  test(`QAdaptiveActivation ${c.label}: first call after loading, bit-exact, from every file form`, async () => {
    const spec = adaptiveModel(c.options, [X.length], EMA_MIN, EMA_MAX);
    const expected = Array.from(X, c.ref);
    const h5 = await loadModel(await writeKerasH5(spec));
    const { json, weightsBytes } = await writeKerasJsonAndWeights(spec);
    const jw = await loadModel({ config: json, weights: weightsBytes });
    const v3 = await loadModel(await writeKerasV3(spec), { name: 'm.keras' });
    for (const [form, model] of [['h5', h5], ['json+weights', jw], ['keras3', v3]]) {
      const y = await model.predict(X, [1, X.length]);
      assert.deepEqual(Array.from(y.data), expected, `${form}`);
    }
    // The stored variables are read (and kept for a converted model): step, ema_min, ema_max.
    for (const model of [h5, v3]) {
      const w = (await model.weights()).filter((v) => v.layer === 'qaa');
      assert.deepEqual(w.map((v) => v.name), ['step', 'ema_min', 'ema_max']);
      assert.deepEqual(w.map((v) => Array.from(v.values ?? v.data)), [[1000], [Math.fround(EMA_MIN[0])], [Math.fround(EMA_MAX[0])]]);
    }
    for (const m of [h5, jw, v3]) m.dispose();
  });
}

test('QAdaptiveActivation: the EMAs do not change the first call; the warning names the bits later calls use', async () => {
  const options = { activation: 'quantized_bits', total_bits: 6 };
  const x = Float32Array.from([0.3, -0.7, 2.5, -4.2]);
  const outputs = [];
  for (const [lo, hi] of [[0, 0], [-2.7, 5.2], [-100, 100]]) {
    const model = await loadModel(await writeKerasH5(adaptiveModel(options, [4], [lo], [hi])));
    outputs.push(Array.from((await model.predict(x, [1, 4])).data));
    const warning = model.warnings.find((w) => w.layer === 'qaa');
    assert.equal(warning.code, 'call-history');
    assert.match(warning.message, /build\(\) sets them to 0 \(the variable is not saved/);
    const later = refIntegerBits(lo, hi, 6, true, true, false);
    assert.match(warning.message, new RegExp(`later calls.*use integer=${later} \\(from the saved ema_min/ema_max\\)`));
    assert.doesNotMatch(warning.message, /ema_freeze_delay/);
    model.dispose();
  }
  assert.deepEqual(outputs[1], outputs[0]);
  assert.deepEqual(outputs[2], outputs[0]);
  // ceil vs round (po2_rounding), relu's keep_negative=False and per-channel EMAs in the warning.
  const ema = [[0.2, -1.5, -0.1], [3.1, 1.4, 12.0]];
  const pc = await loadModel(await writeKerasH5(adaptiveModel({ activation: 'quantized_relu', total_bits: 5, per_channel: true, po2_rounding: true }, [2, 3], ema[0], ema[1])));
  const bits = ema[0].map((lo, i) => refIntegerBits(lo, ema[1][i], 5, true, false, true));
  assert.match(pc.warnings[0].message, new RegExp(`integer=\\[${bits.join(',')}\\]`));
  const y = await pc.predict(Float32Array.from([0.3, -0.2, 7, 0.51, 1.2, -3]), [1, 2, 3]);
  assert.deepEqual(Array.from(y.data), [0.3, -0.2, 7, 0.51, 1.2, -3].map((v) => refRelu(f(v), 5, 0)));
  pc.dispose();
});

test('QAdaptiveActivation: EMA updates at inference (step <= ema_freeze_delay) are named in the warning', async () => {
  const model = await loadModel(await writeKerasH5(adaptiveModel({ activation: 'quantized_bits', total_bits: 4, step: 10, ema_freeze_delay: 500 }, [2], [-1], [1])));
  assert.match(model.warnings[0].message, /step 10 <= ema_freeze_delay 500, so each QKeras call at inference first moves ema_min\/ema_max/);
  model.dispose();
  const frozen = await loadModel(await writeKerasH5(adaptiveModel({ activation: 'quantized_bits', total_bits: 4, step: 501, ema_freeze_delay: 500 }, [2], [-1], [1])));
  assert.doesNotMatch(frozen.warnings[0].message, /ema_freeze_delay/);
  frozen.dispose();
});

test('QAdaptiveActivation: analysis and trace give the grid holding integer=0 and the EMA bits, fused after a QDense too', async () => {
  const options = { activation: 'quantized_bits', total_bits: 4 };
  const model = await loadModel(await writeKerasH5(adaptiveModel(options, [6], EMA_MIN, EMA_MAX)));
  const a = model.analyze().find((t) => t.name === 'qaa');
  assert.equal(a.status, 'quantized');
  // Samples 0..31 of a call: integer=0 (step 1/8 in [-7/8, 7/8]); later ones integer=3 (step 1 in
  // [-7, 7]): one grid holds both.
  assert.equal(a.quantizer, 'quantized_bits(4,0,1,alpha=1.0) / quantized_bits(4,3,1,alpha=1.0)');
  assert.deepEqual([a.grid.step, a.grid.min, a.grid.max, a.grid.bits], [0.125, -7, 7, 7]);
  assert.match(a.reason, /step 1\/8, range \[-7, 7\]; one grid holding all of them \(in each predict\(\) call, samples 0\.\.31 use integer=0 and samples 32\.\. integer=3\)/);
  const x = Float32Array.from([0.3, -0.3, 0.7, 2, -2, 0.05]);
  const trace = await model.trace(x, [1, 6]);
  const entry = trace.find((t) => t.name === 'qaa');
  assert.equal(entry.status, 'quantized');
  assert.equal(entry.stats.onGrid, true);
  assert.deepEqual(Array.from(entry.data), Array.from(x, (v) => refBits(v, 4, true)));
  // hls4ml config: that grid as ap_fixed<7,4>; step and EMAs are state, not weights, so no
  // weight/accum types.
  const { config } = await model.hls4mlConfig();
  assert.deepEqual(config.LayerName.qaa, { Precision: { result: 'ap_fixed<7,4>' } });
  model.dispose();

  // Dense -> QAdaptiveActivation(quantized_relu): the same numbers whether or not the runtime fuses.
  const nodes = [
    { layer: inputLayer('x', [3]) },
    { layer: { class_name: 'Dense', config: { name: 'd', trainable: true, dtype: 'float32', units: 2, activation: 'linear', use_bias: true } }, inbound: ['x'] },
    { layer: adaptiveLayer('qaa', { activation: 'quantized_relu', total_bits: 4 }), inbound: ['d'] },
  ];
  const modelConfig = functionalConfig('dense_qaa', nodes, ['x'], ['qaa']);
  const K = [0.5, -0.25, 0.75, 0.125, -1, 0.625];
  const b = [0.0625, -0.125];
  const weights = {
    d: [{ name: 'd/kernel:0', shape: [3, 2], data: K }, { name: 'd/bias:0', shape: [2], data: b }],
    qaa: [
      { name: 'Variable:0', shape: [], data: BigInt64Array.of(7n) },
      { name: 'qaa/ema_min:0', shape: [1], data: [0] },
      { name: 'qaa/ema_max:0', shape: [1], data: [3] },
    ],
  };
  const dm = await loadModel(await writeKerasH5({ modelConfig, weights }));
  const xs = Float32Array.from([0.5, 0.25, -0.75, 1, -1, 0.5]);
  const y = await dm.predict(xs, [2, 3]);
  const expected = [];
  for (let r = 0; r < 2; r++) {
    for (let j = 0; j < 2; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += xs[r * 3 + k] * K[k * 2 + j]; // dyadic: exact in float32
      expected.push(refRelu(f(s + b[j]), 4, 0));
    }
  }
  assert.deepEqual(Array.from(y.data), expected);
  dm.dispose();
});

test('QAdaptiveActivation: what QKeras rejects, and bad weights, fail naming the layer', async () => {
  const bad = async (options, emaMin = [0], emaMax = [1]) => {
    const spec = adaptiveModel(options, [4], emaMin, emaMax);
    return loadModel(await writeKerasH5(spec));
  };
  // QKeras: `activation not in ["quantized_bits", "quantized_relu"]` -> ValueError.
  await assert.rejects(bad({ activation: 'quantized_bits(4,0,1)', total_bits: 4 }),
    /layer 'qaa' \(QAdaptiveActivation\): invalid activation "quantized_bits\(4,0,1\)": QKeras accepts only the quantizer names "quantized_bits" and "quantized_relu" without parameters/);
  await assert.rejects(bad({ activation: 'quantized_tanh', total_bits: 4 }), /invalid activation "quantized_tanh"/);
  await assert.rejects(bad({ activation: 'quantized_relu', total_bits: 4, relu_neg_slope: 0.3 }), /relu_neg_slope=0.3 is not supported/);
  await assert.rejects(bad({ activation: 'quantized_bits', total_bits: 4 }, [0, 0], [1, 1]), /weights step \(\), ema_min \(2,\), ema_max \(2,\): expected a scalar step and EMAs of shape \(1,\), or \(channels,\) with per_channel=True/);
  await assert.rejects(bad({ activation: 'quantized_bits', total_bits: 4, per_channel: true }, [0, 0, 0], [1, 1, 1]),
    /per_channel=True: weights 'ema_min'\/'ema_max' have 3 channels, the input \(4,\) has 4/);
  const noWeights = adaptiveModel({ activation: 'quantized_bits', total_bits: 4 }, [4], [0], [1]);
  noWeights.weights.qaa = [];
  await assert.rejects(async () => loadModel(await writeKerasH5(noWeights)), /missing weight 'ema_min'/);
});

test('QAdaptiveActivation: a converted .qkwm keeps the EMAs, the numbers and the warning', async () => {
  const spec = adaptiveModel({ activation: 'quantized_relu', total_bits: 4, per_channel: true }, [2, 3], [0, -1, 0.5], [2.5, 0.75, 9]);
  const h5 = await writeKerasH5(spec);
  const source = await loadModel(h5);
  const converted = await loadModel(await convert(h5));
  const x = Float32Array.from([0.3, -0.2, 7, 0.51, 1.2, -3]);
  assert.deepEqual(Array.from((await converted.predict(x, [1, 2, 3])).data), Array.from((await source.predict(x, [1, 2, 3])).data));
  assert.deepEqual(converted.warnings.map((w) => w.message), source.warnings.map((w) => w.message));
  source.dispose();
  converted.dispose();
});

// ---- model.predict's batches: integer=0 for the first predictBatchSize samples, then the EMA bits ----

/** n samples of `width` values spread over about [-7.6, 7.6] (not on any grid, some on the lattice). */
function batchInput(n, width) {
  return Float32Array.from({ length: n * width }, (_, i) => f((((i * 37) % 97) - 48) / (i % 5 === 0 ? 8 : 6.3)));
}

/** QKeras's model.predict(x, batch_size) right after loading: sample r of the call uses integer 0 when r < firstBatch. */
function expectedCall(x, width, firstBatch, ref, emaBits) {
  return Array.from(x, (v, i) => {
    const r = Math.floor(i / width);
    return ref(v, r < firstBatch ? 0 : emaBits[i % width % emaBits.length]);
  });
}

const MIXED = [
  { label: 'quantized_bits(4)', options: { activation: 'quantized_bits', total_bits: 4 }, ema: [[-2.7], [5.2]],
    ref: (x, b) => refBits(x, 4, true, b), bits: [refIntegerBits(-2.7, 5.2, 4, true, true, false)] },
  { label: 'quantized_relu(5) relu_neg_slope=0.25', options: { activation: 'quantized_relu', total_bits: 5, relu_neg_slope: 0.25 }, ema: [[-1.1], [2.2]],
    ref: (x, b) => refRelu(x, 5, 0.25, b), bits: [refIntegerBits(-1.1, 2.2, 5, true, true, false)] },
  { label: 'quantized_relu(4) per_channel, different bits per channel', options: { activation: 'quantized_relu', total_bits: 4, per_channel: true },
    ema: [[0, 0, -1], [0.4, 3.1, 7.9]], ref: (x, b) => refRelu(x, 4, 0, b), bits: [0.4, 3.1, 7.9].map((hi, c) => refIntegerBits([0, 0, -1][c], hi, 4, true, false, false)) },
];

for (const c of MIXED) {
  test(`QAdaptiveActivation ${c.label}: a batch of 40 is QKeras's model.predict after loading (32 samples integer=0, 8 with the EMA bits)`, async () => {
    const width = c.ema[0].length === 1 ? 5 : 3;
    const h5 = await writeKerasH5(adaptiveModel(c.options, [width], c.ema[0], c.ema[1]));
    assert.ok(c.bits.some((b) => b !== 0), 'the EMAs give bits other than 0');
    const model = await loadModel(h5);
    const x = batchInput(40, width);
    const y = Array.from((await model.predict(x, [40, width])).data);
    const expected = expectedCall(x, width, 32, c.ref, c.bits);
    assert.deepEqual(y, expected);
    // The two halves really differ from "every sample integer=0" and from "every sample the EMA bits".
    assert.notDeepEqual(y, expectedCall(x, width, 40, c.ref, c.bits));
    assert.notDeepEqual(y, expectedCall(x, width, 0, c.ref, c.bits));
    // trace gives the same numbers, also in pieces (each piece knows its batch index), on the grid it reports.
    for (const options of [{}, { batchSize: 12 }]) {
      const entry = (await model.trace(x, [40, width], options)).find((t) => t.name === 'qaa');
      assert.deepEqual(Array.from(entry.data), expected, JSON.stringify(options));
      assert.equal(entry.stats.onGrid, true);
    }
    const bitsText = c.bits.length > 1 ? `\\[${c.bits.join(',')}\\]` : `${c.bits[0]}`;
    const a = model.analyze().find((t) => t.name === 'qaa');
    assert.match(a.reason, new RegExp(`one grid holding all of them \\(in each predict\\(\\) call, samples 0\\.\\.31 use integer=0 and samples 32\\.\\. integer=${bitsText}\\)`));
    const w = model.warnings.find((v) => v.layer === 'qaa').message;
    assert.match(w, new RegExp(`'after-load', QKeras's model.predict right after loading with batch_size=32, option predictBatchSize\\): in each predict\\(\\) call, samples 0\\.\\.31 use integer=0 and samples 32\\.\\. integer=${bitsText}\\. predict\\(\\) is stateless: every call starts again at sample 0`));
    model.dispose();

    // adaptiveActivation: 'ema' -> every sample uses the EMA bits (QKeras after training or an earlier predict).
    const ema = await loadModel(h5, { adaptiveActivation: 'ema' });
    assert.deepEqual(Array.from((await ema.predict(x, [40, width])).data), expectedCall(x, width, 0, c.ref, c.bits));
    assert.match(ema.warnings[0].message, new RegExp(`Here \\(option adaptiveActivation 'ema', QKeras after training or an earlier predict\\): every sample uses integer=${bitsText}\\.`));
    assert.match(ema.analyze().find((t) => t.name === 'qaa').reason, new RegExp(`\\(every sample uses integer=${bitsText}\\)$`));
    ema.dispose();
  });
}

test('QAdaptiveActivation: <= 32 samples all use integer=0; separate predict calls each start again at sample 0; predictBatchSize', async () => {
  const c = MIXED[0];
  const h5 = await writeKerasH5(adaptiveModel(c.options, [5], c.ema[0], c.ema[1]));
  const model = await loadModel(h5);
  const x = batchInput(40, 5);
  for (const n of [1, 20, 32, 33]) {
    const y = Array.from((await model.predict(x.subarray(0, n * 5), [n, 5])).data);
    assert.deepEqual(y, expectedCall(x.subarray(0, n * 5), 5, 32, c.ref, c.bits), `${n} samples`);
  }
  // predict(first 20) ++ predict(last 20): our predict() is stateless, both calls are a first call
  // after loading (all 40 samples integer=0), unlike QKeras, where the second call would use the EMA bits.
  const first = Array.from((await model.predict(x.subarray(0, 100), [20, 5])).data);
  const second = Array.from((await model.predict(x.subarray(100), [20, 5])).data);
  assert.deepEqual([...first, ...second], expectedCall(x, 5, 40, c.ref, c.bits));
  assert.notDeepEqual([...first, ...second], Array.from((await model.predict(x, [40, 5])).data));
  model.dispose();

  const small = await loadModel(h5, { predictBatchSize: 10 });
  assert.deepEqual(Array.from((await small.predict(x, [40, 5])).data), expectedCall(x, 5, 10, c.ref, c.bits));
  assert.match(small.warnings[0].message, /batch_size=10, option predictBatchSize\): in each predict\(\) call, samples 0\.\.9 use integer=0 and samples 10\.\. integer=3/);
  assert.match(small.analyze().find((t) => t.name === 'qaa').reason, /\(in each predict\(\) call, samples 0\.\.9 use integer=0 and samples 10\.\. integer=3\)/);
  small.dispose();

  await assert.rejects(loadModel(h5, { adaptiveActivation: 'first' }), /option 'adaptiveActivation' must be 'after-load' or 'ema', got "first"/);
  await assert.rejects(loadModel(h5, { predictBatchSize: 0 }), /option 'predictBatchSize' must be a positive integer/);
  await assert.rejects(loadModel(h5, { predictBatchSize: 2.5 }), /option 'predictBatchSize' must be a positive integer/);
  // convert() takes the same options (they decide nothing in the file: the EMAs are kept).
  const converted = await loadModel(await convert(h5, { adaptiveActivation: 'ema', predictBatchSize: 8 }));
  assert.deepEqual(Array.from((await converted.predict(x, [40, 5])).data), expectedCall(x, 5, 32, c.ref, c.bits));
  converted.dispose();
});

test("QAdaptiveActivation 'ema' after a Dense: fused and unfused give the EMA bits' numbers, analysis the EMA grid", async () => {
  const nodes = [
    { layer: inputLayer('x', [3]) },
    { layer: { class_name: 'Dense', config: { name: 'd', trainable: true, dtype: 'float32', units: 2, activation: 'linear', use_bias: false } }, inbound: ['x'] },
    { layer: adaptiveLayer('qaa', { activation: 'quantized_bits', total_bits: 4 }), inbound: ['d'] },
  ];
  const K = [0.5, -0.25, 0.75, 0.125, -1, 0.625];
  const weights = {
    d: [{ name: 'd/kernel:0', shape: [3, 2], data: K }],
    qaa: [
      { name: 'Variable:0', shape: [], data: BigInt64Array.of(7n) },
      { name: 'qaa/ema_min:0', shape: [1], data: [-3] },
      { name: 'qaa/ema_max:0', shape: [1], data: [3] },
    ],
  };
  const h5 = await writeKerasH5({ modelConfig: functionalConfig('dense_qaa', nodes, ['x'], ['qaa']), weights });
  const bits = refIntegerBits(-3, 3, 4, true, true, false);
  const n = 40;
  const xs = Float32Array.from({ length: n * 3 }, (_, i) => ((i * 13) % 17) / 4 - 2); // dyadic: exact sums
  const expected = [];
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < 2; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += xs[r * 3 + k] * K[k * 2 + j];
      expected.push(refBits(f(s), 4, true, bits));
    }
  }
  for (const fuse of [true, false]) {
    const m = await loadModel(h5, { adaptiveActivation: 'ema', fuse });
    assert.deepEqual(Array.from((await m.predict(xs, [n, 3])).data), expected, `fuse ${fuse}`);
    const a = m.analyze().find((t) => t.name === 'qaa');
    assert.equal(a.quantizer, `quantized_bits(4,${bits},1,alpha=1.0)`);
    assert.match(a.reason, new RegExp(`\\(every sample uses integer=${bits}\\)$`));
    m.dispose();
  }
});
