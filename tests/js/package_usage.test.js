// The package as a new user meets it (issue 12): one test per friction point that was reported.
// The bundler side (Vite, webpack, esbuild apps in Chromium) is tests/js/bundlers.test.js.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

import { convert, loadModel, readNpy, writeNpy } from '../../web/index.js';
import { writeCifarScenarioH5, cifarScenarioInput } from '../fixtures/cifar_scenario.js';
import {
  writeKerasH5, sequentialConfig, functionalConfig, inputLayer, qDense, qActivation, dense, quantizedBits, quantizedRelu, fixtureValues,
} from '../fixtures/keras_writer.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'qkw-package-'));
const run = promisify(execFile);
const q4 = quantizedBits(4, 0, { alpha: 1 });
const weight = (name, shape, seed) => ({ name, shape, data: fixtureValues(shape.reduce((a, b) => a * b, 1), seed) });

// Input [4, 4, 1] -> Flatten -> QDense(3) -> QActivation: an image-like input.
function imageSpec() {
  const flatten = { class_name: 'Flatten', config: { name: 'flatten', trainable: true, dtype: 'float32', data_format: 'channels_last' } };
  return {
    modelConfig: sequentialConfig('image', [inputLayer('input_1', [4, 4, 1]), flatten, qDense('q_dense', 3, { kernel_quantizer: q4, bias_quantizer: q4 }), qActivation('act', quantizedRelu(4, 0))]),
    weights: { q_dense: [weight('q_dense/kernel:0', [16, 3], 1), weight('q_dense/bias:0', [3], 2)] },
  };
}
const imageModel = async () => loadModel(await writeKerasH5(imageSpec()));

// One input [4] -> QDense -> QActivation -> two heads.
async function twoHeads() {
  const config = functionalConfig(
    'two_heads',
    [
      { layer: inputLayer('x', [4]) },
      { layer: qDense('d', 5, { kernel_quantizer: q4, bias_quantizer: q4 }), inbound: ['x'] },
      { layer: qActivation('act', quantizedRelu(3, 1)), inbound: ['d'] },
      { layer: dense('head1', 2), inbound: ['act'] },
      { layer: dense('head2', 1), inbound: ['act'] },
    ],
    ['x'],
    ['head1', 'head2'],
  );
  const weights = {
    d: [weight('d/kernel:0', [4, 5], 1), weight('d/bias:0', [5], 2)],
    head1: [weight('head1/kernel:0', [5, 2], 3), weight('head1/bias:0', [2], 4)],
    head2: [weight('head2/kernel:0', [5, 1], 5), weight('head2/bias:0', [1], 6)],
  };
  return loadModel(await writeKerasH5({ modelConfig: config, weights }));
}

const pixels = (n) => Float32Array.from({ length: n * 16 }, (_, i) => ((i * 37) % 256) / 256);

// ---- 1. Bundlers ----

test('the browser entry bundles for the browser with no Node built-in (esbuild stopped at node:fs/promises)', async () => {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    absWorkingDir: repo, stdin: { contents: "export * from 'qkeras-wasm';", resolveDir: repo }, bundle: true, format: 'esm',
    platform: 'browser', splitting: true, outdir: join(dir, 'esbuild'), write: false, logLevel: 'silent', metafile: true,
  });
  const inputs = Object.keys(result.metafile.inputs);
  assert.ok(inputs.includes('web/browser.js'), 'the browser condition picks web/browser.js');
  assert.ok(!inputs.some((f) => f.includes('node-platform') || f.startsWith('node:')), inputs.join(', '));
  for (const file of result.outputFiles) assert.doesNotMatch(file.text, /["']node:/, `${file.path} mentions a node: module`);
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
  assert.deepEqual(Object.keys(pkg.exports['.']), ['types', 'node', 'browser', 'default']);
  assert.match(readFileSync(join(repo, 'web', 'wasm-module.js'), 'utf8'), /new URL\('\.\/wasm\/qkeras_wasm\.wasm', import\.meta\.url\)/);
});

// ---- 2. The .wasm that cannot be found ----

test('a .wasm that cannot be read or is not WebAssembly: the error names the location and setWasmLocation', async () => {
  // A fresh instance of the loader module (its own state), so the shared instance is untouched.
  const missing = await import('../../web/wasm-module.js?missing');
  missing.setWasmLocation(join(dir, 'nowhere', 'qkeras_wasm.wasm'));
  await assert.rejects(missing.getWasmModule(), (e) => e.message.includes(join(dir, 'nowhere', 'qkeras_wasm.wasm')) && /setWasmLocation/.test(e.message) && /ENOENT/.test(e.message));
  const wrong = await import('../../web/wasm-module.js?wrong');
  wrong.setWasmLocation(pathToFileURL(join(repo, 'README.md')));
  await assert.rejects(wrong.getWasmModule(), (e) => /README\.md is not a WebAssembly module/.test(e.message) && /setWasmLocation/.test(e.message));
});

