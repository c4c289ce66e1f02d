// The integer kernels compiled to WebAssembly: the randomized kernel-vs-reference self-test (the
// same cases tests/cpp runs natively), and whole models: with integer kernels (the default) every
// shared model and every example model predicts bit for bit what the float kernels predict
// ({integerKernels: false}), and the layers that the analysis proves exact run integer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { loadModel } from '../../web/index.js';
import { getKernelSelfTestModule } from '../fixtures/kernel_selftest.js';
import { modelsDir, skipWithoutModels } from '../fixtures/shared_models.js';

test('integer kernels match their reference twins in WASM (random shapes, bitwise)', async () => {
  const wasm = await getKernelSelfTestModule(); // test-only module: the shipped kernels + self-test
  for (const seed of [1, 2, 3]) {
    const r = JSON.parse(wasm.selfTestKernels(seed, 150));
    assert.equal(r.isa, 'wasmsimd');
    assert.ok(r.cases >= 1800, `cases ${r.cases}`); // 4 qs16 cases + 3 popcount case kinds (>= 7 comparisons) + 1 quantizer case per round
    assert.ok(r.macs > 0);
    assert.deepEqual(r.failures, [], `seed ${seed}`);
  }
});

function patternInput(model) {
  const dims = model.inputs[0].shape.slice(1);
  const perSample = dims.reduce((a, b) => a * b, 1);
  const batch = perSample > 50000 ? 1 : 2;
  const data = new Float32Array(batch * perSample).map((_, i) => ((i * 7919) % 256) / 256);
  return { data, shape: [batch, ...dims] };
}

function bitEqual(a, b) {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.every((v, i) => v === y[i]);
}

// Predicts with and without integer kernels and elementwise fusion (every combination against
// float kernels, unfused); returns the default model's kernel list.
async function assertSamePredictions(t, makeSource) {
  const source = typeof makeSource === 'function' ? makeSource : () => makeSource;
  let fast;
  try {
    fast = await loadModel(source());
  } catch (error) {
    t.diagnostic(`not loadable here: ${error.message.slice(0, 120)}`);
    return null;
  }
  const slow = await loadModel(source(), { integerKernels: false, fuse: false });
  const variants = [
    ['integer, fused', fast],
    ['integer, unfused', await loadModel(source(), { fuse: false })],
    ['float, fused', await loadModel(source(), { integerKernels: false })],
  ];
  try {
    for (const l of slow.layers) if (l.kernel) assert.ok(/^f32_[a-z0-9_]+$/.test(l.kernel), `${l.name}: ${l.kernel}`);
    const { data, shape } = patternInput(fast);
    const b = await slow.predict(data, shape);
    const expected = Array.isArray(b) ? b : [b];
    for (const [label, m] of variants) {
      const a = await m.predict(data, shape);
      const outputs = Array.isArray(a) ? a : [a];
      outputs.forEach((o, i) => assert.ok(bitEqual(o.data, expected[i].data), `${label}: output ${i} differs`));
      // A second run: the in-place epilogue must not disturb buffers the next run reads.
      const again = await m.predict(data, shape);
      (Array.isArray(again) ? again : [again]).forEach((o, i) =>
        assert.ok(bitEqual(o.data, expected[i].data), `${label}: output ${i} differs on the second run`));
    }
    const fusedLayers = fast.layers.filter((l) => /\+/.test(l.kernel ?? ''));
    for (const l of fusedLayers) {
      const chain = fast.layers.filter((c) => (c.kernelReason ?? '').startsWith(`fused into '${l.name}'`));
      assert.equal(chain.length, l.kernel.split('+').length - 1, `${l.name}: ${l.kernel}`);
    }
    if (fusedLayers.length) t.diagnostic(`fused: ${fusedLayers.map((l) => `${l.name} ${l.kernel.slice(l.kernel.indexOf('+'))}`).join(', ')}`);
    // Every traced layer too, so a difference inside the model cannot hide behind an argmax.
    const ta = await fast.trace(data, shape);
    const tb = await slow.trace(data, shape);
    ta.forEach((e, i) => assert.ok(bitEqual(e.data, tb[i].data), `layer ${e.name} differs`));
    const integer = fast.layers.filter((l) => l.kernel && !l.kernel.startsWith('f32_'));
    const kinds = [...new Set(integer.map((l) => l.kernel))].join(', ');
    t.diagnostic(`${integer.length} integer layers${integer.length ? ` (${kinds}): ${integer.map((l) => l.name).join(', ')}` : ''}`);
    return fast.layers.map((l) => ({ name: l.name, kernel: l.kernel, reason: l.kernelReason }));
  } finally {
    for (const [, m] of variants) m.dispose();
    slow.dispose();
  }
}

