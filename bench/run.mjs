// `npm run bench`: qkeras-wasm against TF.js (wasm backend) and onnxruntime-web (int8 QDQ) in
// one Node process, batch 1, one thread. Prints tables and writes JSON. A report, not a test:
// nothing here asserts a speed (the issue's targets are printed as met/missed).
//   node bench/run.mjs [--runs 200] [--warmup 30] [--layer-runs 50] [--models A,B,rn07]
//                      [--json build/bench/results.json] [--smoke]
// Engines are timed round-robin (one run of each per round) so that load from other processes
// on a shared machine spreads over all of them instead of biasing one. The reported ms are the
// process's CPU time per image (all three engines are single-threaded here); wall time is
// reported alongside and matches it on an idle machine.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

import { loadModel, readNpy } from '../web/index.js';
import { describeArchitecture } from './architecture.mjs';
import { initTfjs, buildTfjsModel, tfjsRunner } from './tfjs_peer.mjs';
import { exportQdqOnnx } from './onnx_export.mjs';
import { initOrt, ortRunner, ortKernelProfile } from './ort_peer.mjs';
import { measurePeaks } from './peak.mjs';

const root = fileURLToPath(new URL('../', import.meta.url));

// ---- arguments ----
const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 1).length > 0 : false;
};
const option = (name, fallback) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const [, value] = args.splice(i, 2);
  if (value === undefined) throw new Error(`${name} needs a value`);
  return value;
};
const smoke = flag('--smoke');
const positive = (name, fallback) => {
  const v = Number(option(name, fallback));
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer`);
  return v;
};
const runs = positive('--runs', smoke ? 5 : 200);
const warmup = positive('--warmup', smoke ? 2 : 30);
const layerRuns = positive('--layer-runs', smoke ? 2 : 50);
const jsonPath = option('--json', `${root}build/bench/results.json`);
const wanted = option('--models', 'A,B,rn07').split(',');
if (args.length) throw new Error(`unknown arguments: ${args.join(' ')}`);
const unknownModels = wanted.filter((id) => !['A', 'B', 'rn07'].includes(id));
if (unknownModels.length) throw new Error(`--models: unknown model(s) ${unknownModels.join(', ')}; choose from A, B, rn07`);

const MODELS = [
  { id: 'A', title: '(A) CIFAR-10 CNN as reported (float BN outputs feed the convs)', file: `${root}build/examples/cifar10_qkeras.h5`, input: 'cifar' },
  { id: 'B', title: "(B) with QActivation('quantized_relu(4)') after every BN", file: `${root}build/examples/cifar10_qkeras_fixed.h5`, input: 'cifar' },
  { id: 'rn07', title: 'MLPerf Tiny IC RN07 (../shared/models/mlperftiny_ic_rn07)', file: `${root}../shared/models/mlperftiny_ic_rn07/model_best.h5`, input: 'rn07' },
];
const TARGETS = {
  A: [['tfjs_wasm', 1.5]],
  B: [['tfjs_wasm', 3], ['ort_int8', 1.7]],
};
const INTEGER_PEAK_TARGET = 0.7;

// ---- statistics ----
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
function summarize(times) {
  const s = [...times].sort((a, b) => a - b);
  return { median: quantile(s, 0.5), p90: quantile(s, 0.9), min: s[0], mean: s.reduce((a, b) => a + b, 0) / s.length, runs: s.length };
}
function maxAbsDiff(a, b) {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function loadInput(kind, size) {
  if (kind === 'rn07') {
    const text = readFileSync(`${root}../shared/models/mlperftiny_ic_rn07/reference/inputs_model_2x3072_nhwc.txt`, 'utf8');
    return Float32Array.from(text.trim().split('\n')[0].trim().split(/\s+/), Number);
  }
  const x = readNpy(readFileSync(`${root}build/examples/cifar10_input.npy`)).data;
  if (x.length !== size) throw new Error(`cifar10_input.npy has ${x.length} values, the model needs ${size}`);
  return Float32Array.from(x);
}

// Which peak a layer's kernel is measured against: integer kernels (model.layers[i].kernel as
// the prepare step records it, e.g. qs8_conv2d_wasmsimd_dot16x2) against i32x4.dot_i16x8_s + add,
// the rest (f32_conv2d_wasmsimd) against f32x4 mul+add. Without a recorded kernel the layer
// runs the float path.
function instructionOf(kernel) {
  if (!kernel) return 'f32x4_mul_add';
  return /^(q[su]\d|qs|qu|qc|i8|s8|u8|s16|int)|dot|extmul|popcount|xnor/i.test(kernel) ? 'i32x4_dot_i16x8_add' : 'f32x4_mul_add';
}

// ---- one model ----
async function benchModel(spec, peaks) {
  const model = await loadModel(spec.file);
  const cleanup = [];
  try {
    const shape = model.inputs[0].shape.slice(1);
    const size = shape.reduce((a, b) => a * b, 1);
    const x = loadInput(spec.input, size);

    // Our trace of the input: each layer's observed range (the ONNX export's calibration for
    // float tensors) and, over repeated traces, each layer's time.
    const ranges = new Map([['__input__', { min: Math.min(...x), max: Math.max(...x) }]]);
    for (const t of await model.trace(x, [1, ...shape], { includeData: false })) ranges.set(t.name, { min: t.stats.min, max: t.stats.max });

    const arch = await describeArchitecture(spec.file, model);
    const tfModel = buildTfjsModel(arch);
    cleanup.push(() => tfModel.dispose());
    const onnx = await exportQdqOnnx(arch, ranges);
    mkdirSync(`${root}build/bench`, { recursive: true });
    writeFileSync(`${root}build/bench/${spec.id}.qdq.onnx`, onnx.bytes);

    const ortSession = await ortRunner(onnx.bytes, shape);
    cleanup.push(() => ortSession.release());
    const engines = {
      qkeras_wasm: async (input) => (await model.predict(input, [1, ...shape])).data,
      tfjs_wasm: tfjsRunner(tfModel, shape),
      ort_int8: ortSession.run,
    };
    const outputs = {};
    for (const [name, run] of Object.entries(engines)) outputs[name] = await run(x);
    const diffs = {
      tfjs_wasm: maxAbsDiff(outputs.qkeras_wasm, outputs.tfjs_wasm),
      ort_int8: maxAbsDiff(outputs.qkeras_wasm, outputs.ort_int8),
    };
    const argmax = (v) => v.indexOf(Math.max(...v));
    const sameClass = Object.fromEntries(Object.keys(diffs).map((k) => [k, argmax(outputs[k]) === argmax(outputs.qkeras_wasm)]));

    // Two clocks per run: the process's CPU time (user + system; what the run cost, unaffected
    // by waiting for a core on a shared machine) and wall time.
    const names = Object.keys(engines);
    const cpu = Object.fromEntries(names.map((k) => [k, []]));
    const wall = Object.fromEntries(names.map((k) => [k, []]));
    for (let r = 0; r < warmup + runs; r++) {
      for (const name of r % 2 ? [...names].reverse() : names) {
        const c = process.cpuUsage();
        const t = performance.now();
        await engines[name](x);
        const wallMs = performance.now() - t;
        const used = process.cpuUsage(c);
        if (r >= warmup) {
          wall[name].push(wallMs);
          cpu[name].push((used.user + used.system) / 1000);
        }
      }
    }
    const results = Object.fromEntries(names.map((k) => [k, { ...summarize(cpu[k]), wall: summarize(wall[k]) }]));
    for (const k of Object.keys(diffs)) Object.assign(results[k], { maxAbsDiff: diffs[k], sameTopClass: sameClass[k] });
    results.qkeras_wasm.outputMaxAbs = Math.max(...Array.from(outputs.qkeras_wasm, Math.abs));
    const ratios = Object.fromEntries(Object.keys(diffs).map((k) => [k, results[k].median / results.qkeras_wasm.median]));
    const wallRatios = Object.fromEntries(Object.keys(diffs).map((k) => [k, results[k].wall.median / results.qkeras_wasm.wall.median]));

    // Per-layer time (the trace's per-layer milliseconds, forward only), median over traces.
    const perLayer = new Map();
    const traceKernels = new Map();
    for (let r = 0; r < layerRuns; r++) {
      for (const t of await model.trace(x, [1, ...shape], { includeData: false })) {
        if (!perLayer.has(t.name)) perLayer.set(t.name, []);
        perLayer.get(t.name).push(t.timeMs);
        if (t.kernel) traceKernels.set(t.name, t.kernel);
      }
    }
    const macsByName = new Map(arch.layers.map((l) => [l.name, l.macs]));
    const analysis = new Map(model.analyze().map((a) => [a.name, a]));
    const layers = model.layers.map((info) => {
      const ms = summarize(perLayer.get(info.name) ?? [0]).median;
      const macs = macsByName.get(info.name) ?? 0;
      const kernel = info.kernel ?? traceKernels.get(info.name) ?? null;
      const a = analysis.get(info.name);
      const entry = { name: info.name, className: info.className, kernel, ms, macs, outputStatus: a?.status ?? null, accumulatorBits: a?.accumulatorBits ?? null };
      if (macs > 0) {
        const instruction = instructionOf(kernel);
        entry.gmacs = ms > 0 ? macs / (ms * 1e6) : null;
        entry.instruction = instruction;
        entry.integer = instruction === 'i32x4_dot_i16x8_add';
        entry.pctPeak = entry.gmacs === null ? null : (100 * entry.gmacs) / peaks[instruction];
      }
      return entry;
    });

    const ortProfile = await ortKernelProfile(onnx.bytes, shape, x, smoke ? 3 : 20);
    // ORT's time for the same conv/dense layer (its fused node keeps our layer's name as prefix).
    for (const l of layers) {
      const node = ortProfile.nodes.find((n) => n.name.startsWith(`${l.name}:`));
      if (node) Object.assign(l, { ortOp: node.op, ortMs: node.ms });
    }
    const targets = (TARGETS[spec.id] ?? []).map(([peer, want]) => ({ what: `${(want).toFixed(1)}x faster than ${peer}`, peer, want, got: ratios[peer], met: ratios[peer] >= want }));
    const integerLayers = layers.filter((l) => l.integer && l.className.includes('Conv'));
    if (spec.id === 'B' || integerLayers.length) {
      targets.push({
        what: `integer conv layers >= ${INTEGER_PEAK_TARGET * 100}% of the dot-product peak`,
        got: integerLayers.length ? Math.min(...integerLayers.map((l) => l.pctPeak / 100)) : null,
        want: INTEGER_PEAK_TARGET,
        met: integerLayers.length > 0 && integerLayers.every((l) => l.pctPeak / 100 >= INTEGER_PEAK_TARGET),
        note: integerLayers.length ? undefined : 'no layer runs an integer kernel yet',
      });
    }
    return {
      id: spec.id, title: spec.title, file: spec.file.replace(root, ''), macs: arch.macs, engines: results, ratios, wallRatios, targets, layers,
      ort: { kernels: ortProfile, exportNotes: onnx.notes, file: `build/bench/${spec.id}.qdq.onnx` },
      trace: { sumOfLayersMs: layers.reduce((a, l) => a + l.ms, 0) },
    };
  } finally {
    for (const free of cleanup) await free();
    model.dispose();
  }
}

// ---- report ----
const f2 = (v) => (v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(2));
function printModel(m, peaks) {
  const e = m.engines;
  console.log(`\n## ${m.title}\n${(m.macs / 1e6).toFixed(1)} M MACs per image; ms per image (process CPU time; wall time alongside), batch 1, one thread, ${e.qkeras_wasm.runs} runs after warm-up\n`);
  console.log('| engine | median ms | p90 ms | qkeras-wasm speed-up | wall median ms | wall p90 ms | max abs diff vs qkeras-wasm | same top class |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---|');
  const label = { qkeras_wasm: 'qkeras-wasm', tfjs_wasm: 'TF.js wasm (float32, SIMD, 1 thread)', ort_int8: 'onnxruntime-web wasm (int8 QDQ, 1 thread)' };
  for (const [k, r] of Object.entries(e)) {
    const diff = r.maxAbsDiff === undefined ? '–' : r.maxAbsDiff.toExponential(2);
    const top = r.sameTopClass === undefined ? '–' : r.sameTopClass ? 'yes' : 'no';
    console.log(`| ${label[k]} | ${f2(r.median)} | ${f2(r.p90)} | ${k === 'qkeras_wasm' ? '1' : f2(m.ratios[k]) + '×'} | ${f2(r.wall.median)} | ${f2(r.wall.p90)} | ${diff} | ${top} |`);
  }
  for (const t of m.targets) console.log(`target: ${t.what}: ${t.got === null ? 'n/a' : f2(t.got)} -> ${t.met ? 'met' : 'MISSED'}${t.note ? ` (${t.note})` : ''}`);
  const ops = Object.entries(m.ort.kernels.byOp).map(([op, s]) => `${op}×${s.count} ${f2(s.ms)} ms`).join(', ');
  console.log(`onnxruntime-web kernels per run (profiled): ${ops}`);
  if (m.ort.exportNotes.length) console.log(`ONNX export notes: ${m.ort.exportNotes.join('; ')}`);
  console.log(`\nqkeras-wasm per layer (median of traces; peaks f32x4 mul+add ${f2(peaks.f32x4_mul_add)}, i32x4.dot_i16x8_s+add ${f2(peaks.i32x4_dot_i16x8_add)} GMAC/s)\n`);
  console.log('| layer | class | kernel | ms | MMAC | GMAC/s | % of peak | ORT int8 node, ms |');
  console.log('|---|---|---|---:|---:|---:|---:|---:|');
  for (const l of m.layers) {
    const peak = l.macs ? `${f2(l.pctPeak)}% ${l.integer ? 'dot' : 'f32'}` : '';
    const ort = l.ortOp ? `${l.ortOp} ${l.ortMs.toFixed(3)}` : '';
    console.log(`| ${l.name} | ${l.className} | ${l.kernel ?? (l.macs ? 'f32 (not reported)' : '')} | ${l.ms.toFixed(3)} | ${l.macs ? (l.macs / 1e6).toFixed(2) : ''} | ${l.macs ? f2(l.gmacs) : ''} | ${peak} | ${ort} |`);
  }
  console.log(`sum of layers ${f2(m.trace.sumOfLayersMs)} ms (trace) vs predict median ${f2(e.qkeras_wasm.median)} ms`);
}