// ---- 3. Loading: file: URLs in Node (browsers: page-relative URLs, in bundlers.test.js) ----

test('Node: a file: URL string or URL object loads like the path', async () => {
  const path = join(dir, 'image.h5');
  writeFileSync(path, await writeKerasH5(imageSpec()));
  const expected = await (await loadModel(path)).predict(pixels(2));
  for (const source of [pathToFileURL(path).href, pathToFileURL(path)]) {
    const m = await loadModel(source);
    assert.deepEqual(Array.from((await m.predict(pixels(2))).data), Array.from(expected.data), String(source));
    m.dispose();
  }
});

// ---- 4. Natural inputs and outputs ----

test('predict takes nested arrays, readNpy results and model.inputs shapes with a null batch', async () => {
  const model = await imageModel();
  const flat = pixels(2);
  const expected = Array.from((await model.predict(flat, [2, 4, 4, 1])).data);
  const nested = (channels) => Array.from({ length: 2 }, (_, n) => Array.from({ length: 4 }, (_, y) => Array.from({ length: 4 }, (_, x) => (channels ? [flat[n * 16 + y * 4 + x]] : flat[n * 16 + y * 4 + x]))));
  const forms = {
    'nested [2][4][4][1]': () => model.predict(nested(true)),
    'nested [2][4][4] (channel axis left out)': () => model.predict(nested(false)),
    'readNpy result': () => model.predict(readNpy(writeNpy(flat, [2, 4, 4, 1]))),
    'shape from model.inputs': () => model.predict(flat, model.inputs[0].shape),
    '{data, shape: [null, ...]}': () => model.predict({ data: flat, shape: [null, 4, 4, 1] }),
    'rows as typed arrays': () => model.predict([flat.subarray(0, 16), flat.subarray(16)].map((r) => Float32Array.from(r))),
  };
  for (const [what, call] of Object.entries(forms)) {
    const out = await call();
    assert.deepEqual(out.shape, [2, 3], what);
    assert.deepEqual(Array.from(out.data), expected, what);
  }
  const trace = await model.trace(nested(true));
  assert.deepEqual(trace.get('act').shape, [2, 3]);
  await assert.rejects(model.predict([[[[0]]], [[[0], [1]]]]), /ragged nested array: element \[1\]\[0\] has 2 entries, expected 1/);
  await assert.rejects(model.predict([[[['a']]]]), /element \[0\]\[0\]\[0\]\[0\] is "a", not a number/);
  await assert.rejects(model.predict(flat, [null, 4, 4, 2]), /does not match the model input 'input_1' shape \[batch, 4, 4, 1\]/);
  model.dispose();
});

test('multi-output results are in order and by name; topK; trace.get by layer name', async () => {
  const model = await twoHeads();
  const x = fixtureValues(8, 9);
  const outputs = await model.predict(x);
  assert.equal(outputs.length, 2);
  assert.equal(outputs.get('head1'), outputs[0]);
  assert.equal(outputs.head2, outputs[1]);
  assert.deepEqual(Object.keys(outputs), ['0', '1'], 'names are not enumerable: still a plain array to spread, compare and serialise');
  assert.throws(() => outputs.get('head3'), /no output named 'head3' here; the outputs are head1, head2/);
  assert.deepEqual(outputs.head1.shape, [2, 2]);

  const top = model.topK(outputs.head1, 1, ['cat', 'dog']);
  assert.equal(top.length, 2, 'one list per sample');
  for (let s = 0; s < 2; s++) {
    const [a, b] = outputs.head1.data.subarray(2 * s, 2 * s + 2);
    assert.deepEqual(top[s], [a >= b ? { index: 0, label: 'cat', value: a } : { index: 1, label: 'dog', value: b }]);
  }
  assert.deepEqual(model.topK(Float32Array.from([0.1, 0.7, 0.2, 0.7]), 3), [{ index: 1, value: Float32Array.from([0.7])[0] }, { index: 3, value: Float32Array.from([0.7])[0] }, { index: 2, value: Float32Array.from([0.2])[0] }]);
  assert.throws(() => model.topK(outputs, 1), /pass one output of a multi-output model/);
  assert.throws(() => model.topK(outputs.head1, 1, ['cat']), /1 labels for 2 classes/);

  const trace = await model.trace(x);
  assert.equal(trace.get('act'), trace[2]);
  assert.equal(trace.get('act').name, 'act');
  assert.throws(() => trace.get('nope'), /no traced layer named 'nope' here; the traced layers are x, d, act, head1, head2/);
  model.dispose();
});

// ---- 5. Specific errors ----

