// The hostile corpus of issue 8 (JS side): every file and call from the findings, built
// at test time from the fixture writer or by byte edits of generated fixtures, with the expected
// error. After each, a good model loaded at the start still predicts bit for bit the same.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { zipSync, strToU8, zlibSync } from 'fflate';

import { loadModel, convert, quantize, quantizerRange } from '../../web/index.js';
import { readModelSource } from '../../web/io/index.js';
import { h5wasmStats, loadH5wasm, withHdf5File } from '../../web/io/hdf5.js';
import { retiredInstances } from '../../web/instance.js';
import { crc32 } from '../../web/format/crc32.js';
import {
  writeKerasH5, writeKerasV3, writeKerasJsonAndWeights, sequentialConfig, functionalConfig, inputLayer, qDense, dense, activation, quantizedBits, fixtureValues,
} from '../fixtures/keras_writer.js';

const q6 = quantizedBits(6, 0);
const w = (name, shape, seed) => ({ name, shape, data: fixtureValues(shape.reduce((x, y) => x * y, 1), seed) });
const smallConfig = () => sequentialConfig('s', [inputLayer('in', [4]), qDense('fc1', 3, { kernel_quantizer: q6, bias_quantizer: q6 }), activation('softmax', 'softmax')]);
const smallWeights = () => ({ fc1: [w('fc1/kernel:0', [4, 3], 1), w('fc1/bias:0', [3], 2)] });
const INPUT = Float32Array.from([0.5, -0.25, 0.75, 0.125, 0.3, 0.2, -0.9, 0.05]);

async function rejectsWith(promise, pattern) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof Error, `not an Error: ${String(e)}`);
    assert.match(e.message, pattern);
    assert.doesNotMatch(e.message, /Cannot (read|destructure)|is not a function|Maximum call stack/);
    return true;
  });
}

// The good model, loaded before anything hostile, and its reference output.
let good;
let goodBytes;
let reference;
before(async () => {
  goodBytes = await writeKerasH5({ modelConfig: smallConfig(), weights: smallWeights() });
  good = await loadModel(goodBytes);
  reference = (await good.predict(INPUT)).data.slice();
});
after(() => good?.dispose());

async function assertGoodModelUnchanged(what) {
  const y = (await good.predict(INPUT)).data;
  assert.deepEqual(Array.from(y), Array.from(reference), `${what}: the good model's numbers changed`);
  const again = await loadModel(goodBytes);
  assert.deepEqual(Array.from((await again.predict(INPUT)).data), Array.from(reference), `${what}: a fresh load differs`);
  again.dispose();
}

// ---- finding 3: h5wasm traps, leaks and hangs ----------------------------------------------

test('finding 3: one flipped bit in HDF5 metadata, loaded 1,000 times: a clear Error each time, no heap growth, good models unaffected', async (t) => {
  const bad = goodBytes.slice();
  bad[2050] ^= 8; // the global heap collection holding the variable-length strings
  await rejectsWith(readModelSource(bad, { name: 'flipped.h5' }), /^flipped\.h5: .*(HDF5|heap)/);
  global.gc?.();
  const heapBefore = h5wasmStats().heapBytes;
  const rssBefore = process.memoryUsage().rss;
  const messages = new Set();
  for (let i = 0; i < 1000; i++) {
    try {
      await readModelSource(bad, { name: 'flipped.h5' });
      assert.fail('a corrupt file loaded');
    } catch (e) {
      assert.ok(e instanceof Error);
      messages.add(e.message);
    }
  }
  global.gc?.();
  const stats = h5wasmStats();
  const rssAfter = process.memoryUsage().rss;
  t.diagnostic(`h5wasm heap ${heapBefore} -> ${stats.heapBytes} bytes, RSS ${rssBefore >> 20} -> ${rssAfter >> 20} MB, ${stats.generation} fresh h5wasm instances`);
  assert.deepEqual([...messages], ['flipped.h5: cannot read HDF5 file: Bad value — bad global heap collection signature']);
  // Before the fix each load leaked ~0.3 MB of h5wasm heap (19 MB -> 100 MB after 300 loads).
  assert.ok(stats.heapBytes <= heapBefore + (16 << 20), `h5wasm heap grew from ${heapBefore} to ${stats.heapBytes}`);
  assert.ok(stats.generation >= 1, 'the leaking instance was replaced');
  await assertGoodModelUnchanged('after 1,000 corrupt loads');
});

