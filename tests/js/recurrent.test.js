// Recurrent models end to end (fixture file -> loadModel -> predict/trace) against a reference
// written here from Keras's and QKeras's cell code in float64 (it shares no code with the
// runtime). Two regimes:
//  * exact: dyadic weights and inputs (k/16), 4-bit fixed-point weight and state quantizers,
//    QKeras hard_sigmoid / hard_tanh activations. Every intermediate is a short dyadic number,
//    exact in float32 and float64 alike, so outputs must be bit-identical;
//  * float: Keras tanh / sigmoid. float32 transcendental functions and float32 sums differ from
//    float64 by a few ulps per operation, growing over the steps: tolerance 1e-5 absolute on
//    values of magnitude <= 1 (about 100 float32 ulps), far below any real difference.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { loadModel } from '../../web/index.js';
import { writeKerasH5, writeKerasJsonAndWeights, writeKerasV3, functionalConfig, inputLayer } from '../fixtures/keras_writer.js';

// ---- reference ------------------------------------------------------------------------------

const q4 = (x) => Math.min(Math.max(roundHalfEven(x * 8), -7), 7) / 8; // quantized_bits(4,0,1,alpha=1)
function roundHalfEven(v) {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}
const hardSigmoid = (x) => Math.min(Math.max(0.5 * x + 0.5, 0), 1); // QKeras (slope 0.5)
const hardTanh = (x) => 2 * hardSigmoid(x) - 1;
const sigmoid = (x) => 1 / (1 + Math.exp(-x));
const identity = (x) => x;

/** x (in) times W (rows=in, cols) columns [c0, c0+n). */
function dot(x, W, cols, c0, n) {
  const y = new Array(n).fill(0);
  for (let j = 0; j < n; j++) for (let k = 0; k < x.length; k++) y[j] += x[k] * W[k * cols + c0 + j];
  return y;
}

/**
 * One sample through an RNN layer as Keras's backend.rnn runs it.
 * cell: { kind: 's'|'l'|'g', units, K, U, b, rb, act, ract, stateQ, resetAfter }
 * Returns { outputs (processing order, T arrays), last, states }.
 */
function refRun(cell, xs, T, inDim, { backwards = false, mask = null, zeroOutputForMask = false } = {}) {
  const u = cell.units;
  const G = (cell.kind === 's' ? 1 : cell.kind === 'l' ? 4 : 3) * u;
  let h = new Array(u).fill(0);
  let c = new Array(u).fill(0);
  let prev = new Array(u).fill(0);
  const outputs = [];
  for (let s = 0; s < T; s++) {
    const t = backwards ? T - 1 - s : s;
    const x = Array.from(xs.slice(t * inDim, (t + 1) * inDim));
    const hq = h.map(cell.stateQ);
    const cq = c.map(cell.stateQ);
    const xk = dot(x, cell.K, G, 0, G).map((v, j) => v + (cell.b ? cell.b[j] : 0));
    const hu = dot(hq, cell.U, G, 0, G);
    let hNew;
    let cNew = c;
    if (cell.kind === 's') {
      hNew = xk.map((v, j) => cell.act(v + hu[j]));
    } else if (cell.kind === 'l') {
      cNew = [];
      hNew = [];
      for (let j = 0; j < u; j++) {
        const i = cell.ract(xk[j] + hu[j]);
        const f = cell.ract(xk[u + j] + hu[u + j]);
        const g = cell.act(xk[2 * u + j] + hu[2 * u + j]);
        const o = cell.ract(xk[3 * u + j] + hu[3 * u + j]);
        cNew[j] = f * cq[j] + i * g;
        hNew[j] = o * cell.act(cNew[j]);
      }
    } else {
      const hur = cell.resetAfter && cell.rb ? hu.map((v, j) => v + cell.rb[j]) : hu;
      const z = [];
      const r = [];
      for (let j = 0; j < u; j++) {
        z[j] = cell.ract(xk[j] + hur[j]);
        r[j] = cell.ract(xk[u + j] + hur[u + j]);
      }
      const rec = cell.resetAfter ? null : dot(r.map((v, j) => v * hq[j]), cell.U, G, 2 * u, u);
      hNew = [];
      for (let j = 0; j < u; j++) {
        const hh = cell.act(xk[2 * u + j] + (cell.resetAfter ? r[j] * hur[2 * u + j] : rec[j]));
        hNew[j] = z[j] * hq[j] + (1 - z[j]) * hh;
      }
    }
    let out = hNew;
    if (mask && !mask[t]) {
      out = zeroOutputForMask ? new Array(u).fill(0) : prev;
    } else {
      h = hNew;
      c = cNew;
    }
    prev = out;
    outputs.push(out);
  }
  return { outputs, last: prev, states: cell.kind === 'l' ? [h, c] : [h] };
}

