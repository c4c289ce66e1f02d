// hls4mlConfig(): every traced value of every layer with an exact type is representable in that
// type (on generated inputs), weights and biases fit their types, lossy types carry their traced
// error; the fixed-point helpers and the YAML emitter; the comparison with the hand-written
// hls4ml configs beside the shared MNIST models.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { loadModel } from '../../web/index.js';
import { compareWithExact } from '../../web/hls4ml.js';
import { exactType, suggestedType, representable, parseType, covers, castToType, typeForCodes } from '../../web/fixed_point.js';
import { toYaml, parseSimpleYaml } from '../../web/yaml.js';
import { writeCifarScenarioH5, cifarScenarioInput } from '../fixtures/cifar_scenario.js';
import { modelPath, skipWithoutModels } from '../fixtures/shared_models.js';
import { writeKerasH5, inputLayer, qConv2D, qActivation, quantizedBits, sequentialConfig, fixtureValues } from '../fixtures/keras_writer.js';

const skip = skipWithoutModels();

test('exact types: the narrowest ap_fixed / ap_ufixed for a grid', () => {
  assert.equal(exactType(0, 0.9375, 1 / 16).text, 'ap_ufixed<4,0>');
  assert.equal(exactType(-1, 31 / 32, 1 / 32).text, 'ap_fixed<6,1>');
  assert.equal(exactType(-17.823486328125, 18.10546875, 2 ** -12).text, 'ap_fixed<18,6>');
  assert.equal(exactType(0, 0.125, 0.125).text, 'ap_ufixed<1,-2>');
  assert.equal(exactType(-8, 6, 2).text, 'ap_fixed<3,4>');
  assert.equal(exactType(0, 1, 0.1), null, 'non-dyadic steps have no exact type');
  assert.equal(typeForCodes(Int8Array.of(-7, 3, 7, 1), Float32Array.of(2 ** -4, 2 ** -5)).text, 'ap_fixed<5,0>');
  // Every grid value fits, and one step beyond the ends does not.
  for (const [lo, hi, step] of [[0, 0.9375, 1 / 16], [-1, 31 / 32, 1 / 32], [-3.5, 12.25, 0.25], [0, 48, 16]]) {
    const t = exactType(lo, hi, step);
    for (let v = lo; v <= hi; v += step) assert.ok(representable(v, t), `${v} in ${t.text}`);
    assert.ok(!representable(step / 2, t), `${step / 2} is off the grid of ${t.text}`);
  }
  const s = suggestedType(-1.73, 3.23, 16);
  assert.equal(s.text, 'ap_fixed<16,3>');
  assert.ok(Math.abs(castToType(3.2282, s) - 3.2282) < s.step);
  assert.equal(suggestedType(0, 1, 16).text, 'ap_ufixed<16,1>', '1.0 itself must fit');
  assert.ok(covers(parseType('ap_fixed<7,1,AP_RND,AP_SAT>'), parseType('ap_ufixed<6,0>')));
  assert.ok(!covers(parseType('ap_fixed<16,6>'), parseType('ap_fixed<15,4>')), 'ap_fixed<16,6> has one fraction bit less');
  assert.ok(!covers(parseType('ap_int<5>'), parseType('ap_fixed<10,2>')));
  assert.equal(parseType('float'), null);
});