test('finding 3: a trap inside h5wasm is isolated: the reader is restarted and later loads work', async () => {
  const before = h5wasmStats().generation;
  // Test hook: a read into an out-of-bounds pointer makes h5wasm's WASM trap for real.
  await rejectsWith(
    withHdf5File(goodBytes, 'trap.h5', (file, { Module }) => {
      Module.get_dataset_data(file.file_id, '/model_weights/fc1/fc1/kernel:0', null, null, null, BigInt(0xfffffff0));
    }),
    /^trap\.h5: the HDF5 reader \(h5wasm\) crashed on this file \(.*(out of bounds|unreachable).*\): the file is corrupt/,
  );
  await loadH5wasm();
  assert.equal(h5wasmStats().generation, before + 1, 'a fresh h5wasm instance');
  await assertGoodModelUnchanged('after an h5wasm trap');
});

test('finding 3/7: a 6 KB .h5 with an unallocated 8192x8192 chunked dataset is refused before reading', async () => {
  const bytes = await writeKerasH5({
    modelConfig: sequentialConfig('s', [inputLayer('in', [8192]), dense('big', 8192, { use_bias: false })]),
    weights: {},
  });
  // Re-open the fixture and add the kernel as a chunked, resizable dataset grown to 8192², no chunk written.
  const { h5wasm, FS } = await loadH5wasm();
  FS.writeFile('/balloon.h5', bytes);
  const f = new h5wasm.File('/balloon.h5', 'a');
  const layerGroup = f.get('model_weights/big');
  layerGroup.delete_attribute('weight_names');
  layerGroup.create_attribute('weight_names', ['big/kernel:0'], [1], 'A');
  const ds = layerGroup.create_group('big').create_dataset({ name: 'kernel:0', data: Float32Array.of(1), shape: [1, 1], dtype: '<f', maxshape: [null, null], chunks: [64, 64] });
  ds.resize([8192, 8192]);
  f.close();
  const balloon = FS.readFile('/balloon.h5');
  FS.unlink('/balloon.h5');
  assert.ok(balloon.length < 64 << 10, `fixture is small (${balloon.length} bytes)`);
  const heapBefore = h5wasmStats().heapBytes;
  await rejectsWith(
    loadModel(balloon, { name: 'balloon.h5' }),
    /dataset \/model_weights\/big\/big\/kernel:0 declares shape \[8192,8192\] \(268435456 bytes\) but the file holds only \d+ bytes/,
  );
  assert.ok(h5wasmStats().heapBytes < heapBefore + (64 << 20), 'nothing was allocated for it');
  await assertGoodModelUnchanged('after the balloon');
});

test('finding 3: the HDF5 superblock is checked before h5wasm sees the file', async () => {
  const version = goodBytes[8];
  const addresses = version >= 2 ? 12 : 24 + (version === 1 ? 4 : 0);
  const eof = goodBytes.slice();
  eof[addresses + 16 + 2] ^= 0x40; // the end-of-file address, third of the superblock's addresses
  await rejectsWith(readModelSource(eof, { name: 'eof.h5' }), /^eof\.h5: cannot open HDF5 file: file is truncated or corrupt: the superblock says it ends at byte \d+/);
  const sizes = goodBytes.slice();
  sizes[version >= 2 ? 9 : 13] = 3; // size of offsets
  await rejectsWith(readModelSource(sizes, { name: 'sizes.h5' }), /^sizes\.h5: cannot open HDF5 file: corrupt superblock: size of offsets is 3/);
  await assertGoodModelUnchanged('after superblock errors');
});

// ---- finding 2: traps inside our own WASM instance ------------------------------------------