const skip = skipWithoutModels();
// Every model file in ../shared/models: .h5/.keras files, and JSON configs with their X_weights.h5.
function sharedModelSources() {
  const sources = [];
  for (const d of readdirSync(modelsDir, { withFileTypes: true })) {
    if (!d.isDirectory()) continue;
    const files = readdirSync(`${modelsDir}${d.name}`);
    for (const f of files) {
      const path = `${modelsDir}${d.name}/${f}`;
      if (/\.json$/.test(f) && files.includes(f.replace(/\.json$/, '_weights.h5'))) {
        sources.push([`${d.name}/${f}`, () => ({ config: readFileSync(path, 'utf8'), weights: path.replace(/\.json$/, '_weights.h5') })]);
      } else if (/\.(h5|keras)$/.test(f) && !/_weights\.h5$/.test(f)) {
        sources.push([`${d.name}/${f}`, () => path]);
      }
    }
  }
  return sources;
}
const sharedModels = skip ? [['(none)', null]] : sharedModelSources();

for (const [relative, source] of sharedModels) {
  test(`shared model ${relative}: integer kernels predict bit for bit what the float kernels predict`, { skip }, async (t) => {
    await assertSamePredictions(t, source);
  });
}

const examplesDir = fileURLToPath(new URL('../../build/examples/', import.meta.url));
const exampleSkip = existsSync(`${examplesDir}cifar10_qkeras_fixed.h5`) ? false : 'build/examples missing (run npm run build)';

test('example cifar10_qkeras_fixed (every conv sees a 4-bit input): integer convs and dense, bit-identical', { skip: exampleSkip }, async (t) => {
  const kernels = await assertSamePredictions(t, `${examplesDir}cifar10_qkeras_fixed.h5`);
  const byName = Object.fromEntries(kernels.map((k) => [k.name, k]));
  // The first conv reads the float image.
  assert.equal(byName.q_conv2d.kernel, 'f32_conv2d_igemm_4x8_wasmsimd+bn+quantized_relu');
  assert.match(byName.q_conv2d.reason, /is float/);
  for (const name of ['q_conv2d_1', 'q_conv2d_2', 'q_conv2d_3', 'q_conv2d_4', 'q_conv2d_5']) {
    assert.match(byName[name].kernel, /^qs8_conv2d_igemm_4x8c2_wasmsimd_dot16x2\+bn\+quantized_relu$/, name);
  }
  assert.match(byName.q_dense.kernel, /^qs8_dense_igemm_.*\+bn\+quantized_relu$/);
  assert.match(byName.q_batch_normalization_1.reason, /fused into 'q_conv2d_1'/);
  assert.match(byName.q_dense_1.kernel, /^qs8_dense_igemm_/);
});