// ---- fixtures -------------------------------------------------------------------------------

/** Dyadic pseudo-random values k/16 in [-1, 1). */
function dyadic(n, seed) {
  const out = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (((s >>> 16) % 32) - 16) / 16;
  }
  return out;
}

const Q4 = { class_name: 'quantized_bits', config: { bits: 4, integer: 0, symmetric: 1, alpha: 1, keep_negative: true, use_stochastic_rounding: false, qnoise_factor: 1.0 } };
const CELL_NAMES = { QSimpleRNN: 'q_simple_rnn_cell', QLSTM: 'qlstm_cell', QGRU: 'qgru_cell', SimpleRNN: 'simple_rnn_cell', LSTM: 'lstm_cell', GRU: 'gru_cell' };
const gatesOf = (cls) => (/LSTM/.test(cls) ? 4 : /GRU/.test(cls) ? 3 : 1);

function rnnLayer(cls, name, units, options = {}) {
  return { class_name: cls, config: { name, trainable: true, dtype: 'float32', units, return_sequences: false, return_state: false, go_backwards: false, stateful: false, unroll: false, ...options } };
}

/** Weights of one RNN (seeded), as the file stores them, and the reference cell that uses them. */
function rnnWeights(cls, prefix, inDim, units, config, seed) {
  const G = gatesOf(cls) * units;
  const resetAfter = /GRU/.test(cls) && (config.reset_after ?? !cls.startsWith('Q'));
  const K = dyadic(inDim * G, seed);
  const U = dyadic(units * G, seed + 1);
  const bias = dyadic(resetAfter ? 2 * G : G, seed + 2);
  const cell = `${prefix}/${CELL_NAMES[cls]}`;
  const stored = [
    { name: `${cell}/kernel:0`, shape: [inDim, G], data: K },
    { name: `${cell}/recurrent_kernel:0`, shape: [units, G], data: U },
    { name: `${cell}/bias:0`, shape: resetAfter ? [2, G] : [G], data: bias },
  ];
  const quantized = cls.startsWith('Q');
  const qk = config.kernel_quantizer ? q4 : identity;
  const qr = config.recurrent_quantizer ? q4 : identity;
  const act = config.activation === 'hard_tanh' ? hardTanh : Math.tanh;
  const ract = config.recurrent_activation === undefined ? (quantized ? hardSigmoid : sigmoid) : { hard_sigmoid: hardSigmoid, sigmoid }[config.recurrent_activation];
  const ref = {
    kind: /LSTM/.test(cls) ? 'l' : /GRU/.test(cls) ? 'g' : 's',
    units, resetAfter, act, ract,
    K: Array.from(K, qk), U: Array.from(U, qr),
    b: Array.from(bias.slice(0, G)), rb: resetAfter ? Array.from(bias.slice(G)) : null,
    stateQ: config.state_quantizer ? q4 : identity,
  };
  return { stored, ref };
}

const QUANTIZED = { activation: 'hard_tanh', kernel_quantizer: Q4, recurrent_quantizer: Q4, state_quantizer: Q4 };

function singleRnnModel(cls, options, { T = 5, inDim = 3, units = 2, masking = false } = {}) {
  const nodes = [{ layer: inputLayer('x', [T, inDim]) }];
  let last = 'x';
  if (masking) {
    nodes.push({ layer: { class_name: 'Masking', config: { name: 'mask', trainable: true, dtype: 'float32', mask_value: 0.0 } }, inbound: ['x'] });
    last = 'mask';
  }
  nodes.push({ layer: rnnLayer(cls, 'rnn', units, options), inbound: [last] });
  const modelConfig = functionalConfig('rnn_model', nodes, ['x'], ['rnn']);
  const { stored, ref } = rnnWeights(cls, 'rnn', inDim, units, options, 11);
  return { spec: { modelConfig, weights: { rnn: stored } }, ref, T, inDim, units };
}

