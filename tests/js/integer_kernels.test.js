// The integer kernels compiled to WebAssembly: the randomized kernel-vs-reference self-test (the
// same cases tests/cpp runs natively), and whole models: with integer kernels (the default) every
// shared model and every example model predicts bit for bit what the float kernels predict
// ({integerKernels: false}), and the layers that the analysis proves exact run integer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { loadModel } from '../../web/index.js';
import { getWasmModule } from '../../web/wasm-module.js';
import { modelsDir, skipWithoutModels } from '../fixtures/shared_models.js';

test('integer kernels match their reference twins in WASM (random shapes, bitwise)', async () => {
  const wasm = await getWasmModule();
  for (const seed of [1, 2, 3]) {
    const r = JSON.parse(wasm.selfTestKernels(seed, 150));
    assert.equal(r.isa, 'wasmsimd');
    assert.equal(r.cases, 600);
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