test('finding 2: a trap in the WASM core retires the instance; models loaded before are rebuilt and predict the same', async () => {
  const victim = await loadModel(goodBytes);
  const retired = retiredInstances();
  // Test hook: point the Embind handle at an address outside the WASM memory; the next call
  // into the core traps for real (RuntimeError: memory access out of bounds).
  victim._handle.$$.ptr = 0x7ffffff0;
  await rejectsWith(victim.predict(INPUT), /^qkeras-wasm: the WASM core crashed while predicting with model 's' \(.*out of bounds.*\)\. It was replaced by a fresh instance/);
  assert.equal(retiredInstances(), retired + 1);
  // The good model was built on the retired instance: it is rebuilt transparently.
  await assertGoodModelUnchanged('after a core trap');
  // So is the victim (from its retained graph and weights), and the one-shot API works.
  assert.deepEqual(Array.from((await victim.predict(INPUT)).data), Array.from(reference));
  assert.ok(good.analyze().length > 0);
  assert.equal((await quantize('quantized_bits(4,0,1,alpha=1)', [0.3], [1]))[0], 0.25);
  victim.dispose();
});

test('finding 2: the issue\'s trapping calls give an Error and leave nothing poisoned', async () => {
  const upConfig = sequentialConfig('u', [
    inputLayer('in', [1, 1, 1]),
    { class_name: 'UpSampling2D', config: { name: 'up', size: [65536, 65536], data_format: 'channels_last', interpolation: 'nearest' } },
  ]);
  const { json, weightsBytes } = await writeKerasJsonAndWeights({ modelConfig: upConfig, weights: {} });
  for (const call of [
    () => quantizerRange('quantized_bits(32,0,0)'),
    async () => (await loadModel({ config: json, weights: weightsBytes })).predict(Float32Array.of(1), [1, 1, 1, 1]),
  ]) {
    try {
      await call();
    } catch (e) {
      assert.ok(e instanceof Error && e.message.length > 10, String(e));
    }
    await assertGoodModelUnchanged('after a trapping call');
  }
});

// ---- finding 5: layer names that are JS built-ins ---------------------------------------------

const BUILTIN_NAMES = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'];

for (const name of BUILTIN_NAMES) {
  test(`finding 5: a layer named '${name}' loads, converts to .qkwm and back, predicts and traces`, async () => {
    const inputName = name === 'constructor' ? 'toString' : 'constructor';
    const config = functionalConfig(
      'builtin',
      [
        { layer: inputLayer(inputName, [4]) },
        { layer: qDense(name, 3, { kernel_quantizer: q6, bias_quantizer: q6 }), inbound: [inputName] },
        { layer: activation(`${name}_act`, 'softmax'), inbound: [name] },
      ],
      [inputName],
      [`${name}_act`],
    );
    const weights = Object.create(null);
    weights[name] = [w(`${name}/kernel:0`, [4, 3], 1), w(`${name}/bias:0`, [3], 2)];
    const bytes = await writeKerasH5({ modelConfig: config, weights });
    const m = await loadModel(bytes);
    const y = (await m.predict(INPUT)).data;
    assert.deepEqual(Array.from(y), Array.from(reference), 'same weights as the good model, same numbers');
    // Input keyed by name (an own property check, not a prototype lookup).
    assert.deepEqual(Array.from((await m.predict({ [inputName]: INPUT })).data), Array.from(reference));
    const trace = await m.trace(INPUT.subarray(0, 4));
    assert.deepEqual(trace.map((t) => t.name), [inputName, name, `${name}_act`]);
    assert.match(m.summary(), new RegExp(`${name.replace(/[_$]/g, '\\$&')} \\(QDense\\)`));
    const qkwm = await convert(bytes);
    const m2 = await loadModel(qkwm);
    assert.deepEqual(Array.from((await m2.predict(INPUT)).data), Array.from(reference), '.qkwm predicts the same');
    m.dispose();
    m2.dispose();
  });
}

// ---- finding 6: wrong input is accepted ---------------------------------------------------

