// The qkeras-wasm command line, run as users run it (a child process), on fixtures and on the
// real models in ../shared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { qkw } from './helpers/cli.js';

import { writeCifarScenarioH5, cifarScenarioInput } from '../fixtures/cifar_scenario.js';
import { modelPath, skipWithoutModels } from '../fixtures/shared_models.js';
import { readNpy, writeNpy } from '../../web/io/npy.js';

const dir = mkdtempSync(join(tmpdir(), 'qkw-cli-'));


const model = join(dir, 'cifar.h5');
const input = join(dir, 'input.npy');
writeFileSync(model, await writeCifarScenarioH5());
writeFileSync(input, writeNpy(cifarScenarioInput(2), [2, 32, 32, 3]));

test('summary lists layers with shapes, params and quantizers', async () => {
  const r = await qkw('summary', model);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /q_conv2d \(QConv2D\)\s+\(None, 32, 32, 32\)\s+896/);
  assert.match(r.stdout, /kernel=quantized_bits\(4,0,1,alpha='auto_po2'\)/);
  assert.match(r.stdout, /Total params: /);
});

test('predict writes an .npy that matches the API', async () => {
  const out = join(dir, 'out.npy');
  const r = await qkw('predict', model, '--input', input, '--output', out);
  assert.equal(r.code, 0, r.stderr);
  const y = readNpy(readFileSync(out));
  assert.deepEqual(y.shape, [2, 10]);
  const { loadModel } = await import('../../web/index.js');
  const m = await loadModel(model);
  const expected = await m.predict(cifarScenarioInput(2), [2, 32, 32, 3]);
  assert.deepEqual(Array.from(y.data), Array.from(expected.data));
  m.dispose();
});

test('trace prints the table and the reasons, and writes JSON', async () => {
  const json = join(dir, 'trace.json');
  const r = await qkw('trace', model, '--input', input, '--sample', '1', '--json', json);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /layer\s+class\s+shape\s+quantized\?\s+grid\s+distinct\s+range\s+kernel\s+note/);
  // The kernel each layer runs, and why the float kernel was kept.
  assert.match(r.stdout, /Float kernels kept:/);
  assert.match(r.stdout, /q_conv2d_1 \(f32_conv2d_igemm_4x8_wasmsimd\+bn\): input 'q_batch_normalization' is float/);
  assert.match(r.stdout, /q_conv2d\s+QConv2D\s+1×32×32×32\s+yes\s+4b u step 1\/16\s+\d+/);
  assert.match(r.stdout, /Why these outputs are float:/);
  assert.match(r.stdout, /QBatchNormalization has no output quantizer/);
  const saved = JSON.parse(readFileSync(json, 'utf8'));
  assert.equal(saved.layers.length, 24);
  assert.equal(saved.layers[1].status, 'quantized');
  const full = await qkw('trace', model, '--input', input, '--explain', '--layers', 'q_conv2d,q_dense');
  assert.equal(full.code, 0, full.stderr);
  assert.match(full.stdout, /Every layer:/);
  assert.equal(full.stdout.split('\n').filter((l) => /^(q_conv2d|q_dense)\s/.test(l)).length, 2);
});

test('analyze needs no input', async () => {
  const r = await qkw('analyze', model);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /q_batch_normalization\s+QBatchNormalization\s+N×32×32×32\s+float/);
});

test('convert writes a .qkwm that predicts the same', async () => {
  const out = join(dir, 'cifar.qkwm');
  const r = await qkw('convert', model, '-o', out);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(out));
  const a = await qkw('predict', model, '--input', input);
  const b = await qkw('predict', out, '--input', input);
  assert.equal(a.stdout, b.stdout);
});

test('trace reads a PNG image, resized and scaled as stated', async () => {
  const { zlibSync } = await import('fflate');
  const w = 8;
  const h = 8;
  const raw = new Uint8Array(h * (1 + w * 3));
  for (let y = 0; y < h; y++) for (let x = 0; x < w * 3; x++) raw[y * (1 + w * 3) + 1 + x] = (x * 16 + y * 8) & 0xff;
  const chunk = (type, body) => {
    const out = new Uint8Array(12 + body.length);
    const v = new DataView(out.buffer);
    v.setUint32(0, body.length);
    out.set(new TextEncoder().encode(type), 4);
    out.set(body, 8);
    return out;
  };
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, w);
  new DataView(ihdr.buffer).setUint32(4, h);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const parts = [Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', zlibSync(raw)), chunk('IEND', new Uint8Array())];
  const png = join(dir, 'image.png');
  writeFileSync(png, Buffer.concat(parts));
  const r = await qkw('trace', model, '--input', png, '--scale', '256');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /image\.png: 8×8 image resized \(bilinear\) to 32×32, pixels p\/256/);
});

