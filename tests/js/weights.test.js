// model.weights(): integer codes x scale reproduce the dequantized values bit for bit; the values
// are QKeras's quantizer applied to the float weights (quantize() on the file's weights, an
// independent path from the layer's load-time quantization); po2, auto_po2 per-channel, binary
// and ternary kernels round-trip; converted files give the same codes' values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { loadModel, convert, quantize } from '../../web/index.js';
import { readModel } from '../../web/model.js';
import { dequantize } from '../../web/weights.js';
import { writeKerasH5, inputLayer, qDense, qConv2D, quantizedBits, quantizedPo2, sequentialConfig, fixtureValues } from '../fixtures/keras_writer.js';
import { modelPath, skipWithoutModels } from '../fixtures/shared_models.js';
import { writeCifarScenarioH5 } from '../fixtures/cifar_scenario.js';

const skip = skipWithoutModels();

// value = integer * scale, bit for bit (+0 and -0 count as equal: an integer code has no sign of zero).
function assertCodesReproduce(w, what) {
  assert.ok(w.integers, `${what}: has integer codes`);
  const back = dequantize(w.integers, w.scale, w.shape);
  const a = new Uint32Array(back.buffer);
  const b = new Uint32Array(w.values.buffer, w.values.byteOffset, w.values.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i] && !(back[i] === 0 && w.values[i] === 0)) {
      assert.fail(`${what}[${i}]: ${w.integers[i]} x scale = ${back[i]}, value ${w.values[i]}`);
    }
  }
}

function assertSameFloats(actual, expected, what) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    if (!Object.is(actual[i], expected[i]) && !(actual[i] === 0 && expected[i] === 0)) {
      assert.fail(`${what}[${i}]: ${actual[i]} vs QKeras's quantizer ${expected[i]}`);
    }
  }
}

// An independent JS re-implementation of quantized_bits(bits, integer, 0, alpha=1) on the float
// weights (keep_negative, not symmetric): step 2^(integer - bits + 1), codes
// clip(round_half_even(x / step), -2^(bits-1), 2^(bits-1) - 1).
function roundHalfEven(v) {
  const f = Math.floor(v);
  const d = v - f;
  return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
}
function assertFixedPointCodes(w, floats, what) {
  const m = /^quantized_bits\((\d+),(\d+),0,alpha=1\)$/.exec(w.quantizer ?? '');
  if (!m) return;
  const bits = Number(m[1]);
  const step = 2 ** (Number(m[2]) - bits + 1);
  assert.equal(w.scale, step, `${what}: scale is the quantizer's step`);
  for (let i = 0; i < floats.length; i++) {
    const k = Math.min(2 ** (bits - 1) - 1, Math.max(-(2 ** (bits - 1)), roundHalfEven(floats[i] / step)));
    if (w.integers[i] !== k) assert.fail(`${what}[${i}]: code ${w.integers[i]}, quantized_bits gives ${k} for ${floats[i]}`);
  }
}

// One QDense/QConv2D per weight kind, kernels with outliers so clipping happens.
function kindsModel() {
  const binary = { class_name: 'binary', config: { use_01: false, alpha: null, use_stochastic_rounding: false } };
  const ternary = { class_name: 'ternary', config: { alpha: null, threshold: null, use_stochastic_rounding: false, number_of_unrolls: 5 } };
  const config = sequentialConfig('kinds', [
    inputLayer('input_1', [6, 6, 3]),
    qConv2D('conv_auto_po2', 4, [3, 3], { kernel_quantizer: quantizedBits(4, 0, { alpha: null }), bias_quantizer: quantizedBits(8, 3) }),
    qConv2D('conv_po2', 3, [2, 2], { kernel_quantizer: quantizedPo2(4, 1), bias_quantizer: quantizedBits(8, 3) }),
    qConv2D('conv_binary', 5, [1, 1], { kernel_quantizer: binary, use_bias: false }),
    qConv2D('conv_ternary', 2, [1, 1], { kernel_quantizer: ternary, bias_quantizer: quantizedBits(6, 2) }),
    qDense('dense_float', 2, {}),
  ]);
  // Per-channel magnitudes that differ by powers of two, so auto_po2 picks different scales.
  const kernel = (shape, seed) => {
    const v = fixtureValues(shape.reduce((a, b) => a * b, 1), seed);
    const c = shape[shape.length - 1];
    return v.map((x, i) => x * 2 ** -(i % c) * (i % 17 === 0 ? 3 : 1));
  };
  const w = (layer, role, shape, data) => ({ name: `${layer}/${role}:0`, shape, data: data ?? fixtureValues(shape.reduce((a, b) => a * b, 1), shape.length * 7 + 1) });
  const weights = {
    conv_auto_po2: [w('conv_auto_po2', 'kernel', [3, 3, 3, 4], kernel([3, 3, 3, 4], 5)), w('conv_auto_po2', 'bias', [4])],
    conv_po2: [w('conv_po2', 'kernel', [2, 2, 4, 3], kernel([2, 2, 4, 3], 6).map((x) => x * 4)), w('conv_po2', 'bias', [3])],
    conv_binary: [w('conv_binary', 'kernel', [1, 1, 3, 5], kernel([1, 1, 3, 5], 7))],
    conv_ternary: [w('conv_ternary', 'kernel', [1, 1, 5, 2], kernel([1, 1, 5, 2], 8)), w('conv_ternary', 'bias', [2])],
    dense_float: [w('dense_float', 'kernel', [2, 2]), w('dense_float', 'bias', [2])],
  };
  return { config, weights };
}