test('unknown option names are errors that list the valid ones', async () => {
  const model = await twoHeads();
  await assert.rejects(model.trace(fixtureValues(4, 1), undefined, { includedata: false }), /trace: unknown option 'includedata'; valid options are layers, includeData, histogramBins, batchSize/);
  await assert.rejects(loadModel(join(dir, 'x.h5'), { onprogress: () => {} }), /loadModel: unknown option 'onprogress'; valid options are onProgress, internalSigmoid, qnoiseFactor/);
  await assert.rejects(model.trace(fixtureValues(4, 1), undefined, { batchSize: 0 }), /batchSize must be a positive integer/);
  await assert.rejects(convert(join(dir, 'x.h5'), { source: 'x' }), /convert: unknown option 'source'; valid options are onProgress, sourceName, internalSigmoid, qnoiseFactor/);
  model.dispose();
});

test('a trace that cannot fit the WASM heap says to use includeData: false or a smaller batchSize', async () => {
  // 40 samples upsampled 64×64 times: 2.7 GB of activations, more than a WASM heap holds.
  const up = { class_name: 'UpSampling2D', config: { name: 'up', trainable: true, dtype: 'float32', size: [64, 64], data_format: 'channels_last', interpolation: 'nearest' } };
  // The arena limit is raised past the heap so the WASM allocation itself fails.
  const model = await loadModel(await writeKerasH5({ modelConfig: sequentialConfig('big', [inputLayer('input_1', [64, 64, 1]), up]), weights: {} }), { limits: { maxArenaBytes: 2 ** 33 } });
  await assert.rejects(model.trace(new Float32Array(40 * 64 * 64), [40, 64, 64, 1]), (e) =>
    /out of memory/.test(e.message) && /includeData: false/.test(e.message) && /batchSize: 5/.test(e.message));
  // Under the default arena limit the same trace stops before allocating, and says so.
  const limited = await loadModel(await writeKerasH5({ modelConfig: sequentialConfig('big', [inputLayer('input_1', [64, 64, 1]), up]), weights: {} }));
  await assert.rejects(limited.trace(new Float32Array(40 * 64 * 64), [40, 64, 64, 1]), (e) =>
    /maxArenaBytes/.test(e.message) && /batchSize: 5/.test(e.message));
  limited.dispose();
  assert.deepEqual((await model.predict(new Float32Array(64 * 64), [1, 64, 64, 1])).shape, [1, 4096, 4096, 1], 'the model still works');
  model.dispose();
});

test('trace { batchSize } gives the same trace as one pass, data and statistics', async () => {
  const model = await loadModel(await writeCifarScenarioH5());
  const x = cifarScenarioInput(3);
  const whole = await model.trace(x, [3, 32, 32, 3]);
  for (const [batchSize, includeData] of [[2, true], [1, false]]) {
    const pieces = await model.trace(x, [3, 32, 32, 3], { batchSize, includeData });
    assert.equal(pieces.length, whole.length);
    pieces.forEach((p, i) => {
      const w = whole[i];
      assert.equal(p.name, w.name);
      assert.deepEqual(p.shape, w.shape, p.name);
      assert.deepEqual(p.stats, w.stats, `${p.name} statistics, batchSize ${batchSize}`);
      if (includeData) assert.ok(p.data.every((v, j) => Object.is(v, w.data[j])), `${p.name} data`);
      else assert.equal(p.data, null);
    });
    assert.equal(pieces.get('q_dense').name, 'q_dense');
  }
  model.dispose();
});

test("the input's observed check: data on the 1/256 grid is reported with that grid and its distinct values", async () => {
  const model = await imageModel();
  const onGrid = (await model.trace(pixels(3))).get('input_1');
  assert.equal(onGrid.stats.onGrid, true);
  assert.deepEqual([onGrid.grid.bits, onGrid.grid.step, onGrid.grid.signed], [8, 1 / 256, false]);
  assert.deepEqual(onGrid.stats.observedGrid, onGrid.grid);
  assert.equal(onGrid.stats.distinct, new Set(pixels(3)).size);
  assert.match(onGrid.reason, new RegExp(`observed on a grid: the data you fed has ${onGrid.stats.distinct} distinct values, all multiples of 1/256`));
  const flatten = (await model.trace(pixels(3))).get('flatten');
  assert.ok(!('observedGrid' in flatten.stats) && flatten.grid === null && flatten.stats.onGrid === null, 'only the input has an observed grid');
  assert.doesNotMatch(flatten.reason, /model input/);
  const off = (await model.trace(pixels(3).map((v) => (v * 256) / 255))).get('input_1');
  assert.equal(off.stats.onGrid, null);
  assert.equal(off.grid, null);
  assert.match(off.reason, /^model input, on no grid: the data you fed is float/);
  model.dispose();
});

// ---- 6. The package: README, shipped files, prepack, engines ----

