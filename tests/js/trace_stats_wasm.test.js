// The trace statistics compiled to WebAssembly: the randomized fast-vs-reference self-test (the
// same cases tests/cpp runs natively; the SIMD paths are wasm SIMD here, SSE4.1 there).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { getWasmModule } from '../../web/wasm-module.js';

test('trace statistics match their reference twin in WASM (random tensors, bitwise)', async () => {
  const wasm = await getWasmModule();
  for (const seed of [1, 2, 3]) {
    const r = JSON.parse(wasm.selfTestStats(seed, 400));
    assert.equal(r.cases, 400);
    assert.ok(r.values > 0);
    assert.deepEqual(r.failures, [], `seed ${seed}`);
  }
});
