// The packed package in a stock Vite, webpack and esbuild app (issue 12): `npm pack` the package,
// unpack the tarball into a tiny app's node_modules, build the app with each bundler (no plugin,
// no flag; for esbuild the README's one documented step), and run it in the system Chromium:
// models loaded by page-relative URLs, predict and trace on nested arrays, the lazy h5wasm chunk.
// Also: Vite's dev server, the README's browser example, and a missing .wasm (the error names
// the URL tried and setWasmLocation).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import { CHROMIUM, CHROMIUM_ARGS, skipWithoutChromium } from '../browser/demo_page.js';
import { convert, loadModel } from '../../web/index.js';
import { writeKerasH5, sequentialConfig, inputLayer, qDense, qActivation, activation, quantizedBits, fixtureValues } from '../fixtures/keras_writer.js';
import { inputs, batch70 } from '../bundlers/app/inputs.js';
import { writeCifarScenarioH5 } from '../fixtures/cifar_scenario.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const work = join(repo, 'build', 'bundlers');
const appDir = join(work, 'app');
const outDir = join(work, 'out');
const wasmFile = join(repo, 'web', 'wasm', 'qkeras_wasm.wasm');
const skip = skipWithoutChromium() || (existsSync(wasmFile) ? false : `${wasmFile} is missing: run "npm run build" first`);

const q6 = quantizedBits(6, 0, { alpha: 1 });
const spec = {
  modelConfig: sequentialConfig('bundler_app', [
    inputLayer('input_1', [8]),
    qDense('fc1', 6, { kernel_quantizer: q6, bias_quantizer: q6 }),
    qActivation('relu1', 'quantized_relu(4,0)'),
    qDense('fc2', 3, { kernel_quantizer: q6, bias_quantizer: q6 }),
    activation('softmax', 'softmax'),
  ]),
  weights: {
    fc1: [
      { name: 'fc1/kernel:0', shape: [8, 6], data: fixtureValues(48, 3) },
      { name: 'fc1/bias:0', shape: [6], data: fixtureValues(6, 4) },
    ],
    fc2: [
      { name: 'fc2/kernel:0', shape: [6, 3], data: fixtureValues(18, 5) },
      { name: 'fc2/bias:0', shape: [3], data: fixtureValues(3, 6) },
    ],
  },
};

const timings = {};
const timed = async (name, fn) => {
  const start = performance.now();
  const result = await fn();
  timings[name] = Math.round(performance.now() - start);
  return result;
};

let server;
let origin;
let browser;
let expected;

/** npm pack (the files the package ships, as a user gets them), unpacked into the app. */
function packIntoApp() {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(join(appDir, 'node_modules', 'qkeras-wasm'), { recursive: true });
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const [{ filename }] = JSON.parse(out);
  execFileSync('tar', ['-xzf', join(work, filename), '-C', join(appDir, 'node_modules', 'qkeras-wasm'), '--strip-components=1']);
  // The package's own dependencies, as npm would install them beside it.
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
  for (const dep of Object.keys(pkg.dependencies ?? {})) symlinkSync(join(repo, 'node_modules', dep), join(appDir, 'node_modules', dep), 'dir');
  for (const file of readdirSync(join(repo, 'tests', 'bundlers', 'app'))) cpSync(join(repo, 'tests', 'bundlers', 'app', file), join(appDir, file));
}