// The README's summary table (one row per model), also written to build/bench/summary.md.
function summaryTable(result) {
  const ms = (r) => `${f2(r.median)} ms (p90 ${f2(r.p90)})`;
  const lines = [
    '| model (MACs / image) | qkeras-wasm | TF.js wasm | onnxruntime-web int8 | vs TF.js | vs ORT int8 |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (const m of result.models) {
    const e = m.engines;
    lines.push(`| ${m.title.replace(/\s*\(\.\.\/shared[^)]*\)/, '')} (${(m.macs / 1e6).toFixed(1)} M) | ${ms(e.qkeras_wasm)} | ${ms(e.tfjs_wasm)} | ${ms(e.ort_int8)} | ${f2(m.ratios.tfjs_wasm)}× | ${f2(m.ratios.ort_int8)}× |`);
  }
  const p = result.peaks;
  lines.push('', `Peaks: \`f32x4\` mul+add ${p.f32x4_mul_add.toFixed(1)} GMAC/s, \`i32x4.dot_i16x8_s\`+add ${p.i32x4_dot_i16x8_add.toFixed(1)} GMAC/s; process CPU time per image, ${result.settings.runs} runs, load average ${result.machine.loadavg[0].toFixed(1)} on ${result.machine.cores} cores.`);
  return lines.join('\n') + '\n';
}

