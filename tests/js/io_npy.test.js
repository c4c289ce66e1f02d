// .npy reading/writing and the text/JSON array forms of our reference data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';

import { readNpy, writeNpy, parseTextMatrix, parseJsonArray, readArray } from '../../web/io/npy.js';
import { modelPath, skipWithoutModels } from '../fixtures/shared_models.js';

const skip = skipWithoutModels();

/**
 * Builds a .npy file by hand (independent of writeNpy).
 * @param {string} descr
 * @param {number[]} shape
 * @param {Uint8Array} payload
 * @param {{ major?: number, fortran?: boolean }} [options]
 */
function npyBytes(descr, shape, payload, options = {}) {
  const major = options.major ?? 1;
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const header = `{'descr': '${descr}', 'fortran_order': ${options.fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }\n`;
  const lengthBytes = major === 1 ? 2 : 4;
  const out = new Uint8Array(8 + lengthBytes + header.length + payload.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const dv = new DataView(out.buffer);
  if (major === 1) dv.setUint16(8, header.length, true);
  else dv.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[8 + lengthBytes + i] = header.charCodeAt(i);
  out.set(payload, 8 + lengthBytes + header.length);
  return out;
}

test('writeNpy -> readNpy round-trip, header aligned to 64 bytes', () => {
  const data = Float32Array.of(1.5, -2.25, 3e-8, 0, -0, 65504, 1 / 3, Math.PI, -1e30, 7, 8, 9);
  const bytes = writeNpy(data, [2, 3, 2]);
  const headerLength = new DataView(bytes.buffer).getUint16(8, true);
  assert.equal((10 + headerLength) % 64, 0);
  assert.equal(bytes.length, 10 + headerLength + 48);
  const back = readNpy(bytes);
  assert.deepEqual(back.shape, [2, 3, 2]);
  assert.deepEqual(back.data, data);
  assert.deepEqual(readNpy(writeNpy(Float32Array.of(4), [])).shape, []);
  assert.deepEqual(readNpy(writeNpy(new Float32Array(0), [0, 3])).shape, [0, 3]);
});

test('reads every supported dtype in versions 1.0, 2.0 and 3.0', () => {
  const values = [0, 1, 2, 100, 120];
  const cases = [
    ['<f4', 4, (dv, o, v) => dv.setFloat32(o, v, true)],
    ['<f8', 8, (dv, o, v) => dv.setFloat64(o, v, true)],
    ['>f4', 4, (dv, o, v) => dv.setFloat32(o, v, false)],
    ['|i1', 1, (dv, o, v) => dv.setInt8(o, -v)],
    ['<i2', 2, (dv, o, v) => dv.setInt16(o, -v, true)],
    ['<i4', 4, (dv, o, v) => dv.setInt32(o, -v, true)],
    ['<i8', 8, (dv, o, v) => dv.setBigInt64(o, BigInt(-v), true)],
    ['|u1', 1, (dv, o, v) => dv.setUint8(o, v)],
    ['<u2', 2, (dv, o, v) => dv.setUint16(o, v, true)],
    ['<u4', 4, (dv, o, v) => dv.setUint32(o, v, true)],
    ['<u8', 8, (dv, o, v) => dv.setBigUint64(o, BigInt(v), true)],
  ];
  for (const [descr, size, set] of cases) {
    const payload = new Uint8Array(values.length * size);
    const dv = new DataView(payload.buffer);
    values.forEach((v, i) => set(dv, i * size, v));
    const negative = /[i]/.test(descr);
    for (const major of [1, 2, 3]) {
      const r = readNpy(npyBytes(descr, [5], payload, { major }), 'x.npy');
      assert.deepEqual(Array.from(r.data), values.map((v) => (negative ? -v || 0 : v)), `${descr} v${major}`);
    }
  }
  const bools = readNpy(npyBytes('|b1', [2, 2], Uint8Array.of(0, 1, 1, 0)));
  assert.deepEqual(Array.from(bools.data), [0, 1, 1, 0]);
  assert.deepEqual(bools.shape, [2, 2]);
});

test('npy errors name the file', () => {
  const payload = new Uint8Array(16);
  assert.throws(() => readNpy(npyBytes('<f4', [2, 2], payload, { fortran: true }), 'a.npy'), /^Error: a\.npy: fortran_order=True arrays are not supported/);
  assert.throws(() => readNpy(npyBytes('<c8', [2], payload), 'a.npy'), /^Error: a\.npy: unsupported \.npy dtype '<c8'/);
  assert.throws(() => readNpy(npyBytes('<f4', [5], payload), 'a.npy'), /^Error: a\.npy: truncated \.npy data/);
  assert.throws(() => readNpy(npyBytes('<f4', [4], payload).slice(0, 20), 'a.npy'), /^Error: a\.npy: truncated \.npy header/);
  assert.throws(() => readNpy(Uint8Array.of(1, 2, 3), 'a.npy'), /^Error: a\.npy: not a \.npy file/);
  assert.throws(() => writeNpy(Float32Array.of(1, 2), [3]), /holds 3 values, data has 2/);
});

test('real .npy files from ../shared', { skip }, async () => {
  const images = readNpy(await readFile(modelPath('enet_inputs/X_test_2imgs_240x152x3.npy')), 'X_test.npy');
  assert.deepEqual(images.shape, [2, 240, 152, 3]);
  let min = Infinity;
  let max = -Infinity;
  for (const v of images.data) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  assert.ok(min >= 0.04 && max <= 1.0, `range ${min}..${max}`);
  const idx = readNpy(await readFile(modelPath('mlperftiny_ic_rn07/reference/perf_samples_idxs.npy')), 'idx.npy');
  assert.deepEqual(idx.shape, [200]);
  assert.ok(idx.data.every((v) => Number.isInteger(v) && v >= 0 && v < 10000));
});

test('text matrices (reference files) and their errors', { skip }, async () => {
  const inputs = parseTextMatrix(await readFile(modelPath('qkeras_3layer/reference/inputs_8x16.txt'), 'utf8'), 'inputs.txt');
  assert.deepEqual(inputs.shape, [8, 16]);
  const preds = readArray(await readFile(modelPath('qkeras_3layer/reference/qkeras_predictions_8x5.txt')), 'preds.txt');
  assert.deepEqual(preds.shape, [8, 5]);
  for (let r = 0; r < 8; r++) {
    const sum = preds.data.subarray(r * 5, r * 5 + 5).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-5, `softmax row ${r} sums to ${sum}`);
  }
  const images = parseTextMatrix(await readFile(modelPath('mlperftiny_ic_rn07/reference/inputs_model_2x3072_nhwc.txt'), 'utf8'));
  assert.deepEqual(images.shape, [2, 3072]);
});

