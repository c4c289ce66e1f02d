// The converted format: lossless packing at any bit width, determinism, corruption detection,
// size, and bit-identical predictions against the source model.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { loadModel, convert } from '../../web/index.js';
import { decodeQkwm, encodeQkwm } from '../../web/format/qkwm.js';
import { chooseEncoding, packInts, unpackToFloat32 } from '../../web/format/tensor_encoding.js';
import { readModel } from '../../web/model.js';
import { writeCifarScenarioH5, cifarScenarioInput } from '../fixtures/cifar_scenario.js';

test('packing round-trips every width from 1 to 16 bits', () => {
  for (let bits = 1; bits <= 16; bits++) {
    const lo = bits === 1 ? -1 : -(2 ** (bits - 1));
    const hi = bits === 1 ? 1 : 2 ** (bits - 1) - 1;
    const ints = Int32Array.from({ length: 1003 }, (_, i) => (bits === 1 ? (i % 3 ? 1 : -1) : lo + ((i * 7919) % (hi - lo + 1))));
    const packed = packInts(ints, bits, bits === 1);
    assert.equal(packed.length, Math.ceil((1003 * bits) / 8));
    const out = unpackToFloat32(packed, ints.length, bits, bits === 1, new Float32Array([1]));
    assert.deepEqual(Array.from(out), Array.from(ints), `${bits} bits`);
  }
});

test('encoding is chosen from the values and is exact', () => {
  const fourBit = Float32Array.from({ length: 64 }, (_, i) => ((i % 15) - 7) / 8); // k/8, k in [-7, 7]
  const e = chooseEncoding(fourBit, [16, 4]);
  assert.equal(e.encoding, 'int');
  assert.equal(e.bits, 4);
  const binary = Float32Array.from({ length: 32 }, (_, i) => (i % 2 ? 0.25 : -0.25));
  assert.deepEqual([chooseEncoding(binary, [8, 4]).bits, chooseEncoding(binary, [8, 4]).binary], [1, true]);
  assert.equal(chooseEncoding(Float32Array.of(0.1, 0.2, 0.3, 0.4), [2, 2]).encoding, 'f32', 'non-dyadic stays float');
  assert.equal(chooseEncoding(Float32Array.of(-0, 0.5), [2]).encoding, 'f32', '-0 is kept exactly');
  assert.equal(chooseEncoding(Float32Array.of(NaN, 0.5), [2]).encoding, 'f32');
});

test('encode/decode keeps every value and rejects corrupt files with the part named', () => {
  const tensors = [
    { layer: 'a', role: 'kernel', index: 0, shape: [3, 2], data: Float32Array.of(0.5, -1, 0.25, 0.75, 1.5, -0.125) },
    { layer: 'a', role: 'bias', index: 1, shape: [2], data: Float32Array.of(0.1, 0.2) },
  ];
  const bytes = encodeQkwm({ graph: { layers: [] }, provenance: { source: 't' }, inputs: [], outputs: [], tensors });
  const { weights } = decodeQkwm(bytes);
  assert.deepEqual(Array.from(weights.get('a')[0].data), Array.from(tensors[0].data));
  assert.deepEqual(Array.from(weights.get('a')[1].data), Array.from(tensors[1].data));
  const corrupt = bytes.slice();
  corrupt[corrupt.length - 10] ^= 0xff;
  assert.throws(() => decodeQkwm(corrupt, 'm.qkwm'), /m\.qkwm: checksum/);
  assert.throws(() => decodeQkwm(bytes.subarray(0, 40), 'm.qkwm'), /m\.qkwm: (checksum|header)/);
  const newer = bytes.slice();
  newer[4] = 9;
  assert.throws(() => decodeQkwm(newer, 'm.qkwm'), /m\.qkwm: version/);
  assert.throws(() => decodeQkwm(new TextEncoder().encode('QKWM garbage here, not a model'), 'm.qkwm'), /m\.qkwm/);
});

test('a 4-bit model converts to at most 1/6 of its float32 weights, deterministically and bit-exactly', async () => {
  const h5 = await writeCifarScenarioH5();
  const { weights } = await readModel(h5);
  let floatBytes = 0;
  for (const list of weights.values()) for (const w of list) floatBytes += w.data.length * 4;
  const a = await convert(h5);
  const b = await convert(h5);
  assert.deepEqual(a, b, 'conversion is deterministic');
  assert.ok(a.length <= floatBytes / 6, `${a.length} bytes vs ${floatBytes} bytes of float32 weights`);

  const source = await loadModel(h5);
  const converted = await loadModel(a);
  assert.equal(converted.converted, true);
  assert.deepEqual(converted.layers.map((l) => l.paramCount), source.layers.map((l) => l.paramCount));
  const input = cifarScenarioInput(2);
  const x = await source.trace(input, [2, 32, 32, 3]);
  const y = await converted.trace(input, [2, 32, 32, 3]);
  for (let i = 0; i < x.length; i++) {
    const bits = (t) => new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length);
    assert.deepEqual(bits(y[i]), bits(x[i]), `layer ${x[i].name} is bit-identical`);
    assert.equal(y[i].status, x[i].status, `layer ${x[i].name} has the same analysis`);
  }
  source.dispose();
  converted.dispose();
});
