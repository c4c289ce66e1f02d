// Writer round-trips (fixture -> file -> reader gives back the same graph and weights) and the
// normalization cases no real file covers: pruning masks, shared layers, Keras 3 functional
// inbound form, chunked layer_names, Sequential without an InputLayer.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { readModelSource } from '../../web/io/index.js';
import { normalizeModelConfig } from '../../web/io/normalize.js';
import {
  writeKerasH5, writeKerasJsonAndWeights, writeKerasV3,
  quantizedBits, quantizedRelu, quantizedPo2, inputLayer, qDense, qConv2D, qBatchNormalization, qActivation,
  maxPooling2D, dropout, flatten, dense, activation, sequentialConfig, functionalConfig, fixtureValues,
} from '../fixtures/keras_writer.js';

const q6 = quantizedBits(6, 0);

function cnnConfig() {
  return sequentialConfig('cnn', [
    inputLayer('input_1', [8, 8, 1]),
    qConv2D('q_conv2d', 4, [3, 3], { kernel_quantizer: q6, bias_quantizer: q6, activation: 'relu' }),
    qBatchNormalization('q_batch_normalization', { gamma_quantizer: quantizedBits(8, 2), beta_quantizer: quantizedBits(8, 2) }),
    qActivation('q_activation', quantizedRelu(6, 0)),
    maxPooling2D('max_pooling2d'),
    flatten('flatten'),
    dropout('dropout', 0.25),
    qDense('q_dense', 5, { kernel_quantizer: quantizedPo2(4, 1), bias_quantizer: quantizedBits(4, 0, { symmetric: 1, alpha: null }) }),
    qActivation('q_activation_1', 'quantized_relu(3,1)'),
    dense('dense', 3),
    activation('softmax', 'softmax'),
  ]);
}

function cnnWeights() {
  const w = (name, shape, seed) => ({ name, shape, data: fixtureValues(shape.reduce((a, b) => a * b, 1), seed) });
  return {
    q_conv2d: [w('q_conv2d/kernel:0', [3, 3, 1, 4], 1), w('q_conv2d/bias:0', [4], 2)],
    q_batch_normalization: [
      w('q_batch_normalization/gamma:0', [4], 3), w('q_batch_normalization/beta:0', [4], 4),
      w('q_batch_normalization/moving_mean:0', [4], 5),
      { name: 'q_batch_normalization/moving_variance:0', shape: [4], data: Float32Array.of(0.5, 1, 2, 4) },
    ],
    q_dense: [w('q_dense/kernel:0', [36, 5], 6), w('q_dense/bias:0', [5], 7)],
    dense: [w('dense/kernel:0', [5, 3], 8), w('dense/bias:0', [3], 9)],
  };
}

/** What the reader must return for a fixture's weights. */
function expectedWeights(config, weights) {
  const out = new Map();
  const isSequential = config.class_name === 'Sequential';
  for (const l of config.config.layers) {
    if (isSequential && l.class_name === 'InputLayer') continue;
    const name = l.name ?? l.config.name;
    out.set(name, (weights[name] ?? []).map((w, index) => ({
      role: w.name.split('/').pop().replace(/:\d+$/, ''), index, shape: w.shape, data: Float32Array.from(w.data), name: w.name,
    })));
  }
  return out;
}

function checkGraphMatchesConfig(graph, config) {
  const layers = config.config.layers;
  assert.equal(graph.layers.length, layers.length);
  layers.forEach((l, i) => {
    assert.equal(graph.layers[i].name, l.name ?? l.config.name);
    assert.equal(graph.layers[i].className, l.class_name);
    assert.deepEqual(graph.layers[i].config, l.config);
  });
}

test('Keras 2 full-model .h5 fixture round-trips (fixed-length strings)', async () => {
  const config = cnnConfig();
  const weights = cnnWeights();
  const bytes = await writeKerasH5({ modelConfig: config, weights });
  const { graph, weights: read } = await readModelSource(bytes, { name: 'cnn.h5' });
  assert.equal(graph.format, 'keras-h5');
  assert.equal(graph.kerasVersion, '2.4.0');
  assert.equal(graph.modelClass, 'Sequential');
  checkGraphMatchesConfig(graph, config);
  assert.deepEqual(graph.layers[3].inbound, [['q_batch_normalization', 0, 0]]);
  assert.deepEqual(graph.outputs, [['softmax', 0, 0]]);
  assert.deepEqual(read, expectedWeights(config, weights));
  assert.deepEqual(read.get('q_batch_normalization').map((w) => w.role), ['gamma', 'beta', 'moving_mean', 'moving_variance']);
  assert.equal(graph.layers[8].config.activation, 'quantized_relu(3,1)');
  assert.equal(graph.layers[3].config.activation.__passive_serialization__, true);
});

