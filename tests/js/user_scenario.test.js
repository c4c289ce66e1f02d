// The user report qkeras-wasm exists for, as a test: which layer outputs of a "4-bit" CIFAR-10
// QKeras model are really quantized, and why the others are not.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { loadModel } from '../../web/index.js';
import { writeCifarScenarioH5, cifarScenarioInput } from '../fixtures/cifar_scenario.js';

async function traceScenario(options) {
  const model = await loadModel(await writeCifarScenarioH5(options));
  const trace = await model.trace(cifarScenarioInput(2), [2, 32, 32, 3]);
  return { model, trace };
}

test('4-bit CIFAR-10 model: only QConv2D outputs are quantized, and the trace says why', async () => {
  const { model, trace } = await traceScenario();
  assert.equal(trace.length, model.layers.length);
  const byClass = (c) => trace.filter((t) => t.className === c);

  assert.equal(byClass('QConv2D').length, 6);
  for (const t of byClass('QConv2D')) {
    assert.equal(t.status, 'quantized', t.name);
    assert.equal(t.quantizer, 'quantized_relu(4,0)');
    assert.equal(t.grid.step, 1 / 16);
    assert.equal(t.grid.bits, 4);
    assert.equal(t.grid.signed, false);
    assert.equal(t.stats.onGrid, true, `${t.name} values lie on the 1/16 grid`);
    assert.ok(t.stats.distinct <= 16);
  }
  assert.equal(byClass('QBatchNormalization').length, 7);
  for (const t of byClass('QBatchNormalization')) {
    assert.equal(t.status, 'float', t.name);
    assert.match(t.reason, /QBatchNormalization has no output quantizer/);
    assert.match(t.reason, /QActivation/);
    assert.ok(t.stats.distinct > 16, `${t.name} prints as plain floats`);
  }
  // MaxPooling2D and Dropout keep their input's status (float here: they follow a QBN).
  for (const t of [...byClass('MaxPooling2D'), ...byClass('Dropout')]) {
    const input = trace.find((u) => u.name === t.inputs[0]);
    assert.equal(t.status, input.status, `${t.name} keeps ${input.name}'s status`);
  }
  for (const t of byClass('QDense')) {
    assert.equal(t.status, 'float', t.name);
    assert.match(t.reason, /no activation quantizer/);
    assert.match(t.reason, /dot product/);
  }
  model.dispose();
});

test('with QActivation after each QBatchNormalization the model is quantized everywhere but BN itself', async () => {
  const { model, trace } = await traceScenario({ withFix: true });
  for (const t of trace) {
    if (t.className === 'InputLayer' || t.className === 'QBatchNormalization') {
      assert.equal(t.status, 'float', t.name);
    } else if (t.className === 'QDense') {
      // Its input is on the 1/16 grid and its weights are dyadic: an exact, wider grid.
      assert.equal(t.status, 'exact', `${t.name}: ${t.reason}`);
      assert.ok(t.accumulatorBits > 4 && t.accumulatorBits < 32, `accumulator width ${t.accumulatorBits}`);
    } else {
      assert.equal(t.status, 'quantized', `${t.name} (${t.className}): ${t.reason}`);
      assert.equal(t.grid.step, 1 / 16, t.name);
    }
    if (t.grid) assert.equal(t.stats.onGrid, true, `${t.name} values lie on the declared grid`);
  }
  model.dispose();
});
