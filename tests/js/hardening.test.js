// Issue 8, C++ half, through the public API: hostile model files built with the Keras HDF5
// fixture writer must fail with a specific Error (checked 64-bit sizes, limits checked before
// allocating), and afterwards a good model loaded earlier must still predict bit for bit the
// same numbers. Also: the `limits` option, model.warnings, and non-finite option values.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';

import { loadModel, quantizerRange } from '../../web/index.js';
import {
  dense,
  dropout,
  fixtureValues,
  inputLayer,
  qBatchNormalization,
  qDense,
  quantizedBits,
  sequentialConfig,
  writeKerasH5,
} from '../fixtures/keras_writer.js';

const GOOD_INPUT = fixtureValues(3 * 16, 7);
let good = null;
let goodOutput = null;

async function goodModel() {
  const modelConfig = sequentialConfig('good', [
    inputLayer('in', [16]),
    qDense('qd', 8, { kernel_quantizer: quantizedBits(4, 0, { alpha: 1 }), bias_quantizer: quantizedBits(4, 0, { alpha: 1 }), activation: 'quantized_relu(4,0)' }),
    dense('out', 3),
  ]);
  const weights = {
    qd: [
      { name: 'qd/kernel:0', shape: [16, 8], data: fixtureValues(128, 1) },
      { name: 'qd/bias:0', shape: [8], data: fixtureValues(8, 2) },
    ],
    out: [
      { name: 'out/kernel:0', shape: [8, 3], data: fixtureValues(24, 3) },
      { name: 'out/bias:0', shape: [3], data: fixtureValues(3, 4) },
    ],
  };
  return loadModel(await writeKerasH5({ modelConfig, weights }));
}

before(async () => {
  good = await goodModel();
  goodOutput = (await good.predict(GOOD_INPUT, [3, 16])).data;
});

async function expectGoodModelUnharmed(what) {
  const again = (await good.predict(GOOD_INPUT, [3, 16])).data;
  assert.deepEqual(Buffer.from(again.buffer, again.byteOffset, again.byteLength), Buffer.from(goodOutput.buffer, goodOutput.byteOffset, goodOutput.byteLength), `after ${what}: the good model's numbers changed`);
  // A fresh load works too (the instance is not poisoned).
  const fresh = await goodModel();
  assert.deepEqual((await fresh.predict(GOOD_INPUT, [3, 16])).data, goodOutput);
  fresh.dispose();
}

// One hidden layer after an InputLayer of `inShape`.
async function hostile(inShape, layer, weights = {}) {
  return writeKerasH5({ modelConfig: sequentialConfig('hostile', [inputLayer('in', inShape), layer]), weights });
}

const LIMIT = /over the limit maxTensorElements=268435456 \(raise it with loadModel\(\.\.\., \{ limits: \{ maxTensorElements \} \}\)\)/;

const CASES = [
  {
    name: 'finding 1: ZeroPadding1D paddings near 2^30 and 2^31.5',
    file: () => hostile([16, 1], { class_name: 'ZeroPadding1D', config: { name: 'zp', padding: [2 ** 30, 3221225457] } }),
    error: [/layer 'zp' \(ZeroPadding1D\): output would have 4294967297 elements per sample/, LIMIT],
  },
  {
    name: 'finding 2: ZeroPadding2D padding 2^40',
    file: () => hostile([1, 1, 1], { class_name: 'ZeroPadding2D', config: { name: 'zp2', padding: 2 ** 40, data_format: 'channels_last' } }),
    error: [/layer 'zp2' \(ZeroPadding2D\): output would have/, LIMIT],
  },
  {
    name: 'finding 2: UpSampling2D size [65536, 65536] on a 1x1 input',
    file: () => hostile([1, 1, 1], { class_name: 'UpSampling2D', config: { name: 'up', size: [65536, 65536], data_format: 'channels_last', interpolation: 'nearest' } }),
    error: [/layer 'up' \(UpSampling2D\): output would have 4294967296 elements per sample/, LIMIT],
  },
  {
    name: 'finding 2: Conv2DTranspose strides 65536',
    file: () =>
      hostile(
        [1, 1, 1],
        { class_name: 'Conv2DTranspose', config: { name: 'ct', filters: 1, kernel_size: [1, 1], strides: [65536, 65536], padding: 'valid', use_bias: false, data_format: 'channels_last', activation: 'linear' } },
        { ct: [{ name: 'ct/kernel:0', shape: [1, 1, 1, 1], data: [1] }] },
      ),
    error: [/layer 'ct' \(Conv2DTranspose\): output would have 4294967296 elements per sample/, LIMIT],
  },
  {
    name: 'finding 4: units 4294967360 (used to load as 64)',
    file: () =>
      hostile([2], { class_name: 'Dense', config: { name: 'd', units: 4294967360, activation: 'linear', use_bias: true } }, {
        d: [
          { name: 'd/kernel:0', shape: [2, 64], data: fixtureValues(128, 5) },
          { name: 'd/bias:0', shape: [64], data: fixtureValues(64, 6) },
        ],
      }),
    error: [/layer 'd' \(Dense\): config 'units' is 4294967360, out of the supported range/],
  },
  {
    name: 'finding 4: pool size 2^32+1 (used to act as 1)',
    file: () => hostile([4, 4, 1], { class_name: 'MaxPooling2D', config: { name: 'mp', pool_size: [4294967297, 4294967297], padding: 'valid', data_format: 'channels_last' } }),
    error: [/layer 'mp' \(MaxPooling2D\): config 'pool_size' is 4294967297, out of the supported range/],
  },
  {
    name: 'finding 4: Reshape [274177, 67280421310721] (product wraps to 1)',
    file: () => hostile([1], { class_name: 'Reshape', config: { name: 'rs', target_shape: [274177, 67280421310721] } }),
    error: [/layer 'rs' \(Reshape\)/, /overflows 64 bits/],
  },
];

