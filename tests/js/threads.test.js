// predict()/trace() with { threads: n } (web/threads.js): a batch split across worker_threads,
// each with its own WASM instance built from the model's .qkwm bytes, joined bit-identically to
// one thread; trace statistics merged exactly; errors from a worker; a worker that dies; the
// pool ended by dispose() and never keeping the process alive. (Chromium: bundlers.test.js.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { loadModel, convert, Model } from '../../web/index.js';
import {
  writeKerasH5, sequentialConfig, functionalConfig, inputLayer, qDense, qConv2D, qBatchNormalization, qActivation, maxPooling2D,
  flatten, dense, activation, quantizedBits, quantizedRelu, quantizedPo2, fixtureValues,
} from '../fixtures/keras_writer.js';
import { modelPath, skipWithoutModels } from '../fixtures/shared_models.js';

const q6 = quantizedBits(6, 0);
const w = (name, shape, seed) => ({ name, shape, data: fixtureValues(shape.reduce((a, b) => a * b, 1), seed) });

/** Conv -> BN -> quantized ReLU -> pool -> QDense -> float dense -> softmax, on 8x8x1 inputs. */
function cnnSpec() {
  return {
    modelConfig: sequentialConfig('cnn', [
      inputLayer('input_1', [8, 8, 1]),
      qConv2D('q_conv2d', 4, [3, 3], { kernel_quantizer: q6, bias_quantizer: q6, activation: 'relu' }),
      qBatchNormalization('q_bn', { gamma_quantizer: quantizedBits(8, 2), beta_quantizer: quantizedBits(8, 2) }),
      qActivation('q_act', quantizedRelu(6, 0)),
      maxPooling2D('pool'),
      flatten('flatten'),
      qDense('q_dense', 5, { kernel_quantizer: quantizedPo2(4, 1), bias_quantizer: quantizedBits(4, 0, { symmetric: 1, alpha: null }) }),
      dense('dense', 3),
      activation('softmax', 'softmax'),
    ]),
    weights: {
      q_conv2d: [w('q_conv2d/kernel:0', [3, 3, 1, 4], 1), w('q_conv2d/bias:0', [4], 2)],
      q_bn: [w('q_bn/gamma:0', [4], 3), w('q_bn/beta:0', [4], 4), w('q_bn/moving_mean:0', [4], 5), { name: 'q_bn/moving_variance:0', shape: [4], data: Float32Array.of(0.5, 1, 2, 4) }],
      q_dense: [w('q_dense/kernel:0', [36, 5], 6), w('q_dense/bias:0', [5], 7)],
      dense: [w('dense/kernel:0', [5, 3], 8), w('dense/bias:0', [3], 9)],
    },
  };
}

/** Two inputs, two outputs. */
function twoInTwoOutSpec() {
  const q4 = quantizedBits(4, 0, { alpha: 1 });
  const add = { class_name: 'Add', config: { name: 'add', trainable: true, dtype: 'float32' } };
  return {
    modelConfig: functionalConfig('two_in_two_out', [
      { layer: inputLayer('a', [4]) },
      { layer: inputLayer('b', [3]) },
      { layer: qDense('da', 5, { kernel_quantizer: q4, bias_quantizer: q4 }), inbound: ['a'] },
      { layer: qDense('db', 5, { kernel_quantizer: q4, bias_quantizer: q4 }), inbound: ['b'] },
      { layer: add, inbound: ['da', 'db'] },
      { layer: qActivation('act', quantizedRelu(3, 1)), inbound: ['add'] },
      { layer: dense('head1', 2), inbound: ['act'] },
      { layer: dense('head2', 1), inbound: ['act'] },
    ], ['a', 'b'], ['head1', 'head2']),
    weights: {
      da: [w('da/kernel:0', [4, 5], 1), w('da/bias:0', [5], 2)],
      db: [w('db/kernel:0', [3, 5], 3), w('db/bias:0', [5], 4)],
      head1: [w('head1/kernel:0', [5, 2], 5), w('head1/bias:0', [2], 6)],
      head2: [w('head2/kernel:0', [5, 1], 7), w('head2/bias:0', [1], 8)],
    },
  };
}

/** Inputs spread over [-1, 2) with a few exact grid values, NaN and ±Infinity (trace statistics). */
function inputs(count, seed, { specials = false } = {}) {
  const x = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = i % 5 === 0 ? Math.round((s / 2 ** 32) * 16) / 8 - 1 : (s / 2 ** 32) * 3 - 1;
  }
  if (specials) {
    x[7] = NaN;
    x[count - 3] = Infinity;
    x[Math.floor(count / 2)] = -Infinity;
    x[11] = -0;
  }
  return x;
}