function expectClose(actual, expected, tolerance, what) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (tolerance === 0) {
      assert.equal(actual[i], Math.fround(expected[i]), `${what}: index ${i}: got ${actual[i]}, expected ${expected[i]}`);
    } else {
      assert.ok(Math.abs(actual[i] - expected[i]) <= tolerance, `${what}: index ${i}: got ${actual[i]}, expected ${expected[i]} (tolerance ${tolerance})`);
    }
  }
}

/** Runs the reference on every sample of x; returns the flat expected output. */
function refOutputs(ref, x, batch, T, inDim, { returnSequences, backwards = false, mask = null, zeroOutputForMask = false }) {
  const out = [];
  for (let r = 0; r < batch; r++) {
    const xs = x.slice(r * T * inDim, (r + 1) * T * inDim);
    const m = mask ? mask.slice(r * T, (r + 1) * T) : null;
    const res = refRun(ref, xs, T, inDim, { backwards, mask: m, zeroOutputForMask });
    if (returnSequences) for (const o of res.outputs) out.push(...o);
    else out.push(...res.last);
  }
  return out;
}

// ---- tests ----------------------------------------------------------------------------------

const CLASSES = ['QSimpleRNN', 'QLSTM', 'QGRU', 'SimpleRNN', 'LSTM', 'GRU'];

for (const cls of CLASSES) {
  const quantizedClass = cls.startsWith('Q');
  const variants = quantizedClass
    ? [
        { label: 'with quantizers', options: { ...QUANTIZED }, tolerance: 0 },
        // QGRU without recurrent_quantizer: QKeras's quirk, the input kernel doubles as recurrent kernel (in == units).
        // Without a state quantizer the state's significand grows by a few bits per step and passes
        // float32's 24 bits after a few steps: float32 rounding (relative 6e-8 per op) appears.
        { label: 'without quantizers (hard_tanh)', options: { activation: 'hard_tanh' }, tolerance: 1e-6, quirk: cls === 'QGRU' },
      ]
    : [{ label: 'float', options: {}, tolerance: 1e-5 }];
  if (cls === 'QLSTM') variants.push({ label: 'implementation 2', options: { ...QUANTIZED, implementation: 2 }, tolerance: 0 });
  if (cls === 'QGRU') variants.push({ label: 'reset_after', options: { ...QUANTIZED, reset_after: true }, tolerance: 0 });
  if (cls === 'GRU') variants.push({ label: 'reset_after=False', options: { reset_after: false }, tolerance: 1e-5 });
  if (cls === 'LSTM') variants.push({ label: 'Keras hard_sigmoid', options: { recurrent_activation: 'hard_sigmoid' }, tolerance: 1e-5 });
  for (const v of variants) {
    test(`${cls} ${v.label}: return_sequences on/off, go_backwards, sequence length 1`, async () => {
      if (cls === 'LSTM' && v.options.recurrent_activation === 'hard_sigmoid') {
        // Keras's own hard_sigmoid has slope 0.2 (tf-keras backend.hard_sigmoid).
        v.refRact = (x) => Math.min(Math.max(0.2 * x + 0.5, 0), 1);
      }
      for (const returnSequences of [true, false]) {
        for (const goBackwards of [false, true]) {
          for (const T of [5, 1]) {
            const options = { ...v.options, return_sequences: returnSequences, go_backwards: goBackwards };
            const { spec, ref, inDim, units } = singleRnnModel(cls, options, v.quirk ? { T, inDim: 2, units: 2 } : { T });
            if (v.refRact) ref.ract = v.refRact;
            if (v.quirk) ref.U = ref.K;
            const model = await loadModel(await writeKerasH5(spec));
            const batch = 3;
            const x = dyadic(batch * T * inDim, 5);
            const y = await model.predict(x, [batch, T, inDim]);
            assert.deepEqual(y.shape, returnSequences ? [batch, T, units] : [batch, units]);
            const expected = refOutputs(ref, x, batch, T, inDim, { returnSequences, backwards: goBackwards });
            expectClose(y.data, expected, v.tolerance, `${cls} seq=${returnSequences} back=${goBackwards} T=${T}`);
            model.dispose();
          }
        }
      }
    });
  }
}