test('variable-length strings and chunked layer_names0/1/2 attributes read the same', async () => {
  const config = cnnConfig();
  const weights = cnnWeights();
  const plain = await readModelSource(await writeKerasH5({ modelConfig: config, weights }));
  const vlen = await readModelSource(await writeKerasH5({ modelConfig: config, weights, stringStyle: 'vlen', layerNamesChunks: 3 }));
  assert.deepEqual(vlen.graph, plain.graph);
  assert.deepEqual(vlen.weights, plain.weights);
});

test('JSON + weights-only .h5 fixture round-trips', async () => {
  const config = cnnConfig();
  const weights = cnnWeights();
  const { json, weightsBytes } = await writeKerasJsonAndWeights({ modelConfig: config, weights });
  const { graph, weights: read } = await readModelSource({ config: json, weights: weightsBytes });
  assert.equal(graph.format, 'keras-json+h5');
  checkGraphMatchesConfig(graph, config);
  assert.deepEqual(read, expectedWeights(config, weights));
});

/** Keras 3 style: module / registered_name keys, InputLayer with batch_shape, build_config. */
function toKeras3(config) {
  const layers = config.config.layers.map((l) => {
    const isQ = /^Q/.test(l.class_name);
    const cfg = { ...l.config };
    if (l.class_name === 'InputLayer') {
      cfg.batch_shape = cfg.batch_input_shape;
      delete cfg.batch_input_shape;
    }
    return {
      module: isQ ? 'qkeras.qlayers' : 'keras.layers',
      class_name: l.class_name,
      config: cfg,
      registered_name: isQ ? `qkeras>${l.class_name}` : null,
      ...(l.inbound_nodes ? { name: l.name, inbound_nodes: l.inbound_nodes } : {}),
      ...(l.class_name === 'InputLayer' ? {} : { build_config: { input_shape: [null, 1] } }),
    };
  });
  return { module: 'keras', class_name: config.class_name, config: { ...config.config, layers }, registered_name: null };
}

test('Keras 3 .keras fixture round-trips (positions only, matched by the vars name attribute)', async () => {
  const config = toKeras3(cnnConfig());
  const weights = cnnWeights();
  const bytes = await writeKerasV3({ modelConfig: config, weights });
  const { graph, weights: read } = await readModelSource(bytes, { name: 'cnn.keras' });
  assert.equal(graph.format, 'keras-v3');
  assert.equal(graph.kerasVersion, '3.14.1');
  checkGraphMatchesConfig(graph, config);
  const expected = expectedWeights(cnnConfig(), weights);
  for (const [layer, list] of expected) {
    assert.deepEqual(read.get(layer), list.map((w) => ({ role: '', index: w.index, shape: w.shape, data: w.data })), layer);
  }
});

test('a registered_name-style prefix in class_name itself is stripped', () => {
  const config = toKeras3(cnnConfig());
  config.config.layers[1].class_name = 'qkeras>QConv2D';
  const graph = normalizeModelConfig(config, {}, 'config.json');
  assert.equal(graph.layers[1].className, 'QConv2D');
});

test('Keras 3 functional inbound form, multi-input args, single-tensor input_layers form', () => {
  const tensor = (name) => ({ class_name: '__keras_tensor__', config: { shape: [null, 4], dtype: 'float32', keras_history: [name, 0, 0] } });
  const config = {
    module: 'keras.src.models.functional', class_name: 'Functional', registered_name: 'Functional',
    config: {
      name: 'f',
      layers: [
        { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 4], dtype: 'float32', name: 'x' }, name: 'x', inbound_nodes: [] },
        { module: 'qkeras.qlayers', class_name: 'QDense', registered_name: 'qkeras>QDense', config: { name: 'a', units: 4 }, name: 'a',
          inbound_nodes: [{ args: [tensor('x')], kwargs: {} }] },
        { module: 'keras.layers', class_name: 'Add', config: { name: 'add' }, name: 'add',
          inbound_nodes: [{ args: [[tensor('a'), tensor('x')]], kwargs: {} }] },
      ],
      input_layers: ['x', 0, 0],
      output_layers: [['add', 0, 0]],
    },
  };
  const graph = normalizeModelConfig(config, { kerasVersion: '3.5.0' }, 'config.json');
  assert.deepEqual(graph.inputs, [['x', 0, 0]]);
  assert.deepEqual(graph.layers[2].inbound, [['a', 0, 0], ['x', 0, 0]]);
  assert.equal(graph.layers[1].className, 'QDense');
});

test('shared layer: inboundNodes is reported and inbound is node 0', () => {
  const config = functionalConfig('shared', [
    { layer: inputLayer('in', [4]) },
    { layer: qDense('d', 4, { kernel_quantizer: q6 }), inbound: ['in'] },
    { layer: activation('act', 'relu'), inbound: ['d'] },
  ], ['in'], ['act']);
  config.config.layers[1].inbound_nodes.push([['act', 0, 0, {}]]);
  const graph = normalizeModelConfig(config, {}, 'model.h5');
  assert.equal(graph.layers[1].inboundNodes, 2);
  assert.deepEqual(graph.layers[1].inbound, [['in', 0, 0]]);
  assert.equal(graph.layers[2].inboundNodes, undefined);
});

