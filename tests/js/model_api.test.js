// loadModel / predict / summary / dispose / trace contracts of the JS API: input forms, batch
// sizes, multi-input and multi-output models, progress, errors that name the input, and a
// module that keeps working after errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { loadModel, compareTraces } from '../../web/index.js';
import {
  writeKerasH5,
  writeKerasJsonAndWeights,
  functionalConfig,
  inputLayer,
  qDense,
  qActivation,
  quantizedBits,
  quantizedRelu,
  dense,
  fixtureValues,
} from '../fixtures/keras_writer.js';

// Two inputs (4 and 3 features) -> QDense each -> Add -> QActivation -> two heads.
function twoInTwoOut() {
  const add = { class_name: 'Add', config: { name: 'add', trainable: true, dtype: 'float32' } };
  const config = functionalConfig(
    'two_in_two_out',
    [
      { layer: inputLayer('a', [4]) },
      { layer: inputLayer('b', [3]) },
      { layer: qDense('da', 5, { kernel_quantizer: quantizedBits(4, 0, { alpha: 1 }), bias_quantizer: quantizedBits(4, 0, { alpha: 1 }) }), inbound: ['a'] },
      { layer: qDense('db', 5, { kernel_quantizer: quantizedBits(4, 0, { alpha: 1 }), bias_quantizer: quantizedBits(4, 0, { alpha: 1 }) }), inbound: ['b'] },
      { layer: add, inbound: ['da', 'db'] },
      { layer: qActivation('act', quantizedRelu(3, 1)), inbound: ['add'] },
      { layer: dense('head1', 2), inbound: ['act'] },
      { layer: dense('head2', 1), inbound: ['act'] },
    ],
    ['a', 'b'],
    ['head1', 'head2'],
  );
  const w = (name, shape, seed) => ({ name, shape, data: fixtureValues(shape.reduce((x, y) => x * y, 1), seed) });
  const weights = {
    da: [w('da/kernel:0', [4, 5], 1), w('da/bias:0', [5], 2)],
    db: [w('db/kernel:0', [3, 5], 3), w('db/bias:0', [5], 4)],
    head1: [w('head1/kernel:0', [5, 2], 5), w('head1/bias:0', [2], 6)],
    head2: [w('head2/kernel:0', [5, 1], 7), w('head2/bias:0', [1], 8)],
  };
  return { modelConfig: config, weights };
}

test('multi-input, multi-output: every input form gives the same results', async () => {
  const spec = twoInTwoOut();
  const model = await loadModel(await writeKerasH5(spec));
  assert.deepEqual(model.inputs, [{ name: 'a', shape: [null, 4] }, { name: 'b', shape: [null, 3] }]);
  assert.deepEqual(model.outputs.map((o) => o.name), ['head1', 'head2']);
  const a = fixtureValues(8, 11);
  const b = fixtureValues(6, 12);
  const byName = await model.predict({ a: { data: a, shape: [2, 4] }, b: { data: b, shape: [2, 3] } });
  const byArray = await model.predict([a, b]);
  const byPlainObject = await model.predict({ b, a });
  assert.equal(byName.length, 2);
  assert.deepEqual(byName[0].shape, [2, 2]);
  assert.deepEqual(byName[1].shape, [2, 1]);
  for (const other of [byArray, byPlainObject]) {
    assert.deepEqual(Array.from(other[0].data), Array.from(byName[0].data));
    assert.deepEqual(Array.from(other[1].data), Array.from(byName[1].data));
  }
  // Batch of 2 == two batches of 1 (no cross-sample state).
  const first = await model.predict({ a: a.subarray(0, 4), b: b.subarray(0, 3) });
  assert.deepEqual(Array.from(first[0].data), Array.from(byName[0].data.subarray(0, 2)));

  const trace = await model.trace([a, b]);
  assert.deepEqual(trace.map((t) => t.name), model.layers.map((l) => l.name));
  const act = trace.find((t) => t.name === 'act');
  assert.equal(act.status, 'quantized');
  assert.equal(act.stats.onGrid, true);
  const same = compareTraces(trace, await model.trace([a, b]));
  assert.ok(same.every((d) => d.differing === 0 && d.maxAbsDiff === 0));
  const reference = Object.fromEntries(trace.map((t) => [t.name, Float32Array.from(t.data, (v, i) => (i === 0 ? v + 0.5 : v))]));
  const diff = compareTraces(trace, reference);
  assert.ok(diff.every((d) => d.differing === 1 && Math.abs(d.maxAbsDiff - 0.5) < 1e-6), JSON.stringify(diff[0]));
  const selected = await model.trace([a, b], undefined, { layers: ['act', 'head2'], includeData: false });
  assert.deepEqual(selected.map((t) => t.name), ['act', 'head2']);
  assert.equal(selected[0].data, null);
  model.dispose();
});