test('finding 6: a flipped byte in a .keras entry is a CRC error naming the entry', async () => {
  const keras = await writeKerasV3({ modelConfig: smallConfig(), weights: smallWeights() });
  // zipSync stores small entries deflated; find model.weights.h5's data and flip a byte inside it.
  const name = strToU8('model.weights.h5');
  let at = -1;
  for (let i = 0; i + 30 < keras.length; i++) {
    if (keras[i] === 0x50 && keras[i + 1] === 0x4b && keras[i + 2] === 3 && keras[i + 3] === 4 && keras[i + 30] === name[0] && keras[i + 31] === name[1] && keras[i + 30 + 6] === name[6]) {
      at = i;
      break;
    }
  }
  assert.ok(at >= 0);
  const dataStart = at + 30 + keras[at + 26] + (keras[at + 27] << 8) + keras[at + 28] + (keras[at + 29] << 8);
  const method = keras[at + 8];
  const flipped = keras.slice();
  flipped[dataStart + (method === 0 ? 3000 : 10)] ^= 0x10;
  await rejectsWith(readModelSource(flipped, { name: 'm.keras' }), /^m\.keras\/model\.weights\.h5: (CRC-32 mismatch|cannot unzip)/);
  // Stored (uncompressed) entries: only the CRC can tell.
  const stored = zipSync(await readZipEntries(keras), { level: 0 });
  const at2 = stored.length >> 1;
  const flippedStored = stored.slice();
  flippedStored[at2] ^= 0x01;
  await rejectsWith(readModelSource(flippedStored, { name: 's.keras' }), /^s\.keras\/model\.weights\.h5: CRC-32 mismatch \(stored [0-9a-f]+, computed [0-9a-f]+\): the archive is corrupt/);
  assert.equal((await readModelSource(stored, { name: 's.keras' })).graph.layers.length, 3);
  await assertGoodModelUnchanged('after a CRC error');
});