async function buildAll() {
  const models = join(work, 'models');
  mkdirSync(models, { recursive: true });
  const h5 = await writeKerasH5(spec);
  writeFileSync(join(models, 'model.h5'), h5);
  writeFileSync(join(models, 'model.qkwm'), await convert(h5));
  const publish = (name) => {
    cpSync(models, join(outDir, name, 'models'), { recursive: true });
    if (!existsSync(join(outDir, name, 'index.html'))) cpSync(join(appDir, 'index.html'), join(outDir, name, 'index.html'));
  };

  await timed('esbuild', async () => {
    const esbuild = await import('esbuild');
    await esbuild.build({
      absWorkingDir: appDir, bundle: true, format: 'esm', splitting: true, platform: 'browser',
      // The README's esbuild step for { threads }: the package's worker script is an entry point too.
      entryPoints: ['main.js', { in: 'node_modules/qkeras-wasm/web/thread-worker.js', out: 'thread-worker' }],
      outdir: join(outDir, 'esbuild'), logLevel: 'silent',
    });
    // The README's one esbuild step: the .wasm beside the bundle, in wasm/.
    mkdirSync(join(outDir, 'esbuild', 'wasm'), { recursive: true });
    cpSync(join(appDir, 'node_modules', 'qkeras-wasm', 'web', 'wasm', 'qkeras_wasm.wasm'), join(outDir, 'esbuild', 'wasm', 'qkeras_wasm.wasm'));
  });
  publish('esbuild');
  // The same app without that step: the error must say what to do.
  cpSync(join(outDir, 'esbuild'), join(outDir, 'esbuild-no-wasm'), { recursive: true });
  rmSync(join(outDir, 'esbuild-no-wasm', 'wasm'), { recursive: true });

  // The README's browser example (examples/browser.js), as esbuild bundles it, on the CIFAR model.
  await timed('example', async () => {
    const esbuild = await import('esbuild');
    const out = join(outDir, 'example');
    cpSync(join(repo, 'examples', 'browser.js'), join(appDir, 'example.js'));
    await esbuild.build({ absWorkingDir: appDir, entryPoints: ['example.js'], bundle: true, format: 'esm', splitting: true, platform: 'browser', outdir: out, logLevel: 'silent' });
    mkdirSync(join(out, 'wasm'), { recursive: true });
    cpSync(join(appDir, 'node_modules', 'qkeras-wasm', 'web', 'wasm', 'qkeras_wasm.wasm'), join(out, 'wasm', 'qkeras_wasm.wasm'));
    writeFileSync(join(out, 'model.qkwm'), await convert(await writeCifarScenarioH5()));
    writeFileSync(join(out, 'index.html'), '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><body style="white-space: pre"><script type="module" src="./example.js"></script>');
  });

  await timed('vite', async () => {
    const vite = await import('vite');
    await vite.build({ root: appDir, base: './', configFile: false, logLevel: 'silent', build: { outDir: join(outDir, 'vite'), emptyOutDir: true } });
  });
  publish('vite');

  await timed('webpack', async () => {
    const { default: webpack } = await import('webpack');
    const stats = await new Promise((resolve, reject) => {
      webpack({
        mode: 'production', context: appDir, entry: './main.js', target: 'web',
        output: { path: join(outDir, 'webpack'), filename: 'main.js', publicPath: 'auto', clean: true },
        performance: { hints: false },
        optimization: { minimize: false }, // terser on h5wasm's 4.6 MB chunk alone takes 30 s
      }).run((error, result) => (error ? reject(error) : resolve(result)));
    });
    if (stats.hasErrors()) throw new Error(`webpack: ${stats.toString({ all: false, errors: true })}`);
  });
  publish('webpack');
}

const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };

function serve(root) {
  return new Promise((resolve) => {
    const s = createServer((req, res) => {
      const path = normalize(join(root, decodeURIComponent(new URL(req.url, 'http://x').pathname)));
      if (relative(root, path).startsWith('..') || !existsSync(path) || !statSync(path).isFile()) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      res.writeHead(200, { 'content-type': MIME[extname(path)] ?? 'application/octet-stream' }).end(readFileSync(path));
    });
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

async function runPage(name, base = origin) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const outside = [];
  await context.route('**/*', (route) => (route.request().url().startsWith(base) ? route.continue() : (outside.push(route.request().url()), route.abort())));
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.goto(name === null ? `${base}/` : `${base}/${name}/index.html`);
    await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 30_000 });
    const result = await page.evaluate(() => window.__result);
    assert.deepEqual(outside, [], 'the app fetches nothing outside its own server');
    assert.deepEqual(errors, []);
    return result;
  } finally {
    await context.close();
  }
}

/** Sizes of the emitted files, largest first: [name, bytes]. */
function emitted(name) {
  const files = [];
  const walk = (dir) => {
    for (const f of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, f.name);
      if (f.isDirectory()) {
        if (f.name !== 'models') walk(p);
      } else files.push([relative(join(outDir, name), p), statSync(p).size]);
    }
  };
  walk(join(outDir, name));
  return files.sort((a, b) => b[1] - a[1]);
}

before(async () => {
  if (skip) return;
  await timed('pack', async () => packIntoApp());
  await buildAll();
  const model = await loadModel(join(work, 'models', 'model.h5'));
  const out = await model.predict(inputs);
  const trace = await model.trace(inputs);
  expected = {
    batch70: Array.from((await model.predict(batch70, [70, 8])).data),
    predict: { data: Array.from(out.data), shape: out.shape },
    trace: trace.map((t) => ({ name: t.name, status: t.status, onGrid: t.stats.onGrid, distinct: t.stats.distinct })),
  };
  model.dispose();
  server = await serve(outDir);
  origin = `http://127.0.0.1:${server.address().port}`;
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  server?.close();
  if (!skip) console.log(`bundlers: times (ms) ${JSON.stringify(timings)}`);
});

