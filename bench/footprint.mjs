// Footprint section of `npm run bench` (issue 11): what the core costs to ship, to start and to
// trace. Reports, never asserts (the size budget is a test: tests/js/wasm_size.test.js).
//   node bench/footprint.mjs [--starts 5] [--runs 15] [--digits 10000] [--batch-runs 3] [--only batch]
// 1. Size by part: the .wasm's sections (code, data, ...) raw, the .wasm and JS glue gzipped.
// 2. Cold start of RN07 (../shared/models/mlperftiny_ic_rn07) converted to .qkwm, each sample in
//    a fresh Node process: import of the package, WASM compile + instantiate, .qkwm read +
//    decode + model build (loadModel), first predict, then a second predict for comparison;
//    against onnxruntime-web (int8 QDQ export of the same CNN, bench/onnx_export.mjs): import,
//    InferenceSession.create (includes ORT's own WASM compile), first run.
// 3. Trace overhead: trace ÷ predict per model, medians in one process.
// 4. Batch scaling: 10,000 MNIST-sized digits through ../shared/models/qkeras_mnist_cnn with
//    predict() on one thread and with { threads: 2 } (wall time; the workers' memory).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const starts = Number(option('--starts', 5));
const runs = Number(option('--runs', 15));
const only = option('--only', null); // size, cold, trace or batch: that section alone (size always prints)
const section = (name) => only === null || only === name;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const kb = (n) => (n / 1024).toFixed(1);

// ---- child modes: one cold start, printed as JSON ----
if (args[0] === '--child-qkeras') {
  const t = [performance.now()];
  const { loadModel } = await import('../web/index.js');
  t.push(performance.now());
  const { getWasmModule } = await import('../web/wasm-module.js');
  await getWasmModule();
  t.push(performance.now());
  const model = await loadModel(args[1]);
  t.push(performance.now());
  const shape = model.inputs[0].shape.map((d) => d ?? 1);
  const x = new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5);
  await model.predict(x, shape);
  t.push(performance.now());
  await model.predict(x, shape);
  t.push(performance.now());
  const d = t.slice(1).map((v, i) => v - t[i]);
  console.log(JSON.stringify({ import: d[0], compile: d[1], load: d[2], firstPredict: d[3], secondPredict: d[4], total: t[4] - t[0] }));
  process.exit(0);
}
if (args[0] === '--child-ort') {
  const t = [performance.now()];
  const { initOrt, ortRunner } = await import('./ort_peer.mjs');
  await initOrt();
  t.push(performance.now());
  const shape = JSON.parse(args[2]);
  const session = await ortRunner(readFileSync(args[1]), shape);
  t.push(performance.now());
  const x = new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5);
  await session.run(x);
  t.push(performance.now());
  await session.run(x);
  t.push(performance.now());
  const d = t.slice(1).map((v, i) => v - t[i]);
  console.log(JSON.stringify({ import: d[0], session: d[1], firstRun: d[2], secondRun: d[3], total: t[3] - t[0] }));
  process.exit(0);
}