test('po2, auto_po2 per-channel, binary and ternary kernels: codes x scale == values == QKeras quantizer(float weights)', async () => {
  const { config, weights } = kindsModel();
  const h5 = await writeKerasH5({ modelConfig: config, weights });
  const model = await loadModel(h5);
  const raw = (await readModel(h5)).weights;
  const all = await model.weights();
  const byKey = new Map(all.map((w) => [`${w.layer}/${w.name}`, w]));

  const autoPo2 = byKey.get('conv_auto_po2/kernel');
  assert.match(autoPo2.quantizer, /alpha='auto_po2'/, 'the weight-slot alpha rule shows in the quantizer');
  assert.ok(autoPo2.scale instanceof Float32Array && autoPo2.scale.length === 4, 'one scale per output channel');
  assert.ok(new Set(autoPo2.scale).size > 1, `channel scales differ: ${autoPo2.scale}`);
  assert.ok(autoPo2.integers instanceof Int8Array);
  assert.ok(Array.from(autoPo2.integers).every((k) => k >= -7 && k <= 7), '4-bit symmetric codes');
  assert.equal(autoPo2.scaleMethod, 'qkeras-scale');
  assert.equal(byKey.get('conv_po2/kernel').quantizer, 'quantized_po2(4,1)');
  const binary = byKey.get('conv_binary/kernel');
  assert.ok(Array.from(binary.integers).every((k) => k === 1 || k === -1), 'binary codes are +-1');
  const ternary = byKey.get('conv_ternary/kernel');
  assert.ok(Array.from(ternary.integers).every((k) => k >= -1 && k <= 1), 'ternary codes are -1, 0, 1');
  assert.ok(ternary.stats.zeros > 0);

  for (const w of all) {
    const what = `${w.layer}/${w.name}`;
    if (w.layer === 'dense_float') {
      assert.equal(w.integers, null, `${what}: float weights have no codes`);
      assert.equal(w.scale, null);
      continue;
    }
    assertCodesReproduce(w, what);
    const file = raw.get(w.layer).find((r) => r.role === w.name);
    const expected = await quantize(w.quantizer, file.data, file.shape, { weight: w.name !== 'bias' });
    assertSameFloats(w.values, expected, what);
    assert.equal(w.stats.distinct, new Set(Array.from(w.values, (v) => (v === 0 ? 0 : v))).size);
  }
  // The clipped count, recomputed here from the float weights and the grid.
  const po2 = byKey.get('conv_po2/kernel');
  const po2File = raw.get('conv_po2').find((r) => r.role === 'kernel').data;
  assert.equal(po2.stats.clipped, Array.from(po2File).filter((x) => Math.abs(x) > 1 * Math.SQRT2).length);
  assert.ok(po2.stats.clipped > 0, 'the fixture has po2 weights beyond max_value');
  // auto_po2 4-bit: codes -7..7 at each channel's scale; clipped beyond 7.5 steps.
  const autoFile = raw.get('conv_auto_po2').find((r) => r.role === 'kernel').data;
  const expectedAutoClipped = Array.from(autoFile).filter((x, i) => Math.abs(x) > 7.5 * autoPo2.scale[i % 4]).length;
  assert.equal(autoPo2.stats.clipped, expectedAutoClipped);
  const bias = byKey.get('conv_ternary/bias');
  const biasFile = raw.get('conv_ternary').find((r) => r.role === 'bias').data;
  // quantized_bits(6,2): grid [-4, 4 - 1/8], step 1/8.
  assert.equal(bias.stats.clipped, Array.from(biasFile).filter((x) => x > 4 - 1 / 8 + 1 / 16 || x < -4 - 1 / 16).length);

  await assert.rejects(model.weights('nope'), /no layer named 'nope'/);
  assert.equal((await model.weights('conv_po2')).length, 2);
  model.dispose();
});

test('auto_po2 clipping on the seed CNN: float weights beyond 7.5 steps of their channel scale', async () => {
  const h5 = await writeCifarScenarioH5();
  const model = await loadModel(h5);
  const [kernel] = await model.weights('q_conv2d');
  const floats = (await readModel(h5)).weights.get('q_conv2d').find((r) => r.role === 'kernel').data;
  const c = kernel.shape[3];
  const expected = Array.from(floats).filter((x, i) => Math.abs(x) > 7.5 * (typeof kernel.scale === 'number' ? kernel.scale : kernel.scale[i % c])).length;
  assert.equal(kernel.stats.clipped, expected);
  assert.ok(expected > 0, 'QKeras clips some of this kernel');
  model.dispose();
});