for (const bundler of ['vite', 'webpack', 'esbuild']) {
  test(`${bundler}: the packed package builds unchanged and predicts and traces in Chromium`, { skip }, async () => {
    const result = await timed(`${bundler} page`, () => runPage(bundler));
    assert.equal(result.error, undefined, `${bundler} app failed: ${result.error}`);
    assert.deepEqual(result.predict, expected.predict, 'numbers identical to Node');
    assert.deepEqual(result.h5, expected.predict.data, 'the .h5 (read by the lazily loaded h5wasm) predicts the same');
    assert.deepEqual(result.trace, expected.trace);
    assert.deepEqual(result.inputGrid && [result.inputGrid.bits, result.inputGrid.step], [8, 1 / 256], 'the input was observed on the 1/256 grid');
    assert.equal(result.top.length, 2);
    assert.equal(result.threads.workers, 2, 'two Web Workers ran the batch of 70');
    assert.ok(result.threads.predictSame && result.threads.traceSame, 'threads: bit-identical to one thread in the page');
    assert.deepEqual(result.threads.predict, expected.batch70, 'threads: numbers identical to Node');

    const files = emitted(bundler);
    const wasm = files.filter(([f]) => f.endsWith('.wasm'));
    assert.equal(wasm.length, 1, `exactly one .wasm emitted: ${JSON.stringify(files)}`);
    assert.equal(wasm[0][1], statSync(wasmFile).size);
    // h5wasm is a chunk of its own, loaded only when an .h5 is read: the code that loads the
    // core (our wasm-module.js) is not in the same file as h5wasm's.
    const js = files.filter(([f]) => f.endsWith('.js'));
    // (The batch worker's bundle may carry its own copy of the loader: it never fetches, it is given the compiled Module.)
    const isWorker = (f) => readFileSync(join(outDir, bundler, f), 'utf8').includes('batch worker: unknown operation');
    const core = js.filter(([f]) => !isWorker(f) && readFileSync(join(outDir, bundler, f), 'utf8').includes('could not fetch the WebAssembly module'));
    const hdf5 = js.filter(([f]) => readFileSync(join(outDir, bundler, f), 'utf8').includes('H5Fopen'));
    assert.equal(core.length, 1, `one chunk holds the core loader: ${JSON.stringify(js)}`);
    assert.ok(hdf5.length >= 1 && !hdf5.some(([f]) => f === core[0][0]), `h5wasm is a separate chunk: ${JSON.stringify(js)}`);
    console.log(`${bundler}: ${files.map(([f, n]) => `${f} ${(n / 1024).toFixed(1)} KiB`).join(', ')}`);
  });
}

test('vite dev server (npm run dev): the same app runs unbuilt', { skip }, async () => {
  const vite = await import('vite');
  const publicDir = join(work, 'public');
  cpSync(join(work, 'models'), join(publicDir, 'models'), { recursive: true });
  const dev = await vite.createServer({ root: appDir, publicDir, configFile: false, logLevel: 'silent', server: { host: '127.0.0.1', port: 0 } });
  await dev.listen();
  try {
    const base = dev.resolvedUrls.local[0].replace(/\/$/, '');
    const result = await timed('vite dev page', () => runPage(null, base));
    assert.equal(result.error, undefined, `vite dev app failed: ${result.error}`);
    assert.deepEqual(result.predict, expected.predict);
    assert.deepEqual(result.h5, expected.predict.data);
  } finally {
    await dev.close();
  }
});

test('the README browser example (examples/browser.js) runs as written', { skip }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  try {
    await page.goto(`${origin}/example/index.html`);
    await page.waitForFunction(() => document.body.textContent.includes('q_dense_1:'), null, { timeout: 30_000 });
    const text = await page.evaluate(() => document.body.textContent);
    assert.match(text, /input_1: float, 1 distinct values/);
    assert.match(text, /q_conv2d: quantized, \d+ distinct values/);
    assert.deepEqual(errors, []);
    assert.ok(requests.some((u) => u.endsWith('.wasm')), requests.join(', '));
    assert.ok(!requests.some((u) => /hdf5/.test(u)), `a .qkwm-only page never fetches the h5wasm chunk: ${requests.join(', ')}`);
  } finally {
    await context.close();
  }
});

test('esbuild without the .wasm step: the error names the URL tried and setWasmLocation', { skip }, async () => {
  const result = await runPage('esbuild-no-wasm');
  assert.match(result.error ?? '', new RegExp(`${origin}/esbuild-no-wasm/wasm/qkeras_wasm\\.wasm`));
  assert.match(result.error, /HTTP 404/);
  assert.match(result.error, /setWasmLocation/);
});