test('Sequential without an InputLayer gets one from the first layer\'s batch_input_shape', () => {
  const first = qDense('fc1', 8, { kernel_quantizer: q6 });
  first.config.batch_input_shape = [null, 16];
  const graph = normalizeModelConfig(sequentialConfig('s', [first, activation('softmax', 'softmax')]), {}, 'model.json');
  assert.equal(graph.layers.length, 3);
  assert.deepEqual(graph.layers[0], {
    name: 'fc1_input', className: 'InputLayer', inbound: [],
    config: { batch_input_shape: [null, 16], dtype: 'float32', sparse: false, ragged: false, name: 'fc1_input' },
  });
  assert.deepEqual(graph.layers[1].inbound, [['fc1_input', 0, 0]]);
  assert.deepEqual(graph.inputs, [['fc1_input', 0, 0]]);
  const noShape = sequentialConfig('s', [qDense('fc1', 8), activation('softmax', 'softmax')]);
  assert.throws(() => normalizeModelConfig(noShape, {}, 'model.json'), /^Error: model\.json: .*fc1 has no batch_input_shape/);
});

test('other wrappers are passed through under their own class name', () => {
  const config = functionalConfig('w', [
    { layer: inputLayer('in', [3, 4]) },
    { layer: { class_name: 'Bidirectional', config: { name: 'bi', layer: { class_name: 'QLSTM', config: { name: 'lstm' } } } }, inbound: ['in'] },
  ], ['in'], ['bi']);
  const graph = normalizeModelConfig(config, {}, 'model.h5');
  assert.equal(graph.layers[1].className, 'Bidirectional');
});

/** PruneLowMagnitude(QDense) model with a mask; `masked` decides whether the kernel has it applied. */
async function prunedModel(masked) {
  const inner = qDense('dense_0', 3, { kernel_quantizer: q6, use_bias: true });
  const wrapper = { class_name: 'PruneLowMagnitude', config: { name: 'prune_low_magnitude_dense_0', trainable: true, dtype: 'float32', layer: inner, block_size: [1, 1], block_pooling_type: 'AVG' } };
  const config = functionalConfig('pruned', [
    { layer: inputLayer('in', [4]) },
    { layer: wrapper, inbound: ['in'] },
    { layer: activation('out', 'softmax'), inbound: ['prune_low_magnitude_dense_0'] },
  ], ['in'], ['out']);
  const kernel = fixtureValues(12, 3);
  const mask = Float32Array.from(kernel, (v, i) => (i % 3 === 0 ? 0 : 1));
  const stored = masked ? Float32Array.from(kernel, (v, i) => v * mask[i]) : kernel;
  const bias = fixtureValues(3, 4);
  const weights = {
    prune_low_magnitude_dense_0: [
      { name: 'dense_0/kernel:0', shape: [4, 3], data: stored },
      { name: 'dense_0/bias:0', shape: [3], data: bias },
      { name: 'prune_low_magnitude_dense_0/mask:0', shape: [4, 3], data: mask },
      { name: 'prune_low_magnitude_dense_0/threshold:0', shape: [], data: Float32Array.of(0.1) },
      { name: 'prune_low_magnitude_dense_0/pruning_step:0', shape: [], data: BigInt64Array.of(1000n) },
    ],
  };
  return { bytes: await writeKerasH5({ modelConfig: config, weights, stringStyle: 'vlen', kerasVersion: '2.12.0' }), stored, bias };
}

test('PruneLowMagnitude with the mask applied: unwrapped, pruning variables dropped', async () => {
  const { bytes, stored, bias } = await prunedModel(true);
  const { graph, weights } = await readModelSource(bytes, { name: 'pruned.h5' });
  const layer = graph.layers[1];
  assert.equal(layer.name, 'prune_low_magnitude_dense_0');
  assert.equal(layer.className, 'QDense');
  assert.equal(layer.config.name, 'dense_0');
  assert.deepEqual(weights.get('prune_low_magnitude_dense_0').map((w) => [w.role, w.index]), [['kernel', 0], ['bias', 1]]);
  assert.deepEqual(weights.get('prune_low_magnitude_dense_0')[0].data, stored);
  assert.deepEqual(weights.get('prune_low_magnitude_dense_0')[1].data, bias);
});

test('PruneLowMagnitude whose stored kernel lacks the mask is rejected, naming the layer', async () => {
  const { bytes } = await prunedModel(false);
  await assert.rejects(readModelSource(bytes, { name: 'pruned.h5' }), (e) => {
    assert.ok(e instanceof Error);
    assert.match(e.message, /^pruned\.h5: layer prune_low_magnitude_dense_0: stored kernel dense_0\/kernel:0 does not have its pruning mask applied/);
    return true;
  });
});
