// The fixture writer must produce the same HDF5 layout as real Keras saves: groups, attribute
// names and types, dataset names, shapes and dtypes. Compared against the real files in ../shared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { unzipSync } from 'fflate';

import { readModelSource } from '../../web/io/index.js';
import { withHdf5File } from '../../web/io/hdf5.js';
import { writeKerasH5, writeKerasJsonAndWeights, writeKerasV3 } from '../fixtures/keras_writer.js';

const shared = fileURLToPath(new URL('../../../shared/', import.meta.url));
const skip = existsSync(`${shared}models`) ? false : `shared models not found at ${shared}models (../shared is absent)`;
const model = (p) => `${shared}models/${p}`;

/**
 * Structural listing of an HDF5 file: one line per group, attribute and dataset.
 * @param {Uint8Array} bytes
 * @param {{ ignoreAttrs?: string[], ignorePrefixes?: string[] }} [options]
 */
async function layoutOf(bytes, options = {}) {
  return withHdf5File(bytes, 'layout', (file, { h5wasm }) => {
    const lines = [];
    const describeAttrs = (obj, path) => {
      for (const [name, attr] of Object.entries(obj.attrs)) {
        if (options.ignoreAttrs?.includes(`${path}@${name}`)) continue;
        const m = attr.metadata;
        lines.push(`A ${path}@${name} ${attr.dtype}${m.vlen ? ' vlen' : ''} shape=${JSON.stringify(attr.shape)}`);
      }
    };
    const walk = (group, path) => {
      describeAttrs(group, path || '/');
      for (const key of group.keys()) {
        const full = `${path}/${key}`;
        if (options.ignorePrefixes?.some((p) => full.startsWith(p))) continue;
        const child = group.get(key);
        if (child instanceof h5wasm.Dataset) {
          lines.push(`D ${full} ${child.dtype} shape=${JSON.stringify(child.shape)}`);
          describeAttrs(child, full);
        } else if (child instanceof h5wasm.Group) {
          lines.push(`G ${full}`);
          walk(child, full);
        } else {
          lines.push(`? ${full}`);
        }
      }
    };
    walk(file, '');
    return lines.sort();
  });
}

/** Fixture weights from what the reader returns (legacy files keep each weight's HDF5 name). */
function fixtureWeightsFrom(weights) {
  const out = {};
  for (const [layer, list] of weights) {
    out[layer] = list.map((w) => ({
      name: w.name,
      shape: w.shape,
      data: w.data,
      dtype: /(^|\/)iteration:0$/.test(w.name) ? '<q' : undefined,
    }));
  }
  return out;
}

test('weights-only .h5 + JSON fixture matches qkeras_3layer_weights.h5 structurally and in values', { skip }, async () => {
  const jsonText = await readFile(model('qkeras_3layer/qkeras_3layer.json'), 'utf8');
  const realBytes = new Uint8Array(await readFile(model('qkeras_3layer/qkeras_3layer_weights.h5')));
  const real = await readModelSource({ config: jsonText, weights: realBytes });
  const { json, weightsBytes } = await writeKerasJsonAndWeights({ modelConfig: JSON.parse(jsonText), weights: fixtureWeightsFrom(real.weights) });
  const [expected, actual] = await Promise.all([layoutOf(realBytes), layoutOf(weightsBytes)]);
  assert.deepEqual(actual, expected);
  assert.ok(expected.includes('A /@layer_names A7 shape=[8]'), 'real file stores layer_names as fixed-length |S7');
  assert.ok(expected.includes('A /relu1@weight_names <d shape=[0]'), 'weightless layers carry an empty float64 weight_names');
  const back = await readModelSource({ config: json, weights: weightsBytes });
  assert.deepEqual(back.graph.layers, real.graph.layers);
  assert.deepEqual(back.weights, real.weights);
});

/** @param {Uint8Array} bytes */
async function modelConfigOf(bytes) {
  return withHdf5File(bytes, 'model', (file) => JSON.parse(file.attrs.model_config.value));
}

for (const file of ['mlperftiny_ic_rn_tiny/model_best.h5', 'qkeras_3layer_v2020/QKERAS_3layer.h5']) {
  test(`full-model .h5 fixture matches ${file} structurally`, { skip }, async () => {
    const realBytes = new Uint8Array(await readFile(model(file)));
    const real = await readModelSource(realBytes, { name: 'real.h5' });
    const modelConfig = await modelConfigOf(realBytes);
    const written = await writeKerasH5({ modelConfig, weights: fixtureWeightsFrom(real.weights), kerasVersion: real.graph.kerasVersion });
    const ignore = { ignoreAttrs: ['/@training_config'], ignorePrefixes: ['/optimizer_weights'] };
    const [expected, actual] = await Promise.all([layoutOf(realBytes, ignore), layoutOf(written, ignore)]);
    assert.deepEqual(actual, expected);
    const back = await readModelSource(written, { name: 'real.h5' });
    assert.deepEqual(back.graph, real.graph);
    assert.deepEqual(back.weights, real.weights);
  });
}

test('.keras fixture matches qkeras-v3_3layer.keras (zip entries, model.weights.h5 layout, values)', { skip }, async () => {
  const realZip = new Uint8Array(await readFile(model('qkeras_3layer/qkeras-v3_3layer.keras')));
  const entries = unzipSync(realZip);
  const config = JSON.parse(new TextDecoder().decode(entries['config.json']));
  const real = await readModelSource(realZip, { name: 'real.keras' });
  const weights = {};
  for (const [layer, list] of real.weights) {
    weights[layer] = list.map((w, i) => ({ name: String(i), shape: w.shape, data: w.data }));
  }
  const written = await writeKerasV3({ modelConfig: config, weights, kerasVersion: '3.14.1' });
  const writtenEntries = unzipSync(written);
  assert.deepEqual(Object.keys(writtenEntries).sort(), Object.keys(entries).sort());
  const [expected, actual] = await Promise.all([layoutOf(entries['model.weights.h5']), layoutOf(writtenEntries['model.weights.h5'])]);
  assert.deepEqual(actual, expected);
  const back = await readModelSource(written, { name: 'real.keras' });
  assert.deepEqual(back.graph, real.graph);
  assert.deepEqual(back.weights, real.weights);
});
