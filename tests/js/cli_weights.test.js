// `qkeras-wasm weights` and `qkeras-wasm hls4ml-config`, run as users run them: the table, the
// .npy / JSON / C-header exports (the header compiled with the native C compiler, and a tiny C
// program reading it reproduces every value bit for bit), and the YAML config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { qkw } from './helpers/cli.js';
import { promisify } from 'node:util';

import { loadModel } from '../../web/index.js';
import { readNpy, writeNpy } from '../../web/io/npy.js';
import { cIdentifier } from '../../web/cli_weights.js';
import { parseSimpleYaml } from '../../web/yaml.js';
import { writeCifarScenarioH5, cifarScenarioInput } from '../fixtures/cifar_scenario.js';
import { modelPath, skipWithoutModels } from '../fixtures/shared_models.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'qkw-weights-'));


const modelFile = join(dir, 'cifar_fixed.h5');
writeFileSync(modelFile, await writeCifarScenarioH5({ withFix: true }));
const inputFile = join(dir, 'input.npy');
writeFileSync(inputFile, writeNpy(cifarScenarioInput(2), [2, 32, 32, 3]));

async function expectedWeights() {
  const model = await loadModel(readFileSync(modelFile));
  const weights = await model.weights();
  model.dispose();
  return weights;
}

function sameFloat(a, b) {
  return Object.is(a, b) || (a === 0 && b === 0);
}

test('weights prints one row per weight with quantizer, bits, scales, distinct, sparsity, clipped', async () => {
  const r = await qkw('weights', modelFile);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0], /^layer\s+weight\s+quantizer\s+bits\s+scale\(s\)\s+distinct\s+sparsity\s+clipped$/);
  assert.equal(lines.length - 2, (await expectedWeights()).length);
  assert.match(r.stdout, /q_conv2d\s+kernel \(3x3x3x32\)\s+quantized_bits\(4,0,1,alpha='auto_po2'\)\s+4\s+2\^-\d+\.\.2\^-\d+ \(32 ch\)/);
  const one = await qkw('weights', modelFile, '--layer', 'q_dense_1');
  assert.equal(one.stdout.trim().split('\n').length, 4);
  const bad = await qkw('weights', modelFile, '--layer', 'nope');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /no layer named 'nope'/);
  const badFormat = await qkw('weights', modelFile, '--export', join(dir, 'x'), '--format', 'xml');
  assert.match(badFormat.stderr, /--format must be npy, json or c/);
});

test('the C header compiles, and a C program reading it reproduces every value bit for bit', async () => {
  const out = join(dir, 'c');
  const r = await qkw('weights', modelFile, '--export', out, '--format', 'c');
  assert.equal(r.code, 0, r.stderr);
  const [header] = readdirSync(out);
  assert.match(header, /\.h$/);
  const weights = await expectedWeights();
  const text = readFileSync(join(out, header), 'utf8');
  assert.match(text, /static const int8_t q_conv2d_kernel\[864\]/);
  const body = weights.map((w) => {
    const id = cIdentifier(w.layer, w.name);
    const ID = id.toUpperCase();
    return w.integers
      ? `  for (int i = 0; i < ${ID}_SIZE; i++) printf("%.9g\\n", (float)${id}[i] * ${id}_scale[i % ${ID}_CHANNELS]);`
      : `  for (int i = 0; i < ${ID}_SIZE; i++) printf("%.9g\\n", ${id}[i]);`;
  });
  writeFileSync(join(out, 'main.c'), `#include <stdio.h>\n#include "${header}"\nint main(void) {\n${body.join('\n')}\n  return 0;\n}\n`);
  const exe = join(out, 'main');
  await run('cc', ['-std=c99', '-Wall', '-Wextra', '-Werror', '-Wno-unused-const-variable', '-o', exe, join(out, 'main.c')]);
  const { stdout } = await run(exe, [], { maxBuffer: 1 << 26 });
  const printed = stdout.trim().split('\n').map((s) => Math.fround(Number(s)));
  const expected = weights.flatMap((w) => Array.from(w.values));
  assert.equal(printed.length, expected.length);
  for (let i = 0; i < expected.length; i++) if (!sameFloat(printed[i], expected[i])) assert.fail(`value ${i}: C gives ${printed[i]}, QKeras uses ${expected[i]}`);
});

test('npy and JSON exports hold the codes and scales', async () => {
  const weights = await expectedWeights();
  const npyDir = join(dir, 'npy');
  assert.equal((await qkw('weights', modelFile, '--export', npyDir, '--format', 'npy')).code, 0);
  const jsonDir = join(dir, 'json');
  assert.equal((await qkw('weights', modelFile, '--export', jsonDir, '--format', 'json')).code, 0);
  const json = JSON.parse(readFileSync(join(jsonDir, 'weights.json'), 'utf8'));
  for (const [i, w] of weights.entries()) {
    const id = cIdentifier(w.layer, w.name);
    if (!w.integers) {
      assert.deepEqual(Array.from(readNpy(readFileSync(join(npyDir, `${id}.f32.npy`))).data), Array.from(w.values), `${id}: float weights as float32`);
      assert.deepEqual(json[i].values, Array.from(w.values));
      continue;
    }
    const ints = readNpy(readFileSync(join(npyDir, `${id}.int.npy`)));
    assert.deepEqual(ints.shape, w.shape);
    assert.deepEqual(Array.from(ints.data), Array.from(w.integers));
    const scale = readNpy(readFileSync(join(npyDir, `${id}.scale.npy`))).data;
    assert.deepEqual(Array.from(scale), typeof w.scale === 'number' ? [w.scale] : Array.from(w.scale));
    assert.deepEqual(json[i].integers, Array.from(w.integers));
    assert.equal(json[i].quantizer, w.quantizer);
  }
});

test('hls4ml-config writes YAML that reads back as the config, with the lossy types listed', async () => {
  const yml = join(dir, 'config.yml');
  const r = await qkw('hls4ml-config', modelFile, '-o', yml, '--input', inputFile);
  assert.equal(r.code, 0, r.stderr);
  const text = readFileSync(yml, 'utf8');
  assert.match(text, /^# hls4ml config for /);
  assert.match(text, /# {3}q_batch_normalization\.result: ap_fixed<16,\d+>, worst error [\d.e-]+ on the traced data/);
  const model = await loadModel(readFileSync(modelFile));
  const { config } = await model.hls4mlConfig({ input: cifarScenarioInput(2), inputShape: [2, 32, 32, 3] });
  model.dispose();
  assert.deepEqual(parseSimpleYaml(text), config);
  const stdout = await qkw('hls4ml-config', modelFile);
  assert.match(stdout.stdout, /LayerName:\n {2}input_1:\n {4}Precision:\n {6}result: ap_fixed<16,6>/);
});

test('weights on a real model: every quantized weight exports as integers', { skip: skipWithoutModels() }, async () => {
  const r = await qkw('weights', modelPath('mlperftiny_ad08/model.h5'));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /q_dense_batchnorm\s+folded kernel \(64x72\)\s+quantized_bits\(12,6,0,alpha=1\)\s+12\s+2\^-5/);
  assert.doesNotMatch(r.stdout, /32f/);
});