test('the README opens with the package quickstart; everything it links to is in the package', () => {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const firstSection = readme.slice(readme.indexOf('\n## '), readme.indexOf('\n## ', readme.indexOf('\n## ') + 1));
  assert.match(firstSection, /^\n## Quickstart/);
  for (const needle of ['npm install qkeras-wasm', "from 'qkeras-wasm'", 'npx qkeras-wasm trace model.h5 --input x.npy', 'esbuild', 'setWasmLocation', '.qkwm']) {
    assert.ok(firstSection.includes(needle), `quickstart mentions ${needle}`);
  }
  assert.ok(readme.indexOf('npm install qkeras-wasm') < readme.indexOf('npm test'), 'development comes after');
  const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }))[0];
  const files = new Set(packed.files.map((f) => f.path));
  const links = [...readme.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]).filter((l) => !/^[a-z]+:/.test(l));
  assert.ok(links.includes('docs/converted-format.md') && links.includes('examples/node.mjs'), links.join(', '));
  for (const link of links) assert.ok(files.has(link), `${link} is linked from the README but not in the package`);
  for (const needed of ['web/wasm/qkeras_wasm.wasm', 'web/wasm/qkeras_wasm.mjs', 'web/browser.js', 'web/index.js', 'web/index.d.ts']) assert.ok(files.has(needed), needed);
  assert.ok(![...files].some((f) => /^(src|tests|bench|bindings|build)\//.test(f)), 'no sources or tests in the package');
});

test('examples/node.mjs, as the README shows it, runs against the package', async () => {
  const model = join(dir, 'cifar.h5');
  const input = join(dir, 'x.npy');
  writeFileSync(model, await writeCifarScenarioH5());
  writeFileSync(input, writeNpy(cifarScenarioInput(1), [1, 32, 32, 3]));
  const { stdout } = await run(process.execPath, [join(repo, 'examples', 'node.mjs'), model, input]);
  assert.match(stdout, /index: \d+, value: /);
  assert.match(stdout, /^q_conv2d quantized 16 true$/m);
  assert.match(stdout, /^input_1 float \d+ null$/m);
});

test('prepack builds only what the package ships: the WASM module', async () => {
  // A cmake on PATH that logs its arguments and runs the real one.
  const bin = join(dir, 'bin');
  execFileSync('mkdir', ['-p', bin]);
  const log = join(dir, 'cmake.log');
  const realCmake = execFileSync('sh', ['-c', 'command -v cmake'], { encoding: 'utf8' }).trim();
  writeFileSync(join(bin, 'cmake'), `#!/bin/sh\necho "$*" >> '${log}'\nexec '${realCmake}' "$@"\n`);
  chmodSync(join(bin, 'cmake'), 0o755);
  writeFileSync(log, '');
  const script = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).scripts.prepack;
  await run('sh', ['-c', script], { cwd: repo, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, maxBuffer: 1 << 24 });
  const calls = readFileSync(log, 'utf8').trim().split('\n');
  assert.ok(calls.length > 0 && calls.every((c) => /build\/wasm/.test(c)), `cmake calls: ${calls.join(' | ')}`);
  // Only the product module: not the test-only kernel self-test module (qkw_kernel_selftest).
  const builds = calls.filter((c) => c.startsWith('--build'));
  assert.ok(builds.length > 0 && builds.every((c) => /--target qkeras_wasm(\s|$)/.test(c)), `cmake builds: ${builds.join(' | ')}`);
});

test('engines names the Node versions that can both import and require() the package, and they do', async () => {
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
  assert.equal(pkg.engines.node, '^20.19.0 || >=22.12.0', 'the first releases with require(esm) unflagged');
  const [major, minor] = process.versions.node.split('.').map(Number);
  const satisfied = (major === 20 && minor >= 19) || (major === 22 && minor >= 12) || major > 22;
  assert.ok(satisfied, `this Node ${process.versions.node} is outside engines`);
  assert.equal(process.features.require_module, true);
  const cjs = join(repo, 'build', 'require-check.cjs');
  writeFileSync(cjs, `const { quantize, loadModel } = require('qkeras-wasm');
quantize('quantized_bits(4,0,1)', [0.3, -0.6, 0.9], [3]).then((q) => console.log(typeof loadModel, Array.from(q).join(',')));\n`);
  const { stdout } = await run(process.execPath, ['--no-warnings', cjs], { cwd: repo });
  assert.equal(stdout.trim(), 'function 0.25,-0.625,0.875');
  const esm = await run(process.execPath, ['--input-type=module', '-e', "import('qkeras-wasm').then(async (m) => console.log(Array.from(await m.quantize('quantized_bits(4,0,1)', [0.3], [1]))[0]))"], { cwd: repo });
  assert.equal(esm.stdout.trim(), '0.25');
});
