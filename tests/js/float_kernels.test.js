// The float32 conv kernels compiled to WebAssembly: the randomized kernel-vs-reference self-test
// (the same cases tests/cpp runs natively: f32_conv2d_igemm_4x8 with and without its epilogue
// against conv2d_f32_reference, bitwise on sentinel-filled outputs, IEEE special values), and the
// kernel choice the float CIFAR model records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { loadModel } from '../../web/index.js';
import { getKernelSelfTestModule } from '../fixtures/kernel_selftest.js';

test('float conv kernels match conv2d_f32_reference in WASM (random shapes, bitwise)', async () => {
  const wasm = await getKernelSelfTestModule(); // test-only module: the shipped kernels + self-test
  for (const seed of [1, 2, 3]) {
    const r = JSON.parse(wasm.selfTestFloatKernels(seed, 300));
    assert.equal(r.isa, 'wasmsimd');
    assert.equal(r.cases, 300);
    assert.ok(r.macs > 0);
    assert.deepEqual(r.failures, [], `seed ${seed}`);
  }
});

const examples = fileURLToPath(new URL('../../build/examples/', import.meta.url));
const skip = existsSync(`${examples}cifar10_qkeras.h5`) ? false : 'build/examples missing (run npm run build)';

test('every conv of the float CIFAR model runs the igemm kernel', { skip }, async () => {
  const model = await loadModel(`${examples}cifar10_qkeras.h5`);
  try {
    const convs = model.layers.filter((l) => l.className === 'QConv2D');
    assert.equal(convs.length, 6);
    for (const l of convs) assert.match(l.kernel, /^f32_conv2d_igemm_4x8_wasmsimd\+bn$/, l.name);
  } finally {
    model.dispose();
  }
});
