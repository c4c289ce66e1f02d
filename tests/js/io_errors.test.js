// Broken input never crashes the reader: every failure is an Error whose message names the file part.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { zipSync, strToU8, unzipSync } from 'fflate';

import { readModelSource } from '../../web/io/index.js';
import { loadH5wasm } from '../../web/io/hdf5.js';
import {
  writeKerasH5, writeKerasJsonAndWeights, writeKerasV3, sequentialConfig, inputLayer, qDense, activation, quantizedBits, fixtureValues,
} from '../fixtures/keras_writer.js';
import { modelPath, skipWithoutModels } from '../fixtures/shared_models.js';

/**
 * @param {Promise<unknown>} promise
 * @param {RegExp} pattern
 */
async function rejectsWith(promise, pattern) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof Error, `not an Error: ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  });
}

const q6 = quantizedBits(6, 0);
const smallConfig = () => sequentialConfig('s', [inputLayer('in', [4]), qDense('fc1', 2, { kernel_quantizer: q6, bias_quantizer: q6 }), activation('softmax', 'softmax')]);
const smallWeights = () => ({
  fc1: [
    { name: 'fc1/kernel:0', shape: [4, 2], data: fixtureValues(8, 1) },
    { name: 'fc1/bias:0', shape: [2], data: fixtureValues(2, 2) },
  ],
});

test('garbage and empty input', async () => {
  await rejectsWith(readModelSource(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), { name: 'junk.bin' }), /^junk\.bin: unrecognised file format/);
  await rejectsWith(readModelSource(new Uint8Array(0), { name: 'empty.h5' }), /^empty\.h5: file is empty/);
  await rejectsWith(readModelSource(strToU8('{"class_name": "Sequential"}'), { name: 'model.json' }), /^model\.json: this is a model JSON without weights/);
  await rejectsWith(readModelSource('/nonexistent/dir/nope.h5'), /^nope\.h5: cannot read file: .*ENOENT/);
});

test('HDF5 signature followed by garbage', async () => {
  const bytes = new Uint8Array(4096);
  bytes.set([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
  for (let i = 8; i < bytes.length; i++) bytes[i] = (i * 7919) & 0xff;
  await rejectsWith(readModelSource(bytes, { name: 'bad.h5' }), /^bad\.h5: cannot open HDF5 file/);
});

test('truncated full-model HDF5 (real file)', { skip: skipWithoutModels() }, async () => {
  const bytes = new Uint8Array(await readFile(modelPath('mlperftiny_ad08/model.h5')));
  await rejectsWith(readModelSource(bytes.slice(0, 16), { name: 'model.h5' }), /^model\.h5: cannot open HDF5 file: /);
  for (const n of [1000, bytes.length >> 1, bytes.length - 1]) {
    await rejectsWith(readModelSource(bytes.slice(0, n), { name: 'model.h5' }), /^model\.h5: cannot open HDF5 file: .*truncated/);
  }
});

test('truncated fixture HDF5 and truncated weights in the JSON route', async () => {
  const bytes = await writeKerasH5({ modelConfig: smallConfig(), weights: smallWeights() });
  await rejectsWith(readModelSource(bytes.slice(0, bytes.length - 100), { name: 'model.h5' }), /^model\.h5: cannot open HDF5 file/);
  const { json, weightsBytes } = await writeKerasJsonAndWeights({ modelConfig: smallConfig(), weights: smallWeights() });
  await rejectsWith(readModelSource({ config: json, weights: weightsBytes.slice(0, 600) }), /^weights\.h5: cannot open HDF5 file/);
  await rejectsWith(readModelSource({ config: json.slice(0, 40), weights: weightsBytes }), /^config\.json: invalid JSON/);
});

test('weights-only file given as a full model, and a full model given as weights', async () => {
  const { json, weightsBytes } = await writeKerasJsonAndWeights({ modelConfig: smallConfig(), weights: smallWeights() });
  await rejectsWith(readModelSource(weightsBytes, { name: 'w.h5' }), /^w\.h5: this is a weights-only file/);
  // a full model's /model_weights is a valid weights source
  const full = await writeKerasH5({ modelConfig: smallConfig(), weights: smallWeights() });
  const r = await readModelSource({ config: json, weights: full });
  assert.deepEqual(r.weights.get('fc1').map((w) => w.role), ['kernel', 'bias']);
});

/** Legacy layout written by hand so that attributes/datasets can be left out. */
async function handWrittenWeights(fill) {
  const { h5wasm, FS } = await loadH5wasm();
  const path = '/qkw_errors_test.h5';
  const file = new h5wasm.File(path, 'w');
  fill(file);
  file.close();
  const bytes = new Uint8Array(FS.readFile(path));
  FS.unlink(path);
  return bytes;
}

test('missing attributes, groups and datasets are named', async () => {
  const json = JSON.stringify(smallConfig());
  const noWeightNames = await handWrittenWeights((f) => {
    f.create_attribute('layer_names', ['fc1', 'softmax'], [2], 'A7');
    f.create_group('fc1');
    f.create_group('softmax').create_attribute('weight_names', new Float64Array(0), [0], '<d');
  });
  await rejectsWith(readModelSource({ config: json, weights: noWeightNames }), /^weights\.h5: attribute \/fc1\/weight_names missing/);

  const noDataset = await handWrittenWeights((f) => {
    f.create_attribute('layer_names', ['fc1', 'softmax'], [2], 'A7');
    const g = f.create_group('fc1');
    g.create_attribute('weight_names', ['fc1/kernel:0'], [1], 'A12');
    f.create_group('softmax').create_attribute('weight_names', new Float64Array(0), [0], '<d');
  });
  await rejectsWith(readModelSource({ config: json, weights: noDataset }), /^weights\.h5: dataset \/fc1\/fc1\/kernel:0 \(listed in weight_names\) missing/);

  const noGroup = await handWrittenWeights((f) => {
    f.create_attribute('layer_names', ['fc1', 'softmax'], [2], 'A7');
  });
  await rejectsWith(readModelSource({ config: json, weights: noGroup }), /^weights\.h5: group \/fc1 \(listed in layer_names\) missing/);

  const noLayerNames = await handWrittenWeights((f) => f.create_group('fc1'));
  await rejectsWith(readModelSource({ config: json, weights: noLayerNames }), /^weights\.h5: attribute \/layer_names missing/);

  const noModelConfig = await handWrittenWeights((f) => f.create_group('model_weights'));
  await rejectsWith(readModelSource(noModelConfig, { name: 'm.h5' }), /^m\.h5: attribute \/model_config missing/);
});

test('weights and config that do not belong together', async () => {
  const other = sequentialConfig('s', [inputLayer('in', [4]), qDense('other', 2), activation('softmax', 'softmax')]);
  const { weightsBytes } = await writeKerasJsonAndWeights({ modelConfig: smallConfig(), weights: smallWeights() });
  await rejectsWith(readModelSource({ config: other, weights: weightsBytes }), /^weights\.h5: weights for layer "fc1" but the model config has no layer of that name/);
});

test('malformed model configs name the layer', async () => {
  const { weightsBytes } = await writeKerasJsonAndWeights({ modelConfig: smallConfig(), weights: smallWeights() });
  const noClass = smallConfig();
  delete noClass.config.layers[2].class_name;
  await rejectsWith(readModelSource({ config: noClass, weights: weightsBytes }), /^config\.json: layer 2 has no class_name/);
  const badInbound = {
    class_name: 'Functional',
    config: { name: 'f', layers: [{ class_name: 'InputLayer', name: 'in', config: { name: 'in', batch_input_shape: [null, 4] }, inbound_nodes: [] },
      { class_name: 'Dense', name: 'd', config: { name: 'd' }, inbound_nodes: [[['missing', 0, 0, {}]]] }],
    input_layers: [['in', 0, 0]], output_layers: [['d', 0, 0]] },
  };
  await rejectsWith(readModelSource({ config: badInbound, weights: weightsBytes }), /^config\.json: layer d takes input from unknown layer "missing"/);
  const noOutputs = structuredClone(badInbound);
  noOutputs.config.layers[1].inbound_nodes = [[['in', 0, 0, {}]]];
  delete noOutputs.config.output_layers;
  await rejectsWith(readModelSource({ config: noOutputs, weights: weightsBytes }), /^config\.json: Functional model config has no output_layers/);
});

test('.keras archive errors name the archive part', async () => {
  const good = await writeKerasV3({ modelConfig: smallConfig(), weights: smallWeights() });
  await rejectsWith(readModelSource(good.slice(0, good.length >> 1), { name: 'm.keras' }), /^m\.keras: cannot unzip/);
  const entries = unzipSync(good);
  const noConfig = zipSync({ 'metadata.json': entries['metadata.json'], 'model.weights.h5': entries['model.weights.h5'] });
  await rejectsWith(readModelSource(noConfig, { name: 'm.keras' }), /^m\.keras: archive has no config\.json/);
  const badConfig = zipSync({ ...entries, 'config.json': strToU8('{"class_name": "Sequential", "config": {"layers": [{"config": {}}]}}') });
  await rejectsWith(readModelSource(badConfig, { name: 'm.keras' }), /^m\.keras\/config\.json: layer 0 has no class_name/);
  const badWeights = zipSync({ ...entries, 'model.weights.h5': entries['model.weights.h5'].slice(0, 300) });
  await rejectsWith(readModelSource(badWeights, { name: 'm.keras' }), /^m\.keras\/model\.weights\.h5: cannot open HDF5 file/);
});

test('Keras 3 weights: snake_case group names without name attributes, and unmatched groups', async () => {
  const plain = await readModelSource(await writeKerasV3({ modelConfig: smallConfig(), weights: smallWeights(), nameAttrs: false }));
  assert.deepEqual(plain.weights.get('fc1').map((w) => [w.role, w.index, w.shape]), [['', 0, [4, 2]], ['', 1, [2]]]);
  const misnamed = await writeKerasV3({ modelConfig: smallConfig(), weights: smallWeights(), nameAttrs: false, groupKeys: { fc1: 'dense_7' } });
  await rejectsWith(readModelSource(misnamed, { name: 'm.keras' }), /^m\.keras\/model\.weights\.h5: weight groups \/layers\/dense_7 were not assigned: layer\(s\) fc1(, softmax)? could not be matched/);
});