test('errors are one clear line and a non-zero exit', async () => {
  const garbage = join(dir, 'garbage.h5');
  const wrongShape = join(dir, 'five.txt');
  writeFileSync(wrongShape, '1 2 3 4 5\n');
  writeFileSync(garbage, 'not a model at all');
  for (const [args, pattern] of [
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['predict', model], /--input/],
    [['summary', garbage], /garbage\.h5/],
    [['summary', join(dir, 'missing.h5')], /missing\.h5/],
    [['trace', model, '--input', model], /cifar\.h5: not an input array/],
    [['trace', model, '--input', input, '--json'], /--json needs a value/],
    [['predict', model, '--input', wrongShape], /five\.txt: shape \[1, 5\] does not fit the model input \[batch, 32, 32, 3\]/],
    [['trace', model, '--input', input, '--bogus'], /unknown option --bogus/],
    [['predict', model, '--input', join(dir, 'nope.npy')], /nope\.npy: cannot read the input file/],
    // issue 8, findings 6 and 8: unknown short flags, extra arguments, an output that is an input
    [['predict', model, '--input', input, '-x'], /predict: unknown option -x/],
    [['summary', model, '-v'], /summary: unknown option -v/],
    [['summary', model, 'extra.h5'], /summary: unexpected argument 'extra\.h5'/],
    [['predict', model, model, '--input', input], /predict: unexpected argument/],
    [['predict', model, '--input', input, '--output', model], /predict: --output .*cifar\.h5 is also an input file/],
    [['predict', model, '--input', input, '--output', input], /predict: --output .*input\.npy is also an input file/],
    [['convert', model, '-o', join(dir, '.', 'cifar.h5')], /convert: --output .*cifar\.h5 is also an input file/],
    [['trace', model, '--input', input, '--json', model], /trace: --json .*cifar\.h5 is also an input file/],
  ]) {
    const r = await qkw(...args);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}`);
    assert.match(r.stderr, /^qkeras-wasm: /);
    assert.match(r.stderr, pattern);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  assert.ok(existsSync(model) && readFileSync(model).length > 1000, 'the model file was not overwritten');
});

test('the CLI prints the model\'s warnings (non-finite weights) on stderr', async () => {
  const { writeKerasH5, sequentialConfig, inputLayer, dense } = await import('../fixtures/keras_writer.js');
  const kernel = Float32Array.from([0.5, NaN, 0.25, Infinity]);
  const path = join(dir, 'nan.h5');
  writeFileSync(path, await writeKerasH5({
    modelConfig: sequentialConfig('n', [inputLayer('in', [2]), dense('d', 2, { use_bias: false })]),
    weights: { d: [{ name: 'd/kernel:0', shape: [2, 2], data: kernel }] },
  }));
  const r = await qkw('summary', path);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: layer 'd': weight 'kernel' holds 2 non-finite values \(NaN or Inf/);
});

const REAL = [
  ['qkeras_3layer_v2020/QKERAS_3layer.h5', 'qkeras_3layer/reference/inputs_8x16.txt'],
  ['hls4ml_tutorial_model3/KERAS_check_best_model.h5', 'hls4ml_tutorial_model3/reference/inputs_8x16.txt'],
  ['mlperftiny_ic_rn07/model_best.h5', 'mlperftiny_ic_rn07/reference/inputs_model_2x3072_nhwc.txt'],
  ['mlperftiny_ad08/model.h5', 'mlperftiny_ad08/reference/inputs_10x64.txt'],
  ['mlperftiny_ad_baseline/keras_model.h5', 'mlperftiny_ad08/reference/inputs_10x64.txt'],
  ['hls4ml_tutorial_qpruned_cnn_plm/quantized_pruned_cnn_model.h5', 'mlperftiny_ic_rn07/reference/inputs_model_2x3072_nhwc.txt'],
  ['enet_hom4/hom4_32_4_4_4_4_4.h5', 'enet_inputs/X_test_2imgs_240x152x3.npy'],
];

for (const [file, inputFile] of REAL) {
  test(`trace runs on the real model ${file}`, { skip: skipWithoutModels() }, async () => {
    let inputPath = modelPath(inputFile);
    if (file.startsWith('mlperftiny_ad_baseline')) {
      // 128 inputs: two AD08 rows side by side.
      const rows = readFileSync(inputPath, 'utf8').trim().split('\n');
      inputPath = join(dir, 'ad128.txt');
      writeFileSync(inputPath, `${rows[0]} ${rows[1]}\n`);
    }
    const r = await qkw('trace', modelPath(file), '--input', inputPath, '--sample', '0');
    assert.equal(r.code, 0, `${r.stderr}\n${r.stdout.slice(-2000)}`);
    assert.match(r.stdout, /quantized\?/);
    assert.doesNotMatch(r.stdout, /OFF GRID/, 'every value lies on its declared grid');
  });
}