test('text matrix parsing rules', () => {
  const m = parseTextMatrix('# comment\n1 2.5e-1  -3\n\n4\t5 nan\n', 'm.txt');
  assert.deepEqual(m.shape, [2, 3]);
  assert.deepEqual(Array.from(m.data.subarray(0, 5)), [1, 0.25, -3, 4, 5]);
  assert.ok(Number.isNaN(m.data[5]));
  assert.throws(() => parseTextMatrix('1 2\n3\n', 'm.txt'), /^Error: m\.txt: line 2 has 1 values, earlier lines have 2/);
  assert.throws(() => parseTextMatrix('1 x\n', 'm.txt'), /^Error: m\.txt: line 1, column 2: 'x' is not a number/);
  assert.throws(() => parseTextMatrix('\n\n', 'm.txt'), /^Error: m\.txt: no numbers found/);
});

test('JSON nested lists', () => {
  const a = parseJsonArray('[[1, 2, 3], [4, 5, 6]]');
  assert.deepEqual(a.shape, [2, 3]);
  assert.deepEqual(Array.from(a.data), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(parseJsonArray([[[0.5]], [[1.5]]]).shape, [2, 1, 1]);
  assert.deepEqual(readArray(new TextEncoder().encode(' [1, 2]')).shape, [2]);
  assert.throws(() => parseJsonArray('[[1, 2], [3]]', 'a.json'), /^Error: a\.json: ragged array at \[1\]/);
  assert.throws(() => parseJsonArray('[[1, "x"]]', 'a.json'), /^Error: a\.json: element \[0\]\[1\] is not a number/);
  assert.throws(() => parseJsonArray('[1, 2', 'a.json'), /^Error: a\.json: invalid JSON/);
});