test('finding 6/7: .keras inflation is bounded by the declared size and the limits', async () => {
  const config = strToU8(JSON.stringify(smallConfig()));
  const weightsBytes = (await readZipEntries(await writeKerasV3({ modelConfig: smallConfig(), weights: smallWeights() })))['model.weights.h5'];
  // A 4 MB config.json of spaces compresses to a few KB.
  const padded = new Uint8Array(config.length + (4 << 20)).fill(0x20);
  padded.set(config);
  const archive = zipSync({ 'config.json': padded, 'model.weights.h5': weightsBytes }, { level: 9 });
  assert.ok(archive.length < 64 << 10);
  await rejectsWith(
    readModelSource(archive, { name: 'bomb.keras', limits: { maxJsonBytes: 1 << 20 } }),
    /^bomb\.keras\/config\.json: declares \d+ bytes uncompressed, over the limit of 1048576 \(limit maxJsonBytes; raise it with options\.limits\.maxJsonBytes\)/,
  );
  await rejectsWith(
    readModelSource(archive, { name: 'bomb.keras', limits: { maxDecompressedBytes: 1 << 20 } }),
    /^bomb\.keras: entries declare \d+ bytes uncompressed, over the limit of 1048576 \(limit maxDecompressedBytes/,
  );
  // The central directory lies: it declares 1,000 bytes; inflation stops right past them.
  const lying = archive.slice();
  const view = new DataView(lying.buffer);
  for (let i = lying.length - 22; i >= 0; i--) {
    if (view.getUint32(i, true) === 0x02014b50 && new TextDecoder().decode(lying.subarray(i + 46, i + 46 + 11)) === 'config.json') {
      view.setUint32(i + 24, 1000, true);
      break;
    }
  }
  await rejectsWith(readModelSource(lying, { name: 'lying.keras' }), /^lying\.keras\/config\.json: cannot unzip: inflates past its declared size of 1000 bytes/);
  // Within the limits the same archive loads (spaces are valid JSON whitespace).
  const ok = await readModelSource(archive, { name: 'ok.keras' });
  assert.equal(ok.graph.layers.length, 3);
});

async function readZipEntries(bytes) {
  const { unzipSync } = await import('fflate');
  return unzipSync(bytes);
}

test('finding 7: a .qkwm header that inflates past the limit is refused while inflating', async () => {
  const text = strToU8(`{"format":"qkeras-wasm/converted","pad":"${' '.repeat(8 << 20)}"}`);
  const header = zlibSync(text, { level: 9 });
  const dataStart = Math.ceil((16 + header.length) / 16) * 16;
  const file = new Uint8Array(dataStart + 4);
  const view = new DataView(file.buffer);
  file.set(strToU8('QKWM'));
  view.setUint16(4, 1, true);
  view.setUint32(8, header.length, true);
  view.setUint32(12, 1, true);
  file.set(header, 16);
  view.setUint32(file.length - 4, crc32(file.subarray(0, file.length - 4)), true);
  await rejectsWith(loadModel(file, { limits: { maxJsonBytes: 1 << 20 } }), /^model: header: cannot read the header \(inflates to more than 1048576 bytes/);
  await rejectsWith(loadModel(file), /^model: header: missing graph or tensors/);
});

test('finding 6: weights the config does not use, a bias without use_bias and duplicate weights are errors unless ignoreExtraWeights', async () => {
  const noBias = sequentialConfig('s', [inputLayer('in', [4]), qDense('fc1', 3, { kernel_quantizer: q6, use_bias: false })]);
  const withBias = await writeKerasH5({ modelConfig: noBias, weights: smallWeights() });
  await rejectsWith(loadModel(withBias, { name: 'extra.h5' }), /layer fc1: weight fc1\/bias:0 is a bias but the config has use_bias: false.*ignoreExtraWeights/);
  const lenient = await loadModel(withBias, { ignoreExtraWeights: true });
  lenient.dispose();
  const dup = await writeKerasH5({
    modelConfig: smallConfig(),
    weights: { fc1: [w('fc1/kernel:0', [4, 3], 1), w('fc1/bias:0', [3], 2), w('fc1/extra/bias:0', [3], 9)] },
  });
  await rejectsWith(loadModel(dup), /layer fc1: duplicate weight fc1\/extra\/bias:0 \(role bias appears twice\)/);
  // Weights a layer's config does not use at all: an unknown variable, weights on an Activation.
  const unknownRole = await writeKerasH5({
    modelConfig: smallConfig(),
    weights: { ...smallWeights(), softmax: [w('softmax/kernel:0', [3, 3], 5)] },
  });
  await rejectsWith(loadModel(unknownRole), /layer 'softmax' \(Activation\): the file has weight\(s\) this layer's config does not use: 'kernel' \(3, 3\) \(pass \{ ignoreExtraWeights: true \}/);
  const extra = await writeKerasH5({ modelConfig: smallConfig(), weights: { fc1: [...smallWeights().fc1, w('fc1/scale:0', [3], 6)] } });
  await rejectsWith(loadModel(extra), /layer 'fc1' \(QDense\): the file has weight\(s\) this layer's config does not use: 'scale'/);
  for (const bytes of [unknownRole, extra]) {
    const m = await loadModel(bytes, { ignoreExtraWeights: true });
    assert.deepEqual(Array.from((await m.predict(INPUT)).data), Array.from(reference), 'extra weights ignored on request');
    m.dispose();
  }
  await assertGoodModelUnchanged('after extra weights');
});

test('finding 6: internal flags (qkw_effective_weights) cannot come in through a user file', async () => {
  const config = smallConfig();
  config.config.layers[1].config.qkw_effective_weights = true;
  const bytes = await writeKerasH5({ modelConfig: config, weights: smallWeights() });
  await rejectsWith(loadModel(bytes, { name: 'flag.h5' }), /^flag\.h5: layer fc1: config key "qkw_effective_weights" is internal to qkeras-wasm/);
  // The converter's own files still carry it.
  const qkwm = await convert(goodBytes);
  const m = await loadModel(qkwm);
  assert.deepEqual(Array.from((await m.predict(INPUT)).data), Array.from(reference));
  m.dispose();
});

test('finding 6/8: options are checked: qnoiseFactor NaN, non-objects, null', async () => {
  for (const [options, pattern] of [
    [{ qnoiseFactor: NaN }, /options\.qnoiseFactor must be a finite number from 0 to 1, got NaN/],
    [{ qnoiseFactor: Infinity }, /got Infinity/],
    [{ qnoiseFactor: 2 }, /got 2/],
    [{ qnoiseFactor: '0.5' }, /got 0\.5/],
    [{ internalSigmoid: 'fast' }, /options\.internalSigmoid must be 'hard', 'smooth' or 'real'/],
    [{ onProgress: 1 }, /options\.onProgress must be a function/],
    [{ limits: { maxJsonBytes: -1 } }, /options\.limits\.maxJsonBytes must be a positive integer/],
    [5, /options must be an object \(or null\), got number/],
    ['x', /got string/],
  ]) {
    await rejectsWith(loadModel(goodBytes, options), pattern);
  }
  await rejectsWith(quantize('quantized_bits(4,0,1)', [0.3], [1], { qnoiseFactor: NaN }), /qnoiseFactor must be a finite number/);
  for (const options of [null, undefined]) {
    const m = await loadModel(goodBytes, options);
    assert.deepEqual(Array.from((await m.predict(INPUT)).data), Array.from(reference));
    m.dispose();
  }
  (await loadModel(goodBytes, { qnoiseFactor: 1 })).dispose();
});

// ---- finding 7/8: sizes, ordering, nesting --------------------------------------------------

test('finding 8: deep nesting is an Error naming the limit, not a stack overflow', async () => {
  let deep = 0;
  for (let i = 0; i < 200000; i++) deep = [deep];
  const config = smallConfig();
  config.config.layers[1].config.kernel_constraint = deep;
  await rejectsWith(
    readModelSource({ config, weights: (await writeKerasJsonAndWeights({ modelConfig: smallConfig(), weights: smallWeights() })).weightsBytes }),
    /config\.json: JSON nested deeper than 128 levels \(limit maxNestingDepth/,
  );
  const text = `{"class_name":"Sequential","config":{"layers":${'['.repeat(100000)}${']'.repeat(100000)}}}`;
  const { weightsBytes } = await writeKerasJsonAndWeights({ modelConfig: smallConfig(), weights: smallWeights() });
  await rejectsWith(loadModel({ config: text, weights: weightsBytes }), /JSON nested deeper than 128 levels/);
  // The same inside a full-model .h5 (model_config attribute rewritten in place).
  const { h5wasm, FS } = await loadH5wasm();
  FS.writeFile('/deep.h5', goodBytes);
  const f = new h5wasm.File('/deep.h5', 'a');
  f.delete_attribute('model_config');
  const deepConfig = JSON.stringify(smallConfig()).replace('"kernel_constraint":', `"kernel_constraint":${'['.repeat(100000)}${']'.repeat(100000)},"x":`);
  f.create_attribute('model_config', deepConfig, [], 'A');
  f.close();
  const deepH5 = FS.readFile('/deep.h5');
  FS.unlink('/deep.h5');
  await rejectsWith(loadModel(deepH5, { name: 'deep.h5' }), /^deep\.h5: JSON nested deeper than 128 levels/);
  await assertGoodModelUnchanged('after deep nesting');
});

test('finding 7: 20,000 layers listed in reverse order build about as fast as in order (ratio, same process)', async (t) => {
  const n = 20000;
  const nodes = [{ layer: inputLayer('in', [4]) }];
  for (let i = 0; i < n; i++) nodes.push({ layer: activation(`a${i}`, 'linear'), inbound: [i === 0 ? 'in' : `a${i - 1}`] });
  const inOrder = functionalConfig('chain', nodes, ['in'], [`a${n - 1}`]);
  const reversed = { ...inOrder, config: { ...inOrder.config, layers: [...inOrder.config.layers].reverse() } };
  const { buildModel, readModel } = await import('../../web/model.js');
  const timeBuild = async (config) => {
    const { weightsBytes } = await writeKerasJsonAndWeights({ modelConfig: inOrder, weights: {} });
    const { graph, weights } = await readModel({ config, weights: weightsBytes });
    const t = performance.now();
    const handle = await buildModel(graph, weights);
    const ms = performance.now() - t;
    const y = handle.predict([INPUT.subarray(0, 4)], [[1, 4]]);
    handle.delete();
    assert.deepEqual(Array.from(y[0].data), Array.from(INPUT.subarray(0, 4)));
    return ms;
  };
  const a = await timeBuild(inOrder);
  const b = await timeBuild(reversed);
  t.diagnostic(`build: in order ${a.toFixed(0)} ms, reversed ${b.toFixed(0)} ms`);
  assert.ok(b < 5 * a + 200, `reversed ${b.toFixed(0)} ms vs in order ${a.toFixed(0)} ms (was ~40x)`);
});
