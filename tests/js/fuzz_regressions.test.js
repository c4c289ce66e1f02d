// Every crash the fuzzers found (tests/fuzz/regressions/<target>/) stays fixed. The .qkwm
// inputs are replayed here through the decoder and the model build; the libFuzzer inputs are
// replayed by scripts/fuzz.sh (they are part of every fuzz run's corpus).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { decodeQkwm } from '../../web/format/qkwm.js';
import { buildModel } from '../../web/model.js';

const dir = fileURLToPath(new URL('../fuzz/regressions/qkwm/', import.meta.url));

for (const name of readdirSync(dir)) {
  test(`qkwm fuzz regression ${name}: a clear Error naming the file part, or a clean build`, async () => {
    const bytes = new Uint8Array(readFileSync(`${dir}${name}`));
    let decoded = null;
    try {
      decoded = decodeQkwm(bytes, name);
    } catch (error) {
      assert.equal(error.constructor, Error, `${error.name}: ${error.message}`);
      assert.ok(error.message.startsWith(`${name}: `), error.message);
    }
    if (decoded) {
      const handle = await buildModel(decoded.graph, decoded.weights).catch((error) => {
        assert.equal(error.constructor, Error, `${error.name}: ${error.message}`);
        return null;
      });
      handle?.delete();
    }
  });
}

// Found by fuzz_qkwm on 2026-12-07 (from a shared model's seed, so the input itself is not kept
// here): a model output reference [layer, 0, 2^32] wrapped to 0 in WASM's 32-bit size_t, passed
// the "output #k exists" check and read far out of bounds. Now a clear Error, as for k = 5.
test('qkwm fuzz regression: a model output reference to tensor #2^32 is a clear Error, and the core keeps working', async () => {
  const { functionalConfig, inputLayer, activation, writeKerasJsonAndWeights } = await import('../fixtures/keras_writer.js');
  const { readModel } = await import('../../web/model.js');
  const modelConfig = functionalConfig('m', [{ layer: inputLayer('in', [4]) }, { layer: activation('a', 'relu'), inbound: ['in'] }], ['in'], ['a']);
  const { weightsBytes } = await writeKerasJsonAndWeights({ modelConfig, weights: {} });
  const { graph, weights } = await readModel({ config: modelConfig, weights: weightsBytes });
  for (const k of [5, 2 ** 32, 2 ** 32 + 1, 2 ** 40]) {
    const bad = { ...graph, outputs: [[graph.outputs[0][0], 0, k]] };
    await assert.rejects(buildModel(bad, weights), (error) => {
      assert.equal(error.constructor, Error, `${error.name}: ${error.message}`);
      assert.match(error.message, new RegExp(`model outputs reading output #${k} of 'a'`));
      return true;
    }, `output #${k}`);
  }
  const handle = await buildModel(graph, weights);
  const [y] = handle.predict([new Float32Array([-1, 2, -3, 4])], [[1, 4]]);
  assert.deepEqual(Array.from(y.data), [0, 2, 0, 4]);
  handle.delete();
});
