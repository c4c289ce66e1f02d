// One user call run as several WASM runs (trace's batchSize pieces, threads' pieces, a worker's
// sub-chunks) gives the bits of one whole run: every run is told where its samples sit in the
// call (web/threads.js CALL_POSITION -> ModelHandle.setCallPosition -> src/quant/keras_batch.h),
// so softmax, TF's packet/scalar element-wise activations (sigmoid, elu, swish, exp) and the po2
// quantizers (TF's log) see each sample at its position in Keras's predict batch of 32.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { loadModel } from '../../web/index.js';
import { CALL_POSITION } from '../../web/threads.js';
import {
  writeKerasH5, sequentialConfig, inputLayer, qDense, qActivation, dense, activation, quantizedBits, quantizedPo2, fixtureValues,
} from '../fixtures/keras_writer.js';

const w = (name, shape, seed) => ({ name, shape, data: fixtureValues(shape.reduce((a, b) => a * b, 1), seed) });

/** 4 inputs -> QDense -> float dense -> softmax over 3 classes. */
const softmaxSpec = () => ({
  modelConfig: sequentialConfig('softmax_head', [
    inputLayer('input_1', [4]),
    qDense('q_dense', 5, { kernel_quantizer: quantizedBits(6, 0), bias_quantizer: quantizedBits(6, 0), activation: 'relu' }),
    dense('dense', 3),
    activation('softmax', 'softmax'),
  ]),
  weights: {
    q_dense: [w('q_dense/kernel:0', [4, 5], 1), w('q_dense/bias:0', [5], 2)],
    dense: [w('dense/kernel:0', [5, 3], 3), w('dense/bias:0', [3], 4)],
  },
});

/** Element-wise TF activations: dense+sigmoid (5 per sample), dense, elu, swish (3 per sample). */
const elementwiseSpec = () => ({
  modelConfig: sequentialConfig('elementwise', [
    inputLayer('input_1', [4]),
    dense('d1', 5, { activation: 'sigmoid' }),
    dense('d2', 3),
    activation('elu', 'elu'),
    activation('swish', 'swish'),
  ]),
  weights: {
    d1: [w('d1/kernel:0', [4, 5], 5), w('d1/bias:0', [5], 6)],
    d2: [w('d2/kernel:0', [5, 3], 7), w('d2/bias:0', [3], 8)],
  },
});

/** quantized_po2 on the inputs (TF's log by position), 4 per sample. */
const po2Spec = () => ({
  modelConfig: sequentialConfig('po2', [inputLayer('input_1', [4]), qActivation('q_po2', quantizedPo2(4, 1))]),
  weights: {},
});

/**
 * Inputs spread over [-4, 4), where sigmoid's and exp's packet and scalar paths differ on many,
 * and every third one sqrt(1/2) times a power of two, where Eigen's log and logf round apart.
 */
function inputs(count, seed) {
  const x = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = i % 3 === 1 ? Math.SQRT1_2 * 2 ** ((i % 5) - 2) : (s / 2 ** 32) * 8 - 4;
  }
  return x;
}