test('a converted file gives the same values and codes that reproduce them (no float weights: clipped is null)', async () => {
  const { config, weights } = kindsModel();
  const h5 = await writeKerasH5({ modelConfig: config, weights });
  const source = await loadModel(h5);
  const converted = await loadModel(await convert(h5));
  const a = await source.weights();
  const b = await converted.weights();
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) {
    const what = `${a[i].layer}/${a[i].name}`;
    assertSameFloats(b[i].values, a[i].values, what);
    if (a[i].integers) assertCodesReproduce(b[i], `converted ${what}`);
    if (a[i].quantizer) assert.equal(b[i].stats.clipped, null);
  }
  const autoPo2 = b.find((w) => w.layer === 'conv_auto_po2');
  assert.ok(Array.from(autoPo2.integers).every((k) => k >= -7 && k <= 7), 'fitted scales keep 4-bit codes');
  source.dispose();
  converted.dispose();
});

const REAL = [
  'qkeras_3layer_v2020/QKERAS_3layer.h5',
  'hls4ml_tutorial_model3/KERAS_check_best_model.h5',
  'mlperftiny_ic_rn07/model_best.h5',
  'mlperftiny_ad08/model.h5',
  'mlperftiny_ad_baseline/keras_model.h5',
  'qconv2dbatchnorm_224_autopo2/FashionMNIST.h5',
  'hls4ml_tutorial_qpruned_cnn_plm/quantized_pruned_cnn_model.h5',
  'enet_hom4/hom4_32_4_4_4_4_4.h5',
  { config: 'qkeras_mnist_dense/qkeras_mnist_dense.json', weights: 'qkeras_mnist_dense/qkeras_mnist_dense_weights.h5' },
];

for (const entry of REAL) {
  const label = typeof entry === 'string' ? entry : entry.config;
  test(`real model ${label}: integer codes x scales reproduce the effective weights`, { skip }, async () => {
    const source = typeof entry === 'string' ? readFileSync(modelPath(entry)) : { config: readFileSync(modelPath(entry.config), 'utf8'), weights: readFileSync(modelPath(entry.weights)) };
    const model = await loadModel(source);
    const effective = model._handle.effectiveWeights();
    const all = await model.weights();
    assert.equal(all.length, effective.length);
    const { weights: raw } = await readModel(source);
    let withCodes = 0;
    for (const w of all) {
      const what = `${w.layer}/${w.name}`;
      const e = effective.find((x) => x.layer === w.layer && x.role === w.name);
      assertSameFloats(w.values, e.data, what);
      if (!w.quantizer) continue;
      assertCodesReproduce(w, what);
      withCodes += 1;
      assert.ok(w.stats.clipped !== null && w.stats.clipped >= 0, `${what}: clipped counted`);
      // Not folded: the values are QKeras's quantizer applied to the file's float weights.
      if (!w.folded) {
        const file = raw.get(w.layer)?.find((r) => r.role === w.name);
        if (file && !model.graph.layers.find((l) => l.name === w.layer)?.config?.qkw_effective_weights) {
          const masked = /Prune/.test(model.graph.layers.find((l) => l.name === w.layer)?.className ?? '');
          if (!masked) assertSameFloats(w.values, await quantize(w.quantizer, file.data, file.shape, { weight: w.name !== 'bias' }), what);
          if (!masked) assertFixedPointCodes(w, file.data, what);
        }
      }
    }
    assert.ok(withCodes > 0, 'the model has quantized weights');
    model.dispose();
  });
}

test('summary() shows the weight bits per layer and the weight memory at those widths vs float32', async () => {
  const { config, weights } = kindsModel();
  const model = await loadModel(await writeKerasH5({ modelConfig: config, weights }));
  const text = model.summary();
  assert.match(text, /Weight bits/);
  assert.match(text, /\nconv_auto_po2 \(QConv2D\) .* 4\/8( |\n)/);
  assert.match(text, /\nconv_binary \(QConv2D\) .* 1( |\n)/);
  assert.match(text, /\ndense_float \(QDense\) .* 32\/32( |\n)/);
  // auto_po2 108 x 4 + 4 x 8, po2 48 x 4 + 3 x 8, binary 15 x 1, ternary 10 x 2 + 2 x 6, float 6 x 32 bits.
  const bits = 108 * 4 + 4 * 8 + 48 * 4 + 3 * 8 + 15 + 10 * 2 + 2 * 6 + 6 * 32;
  const count = 108 + 4 + 48 + 3 + 15 + 10 + 2 + 6;
  assert.match(text, new RegExp(`Weight memory: ${Math.ceil(bits / 8)} B at the quantized widths .* vs ${count * 4} B as float32`));
  model.dispose();
});
