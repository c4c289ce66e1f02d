// Every real model in ../shared/models loads and predicts (or, where this release defers a
// feature, fails with the unsupported-layer error naming it); the published QKeras reference
// outputs are matched; converted models predict bit for bit what their source predicts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { loadModel, convert } from '../../web/index.js';
import { modelPath, skipWithoutModels } from '../fixtures/shared_models.js';
import { parseTextMatrix } from '../../web/io/npy.js';

const skip = skipWithoutModels();

// [model file, input source]: inputs come from the reference files where there are some, else a
// deterministic pattern in [0, 1).
const MODELS = [
  ['qkeras_3layer_v2020/QKERAS_3layer.h5', 'qkeras_3layer/reference/inputs_8x16.txt'],
  ['hls4ml_tutorial_model3/KERAS_check_best_model.h5', 'hls4ml_tutorial_model3/reference/inputs_8x16.txt'],
  ['mlperftiny_ic_rn07/model_best.h5', 'mlperftiny_ic_rn07/reference/inputs_model_2x3072_nhwc.txt'],
  ['mlperftiny_ic_rn_tiny/model_best.h5', 'mlperftiny_ic_rn07/reference/inputs_model_2x3072_nhwc.txt'],
  ['mlperftiny_ad08/model.h5', 'mlperftiny_ad08/reference/inputs_10x64.txt'],
  ['mlperftiny_ad_baseline/keras_model.h5', null],
  ['qconv2dbatchnorm_224_autopo2/FashionMNIST.h5', null],
  ['hls4ml_tutorial_qpruned_cnn_plm/quantized_pruned_cnn_model.h5', null],
  ['enet_hom4/hom4_32_4_4_4_4_4.h5', null],
  ['enet_hom8/hom8_32_8_8_8_8_8.h5', null],
  ['enet_autoq_q4_q8/autoq_q4_q8_2022_04_12.h5', null],
];

function inputFor(model, referencePath) {
  const dims = model.inputs[0].shape.slice(1);
  const perSample = dims.reduce((a, b) => a * b, 1);
  if (referencePath) {
    const { data } = parseTextMatrix(readFileSync(modelPath(referencePath), 'utf8'));
    return { data, shape: [data.length / perSample, ...dims] };
  }
  const data = new Float32Array(perSample).map((_, i) => ((i * 7919) % 256) / 256);
  return { data, shape: [1, ...dims] };
}

function sameBits(a, b) {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

// Models published as model.to_json() + save_weights().
const JSON_MODELS = ['qkeras_3layer/qkeras_3layer', 'qkeras_mnist_cnn/qkeras_mnist_cnn', 'qkeras_mnist_dense/qkeras_mnist_dense'];
const sourceOf = (file) =>
  JSON_MODELS.includes(file) ? { config: readFileSync(modelPath(`${file}.json`), 'utf8'), weights: modelPath(`${file}_weights.h5`) } : modelPath(file);

for (const [file, reference] of [...MODELS, ...JSON_MODELS.map((f) => [f, null])]) {
  test(`${file}: loads, predicts, converts bit-exactly`, { skip }, async () => {
    const model = await loadModel(sourceOf(file));
    const { data, shape } = inputFor(model, reference);
    const out = await model.predict(data, shape);
    const outputs = Array.isArray(out) ? out : [out];
    for (const o of outputs) {
      assert.equal(o.shape[0], shape[0]);
      assert.ok(o.data.every(Number.isFinite), 'outputs are finite');
    }
    const converted = await loadModel(await convert(sourceOf(file)));
    const again = await converted.predict(data, shape);
    const againList = Array.isArray(again) ? again : [again];
    outputs.forEach((o, i) => assert.ok(sameBits(o.data, againList[i].data), `output ${i} of the converted model is bit-identical`));
    assert.equal(converted.summary().split('\n').length, model.summary().split('\n').length);
    // The layers' analysis rules read their own (effective) weights and parameters, which the
    // converted file restores: the static analysis must not change either.
    assert.deepEqual(converted.analyze(), model.analyze(), 'the converted model analyzes exactly as its source');
    model.dispose();
    converted.dispose();
  });
}

// QKeras model.predict outputs published with the models (float32 printed with %.9g, which
// identifies every float32), compared bit for bit. The two references came from different
// TensorFlow CPU kernels (issue 14): qkeras_3layer from stock TF's Eigen softmax (pexp on
// 8-float packets, rcpps + Newton reciprocal on packets of 8 rows), hls4ml_tutorial_model3 from
// TF with oneDNN (_MklSoftmax: oneDNN's FMA exp, 16-lane butterfly sum, exact 1/sum). Each
// matches all 40 values with its kernels and not with the other's.
const REFERENCES = [
  ['qkeras_3layer JSON + weights', () => ({ config: readFileSync(modelPath('qkeras_3layer/qkeras_3layer.json'), 'utf8'), weights: modelPath('qkeras_3layer/qkeras_3layer_weights.h5') }), 'qkeras_3layer', 'eigen'],
  ['qkeras_3layer .keras (Keras 3)', () => modelPath('qkeras_3layer/qkeras-v3_3layer.keras'), 'qkeras_3layer', 'eigen'],
  ['hls4ml_tutorial_model3 .h5', () => modelPath('hls4ml_tutorial_model3/KERAS_check_best_model.h5'), 'hls4ml_tutorial_model3', 'onednn'],
];

async function exactCount(source, dir, tfKernels) {
  const model = await loadModel(source(), { tfKernels });
  const input = parseTextMatrix(readFileSync(modelPath(`${dir}/reference/inputs_8x16.txt`), 'utf8'));
  const expected = parseTextMatrix(readFileSync(modelPath(`${dir}/reference/qkeras_predictions_8x5.txt`), 'utf8'));
  const { data, shape } = await model.predict(input.data, input.shape);
  model.dispose();
  assert.deepEqual(shape, [8, 5]);
  const want = Float32Array.from(expected.data);
  const differing = [];
  for (let i = 0; i < data.length; i++) if (!Object.is(data[i], want[i])) differing.push(`[${Math.floor(i / 5)},${i % 5}] ${data[i]} != ${want[i]}`);
  return { exact: data.length - differing.length, differing };
}

for (const [name, source, dir, tfKernels] of REFERENCES) {
  test(`${name} matches QKeras's model.predict bit for bit (tfKernels '${tfKernels}')`, { skip }, async () => {
    const { exact, differing } = await exactCount(source, dir, tfKernels);
    assert.equal(exact, 40, `values that differ:\n${differing.join('\n')}`);
    const other = await exactCount(source, dir, tfKernels === 'eigen' ? 'onednn' : 'eigen');
    assert.ok(other.exact < 40, 'the other kernels give different bits: the reference identifies its TF kernels');
  });
}
