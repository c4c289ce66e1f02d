// Tracing overhead: traced vs untraced predict on the same model and input, in one process.
// Target (issue "layer tracing"): trace <= 1.5x predict. Reported as ratios, never asserted.
//   node bench/trace_overhead.mjs [--runs 7] [model.h5 ...]
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../web/index.js';

const args = process.argv.slice(2);
const runsIndex = args.indexOf('--runs');
const runs = runsIndex >= 0 ? Number(args.splice(runsIndex, 2)[1]) : 7;
const shared = fileURLToPath(new URL('../../shared/models/', import.meta.url));
const defaults = [
  'qkeras_3layer_v2020/QKERAS_3layer.h5',
  'mlperftiny_ad08/model.h5',
  'mlperftiny_ic_rn07/model_best.h5',
  'hls4ml_tutorial_qpruned_cnn_plm/quantized_pruned_cnn_model.h5',
  'enet_hom4/hom4_32_4_4_4_4_4.h5',
].map((f) => shared + f);
const models = args.length ? args : defaults.filter((f) => existsSync(f));
if (models.length === 0) {
  console.log('no models: pass model files, or place ../shared/models beside the repository');
  process.exit(0);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function time(fn) {
  const samples = [];
  await fn(); // warm-up: first predict plans the arena, first trace computes the analysis
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

console.log(`median of ${runs} runs, batch 1\n`);
console.log('| model | predict ms | trace ms (with data) | ratio | trace ms (stats only) | ratio |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const path of models) {
  const model = await loadModel(path);
  const dims = model.inputs[0].shape.slice(1);
  const n = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n).map((_, i) => ((i * 7919) % 256) / 256);
  const shape = [1, ...dims];
  const p = await time(() => model.predict(data, shape));
  const t = await time(() => model.trace(data, shape));
  const s = await time(() => model.trace(data, shape, { includeData: false }));
  const name = path.split('/').slice(-2).join('/');
  console.log(`| ${name} | ${p.toFixed(2)} | ${t.toFixed(2)} | ${(t / p).toFixed(2)}× | ${s.toFixed(2)} | ${(s / p).toFixed(2)}× |`);
  model.dispose();
}