test('wrong inputs raise Errors that name the input, and the model keeps working', async () => {
  const model = await loadModel(await writeKerasH5(twoInTwoOut()));
  await assert.rejects(model.predict({ a: fixtureValues(4) }), /missing input 'b'/);
  await assert.rejects(model.predict({ a: fixtureValues(4), b: fixtureValues(3), c: [1] }), /unknown input name\(s\) c/);
  await assert.rejects(model.predict([fixtureValues(5), fixtureValues(3)]), /input 'a'.*5 values/);
  await assert.rejects(model.predict({ a: { data: fixtureValues(8), shape: [2, 4] }, b: { data: fixtureValues(3), shape: [1, 3] } }), /batch size/);
  await assert.rejects(model.predict({ a: { data: fixtureValues(4), shape: [1, 2, 2] }, b: fixtureValues(3) }), /shape \[1, 2, 2\] does not match the model input 'a'/);
  await assert.rejects(model.predict('nope'), TypeError);
  await assert.rejects(model.predict([Array(4).fill('a'), fixtureValues(3)]), /input 'a': element 0 is "a", not a number/);
  await assert.rejects(model.predict({ a: { data: fixtureValues(4), shape: [1.5, 4] }, b: fixtureValues(3) }), /input 'a': shape must be an array of non-negative integers/);
  await assert.rejects(model.trace([fixtureValues(4), fixtureValues(3)], undefined, { layers: ['nope'] }), /no layer named "nope"/);
  const ok = await model.predict({ a: fixtureValues(4), b: fixtureValues(3) });
  assert.equal(ok.length, 2);
  model.dispose();
  assert.equal(model.disposed, true);
  await assert.rejects(model.predict({ a: fixtureValues(4), b: fixtureValues(3) }), /disposed/);
  model.dispose(); // twice is harmless
});

test('JSON + weights source, progress events, summary, unsupported layers listed together', async () => {
  const spec = twoInTwoOut();
  const { json, weightsBytes: weights } = await writeKerasJsonAndWeights(spec);
  const phases = new Set();
  const model = await loadModel({ config: json, weights }, { onProgress: (p) => phases.add(p.phase) });
  assert.ok(phases.has('build'), [...phases].join(','));
  const summary = model.summary();
  assert.match(summary, /^Model: "two_in_two_out"/);
  assert.match(summary, /da \(QDense\)\s+\(None, 5\)\s+25\s+bias=quantized_bits\(4,0,0,alpha=1\)/);
  assert.match(summary, /Total params: 63/);
  model.dispose();

  const bad = structuredClone(spec);
  bad.modelConfig.config.layers[6].class_name = 'Frobnicator1';
  bad.modelConfig.config.layers[7].class_name = 'Frobnicator';
  bad.modelConfig.config.layers[5].config.activation = { class_name: 'bernoulli', config: {} };
  await assert.rejects(loadModel(await writeKerasH5(bad)), (e) =>
    /layer 'head1' \(Frobnicator1\)/.test(e.message) && /layer 'head2' \(Frobnicator\)/.test(e.message) && /bernoulli/.test(e.message),
  );
  // Still usable afterwards.
  const again = await loadModel(await writeKerasH5(spec));
  assert.equal((await again.predict({ a: fixtureValues(4), b: fixtureValues(3) })).length, 2);
  again.dispose();
});

// tfKernels picks which TensorFlow CPU softmax the float outputs reproduce (issue 14): one class
// per row makes every sum 1, whose Eigen packet reciprocal (8 rows at a time) is 0.99999994
// while oneDNN divides exactly; an unknown value is an Error naming the option.
test('tfKernels selects the Eigen or oneDNN softmax', async () => {
  const config = functionalConfig(
    'softmax_rows',
    [{ layer: inputLayer('x', [3]) }, { layer: dense('d', 1, { activation: 'softmax' }), inbound: ['x'] }],
    ['x'],
    ['d'],
  );
  const spec = { modelConfig: config, weights: { d: [{ name: 'd/kernel:0', shape: [3, 1], data: new Float32Array([0.5, -1, 2]) }, { name: 'd/bias:0', shape: [1], data: new Float32Array([0.25]) }] } };
  const file = await writeKerasH5(spec);
  const input = fixtureValues(27, 3);
  const eigen = await loadModel(file);
  const onednn = await loadModel(file, { tfKernels: 'onednn' });
  const a = await eigen.predict(input, [9, 3]);
  const b = await onednn.predict(input, [9, 3]);
  assert.deepEqual(Array.from(a.data), [...Array(8).fill(Math.fround(1 - 2 ** -24)), 1]);
  assert.deepEqual(Array.from(b.data), Array(9).fill(1));
  eigen.dispose();
  onednn.dispose();
  await assert.rejects(loadModel(file, { tfKernels: 'mkl' }), (e) => e instanceof Error && /tfKernels/.test(e.message));
});
