// The fused elementwise epilogue's effect: predict() ms/image with and without fusion ({fuse:
// false}), both models loaded in one process and run alternately (median and p90 of wall time,
// median of process CPU time, after warm-up), then the unfused per-layer medians from trace()
// next to each layer's kernel as predict() runs it. A report, not a test.
//   node bench/fusion.mjs [--runs 300] [model.h5]   (default: build/examples/cifar10_qkeras_fixed.h5, model (B))
import { fileURLToPath } from 'node:url';
import { loadModel } from '../web/index.js';

const args = process.argv.slice(2);
const runsIndex = args.indexOf('--runs');
const runs = runsIndex >= 0 ? Number(args.splice(runsIndex, 2)[1]) : 300;
const path = args[0] ?? fileURLToPath(new URL('../build/examples/cifar10_qkeras_fixed.h5', import.meta.url));

const models = { unfused: await loadModel(path, { fuse: false }), fused: await loadModel(path) };
const dims = models.fused.inputs[0].shape.slice(1);
const data = new Float32Array(dims.reduce((a, b) => a * b, 1)).map((_, i) => ((i * 7919) % 256) / 256);
const shape = [1, ...dims];
const wall = { unfused: [], fused: [] };
const cpu = { unfused: [], fused: [] };
for (const m of Object.values(models)) for (let i = 0; i < 50; i++) await m.predict(data, shape);
for (let i = 0; i < runs; i++) {
  for (const k of i % 2 ? ['unfused', 'fused'] : ['fused', 'unfused']) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await models[k].predict(data, shape);
    const t1 = performance.now();
    const c = process.cpuUsage(c0);
    wall[k].push(t1 - t0);
    cpu[k].push((c.user + c.system) / 1000);
  }
}
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * q)];
console.log(`${path}\n${runs} runs each after warm-up, alternating, batch 1\n`);
console.log('| predict | median ms | p90 ms | CPU median ms |');
console.log('|---|---:|---:|---:|');
for (const k of ['unfused', 'fused'])
  console.log(`| ${k} | ${quantile(wall[k], 0.5).toFixed(3)} | ${quantile(wall[k], 0.9).toFixed(3)} | ${quantile(cpu[k], 0.5).toFixed(3)} |`);

const perLayer = {};
for (let i = 0; i < 50; i++)
  for (const e of await models.fused.trace(data, shape)) (perLayer[e.name] ??= []).push(e.timeMs);
console.log('\n| layer (trace: unfused) | median ms | predict() kernel |');
console.log('|---|---:|---|');
for (const l of models.fused.layers) {
  const ms = perLayer[l.name] ? quantile(perLayer[l.name], 0.5).toFixed(3) : '';
  console.log(`| ${l.name} | ${ms} | ${l.kernel || (l.kernelReason ?? '')} |`);
}
for (const m of Object.values(models)) m.dispose();
