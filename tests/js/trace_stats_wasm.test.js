// The trace statistics as compiled to WebAssembly (wasm SIMD lattice levels, zero-skipping level
// scans, hashed and radix-sorted distinct counts) against a reference recount in JS: the recount
// web/trace.js does when it joins batch pieces (mergeTracePieces, the rules of
// computeStatsReference: tensor order, -0 == 0 for distinct, the first zero's sign for a zero
// min/max), run on a trace of one piece. Natively the same fast paths (SSE4.1) are compared with
// computeStatsReference in tests/cpp/tensor_stats_test.cpp.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { loadModel } from '../../web/index.js';
import { mergeTracePieces } from '../../web/trace.js';
import { modelPath, skipWithoutModels } from '../fixtures/shared_models.js';

const examples = fileURLToPath(new URL('../../build/examples/', import.meta.url));

// Pixel-like inputs (on a 1/256 grid), float noise, and a few special values.
function inputs(model, batch, seed) {
  const dims = model.inputs[0].shape.slice(1);
  const n = batch * dims.reduce((a, b) => a * b, 1);
  let s = seed >>> 0 || 1;
  const next = () => ((s ^= s << 13), (s ^= s >>> 17), (s ^= s << 5), (s >>> 0) / 2 ** 32);
  return [
    { data: new Float32Array(n).map(() => Math.floor(next() * 256) / 256), shape: [batch, ...dims] },
    { data: new Float32Array(n).map(() => next() * 4 - 2), shape: [batch, ...dims] },
    { data: new Float32Array(n).map((_, i) => (i % 97 === 0 ? -0 : i % 89 === 0 ? 1e6 : Math.floor(next() * 8) / 8)), shape: [batch, ...dims] },
  ];
}

const FIELDS = ['count', 'nanCount', 'infCount', 'min', 'max', 'mean', 'distinct'];

async function compareOn(file, batch) {
  const model = await loadModel(file);
  let layers = 0;
  try {
    for (const [k, x] of inputs(model, batch, 7).entries()) {
      for (const bins of [16, 5]) {
        const trace = await model.trace(x.data, x.shape, { histogramBins: bins });
        const recount = mergeTracePieces([trace], batch, { includeData: true, histogramBins: bins });
        trace.forEach((entry, i) => {
          const what = `${file.split('/').pop()}, input ${k}, bins ${bins}, layer '${entry.name}'`;
          for (const f of FIELDS) assert.ok(Object.is(entry.stats[f], recount[i].stats[f]), `${what}: ${f} ${entry.stats[f]} vs ${recount[i].stats[f]}`);
          assert.deepEqual(entry.stats.histogram, recount[i].stats.histogram, `${what}: histogram`);
          layers += 1;
        });
      }
    }
  } finally {
    model.dispose();
  }
  return layers;
}

test('WASM trace statistics match the reference recount on the example models', { skip: existsSync(`${examples}cifar10_qkeras.h5`) ? false : 'build/examples is absent (node scripts/make-examples.mjs)' }, async () => {
  assert.ok((await compareOn(`${examples}cifar10_qkeras.h5`, 2)) > 20);
});

test('WASM trace statistics match the reference recount on the shared models (wide-accumulator conv outputs, quantized ReLUs, float layers)', { skip: skipWithoutModels() }, async () => {
  for (const file of ['mlperftiny_ic_rn07/model_best.h5', 'hls4ml_tutorial_qpruned_cnn_plm/quantized_pruned_cnn_model.h5', 'qkeras_3layer_v2020/QKERAS_3layer.h5']) {
    assert.ok((await compareOn(modelPath(file), 2)) > 10, file);
  }
});