const bits = (a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
function sameOutput(got, want, what) {
  assert.deepEqual(got.shape, want.shape, `${what}: shape`);
  assert.ok(bits(got.data).equals(bits(want.data)), `${what}: not bit-identical`);
}

/** Two traces are equal in everything but the timings (and the data's bits compared exactly). */
function sameTrace(got, want, what) {
  assert.deepEqual(got.map((e) => e.name), want.map((e) => e.name), `${what}: layers`);
  got.forEach((e, i) => {
    const o = want[i];
    const strip = ({ data, timeMs, ...rest }) => rest;
    assert.deepEqual(strip(e), strip(o), `${what}: layer '${e.name}'`);
    if (o.data === null) assert.equal(e.data, null, `${what}: layer '${e.name}' data`);
    else assert.ok(bits(e.data).equals(bits(o.data)), `${what}: layer '${e.name}' data not bit-identical`);
  });
}

test('predict with threads is bit-identical to one thread, for every split of the batch', async () => {
  const model = await loadModel(await writeKerasH5(cnnSpec()));
  // Pieces are whole Keras predict batches of 32 (softmax's paths depend on the position in one).
  for (const batch of [1, 5, 32, 33, 70, 100, 2200]) {  // 2200: each worker runs sub-batches of 1,024
    const x = inputs(batch * 64, batch, { specials: batch > 2 });
    const one = await model.predict(x, [batch, 8, 8, 1]);
    for (const threads of [1, 2, 3]) {
      sameOutput(await model.predict(x, [batch, 8, 8, 1], { threads }), one, `batch ${batch}, ${threads} threads`);
    }
    sameOutput(await model.predict(x, { threads: 2 }), one, `batch ${batch}, options in place of the shape`);
  }
  // The pool started as many workers as the largest split needed (100 = 4 units of 32), and keeps them.
  assert.equal(model._threadPool.size, 3);
  const memory = await model._threadPool.memory();
  assert.ok(memory.every((m) => m >= 16 << 20), memory.join(', '));
  model.dispose();
  assert.equal(model._threadPool, null);
});

test('multi-input, multi-output models: every output joined in order, readable by name', async () => {
  const model = await loadModel(await writeKerasH5(twoInTwoOutSpec()));
  const a = inputs(40 * 4, 1);
  const b = inputs(40 * 3, 2);
  const one = await model.predict({ a, b });
  const four = await model.predict({ a, b }, undefined, { threads: 4 });
  sameOutput(four.get('head1'), one.get('head1'), 'head1');
  sameOutput(four[1], one[1], 'head2');
  assert.deepEqual(four[0].shape, [40, 2]);
  sameTrace(await model.trace([a, b], undefined, { threads: 2 }), await model.trace([a, b]), 'two inputs');
  model.dispose();
});

test('trace with threads equals the single-thread trace: data and whole-batch statistics', async () => {
  const model = await loadModel(await writeKerasH5(cnnSpec()));
  const batch = 75;
  const x = inputs(batch * 64, 7, { specials: true });
  const shape = [batch, 8, 8, 1];
  const one = await model.trace(x, shape);
  for (const threads of [2, 3]) sameTrace(await model.trace(x, shape, { threads }), one, `${threads} threads`);
  sameTrace(await model.trace(x, { threads: 2 }), one, 'options in place of the shape');
  const noData = { includeData: false, histogramBins: 7 };
  sameTrace(await model.trace(x, shape, { ...noData, threads: 2 }), await model.trace(x, shape, noData), 'includeData false');
  const some = { layers: ['input_1', 'q_act', 'softmax'], batchSize: 2 };
  sameTrace(await model.trace(x, shape, { ...some, threads: 3 }), await model.trace(x, shape, some), 'layers and batchSize');
  // The input entry's observed grid (pixel-like data) is merged too.
  const grid = Float32Array.from({ length: batch * 64 }, (_, i) => (i % 17) / 16);
  sameTrace(await model.trace(grid, shape, { threads: 2 }), await model.trace(grid, shape), 'observed grid');
  model.dispose();
});

test('a converted (.qkwm) model and load options reach the workers', async () => {
  const h5 = await writeKerasH5(cnnSpec());
  for (const options of [{}, { integerKernels: false, fuse: false }]) {
    const model = await loadModel(await convert(h5, options), options);
    assert.equal(model.converted, true);
    const x = inputs(66 * 64, 3);
    sameOutput(await model.predict(x, { threads: 2 }), await model.predict(x), `qkwm ${JSON.stringify(options)}`);
    model.dispose();
  }
});

test('bad threads options are TypeErrors; worker errors become Errors and the model keeps working', async () => {
  const model = await loadModel(await writeKerasH5(cnnSpec()));
  const x = inputs(40 * 64, 5);
  for (const threads of [0, -1, 1.5, 65, '2', null, NaN]) {
    await assert.rejects(model.predict(x, { threads }), (e) => e instanceof TypeError && /options\.threads must be an integer from 1 to 64/.test(e.message), String(threads));
    await assert.rejects(model.trace(x, { threads }), TypeError);
  }
  await assert.rejects(model.predict(x, { thread: 2 }), /unknown option 'thread'/);
  await assert.rejects(model.trace(x, undefined, { threads: 2, steps: true }), /steps cannot be combined with threads/);
  // An error inside a worker: the same message as in one thread.
  const single = await model.trace(x, undefined, { layers: ['nope'] }).catch((e) => e);
  const threaded = await model.trace(x, undefined, { layers: ['nope'], threads: 2 }).catch((e) => e);
  assert.ok(threaded instanceof Error && /nope/.test(threaded.message), String(threaded));
  assert.equal(threaded.message, single.message);
  sameOutput(await model.predict(x, { threads: 2 }), await model.predict(x), 'after a worker error');
  model.dispose();

  // A C++ limit hit inside a worker (its piece needs more arena than allowed): a clear Error.
  const small = await loadModel(await writeKerasH5(cnnSpec()), { limits: { maxArenaBytes: 40000 } });
  const big = inputs(40 * 64, 9);
  const one = await small.predict(big).catch((e) => e);
  assert.match(one.message, /predict: a batch of 40 needs \d+ bytes/);
  const two = await small.predict(big, { threads: 2 }).catch((e) => e);
  assert.match(two.message, /predict: a batch of 32 needs \d+ bytes/);
  sameOutput(await small.predict(big.subarray(0, 4 * 64), { threads: 2 }), await small.predict(big.subarray(0, 4 * 64)), 'after a limit');
  small.dispose();
});

test('a worker that dies is replaced on the next call; dispose() ends the pool', async () => {
  const model = await loadModel(await writeKerasH5(cnnSpec()));
  const x = inputs(64 * 64, 4);
  const one = await model.predict(x);
  sameOutput(await model.predict(x, { threads: 2 }), one, 'first');
  const pool = model._threadPool;
  const [first] = pool._workers;
  await first.worker.terminate();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(pool.size, 1, 'the dead worker left the pool');
  sameOutput(await model.predict(x, { threads: 2 }), one, 'after a worker died');
  assert.equal(pool.size, 2);
  // A call in flight when the model is disposed is rejected, not left hanging.
  const inFlight = model.predict(x, { threads: 2 });
  await new Promise((resolve) => setImmediate(resolve));
  model.dispose();
  await assert.rejects(inFlight, /disposed/);
  await assert.rejects(model.predict(x, { threads: 2 }), /disposed/);
});

test('threads need the weights a loaded model keeps', async () => {
  const loaded = await loadModel(await writeKerasH5(cnnSpec()));
  const bare = new Model(loaded._handle, loaded.graph);
  await assert.rejects(bare.predict(inputs(64 * 64, 1), { threads: 2 }), /options\.threads needs a model made by loadModel/);
  loaded.dispose();
});

test('an idle pool does not keep Node running (no dispose needed to exit)', () => {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const script = `
    import { loadModel } from '../../web/index.js';
    import { writeKerasH5, sequentialConfig, inputLayer, dense, fixtureValues } from '../fixtures/keras_writer.js';
    const spec = {
      modelConfig: sequentialConfig('tiny', [inputLayer('input_1', [4]), dense('d', 3)]),
      weights: { d: [{ name: 'd/kernel:0', shape: [4, 3], data: fixtureValues(12, 1) }, { name: 'd/bias:0', shape: [3], data: fixtureValues(3, 2) }] },
    };
    const model = await loadModel(await writeKerasH5(spec));
    const out = await model.predict(new Float32Array(64 * 4).fill(0.25), { threads: 2 });
    console.log(out.shape.join('x'));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: here, encoding: 'utf8', timeout: 60_000 });
  assert.equal(out.trim(), '64x3');
});

test('the shared MNIST CNN: 256 digits (softmax output) on 2 threads equal one thread (predict and trace)', { skip: skipWithoutModels() || (existsSync(modelPath('qkeras_mnist_cnn/qkeras_mnist_cnn.json')) ? false : 'qkeras_mnist_cnn absent') }, async () => {
  const { readFileSync } = await import('node:fs');
  const model = await loadModel({
    config: readFileSync(modelPath('qkeras_mnist_cnn/qkeras_mnist_cnn.json'), 'utf8'),
    weights: readFileSync(modelPath('qkeras_mnist_cnn/qkeras_mnist_cnn_weights.h5')),
  });
  const dims = model.inputs[0].shape.slice(1);
  const per = dims.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({ length: 256 * per }, (_, i) => ((i * 7919) % 256) / 255);
  sameOutput(await model.predict(x, { threads: 2 }), await model.predict(x), 'mnist cnn predict');
  const small = x.subarray(0, 80 * per);
  sameTrace(await model.trace(small, { threads: 2 }), await model.trace(small), 'mnist cnn trace');
  model.dispose();
});