for (const c of CASES) {
  test(`${c.name}: a clear Error, and the good model keeps its numbers`, async () => {
    const bytes = await c.file();
    await assert.rejects(loadModel(bytes), (error) => {
      assert.ok(error instanceof Error, String(error));
      for (const re of c.error) assert.match(error.message, re);
      assert.doesNotMatch(error.message, /RuntimeError|out of bounds|allocator|Aborted/);
      return true;
    });
    await expectGoodModelUnharmed(c.name);
  });
}

test("finding 2: quantizerRange('quantized_bits(32,0,0)') is a clear Error, and the good model keeps its numbers", async () => {
  await assert.rejects(quantizerRange('quantized_bits(32,0,0)'), /range\(\) would list 4294967296 values, over the limit of 1048576/);
  assert.equal((await quantizerRange('quantized_bits(3,0,0)')).length, 8);
  await expectGoodModelUnharmed('quantizerRange');
});

test('limits: loadModel(..., { limits }) lowers and raises them, and bad limits are refused', async () => {
  const file = await hostile([4, 1], { class_name: 'UpSampling1D', config: { name: 'up1', size: 8 } });
  await assert.rejects(loadModel(file, { limits: { maxTensorElements: 16 } }), /layer 'up1' \(UpSampling1D\): output would have 32 elements per sample \(shape \(32, 1\)\), over the limit maxTensorElements=16/);
  const m = await loadModel(file, { limits: { maxTensorElements: 32 } });
  assert.deepEqual(m.outputs[0].shape, [null, 32, 1]);
  m.dispose();
  await assert.rejects(loadModel(file, { limits: { maxTensorElementz: 5 } }), /unknown limit 'limits.maxTensorElementz'/);
  await assert.rejects(loadModel(file, { limits: { maxLayers: -1 } }), /limit 'limits.maxLayers' must be a positive integer/);
  await expectGoodModelUnharmed('limits');
});

test('limits: a predict batch over maxArenaBytes fails before allocating; the model keeps working', async () => {
  const file = await hostile([4], dropout('dr', 0.5));
  const m = await loadModel(file, { limits: { maxArenaBytes: 320 } });
  const x = fixtureValues(8, 9);
  const first = (await m.predict(x, [2, 4])).data;
  await assert.rejects(m.predict(fixtureValues(44, 9), [11, 4]), /predict: a batch of 11 needs 352 bytes of activations, over the limit maxArenaBytes=320/);
  assert.deepEqual((await m.predict(x, [2, 4])).data, first);
  m.dispose();
  await expectGoodModelUnharmed('arena limit');
});

test('qnoiseFactor: NaN is an Error, not silently "unset"', async () => {
  const file = await hostile([4], dropout('dr', 0.5));
  await assert.rejects(loadModel(file, { qnoiseFactor: NaN }), /qnoiseFactor must be a finite number.*got NaN/);
  await assert.rejects(loadModel(file, { qnoiseFactor: Infinity }), /finite number/);
});

const withConfig = (layer, extra) => ({ ...layer, config: { ...layer.config, ...extra } });

test('model.warnings names what QKeras silently does, layer by layer', async () => {
  const modelConfig = sequentialConfig('surprises', [
    inputLayer('in', [2]),
    qDense('mangled', 2, { kernel_quantizer: 'quantized_bits(4,0,1,alpha=foo(1))' }),
    withConfig(qBatchNormalization('bn'), { activation: 'relu' }),
    dropout('drop', 1.5),
    dense('inf_weights', 2),
  ]);
  const bnVar = (n, v) => ({ name: `bn/${n}:0`, shape: [2], data: new Float32Array([v, v]) });
  const weights = {
    mangled: [
      { name: 'mangled/kernel:0', shape: [2, 2], data: fixtureValues(4, 1) },
      { name: 'mangled/bias:0', shape: [2], data: fixtureValues(2, 2) },
    ],
    bn: [bnVar('gamma', 1), bnVar('beta', 0), bnVar('moving_mean', 0), bnVar('moving_variance', 1)],
    // 1e300 is a float64 beyond float32's range: it becomes Infinity.
    inf_weights: [
      { name: 'inf_weights/kernel:0', shape: [2, 2], data: new Float64Array([1e300, 0.5, 0.25, 1]) },
      { name: 'inf_weights/bias:0', shape: [2], data: new Float32Array([0, 0]) },
    ],
  };
  const m = await loadModel(await writeKerasH5({ modelConfig, weights }));
  const byLayer = new Map(m.warnings.map((w) => [w.layer, w]));
  assert.equal(m.warnings.length, 4, JSON.stringify(m.warnings, null, 1));
  assert.equal(byLayer.get('mangled').code, 'quantizer-string');
  assert.match(byLayer.get('mangled').message, /QKeras reads 'quantized_bits\(4,0,1,alpha=foo\(1\)\)' as quantized_bits\(\) with all defaults/);
  assert.equal(byLayer.get('bn').code, 'ignored-setting');
  assert.match(byLayer.get('bn').message, /QKeras ignores QBatchNormalization's activation "relu"/);
  assert.equal(byLayer.get('drop').code, 'dropout-rate');
  assert.match(byLayer.get('drop').message, /rate 1\.5 is outside \[0, 1\)/);
  assert.equal(byLayer.get('inf_weights').code, 'non-finite-weights');
  assert.match(byLayer.get('inf_weights').message, /weight 'kernel' holds 1 non-finite value/);
  assert.ok(Object.isFrozen(m.warnings));
  m.dispose();
  assert.deepEqual(good.warnings, []);
});