// ---- 1. size by part ----
function wasmSections(bytes) {
  const names = ['custom', 'type', 'import', 'function', 'table', 'memory', 'global', 'export', 'start', 'element', 'code', 'data', 'datacount', 'tag'];
  const out = {};
  let p = 8;
  const leb = () => {
    let v = 0, shift = 0, b;
    do { b = bytes[p++]; v += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
    return v;
  };
  while (p < bytes.length) {
    const id = bytes[p++];
    const size = leb();
    const name = names[id] ?? `id${id}`;
    out[name] = (out[name] ?? 0) + size;
    p += size;
  }
  return out;
}
const wasmPath = `${root}web/wasm/qkeras_wasm.wasm`;
const wasm = readFileSync(wasmPath);
const glue = readFileSync(`${root}web/wasm/qkeras_wasm.mjs`);
const gz = (b) => gzipSync(b, { level: 9 }).length;
const size = { wasmRaw: wasm.length, wasmGz: gz(wasm), glueRaw: glue.length, glueGz: gz(glue), sections: wasmSections(wasm) };
console.log('== footprint: size (gzip -9)');
console.log(`.wasm ${kb(size.wasmRaw)} KB raw, ${kb(size.wasmGz)} KB gz; glue ${kb(size.glueRaw)} KB raw, ${kb(size.glueGz)} KB gz; shipped ${kb(size.wasmGz + size.glueGz)} KB gz`);
console.log('sections (raw): ' + Object.entries(size.sections).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${kb(v)} KB`).join(', '));

// ---- 2. cold start ----
const results = { size };
const rn07 = `${root}../shared/models/mlperftiny_ic_rn07/model_best.h5`;
if (!section('cold')) {
  // skipped (--only)
} else if (!existsSync(rn07)) {
  console.log('cold start: skipped (../shared/models/mlperftiny_ic_rn07 is absent)');
} else {
  const { loadModel, convert } = await import('../web/index.js');
  const dir = `${root}build/bench/`;
  mkdirSync(dir, { recursive: true });
  const qkwm = `${dir}rn07.qkwm`;
  writeFileSync(qkwm, await convert(rn07));
  const onnxPath = `${dir}rn07.qdq.onnx`;
  const model = await loadModel(rn07);
  const shape = model.inputs[0].shape.slice(1);
  if (!existsSync(onnxPath)) {
    // The same export bench/run.mjs makes, calibrated on a mid-grey image.
    const { describeArchitecture } = await import('./architecture.mjs');
    const { exportQdqOnnx } = await import('./onnx_export.mjs');
    const x = new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5);
    const ranges = new Map([['__input__', { min: 0, max: 1 }]]);
    for (const t of await model.trace(x, [1, ...shape], { includeData: false })) ranges.set(t.name, { min: t.stats.min, max: t.stats.max });
    writeFileSync(onnxPath, (await exportQdqOnnx(await describeArchitecture(rn07, model), ranges)).bytes);
  }
  const self = fileURLToPath(import.meta.url);
  const child = (...a) => JSON.parse(execFileSync(process.execPath, [self, ...a], { encoding: 'utf8' }).trim().split('\n').pop());
  const ours = [], ort = [];
  for (let i = 0; i < starts; i++) {  // interleaved, so both see the same machine load
    ours.push(child('--child-qkeras', qkwm));
    ort.push(child('--child-ort', onnxPath, JSON.stringify(shape)));
  }
  const med = (rows) => Object.fromEntries(Object.keys(rows[0]).map((k) => [k, median(rows.map((r) => r[k]))]));
  const a = med(ours), b = med(ort);
  results.coldStart = { qkeras_wasm: a, ort_int8: b, ratio: b.total / a.total, starts };
  console.log(`== footprint: cold start, RN07 .qkwm (${(readFileSync(qkwm).length / 1024).toFixed(0)} KB), fresh process, median of ${starts}`);
  console.log(`qkeras-wasm   import ${a.import.toFixed(1)} + compile/instantiate ${a.compile.toFixed(1)} + load/build ${a.load.toFixed(1)} + first predict ${a.firstPredict.toFixed(1)} = ${a.total.toFixed(1)} ms (second predict ${a.secondPredict.toFixed(2)} ms)`);
  console.log(`ORT Web int8  import ${b.import.toFixed(1)} + session ${b.session.toFixed(1)} + first run ${b.firstRun.toFixed(1)} = ${b.total.toFixed(1)} ms (second run ${b.secondRun.toFixed(2)} ms)`);
  console.log(`ORT ÷ qkeras-wasm: ${(b.total / a.total).toFixed(1)}x (goal >= 6x)`);
}

// ---- 3. trace overhead ----
const traceModels = [
  'qkeras_3layer_v2020/QKERAS_3layer.h5',
  'mlperftiny_ic_rn07/model_best.h5',
  'hls4ml_tutorial_qpruned_cnn_plm/quantized_pruned_cnn_model.h5',
].map((f) => `${root}../shared/models/${f}`).filter((f) => existsSync(f));
if (section('trace') && traceModels.length) {
  const { loadModel } = await import('../web/index.js');
  console.log(`== footprint: trace ÷ predict (median of ${runs}, one process)`);
  results.trace = {};
  for (const file of traceModels) {
    const model = await loadModel(file);
    const shape = model.inputs[0].shape.map((d) => d ?? 1);
    const x = new Float32Array(shape.reduce((a, b) => a * b, 1)).map((_, i) => ((i * 7919) % 255) / 255);
    await model.predict(x, shape);
    await model.trace(x, shape);
    const p = [], t = [];
    for (let i = 0; i < runs; i++) {
      let t0 = performance.now();
      await model.predict(x, shape);
      p.push(performance.now() - t0);
      t0 = performance.now();
      await model.trace(x, shape);
      t.push(performance.now() - t0);
    }
    const name = file.split('/').slice(-2, -1)[0];
    results.trace[name] = { predictMs: median(p), traceMs: median(t), ratio: median(t) / median(p) };
    console.log(`${name.padEnd(34)} predict ${median(p).toFixed(3)} ms, trace ${median(t).toFixed(3)} ms, ${(median(t) / median(p)).toFixed(1)}x`);
    if (name === 'qkeras_3layer_v2020') {
      // The fixed cost of one trace call: on a 3-layer MLP (9 layers, <= 64 values each) almost
      // nothing scales with the data, so trace - predict is the per-call and per-layer overhead
      // (options, record, decoding, entry objects). Many alternating samples: it is microseconds.
      const fp = [], ft = [];
      for (let i = 0; i < 400; i++) {
        let t0 = performance.now();
        await model.predict(x, shape);
        fp.push(performance.now() - t0);
        t0 = performance.now();
        await model.trace(x, shape);
        ft.push(performance.now() - t0);
      }
      const fixedUs = (median(ft) - median(fp)) * 1000;
      results.trace.fixedCostUs = fixedUs;
      console.log(`fixed cost per trace call (3-layer MLP, trace - predict, median of 400): ${fixedUs.toFixed(1)} us (budget 50 us)`);
    }
  }
}
// ---- 4. batch scaling: 10,000 MNIST-sized digits through the CNN on 1 and 2 threads ----
const mnistCnn = `${root}../shared/models/qkeras_mnist_cnn/`;
if (section('batch') && existsSync(`${mnistCnn}qkeras_mnist_cnn.json`)) {
  const { loadModel } = await import('../web/index.js');
  const model = await loadModel({ config: readFileSync(`${mnistCnn}qkeras_mnist_cnn.json`, 'utf8'), weights: readFileSync(`${mnistCnn}qkeras_mnist_cnn_weights.h5`) });
  const digits = Number(option('--digits', 10000));
  const dims = model.inputs[0].shape.slice(1);
  const per = dims.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({ length: digits * per }, (_, i) => ((i * 7919) % 256) / 255);
  const shape = [digits, ...dims];
  const one = await model.predict(x, shape);
  const two = await model.predict(x, shape, { threads: 2 }); // starts the pool (timed below, warm)
  const identical = Buffer.from(one.data.buffer).equals(Buffer.from(two.data.buffer));
  const batchRuns = Number(option('--batch-runs', 3));
  // Wall time, and the process's CPU time (every thread): on a machine shared with other work
  // the wall ratio is noise, while 2 ÷ (CPU of 2 threads ÷ CPU of 1) is the speed-up two idle
  // cores would give for an even split (what the workers add: copies, messages, a second instance).
  const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  const t1 = [], t2 = [], c1 = [], c2 = [];
  for (let i = 0; i < batchRuns; i++) {  // interleaved, so both see the same machine load
    let t0 = performance.now();
    let u0 = cpu();
    await model.predict(x, shape);
    t1.push(performance.now() - t0);
    c1.push(cpu() - u0);
    t0 = performance.now();
    u0 = cpu();
    await model.predict(x, shape, { threads: 2 });
    t2.push(performance.now() - t0);
    c2.push(cpu() - u0);
  }
  const [memory] = await model._threadPool.memory(); // after its 5,000-digit pieces
  // Worker cost: its WASM memory after its piece, the .qkwm bytes it was sent; against it, the
  // one-thread instance's memory after the whole batch in one go.
  const { loadedWasmModule } = await import('../web/wasm-module.js');
  const mainMemory = loadedWasmModule()?.HEAP8?.buffer.byteLength ?? 0;
  const modelBytes = model._threadPool.initMessage.model.length;
  const { loadavg } = await import('node:os');
  const cpuRatio = median(c2) / median(c1);
  results.batchScaling = { digits, runs: batchRuns, oneThreadMs: median(t1), twoThreadsMs: median(t2), speedup: median(t1) / median(t2), oneThreadCpuMs: median(c1), twoThreadsCpuMs: median(c2), idleSpeedupBound: 2 / cpuRatio, identical, workerMemoryBytes: memory, mainMemoryAfterBatchBytes: mainMemory, modelBytes, loadAverage: loadavg()[0] };
  console.log(`== footprint: batch scaling, ${digits} MNIST digits through qkeras_mnist_cnn (wall time, median of ${batchRuns}; load average ${loadavg()[0].toFixed(1)})`);
  console.log(`1 thread ${(median(t1) / 1000).toFixed(2)} s, 2 threads ${(median(t2) / 1000).toFixed(2)} s: ${(median(t1) / median(t2)).toFixed(2)}x wall (goal >= 1.8x); bit-identical: ${identical}`);
  console.log(`CPU time 1 thread ${(median(c1) / 1000).toFixed(2)} s, 2 threads ${(median(c2) / 1000).toFixed(2)} s (all threads): on 2 idle cores at most ${(2 / cpuRatio).toFixed(2)}x`);
  console.log(`per worker: WASM memory ${(memory / 2 ** 20).toFixed(1)} MiB after its ${digits / 2} digits (sub-batches of 1,024; one thread's instance grew to ${(mainMemory / 2 ** 20).toFixed(1)} MiB for all ${digits}), model sent as ${(modelBytes / 1024).toFixed(1)} KB of .qkwm`);
  model.dispose();
}

mkdirSync(`${root}build/bench`, { recursive: true });
writeFileSync(`${root}build/bench/footprint.json`, JSON.stringify(results, null, 2));
