// The quantize()/describeQuantizer() API contract: argument checks, errors that name what is
// wrong, and a WASM instance that keeps working after any error.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { quantize, describeQuantizer } from '../../web/index.js';

test('quantize returns QKeras values for a string spec', async () => {
  const y = await quantize('quantized_bits(4,0,1,alpha=1)', [0.3, -0.6, 0.9, 2.0], [4]);
  assert.ok(y instanceof Float32Array);
  assert.deepEqual(Array.from(y), [0.25, -0.625, 0.875, 0.875]);
});

test('quantize accepts a Keras dict spec with module / registered_name keys', async () => {
  const spec = {
    module: 'qkeras.quantizers',
    class_name: 'quantized_relu',
    config: { bits: 4, integer: 0, use_sigmoid: 0, negative_slope: 0.0 },
    registered_name: 'quantized_relu',
  };
  const y = await quantize(spec, new Float32Array([-1, 0.03, 0.03125, 0.09375, 0.5, 0.97, 2]), [7]);
  assert.deepEqual(Array.from(y), [0, 0, 0, 0.125, 0.5, 0.9375, 0.9375]);
});

test('weight option applies the alpha=None -> auto_po2 rule', async () => {
  const plain = await describeQuantizer('quantized_bits(4,0,1)');
  const weight = await describeQuantizer('quantized_bits(4,0,1)', { weight: true });
  assert.equal(plain.str, 'quantized_bits(4,0,1)');
  assert.equal(weight.str, "quantized_bits(4,0,1,alpha='auto_po2')");
  assert.equal(weight.step, null, 'auto_po2 has no fixed grid');
  assert.equal(plain.step, 0.125);
});

test('describeQuantizer fills every parameter', async () => {
  const d = await describeQuantizer('quantized_relu(4)');
  assert.equal(d.className, 'quantized_relu');
  assert.equal(d.str, 'quantized_relu(4,0)');
  assert.equal(d.bits, 4);
  assert.equal(d.signed, false);
  assert.equal(d.step, 1 / 16);
  for (const key of ['bits', 'integer', 'use_sigmoid', 'negative_slope', 'relu_upper_bound', 'qnoise_factor']) {
    assert.ok(key in d.config, `config has ${key}`);
  }
});

test('errors name the problem and the module keeps working', async () => {
  await assert.rejects(quantize('quantized_bitz(4)', [1], [1]), (e) => e instanceof Error && /quantized_bitz/.test(e.message));
  await assert.rejects(quantize('quantized_bits(4,0,1,alfa=1)', [1], [1]), /alfa/);
  await assert.rejects(quantize('quantized_bits(4)', [1, 2, 3], [2]), /3 values.*needs 2|shape/);
  await assert.rejects(quantize({ class_name: 'bernoulli', config: {} }, [1], [1]), /bernoulli/);
  await assert.rejects(quantize(42, [1], [1]), TypeError);
  await assert.rejects(quantize('quantized_bits(4)', [1], [1], { internalSigmoid: 'soft' }), /internalSigmoid/);
  for (let i = 0; i < 200; i++) {
    await assert.rejects(quantize('nope(1)', [1], [1]));
  }
  const y = await quantize('quantized_bits(8,0)', [0.5], [1]);
  assert.deepEqual(Array.from(y), [0.5]);
});
