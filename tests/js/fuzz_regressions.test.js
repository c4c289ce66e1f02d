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