test('Masking before QLSTM and LSTM: masked steps keep the states and repeat the previous output', async () => {
  for (const [cls, options, tolerance] of [['QLSTM', QUANTIZED, 0], ['LSTM', {}, 1e-5], ['QGRU', QUANTIZED, 0]]) {
    for (const returnSequences of [true, false]) {
      const { spec, ref, T, inDim } = singleRnnModel(cls, { ...options, return_sequences: returnSequences }, { masking: true });
      const model = await loadModel(await writeKerasH5(spec));
      const batch = 2;
      const x = dyadic(batch * T * inDim, 7);
      // Sample 0: steps 0 and 3 masked (leading masked step outputs zeros). Sample 1: last step masked.
      const masked = [[0, 0], [0, 3], [1, T - 1]];
      for (const [r, t] of masked) x.fill(0, (r * T + t) * inDim, (r * T + t + 1) * inDim);
      const mask = Array.from({ length: batch * T }, (_, i) => !masked.some(([r, t]) => r * T + t === i));
      const y = await model.predict(x, [batch, T, inDim]);
      expectClose(y.data, refOutputs(ref, x, batch, T, inDim, { returnSequences, mask }), tolerance, `${cls} masked seq=${returnSequences}`);
      model.dispose();
    }
  }
});

/** Bidirectional(QLSTM or LSTM) with weights for both directions. */
function bidirectionalModel(cls, options, mergeMode, { T = 4, inDim = 3, units = 2, backwardLayer = false, masking = false } = {}) {
  const inner = rnnLayer(cls, 'fw', units, options);
  const config = { name: 'bi', trainable: true, dtype: 'float32', layer: inner, merge_mode: mergeMode };
  const backwardOptions = { ...options, go_backwards: true };
  if (backwardLayer) config.backward_layer = rnnLayer(cls, 'bw', units, { ...backwardOptions, activation: options.activation });
  const nodes = [{ layer: inputLayer('x', [T, inDim]) }];
  let last = 'x';
  if (masking) {
    nodes.push({ layer: { class_name: 'Masking', config: { name: 'mask', mask_value: 0.0 } }, inbound: ['x'] });
    last = 'mask';
  }
  nodes.push({ layer: { class_name: cls.startsWith('Q') ? 'QBidirectional' : 'Bidirectional', config }, inbound: [last] });
  const outputs = mergeMode === null ? [['bi', 0, 0], ['bi', 0, 1]] : [['bi', 0, 0]];
  const modelConfig = functionalConfig('bi_model', nodes, ['x'], ['bi']);
  modelConfig.config.output_layers = outputs;
  const f = rnnWeights(cls, 'bi/forward_fw', inDim, units, options, 21);
  const b = rnnWeights(cls, backwardLayer ? 'bi/backward_bw' : 'bi/backward_fw', inDim, units, options, backwardLayer ? 41 : 31);
  return { spec: { modelConfig, weights: { bi: [...f.stored, ...b.stored] } }, fwd: f.ref, bwd: b.ref, T, inDim, units };
}

for (const mergeMode of ['concat', 'sum', 'mul', 'ave', null]) {
  test(`QBidirectional(QLSTM) merge_mode=${mergeMode}, and Bidirectional(LSTM) with a separate backward_layer`, async () => {
    for (const [cls, options, tolerance, backwardLayer] of [['QLSTM', QUANTIZED, 0, false], ['LSTM', {}, 1e-5, true]]) {
      for (const returnSequences of [true, false]) {
        const built = bidirectionalModel(cls, { ...options, return_sequences: returnSequences }, mergeMode, { backwardLayer });
        const { spec, fwd, bwd, T, inDim, units } = built;
        const model = await loadModel(await writeKerasH5(spec));
        const batch = 2;
        const x = dyadic(batch * T * inDim, 9);
        const outs = [].concat(await model.predict(x, [batch, T, inDim]));
        const yF = refOutputs(fwd, x, batch, T, inDim, { returnSequences, zeroOutputForMask: returnSequences });
        const yBraw = refOutputs(bwd, x, batch, T, inDim, { returnSequences, backwards: true, zeroOutputForMask: returnSequences });
        // Reverse the backward sequence in time.
        const yB = returnSequences ? yBraw.map((_, i) => {
          const r = Math.floor(i / (T * units));
          const t = Math.floor(i / units) % T;
          return yBraw[(r * T + (T - 1 - t)) * units + (i % units)];
        }) : yBraw;
        let expected;
        if (mergeMode === 'concat') {
          expected = [];
          for (let row = 0; row < yF.length / units; row++) expected.push(...yF.slice(row * units, (row + 1) * units), ...yB.slice(row * units, (row + 1) * units));
        } else if (mergeMode === 'sum') expected = yF.map((v, i) => Math.fround(v) + Math.fround(yB[i]));
        else if (mergeMode === 'mul') expected = yF.map((v, i) => Math.fround(v) * Math.fround(yB[i]));
        else if (mergeMode === 'ave') expected = yF.map((v, i) => (Math.fround(v) + Math.fround(yB[i])) / 2);
        const what = `${cls} merge=${mergeMode} seq=${returnSequences}`;
        if (mergeMode === null) {
          assert.equal(outs.length, 2);
          assert.deepEqual(model.outputs.map((o) => o.name), ['bi', 'bi/backward']);
          expectClose(outs[0].data, yF, tolerance, what + ' forward');
          expectClose(outs[1].data, yB, tolerance, what + ' backward');
        } else {
          // mul of two values near 1 doubles the relative error; sums stay within the tolerance.
          expectClose(outs[0].data, expected, tolerance, what);
        }
        model.dispose();
      }
    }
  });
}