async function main() {
  const started = new Date();
  for (const f of ['cifar10_qkeras.h5', 'cifar10_qkeras_fixed.h5', 'cifar10_input.npy']) {
    if (!existsSync(`${root}build/examples/${f}`)) throw new Error(`build/examples/${f} is missing: run npm run build (or node scripts/make-examples.mjs)`);
  }
  const peaks = await measurePeaks(smoke ? { iterations: 200_000, repeats: 3 } : {});
  console.log(`# qkeras-wasm benchmark (${smoke ? 'smoke mode: too few runs for numbers' : `${runs} runs`})`);
  console.log(`WASM SIMD peaks in this process: f32x4 mul+add ${f2(peaks.f32x4_mul_add)} GMAC/s, i32x4.dot_i16x8_s+add ${f2(peaks.i32x4_dot_i16x8_add)} GMAC/s`);
  const tf = await initTfjs();
  const ort = await initOrt();
  const models = [];
  const skipped = [];
  for (const spec of MODELS.filter((m) => wanted.includes(m.id))) {
    if (!existsSync(spec.file)) {
      const why = `${spec.file.replace(root, '')} not found`;
      console.log(`\n## ${spec.title}\nskipped: ${why}`);
      skipped.push({ id: spec.id, reason: why });
      continue;
    }
    const m = await benchModel(spec, peaks);
    printModel(m, peaks);
    models.push(m);
  }
  const result = {
    date: started.toISOString(),
    mode: smoke ? 'smoke' : 'full',
    machine: { cpu: cpus()[0]?.model ?? null, cores: cpus().length, loadavg: loadavg(), node: process.version, platform: process.platform },
    versions: {
      tfjs: tf.version.tfjs,
      tfjsBackendWasm: JSON.parse(readFileSync(`${root}node_modules/@tensorflow/tfjs-backend-wasm/package.json`, 'utf8')).version,
      onnxruntimeWeb: ort.env.versions.web,
    },
    settings: { runs, warmup, layerRuns, batch: 1, threads: 1, tfjsSimd: true, ortGraphOptimizationLevel: 'all', clock: 'process CPU time (engines.*.wall: wall time)' },
    peaks,
    models,
    skipped,
  };
  mkdirSync(dirname(jsonPath), { recursive: true });
  writeFileSync(jsonPath, JSON.stringify(result, null, 2) + '\n');
  const summary = summaryTable(result);
  const summaryPath = jsonPath.replace(/\.json$/, '') + '.md';
  writeFileSync(summaryPath, summary);
  console.log(`\n## Summary\n\n${summary}\nwrote ${jsonPath.replace(root, '')} and ${summaryPath.replace(root, '')}`);
}

await main();
