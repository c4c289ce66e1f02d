// The benchmark harness (bench/run.mjs) in smoke mode: a few runs of models (A) and (B) on every
// engine. Times nothing and asserts no speed; it checks that every peer still builds the same
// architecture and runs (the JSON has all engines, sane fields, and outputs close to ours), so
// `npm run bench` cannot silently lose a peer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const json = `${root}build/bench/smoke.json`;

test('bench/run.mjs --smoke: every engine runs both CIFAR models and the JSON is complete', { timeout: 120_000 }, () => {
  const run = spawnSync(process.execPath, ['bench/run.mjs', '--smoke', '--models', 'A,B', '--json', json], { cwd: root, encoding: 'utf8', timeout: 110_000 });
  assert.equal(run.status, 0, `bench/run.mjs failed:\n${run.stderr}\n${run.stdout.slice(-2000)}`);
  const result = JSON.parse(readFileSync(json, 'utf8'));
  assert.equal(result.mode, 'smoke');
  for (const name of ['f32x4_mul_add', 'i32x4_dot_i16x8_add']) assert.ok(result.peaks[name] > 0, `peak ${name}`);
  assert.deepEqual(result.models.map((m) => m.id), ['A', 'B']);
  for (const m of result.models) {
    assert.ok(Math.abs(m.macs - 38.9e6) < 0.1e6, `${m.id}: ${m.macs} MACs`);
    assert.deepEqual(Object.keys(m.engines).sort(), ['ort_int8', 'qkeras_wasm', 'tfjs_wasm']);
    for (const [engine, r] of Object.entries(m.engines)) {
      assert.equal(r.runs, result.settings.runs, `${m.id}/${engine} runs`);
      assert.ok(r.median > 0 && r.p90 >= r.median && Number.isFinite(r.p90), `${m.id}/${engine} times ${r.median} ${r.p90}`);
    }
    // The peers approximate our exact result (TF.js: float32 without the activation
    // quantizers; ORT: int8, exact grids but calibrated float tensors), so their logits are
    // close, not equal; a wrong layer order, layout or weight is far off.
    const scale = m.engines.qkeras_wasm.outputMaxAbs;
    assert.ok(scale > 0);
    for (const [peer, tolerance] of [['tfjs_wasm', 1.0], ['ort_int8', 0.5]]) {
      const d = m.engines[peer].maxAbsDiff;
      assert.ok(Number.isFinite(d) && d < tolerance * scale, `${m.id}/${peer}: max|diff| ${d} vs max|output| ${scale}`);
      assert.ok(m.ratios[peer] > 0, `${m.id}/${peer} ratio`);
    }
    assert.equal(m.engines.ort_int8.sameTopClass, true, `${m.id}: ORT's top class`);
    // ORT really ran its int8 convolution.
    assert.equal(m.ort.kernels.byOp.QLinearConv?.count, 6, `${m.id}: ORT kernels ${JSON.stringify(m.ort.kernels.byOp)}`);
    const convs = m.layers.filter((l) => l.className === 'QConv2D');
    assert.equal(convs.length, 6);
    for (const l of convs) assert.ok(l.macs > 0 && l.gmacs > 0 && l.pctPeak > 0 && ['f32x4_mul_add', 'i32x4_dot_i16x8_add'].includes(l.instruction), JSON.stringify(l));
  }
});