const bits = (a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const same = (a, b) => bits(a).equals(bits(b));

/** Every traced layer's data (and statistics) as in `want`; timings aside. */
function sameTrace(got, want, what) {
  assert.deepEqual(got.map((e) => e.name), want.map((e) => e.name), `${what}: layers`);
  got.forEach((e, i) => {
    const { data, timeMs, ...rest } = e;
    const { data: wantData, timeMs: _t, ...wantRest } = want[i];
    assert.ok(same(data, wantData), `${what}: layer '${e.name}' data not bit-identical`);
    assert.deepEqual(rest, wantRest, `${what}: layer '${e.name}'`);
  });
}

const models = [['softmax', softmaxSpec, ['softmax']], ['sigmoid/elu/swish', elementwiseSpec, ['d1', 'elu', 'swish']], ['quantized_po2', po2Spec, ['q_po2']]];
const batch = 75; // two whole Keras batches and a partial one of 11

for (const [what, spec, positional] of models) {
  test(`${what}: trace({batchSize: 5}) and trace with threads equal one whole trace`, async () => {
    const model = await loadModel(await writeKerasH5(spec()));
    const x = inputs(batch * 4, 3);
    const whole = await model.trace(x, [batch, 4]);
    for (const batchSize of [5, 7, 31, 33]) sameTrace(await model.trace(x, [batch, 4], { batchSize }), whole, `batchSize ${batchSize}`);
    // Workers get pieces starting at multiples of 5 (not of 32), traced in pieces of 5 each.
    sameTrace(await model.trace(x, [batch, 4], { batchSize: 5, threads: 3 }), whole, 'batchSize 5, 3 threads');
    sameTrace(await model.trace(x, [batch, 4], { threads: 2 }), whole, '2 threads');
    model.dispose();
  });

  test(`${what}: predict of any piece of a call, told its position, equals that piece of the whole call`, async () => {
    const model = await loadModel(await writeKerasH5(spec()));
    const x = inputs(batch * 4, 9);
    const whole = (await model.predict(x, [batch, 4])).data;
    const per = whole.length / batch;
    let undeclaredDiffers = false;
    for (const cuts of [[0, 7, 33, 34, 64, 70, 75], [0, 31, 75], [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75]]) {
      for (let p = 0; p + 1 < cuts.length; p++) {
        const [start, end] = [cuts[p], cuts[p + 1]];
        const piece = x.subarray(start * 4, end * 4);
        const want = whole.subarray(start * per, end * per);
        const at = { [CALL_POSITION]: { first: start, total: batch } };
        assert.ok(same((await model.predict(piece, [end - start, 4], at)).data, want), `samples ${start}..${end}`);
        // The threaded path adds each worker's piece start to the position it was given.
        if (end - start > 32) assert.ok(same((await model.predict(piece, [end - start, 4], { ...at, threads: 2 })).data, want), `samples ${start}..${end}, 2 threads`);
        if (!same((await model.predict(piece, [end - start, 4])).data, want)) undeclaredDiffers = true;
      }
    }
    // The inputs do reach both paths: a piece run as a call of its own differs somewhere.
    assert.ok(undeclaredDiffers, 'pieces run without their position should differ (else this test proves nothing)');
    // Only the position-dependent layers' traced data differs between a piece run alone and the whole.
    const pieceTrace = await model.trace(x.subarray(5 * 4, 10 * 4), [5, 4]);
    const wholeTrace = await model.trace(x, [batch, 4]);
    const changed = pieceTrace.filter((e, i) => !same(e.data, wholeTrace[i].data.subarray(5 * (e.data.length / 5), 10 * (e.data.length / 5))));
    assert.ok(changed.length > 0 && changed.every((e) => positional.includes(e.name)), changed.map((e) => e.name).join(', '));
    model.dispose();
  });
}

test("a worker's sub-chunks of 1,024 samples add their offset to the worker's position", async () => {
  const model = await loadModel(await writeKerasH5(softmaxSpec()));
  const n = 2111; // the last Keras batch has 31 samples: 7 rows past the last whole packet of 8
  const x = inputs(n * 4, 11);
  const whole = (await model.predict(x, [n, 4])).data;
  // Samples 5..2110 on 2 threads: the second worker's piece (1,050 samples) starts at sample 1061
  // and runs its second sub-chunk at 2085, in the last, partial Keras batch.
  const piece = await model.predict(x.subarray(5 * 4), [n - 5, 4], { threads: 2, [CALL_POSITION]: { first: 5, total: n } });
  assert.ok(same(piece.data, whole.subarray(5 * 3)));
  model.dispose();
});

test('the position is internal and checked: not a listed option, a bad one is a clear Error', async () => {
  const model = await loadModel(await writeKerasH5(softmaxSpec()));
  const x = inputs(10 * 4, 1);
  await assert.rejects(model.predict(x, [10, 4], { [CALL_POSITION]: { first: 10, total: 10 } }), /first sample's index/);
  await assert.rejects(model.predict(x, [10, 4], { [CALL_POSITION]: { first: -1, total: 10 } }), /first sample's index/);
  // A failed call leaves no position behind: the next call is a whole call again.
  const whole = (await model.predict(x, [10, 4])).data;
  assert.ok(same((await model.predict(x, [10, 4], { [CALL_POSITION]: { first: 0, total: 10 } })).data, whole));
  model.dispose();
});

test("an activation quantizer with alpha='auto' takes its scale from each Keras batch of 32, as model.predict does", async () => {
  // QKeras computes alpha='auto' from the tensor it is called on; model.predict calls the layer once
  // per batch of 32 samples, so samples 32.. get the scale of their own batch, not of the whole call.
  const spec = {
    modelConfig: sequentialConfig('auto_act', [inputLayer('input_1', [4]), qActivation('q_auto', quantizedBits(4, 0, { alpha: 'auto' }))]),
    weights: {},
  };
  const model = await loadModel(await writeKerasH5(spec));
  const n = 40;
  const x = inputs(n * 4, 5);
  for (let i = 32 * 4; i < n * 4; i++) x[i] *= 1 / 64; // the last batch is much smaller: its own scale differs
  const whole = (await model.predict(x, [n, 4])).data;
  const first = (await model.predict(x.subarray(0, 32 * 4), [32, 4])).data;
  const last = (await model.predict(x.subarray(32 * 4), [n - 32, 4])).data;
  assert.ok(same(whole.subarray(0, 32 * 4), first), 'samples 0..31: the first batch on its own');
  assert.ok(same(whole.subarray(32 * 4), last), 'samples 32..39: the second batch on its own');
  // With one scale for all 40 samples the small last batch would sit on the first batch's coarse grid.
  const coarse = new Set(Array.from(first, (v) => Math.abs(v)).filter((v) => v > 0));
  assert.ok(Array.from(last).some((v) => v !== 0 && !coarse.has(Math.abs(v))), 'the last batch uses a finer scale of its own');
  // Pieces told their position (trace's batchSize, threads) give the same bits.
  const traced = (await model.trace(x, [n, 4], { batchSize: 32 })).find((e) => e.name === 'q_auto');
  assert.ok(same(traced.data, whole));
  model.dispose();
});