test('Bidirectional with identical forward and backward weights on a palindrome gives mirrored outputs', async () => {
  const { spec, T, inDim, units } = bidirectionalModel('QGRU', { ...QUANTIZED, return_sequences: true }, 'concat', { T: 5 });
  const weights = spec.weights.bi;
  for (let k = 0; k < 3; k++) weights[3 + k].data = weights[k].data; // backward := forward
  const model = await loadModel(await writeKerasH5(spec));
  const x = dyadic(T * inDim, 3);
  for (let t = 0; t < T; t++) x.set(x.slice(t * inDim, (t + 1) * inDim), (T - 1 - t) * inDim);
  const y = await model.predict(x, [1, T, inDim]);
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < units; j++) assert.equal(y.data[t * 2 * units + j], y.data[(T - 1 - t) * 2 * units + units + j], `t=${t} j=${j}`);
  }
  model.dispose();
});

test('return_state: QLSTM outputs [output, state_h, state_c] as named model outputs and trace entries', async () => {
  const options = { ...QUANTIZED, return_sequences: true, return_state: true };
  const { spec, ref, T, inDim, units } = singleRnnModel('QLSTM', options);
  spec.modelConfig.config.output_layers = [['rnn', 0, 0], ['rnn', 0, 1], ['rnn', 0, 2]];
  const model = await loadModel(await writeKerasH5(spec));
  assert.deepEqual(model.outputs.map((o) => o.name), ['rnn', 'rnn/state_h', 'rnn/state_c']);
  const batch = 2;
  const x = dyadic(batch * T * inDim, 13);
  const [seq, h, c] = await model.predict(x, [batch, T, inDim]);
  assert.deepEqual(h.shape, [batch, units]);
  const expH = [];
  const expC = [];
  for (let r = 0; r < batch; r++) {
    const res = refRun(ref, x.slice(r * T * inDim, (r + 1) * T * inDim), T, inDim);
    expH.push(...res.states[0]);
    expC.push(...res.states[1]);
  }
  expectClose(seq.data, refOutputs(ref, x, batch, T, inDim, { returnSequences: true }), 0, 'sequence');
  expectClose(h.data, expH, 0, 'state_h');
  expectClose(c.data, expC, 0, 'state_c');
  const trace = await model.trace(x, [batch, T, inDim]);
  const names = trace.map((t) => t.name);
  assert.ok(names.includes('rnn/state_h') && names.includes('rnn/state_c'), names.join(','));
  // Analysis: h = o·act(c) is float even with every quantizer; the state quantizer's scope and the
  // accumulator widths are reported.
  const analysis = model.analyze();
  const rnn = analysis.find((a) => a.name === 'rnn');
  assert.equal(rnn.status, 'float');
  assert.match(rnn.reason, /h = o · act\(c\) is a float product/);
  assert.match(rnn.reason, /state_quantizer quantized_bits\(4,0,1,alpha=1\) puts the previous h \(and c\) on its grid inside each step only/);
  assert.match(rnn.reason, /recurrent product h'·U: \d+-bit accumulator/);
  const stateC = analysis.find((a) => a.name === 'rnn/state_c');
  assert.match(stateC.reason, /final state_c returned by 'rnn'/);
  model.dispose();
});

test('a state used by a following layer: QGRU return_state feeding a Dense through [layer, 0, 1]', async () => {
  const options = { ...QUANTIZED, return_state: true };
  const { spec, ref, T, inDim, units } = singleRnnModel('QGRU', options);
  const denseLayer = { class_name: 'Dense', config: { name: 'head', units: 1, activation: 'linear', use_bias: false } };
  spec.modelConfig.config.layers.push({ ...denseLayer, name: 'head', inbound_nodes: [[['rnn', 0, 1, {}]]] });
  spec.modelConfig.config.output_layers = [['head', 0, 0]];
  spec.weights.head = [{ name: 'head/kernel:0', shape: [units, 1], data: Float32Array.of(0.5, -0.25) }];
  const model = await loadModel(await writeKerasH5(spec));
  const x = dyadic(T * inDim, 17);
  const y = await model.predict(x, [1, T, inDim]);
  const h = refRun(ref, x, T, inDim).states[0];
  assert.equal(y.data[0], Math.fround(0.5 * h[0] - 0.25 * h[1]));
  model.dispose();
});

test('file forms: legacy .h5, JSON + weights and Keras 3 .keras load the same RNN weights', async () => {
  const { spec, T, inDim } = bidirectionalModel('QLSTM', { ...QUANTIZED, return_sequences: true }, 'concat');
  const x = dyadic(2 * T * inDim, 19);
  const h5 = await loadModel(await writeKerasH5(spec));
  const a = await h5.predict(x, [2, T, inDim]);
  const { json, weightsBytes } = await writeKerasJsonAndWeights(spec);
  const jw = await loadModel({ config: json, weights: weightsBytes });
  const b = await jw.predict(x, [2, T, inDim]);
  assert.deepEqual(Array.from(b.data), Array.from(a.data));
  // Keras 3: positional variables, forward layer's then backward layer's.
  const v3 = await loadModel(await writeKerasV3({ modelConfig: spec.modelConfig, weights: spec.weights }), { name: 'm.keras' });
  const c = await v3.predict(x, [2, T, inDim]);
  assert.deepEqual(Array.from(c.data), Array.from(a.data));
  for (const m of [h5, jw, v3]) m.dispose();
});

test('Embedding(mask_zero) -> GRU and TimeDistributed(QDense) -> SimpleRNN', async () => {
  const T = 4;
  const nodes = [
    { layer: inputLayer('ids', [T]) },
    { layer: { class_name: 'Embedding', config: { name: 'emb', input_dim: 6, output_dim: 3, mask_zero: true } }, inbound: ['ids'] },
    { layer: { class_name: 'TimeDistributed', config: { name: 'td', layer: { class_name: 'QDense', config: { name: 'qd', units: 3, use_bias: true, activation: 'linear', kernel_quantizer: Q4, bias_quantizer: null } } } }, inbound: ['emb'] },
    { layer: rnnLayer('GRU', 'rnn', 2, { return_sequences: true }), inbound: ['td'] },
  ];
  const modelConfig = functionalConfig('emb_model', nodes, ['ids'], ['rnn']);
  const table = dyadic(18, 23);
  const tdKernel = dyadic(9, 24);
  const tdBias = dyadic(3, 25);
  const { stored, ref } = rnnWeights('GRU', 'rnn', 3, 2, {}, 27);
  const weights = {
    emb: [{ name: 'emb/embeddings:0', shape: [6, 3], data: table }],
    td: [{ name: 'td/qd/kernel:0', shape: [3, 3], data: tdKernel }, { name: 'td/qd/bias:0', shape: [3], data: tdBias }],
    rnn: stored,
  };
  const model = await loadModel(await writeKerasH5({ modelConfig, weights }));
  const ids = Float32Array.of(1, 0, 5, 2, 3, 3, 0, 4);
  const y = await model.predict(ids, [2, T]);
  const expected = [];
  for (let r = 0; r < 2; r++) {
    const xs = [];
    const mask = [];
    for (let t = 0; t < T; t++) {
      const id = ids[r * T + t];
      mask.push(id !== 0);
      const e = Array.from(table.slice(id * 3, id * 3 + 3));
      const qk = Array.from(tdKernel, q4);
      for (let j = 0; j < 3; j++) xs.push(Math.fround(dot(e, qk, 3, j, 1)[0] + tdBias[j]));
    }
    for (const o of refRun(ref, xs, T, 3, { mask }).outputs) expected.push(...o);
  }
  expectClose(y.data, expected, 1e-5, 'embedding model');
  await assert.rejects(model.predict(Float32Array.of(1, 2, 9, 0, 0, 0, 0, 0), [2, T]), /emb.*9.*outside \[0, 6\)/);
  model.dispose();
});

test('unsupported recurrent configurations name the layer and the reason', async () => {
  const stateful = singleRnnModel('QLSTM', { ...QUANTIZED, stateful: true });
  await assert.rejects(loadModel(await writeKerasH5(stateful.spec)), /layer 'rnn' \(QLSTM\): stateful=True/);
  const quirk = singleRnnModel('QGRU', { kernel_quantizer: Q4 }, { inDim: 3, units: 2 });
  await assert.rejects(loadModel(await writeKerasH5(quirk.spec)), /QGRU without a recurrent_quantizer.*input size 3 != units 2/);
});

test('converted .qkwm recurrent models predict bit-identically (Bidirectional QLSTM, QGRU quirk, return_state)', async () => {
  const { convert } = await import('../../web/index.js');
  const bi = bidirectionalModel('QLSTM', { ...QUANTIZED, return_sequences: true }, 'concat');
  const quirk = singleRnnModel('QGRU', { activation: 'hard_tanh', kernel_quantizer: Q4, return_sequences: true }, { inDim: 2, units: 2 });
  const states = singleRnnModel('QLSTM', { ...QUANTIZED, return_state: true });
  states.spec.modelConfig.config.output_layers = [['rnn', 0, 0], ['rnn', 0, 1], ['rnn', 0, 2]];
  for (const { spec, T, inDim } of [bi, quirk, states]) {
    const h5 = await writeKerasH5(spec);
    const source = await loadModel(h5);
    const converted = await loadModel(await convert(h5));
    const x = dyadic(2 * T * inDim, 29);
    const a = [].concat(await source.predict(x, [2, T, inDim]));
    const b = [].concat(await converted.predict(x, [2, T, inDim]));
    assert.equal(b.length, a.length);
    for (let i = 0; i < a.length; i++) assert.deepEqual(Array.from(b[i].data), Array.from(a[i].data), `output ${i}`);
    source.dispose();
    converted.dispose();
  }
});

test('Masking before Bidirectional: return_sequences gives zeros at masked steps in both directions', async () => {
  for (const returnSequences of [true, false]) {
    const { spec, fwd, bwd, T, inDim, units } = bidirectionalModel('QLSTM', { ...QUANTIZED, return_sequences: returnSequences }, 'concat', { masking: true });
    const model = await loadModel(await writeKerasH5(spec));
    const batch = 2;
    const x = dyadic(batch * T * inDim, 31);
    const masked = [[0, 1], [1, 0], [1, T - 1]];
    for (const [r, t] of masked) x.fill(0, (r * T + t) * inDim, (r * T + t + 1) * inDim);
    const mask = Array.from({ length: batch * T }, (_, i) => !masked.some(([r, t]) => r * T + t === i));
    const y = await model.predict(x, [batch, T, inDim]);
    const opts = { returnSequences, mask, zeroOutputForMask: returnSequences };
    const yF = refOutputs(fwd, x, batch, T, inDim, opts);
    const yBraw = refOutputs(bwd, x, batch, T, inDim, { ...opts, backwards: true });
    const rows = returnSequences ? batch * T : batch;
    const expected = [];
    for (let row = 0; row < rows; row++) {
      const r = Math.floor(row / (returnSequences ? T : 1));
      const t = row % T;
      const bRow = returnSequences ? r * T + (T - 1 - t) : row;
      expected.push(...yF.slice(row * units, (row + 1) * units), ...yBraw.slice(bRow * units, (bRow + 1) * units));
    }
    expectClose(y.data, expected, 0, `masked bidirectional seq=${returnSequences}`);
    if (returnSequences) for (let j = 0; j < 2 * units; j++) assert.equal(y.data[(0 * T + 1) * 2 * units + j], 0);
    model.dispose();
  }
});

test('trace({ steps: true }) returns every step\'s states, and the state quantizer puts the previous states on its grid', async () => {
  const { spec, ref, T, inDim, units } = singleRnnModel('QLSTM', { ...QUANTIZED, return_sequences: true, go_backwards: true });
  const model = await loadModel(await writeKerasH5(spec));
  const batch = 2;
  const x = dyadic(batch * T * inDim, 37);
  const trace = await model.trace(x, [batch, T, inDim], { steps: true });
  const entry = trace.find((t) => t.name === 'rnn');
  assert.equal(entry.steps.stateQuantizer, 'quantized_bits(4,0,1,alpha=1)');
  assert.equal(entry.steps.steps.length, T);
  assert.deepEqual(entry.steps.steps.map((s) => s.t), [4, 3, 2, 1, 0]);
  for (let r = 0; r < batch; r++) {
    const res = refRun(ref, x.slice(r * T * inDim, (r + 1) * T * inDim), T, inDim, { backwards: true });
    entry.steps.steps.forEach((s, k) => {
      expectClose(s.h.slice(r * units, (r + 1) * units), res.outputs[k], 0, `step ${k} h`);
      // "Is my LSTM state really 4-bit?": the state the next step sees is on the 1/8 grid ...
      for (const v of s.hPrevQuantized) assert.equal(v * 8, Math.round(v * 8));
      for (const v of s.cPrevQuantized) assert.equal(v * 8, Math.round(v * 8));
    });
  }
  // ... while the carried h itself is not.
  assert.ok(entry.steps.steps.some((s) => Array.from(s.h).some((v) => v * 8 !== Math.round(v * 8))));
  const plain = await model.trace(x, [batch, T, inDim]);
  assert.equal(plain.find((t) => t.name === 'rnn').steps, undefined);
  await assert.rejects(model.trace(x, [batch, T, inDim], { steps: 'yes' }), /steps must be true or false/);
  model.dispose();
});

test('trace({ steps: true }) on QBidirectional(QLSTM): each direction\'s states, named forward and backward, in its processing order', async () => {
  const { spec, fwd, bwd, T, inDim, units } = bidirectionalModel('QLSTM', { ...QUANTIZED, return_sequences: false }, 'concat', { T: 4 });
  const model = await loadModel(await writeKerasH5(spec));
  const batch = 2;
  const x = dyadic(batch * T * inDim, 53);
  const trace = await model.trace(x, [batch, T, inDim], { steps: true });
  const entry = trace.find((t) => t.name === 'bi');
  assert.deepEqual(Object.keys(entry.steps), ['forward', 'backward']);
  const cases = [['forward', fwd, false, [0, 1, 2, 3]], ['backward', bwd, true, [3, 2, 1, 0]]];
  for (const [direction, ref, backwards, order] of cases) {
    const rec = entry.steps[direction];
    assert.equal(rec.goBackwards, backwards, direction);
    assert.equal(rec.batch, batch);
    assert.equal(rec.units, units);
    assert.equal(rec.stateQuantizer, 'quantized_bits(4,0,1,alpha=1)');
    assert.deepEqual(rec.steps.map((st) => st.t), order, direction);
    for (let r = 0; r < batch; r++) {
      const res = refRun(ref, x.slice(r * T * inDim, (r + 1) * T * inDim), T, inDim, { backwards });
      rec.steps.forEach((st, k) => {
        const rows = (v) => v.slice(r * units, (r + 1) * units);
        expectClose(rows(st.output), res.outputs[k], 0, `${direction} step ${k} output`);
        expectClose(rows(st.h), res.outputs[k], 0, `${direction} step ${k} h`);
        for (const v of st.hPrevQuantized) assert.equal(v * 8, Math.round(v * 8), `${direction} step ${k} h' on the 1/8 grid`);
        for (const v of st.cPrevQuantized) assert.equal(v * 8, Math.round(v * 8), `${direction} step ${k} c' on the 1/8 grid`);
      });
      // The last processed step's h is the direction's half of the concatenated output.
      const last = rec.steps[T - 1].h.slice(r * units, (r + 1) * units);
      const half = entry.data.slice(r * 2 * units + (backwards ? units : 0), r * 2 * units + (backwards ? 2 * units : units));
      assert.deepEqual(Array.from(last), Array.from(half), `${direction} final h = its output half`);
    }
  }
  // The two directions differ (different weights and order): the record is not one direction twice.
  assert.notDeepEqual(Array.from(entry.steps.forward.steps[0].h), Array.from(entry.steps.backward.steps[0].h));
  const plain = await model.trace(x, [batch, T, inDim]);
  assert.equal(plain.find((t) => t.name === 'bi').steps, undefined);
  model.dispose();
});