test('YAML: the emitter writes what the reader (and yaml.safe_load) reads back', () => {
  const config = { Model: { Precision: 'ap_fixed<16,6>', ReuseFactor: 1, Strategy: 'Latency' }, LayerName: { fc1: { Precision: { weight: 'ap_fixed<6,1>', result: 'ap_ufixed<4,0>' } }, 'odd name': { Precision: { result: 'true' } } } };
  const text = toYaml(config, { comments: ['a comment'] });
  assert.match(text, /^# a comment\nModel:\n  Precision: ap_fixed<16,6>\n/);
  assert.match(text, /"odd name":\n {4}Precision:\n {6}result: "true"/);
  assert.deepEqual(parseSimpleYaml(text), config);
});

// Runs the config on `input` and checks each exact type against what the trace saw.
async function checkExactTypes(model, input, inputShape) {
  const { config, report } = await model.hls4mlConfig({ input, inputShape });
  assert.ok(config.Model.Precision && config.LayerName);
  const trace = await model.trace(input, inputShape);
  const traced = new Map(trace.map((t) => [t.name, t.data]));
  let checked = 0;
  for (const r of report) {
    assert.equal(config.LayerName[r.node].Precision[r.slot], r.type);
    if (!r.exact) {
      assert.ok(r.worstError === null || r.worstError >= 0, `${r.node}.${r.slot}: lossy types state their error`);
      continue;
    }
    if (!r.observedLayer) continue;
    const data = traced.get(r.observedLayer);
    for (let i = 0; i < data.length; i++) {
      if (!representable(data[i], r.typeInfo)) assert.fail(`${r.node}.${r.slot} ${r.type}: traced value ${data[i]} of '${r.observedLayer}'[${i}] is not representable`);
    }
    checked += data.length;
  }
  for (const w of await model.weights()) {
    const slot = w.name === 'bias' ? 'bias' : 'weight';
    const r = report.find((x) => x.node === w.layer && x.slot === slot && x.exact);
    if (!r || (slot === 'weight' && w.name !== 'kernel' && w.name !== 'depthwise_kernel')) continue;
    for (const v of w.values) if (!representable(v, r.typeInfo)) assert.fail(`${w.layer}/${w.name} value ${v} not in ${r.type}`);
  }
  return { checked, report };
}

for (const withFix of [false, true]) {
  test(`the seed CNN${withFix ? ' (fixed)' : ''}: every traced value of a layer with an exact type fits it`, async () => {
    const model = await loadModel(await writeCifarScenarioH5({ withFix }));
    const { checked, report } = await checkExactTypes(model, cifarScenarioInput(2), [2, 32, 32, 3]);
    assert.ok(checked > 10000, `checked ${checked} values`);
    // The fixed CNN feeds QActivation outputs (a grid) to every conv after the first; the seed
    // CNN feeds float BN outputs, so there only the analysis's grid layers are exact.
    assert.equal(report.some((r) => r.slot === 'accum' && r.exact), withFix, 'accumulators on grid inputs get exact types');
    const lossy = report.filter((r) => !r.exact && r.observedLayer);
    assert.ok(lossy.length > 0 && lossy.every((r) => typeof r.worstError === 'number'), 'float BN outputs are lossy with a traced error');
    model.dispose();
  });
}

test('a separable conv on a grid: depthwise and pointwise types, an exact accumulator, traced values fit', async () => {
  const q = (bits, integer) => quantizedBits(bits, integer, { alpha: 1 });
  const sep = qConv2D('sep', 3, [3, 3], { bias_quantizer: q(6, 2) });
  sep.class_name = 'QSeparableConv2D';
  delete sep.config.groups;
  Object.assign(sep.config, { depth_multiplier: 2, depthwise_quantizer: q(4, 0), pointwise_quantizer: q(5, 1) });
  const config = sequentialConfig('sep', [inputLayer('input_1', [6, 6, 2]), qActivation('act', 'quantized_relu(4,0)'), sep]);
  const w = (role, shape, seed) => ({ name: `sep/${role}:0`, shape, data: fixtureValues(shape.reduce((a, b) => a * b, 1), seed) });
  const weights = { sep: [w('depthwise_kernel', [3, 3, 2, 2], 3), w('pointwise_kernel', [1, 1, 4, 3], 4), w('bias', [3], 5)] };
  const model = await loadModel(await writeKerasH5({ modelConfig: config, weights }));
  const input = Float32Array.from({ length: 2 * 72 }, (_, i) => ((i * 37) % 41) / 20 - 1);
  const { report } = await checkExactTypes(model, input, [2, 6, 6, 2]);
  const slots = report.filter((r) => r.node === 'sep').map((r) => `${r.slot}:${r.exact}`);
  assert.deepEqual(slots, ['depthwise:true', 'pointwise:true', 'bias:true', 'accum:true', 'result:true']);
  const accum = report.find((r) => r.node === 'sep' && r.slot === 'accum').typeInfo;
  const result = report.find((r) => r.node === 'sep' && r.slot === 'result').typeInfo;
  assert.ok(covers(accum, result), `accum ${accum.text} holds the output grid ${result.text}`);
  model.dispose();
});

const REAL = [
  { config: 'qkeras_3layer/qkeras_3layer.json', weights: 'qkeras_3layer/qkeras_3layer_weights.h5' },
  { config: 'qkeras_mnist_dense/qkeras_mnist_dense.json', weights: 'qkeras_mnist_dense/qkeras_mnist_dense_weights.h5' },
  { config: 'qkeras_mnist_cnn/qkeras_mnist_cnn.json', weights: 'qkeras_mnist_cnn/qkeras_mnist_cnn_weights.h5' },
  'hls4ml_tutorial_model3/KERAS_check_best_model.h5',
  'mlperftiny_ic_rn07/model_best.h5',
  'mlperftiny_ad08/model.h5',
  'mlperftiny_ad_baseline/keras_model.h5',
];

function loadReal(entry) {
  return loadModel(typeof entry === 'string' ? readFileSync(modelPath(entry)) : { config: readFileSync(modelPath(entry.config), 'utf8'), weights: readFileSync(modelPath(entry.weights)) });
}

for (const entry of REAL) {
  const label = typeof entry === 'string' ? entry : entry.config;
  test(`real model ${label}: every traced value of a layer with an exact type fits it`, { skip }, async () => {
    const model = await loadReal(entry);
    const dims = model.inputs[0].shape.slice(1);
    const per = dims.reduce((a, b) => a * b, 1);
    const batch = per > 1000 ? 1 : 8;
    // Generated inputs in [-1, 1), plus the extremes.
    const input = Float32Array.from({ length: per * batch }, (_, i) => (((i * 7919 + 13) % 509) / 254.5) - 1);
    input[0] = 1;
    const { checked } = await checkExactTypes(model, input, [batch, ...dims]);
    assert.ok(checked > 0);
    model.dispose();
  });
}

test('hand-written hls4ml configs beside the MNIST models: where they are narrower than exact', { skip }, async () => {
  const narrower = {};
  for (const base of ['qkeras_3layer/qkeras_3layer', 'qkeras_mnist_dense/qkeras_mnist_dense', 'qkeras_mnist_cnn/qkeras_mnist_cnn']) {
    const model = await loadReal({ config: `${base}.json`, weights: `${base}_weights.h5` });
    const { report } = await model.hls4mlConfig();
    const theirs = parseSimpleYaml(readFileSync(modelPath(`${base}_hls4ml_config.yml`), 'utf8'));
    narrower[base.split('/')[0]] = compareWithExact(report, theirs).filter((c) => !c.covers).map((c) => `${c.node}.${c.slot}`);
    model.dispose();
  }
  // The weights they set by hand hold the codes, except the po2 kernel typed as an integer.
  assert.deepEqual(narrower.qkeras_mnist_dense, ['q_dense_2.weight', 'q_dense_2.accum', 'q_dense_2.result']);
  // Accumulators left to the model default ap_fixed<16,6> lose fraction bits.
  assert.deepEqual(narrower.qkeras_3layer, ['fc2.accum', 'fc2.result', 'fc3.accum', 'fc3.result', 'output.accum', 'output.result']);
  assert.deepEqual(narrower.qkeras_mnist_cnn, ['q_conv2d_1.accum', 'q_conv2d_1.result', 'q_conv2d_1_relu.result', 'q_dense.accum', 'q_dense.result']);
});