test('example cifar10_qkeras (float BN outputs feed the convs): float kernels, with the reason', { skip: exampleSkip }, async (t) => {
  const kernels = await assertSamePredictions(t, `${examplesDir}cifar10_qkeras.h5`);
  const conv = kernels.find((k) => k.name === 'q_conv2d_1');
  assert.equal(conv.kernel, 'f32_conv2d_igemm_4x8_wasmsimd+bn');
  assert.match(conv.reason, /q_batch_normalization' is float/);
});

test('summary() names each layer\'s kernel', { skip: exampleSkip }, async () => {
  const model = await loadModel(`${examplesDir}cifar10_qkeras_fixed.h5`);
  try {
    const text = model.summary();
    assert.match(text, /q_conv2d_1 \(QConv2D\).*qs8_conv2d_igemm_4x8c2_wasmsimd_dot16x2\+bn\+quantized_relu/);
    assert.match(text, /q_conv2d \(QConv2D\).*f32_conv2d_igemm_4x8_wasmsimd\+bn\+quantized_relu \(input '.*' is float\)/);
  } finally {
    model.dispose();
  }
});

test('fuse must be a boolean', async () => {
  await assert.rejects(loadModel(`${examplesDir}cifar10_qkeras_fixed.h5`, { fuse: 1 }), /option 'fuse'/);
});

test('integerKernels must be a boolean', async () => {
  await assert.rejects(
    loadModel(`${examplesDir}cifar10_qkeras_fixed.h5`, { integerKernels: 'yes' }),
    /integerKernels/,
  );
});

// Binary and ternary layers (issue 7: xor/and + popcount). Fixture models whose convs and dense
// layers read ±1, {-1, 0, 1} or {0, 1} activations with binary or ternary weights: every such
// layer runs a popcount kernel, and every layer's output is bit for bit the float kernels'.
const binaryQ = (alpha = 1, use01 = false) => ({ class_name: 'binary', config: { use_01: use01, alpha, use_stochastic_rounding: false } });
const ternaryQ = (alpha = null, threshold = null) => ({
  class_name: 'ternary',
  config: { alpha, threshold, use_stochastic_rounding: false, number_of_unrolls: 5 },
});

async function popcountFixture(layers, input) {
  const kw = await import('../fixtures/keras_writer.js');
  const config = kw.sequentialConfig('popcount', [kw.inputLayer('input', input), ...layers]);
  const shapes = {};
  let shape = input;
  let seed = 11;
  const weights = {};
  for (const l of layers) {
    const c = l.config;
    if (l.class_name === 'QConv2D') {
      const kernel = [...c.kernel_size, shape[2], c.filters];
      const stride = c.strides, dil = c.dilation_rate;
      const out = [0, 1].map((i) => {
        const k = (c.kernel_size[i] - 1) * dil[i] + 1;
        return c.padding === 'same' ? Math.ceil(shape[i] / stride[i]) : Math.floor((shape[i] - k) / stride[i]) + 1;
      });
      weights[c.name] = [
        { name: `${c.name}/kernel:0`, shape: kernel, data: kw.fixtureValues(kernel.reduce((a, b) => a * b, 1), seed++) },
        { name: `${c.name}/bias:0`, shape: [c.filters], data: kw.fixtureValues(c.filters, seed++).map((v) => v / 4) },
      ];
      shape = [...out, c.filters];
    } else if (l.class_name === 'QDense') {
      const kernel = [shape[shape.length - 1], c.units];
      weights[c.name] = [
        { name: `${c.name}/kernel:0`, shape: kernel, data: kw.fixtureValues(kernel[0] * kernel[1], seed++) },
        { name: `${c.name}/bias:0`, shape: [c.units], data: kw.fixtureValues(c.units, seed++).map((v) => v / 4) },
      ];
      shape = [shape.reduce((a, b) => a * b, 1) / shape[shape.length - 1], c.units];
    } else if (l.class_name === 'Flatten') {
      shape = [shape.reduce((a, b) => a * b, 1)];
    }
    shapes[c.name] = shape;
  }
  return kw.writeKerasH5({ modelConfig: config, weights });
}

test('binary/ternary fixture CNN: popcount kernels (qb1 xor, qt2 and), bit-identical to the float kernels', async (t) => {
  const kw = await import('../fixtures/keras_writer.js');
  const conv = (name, filters, k, options) => {
    const l = kw.qConv2D(name, filters, k, options);
    if (options.dilation_rate) l.config.dilation_rate = options.dilation_rate;
    return l;
  };
  const bytes = await popcountFixture([
    // A float layer first: its signed outputs make the binary activation take both signs.
    conv('c0', 8, [1, 1], { kernel_quantizer: kw.quantizedBits(4, 0, { alpha: 1 }) }),
    kw.qActivation('a0', binaryQ(1)),
    conv('c1', 13, [3, 3], { padding: 'same', kernel_quantizer: binaryQ(null) }),
    kw.qActivation('a1', binaryQ(0.5)),
    conv('c2', 21, [3, 2], { padding: 'same', strides: [2, 1], dilation_rate: [1, 2], kernel_quantizer: ternaryQ() }),
    kw.qActivation('a2', ternaryQ(1, 0.5)),
    conv('c3', 70, [2, 2], { padding: 'valid', kernel_quantizer: binaryQ(null) }),
    kw.qActivation('a3', binaryQ(1, true)),
    conv('c4', 9, [1, 1], { kernel_quantizer: ternaryQ() }),
    kw.qActivation('a4', binaryQ(1)),
    kw.flatten('f'),
    kw.qDense('d0', 17, { kernel_quantizer: binaryQ(null) }),
    kw.qActivation('a5', ternaryQ(1, 0.5)),
    kw.qDense('d1', 5, { kernel_quantizer: ternaryQ() }),
  ], [11, 9, 3]);
  const kernels = await assertSamePredictions(t, () => bytes);
  assert.ok(kernels, 'the fixture loads');
  const byName = Object.fromEntries(kernels.map((k) => [k.name, k]));
  const expected = {
    c1: 'qb1_conv2d_igemm_4x16c8_wasmsimd_xor_popcnt', // ±1 input (zero-free), binary weights
    c2: 'qt2_conv2d_igemm_4x16c8_wasmsimd_popcnt', // ternary weights
    c3: 'qt2_conv2d_igemm_4x16c8_wasmsimd_popcnt', // {-1, 0, 1} input
    c4: 'qt2_conv2d_igemm_4x16c8_wasmsimd_popcnt', // {0, 1} input
    d0: 'qb1_dense_igemm_4x16c8_wasmsimd_xor_popcnt',
    d1: 'qt2_dense_igemm_4x16c8_wasmsimd_popcnt',
  };
  for (const [name, kernel] of Object.entries(expected)) {
    assert.ok((byName[name].kernel ?? '').split('+')[0] === kernel, `${name}: ${byName[name].kernel} (${byName[name].reason})`);
  }
  assert.match(byName.c0.kernel, /^f32_conv2d/);
});

test('binary inputs with 4-bit weights take the int16 path (a binary grid {-a, a} is read on step a)', async (t) => {
  const kw = await import('../fixtures/keras_writer.js');
  const bytes = await popcountFixture([
    kw.qConv2D('c0', 6, [1, 1], { kernel_quantizer: kw.quantizedBits(4, 0, { alpha: 1 }) }),
    kw.qActivation('a0', binaryQ(2)),
    kw.qConv2D('c1', 7, [3, 3], { padding: 'same', kernel_quantizer: kw.quantizedBits(4, 0, { alpha: 1 }) }),
  ], [5, 6, 2]);
  const kernels = await assertSamePredictions(t, () => bytes);
  const c1 = kernels.find((k) => k.name === 'c1');
  assert.match(c1.kernel, /^qs8_conv2d_igemm_4x8c2_wasmsimd_dot16x2/, `${c1.kernel} (${c1.reason})`);
});
