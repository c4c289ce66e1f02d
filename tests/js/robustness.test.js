// Malformed model configs and weights must raise a JS Error (never abort the WASM instance),
// and the module must keep working afterwards. Mutations are deterministic (seeded).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { quantize } from '../../web/index.js';
import { buildModel, readModel } from '../../web/model.js';
import { writeCifarScenarioH5 } from '../fixtures/cifar_scenario.js';

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

const ODD_VALUES = [null, -1, 0, 1e9, 2.5, 'x', 'quantized_bits(', '', true, [], [0], [-3, 0], {}, { class_name: 'nope' }, NaN];

function mutate(graph, weights, r) {
  const g = structuredClone(graph);
  const w = new Map([...weights].map(([k, v]) => [k, v.map((t) => ({ ...t }))]));
  const layer = g.layers[1 + Math.floor(r() * (g.layers.length - 1))];
  const what = r();
  if (what < 0.6) {
    const keys = Object.keys(layer.config);
    const key = keys[Math.floor(r() * keys.length)];
    if (r() < 0.25) delete layer.config[key];
    else layer.config[key] = ODD_VALUES[Math.floor(r() * ODD_VALUES.length)];
    return { g, w, note: `${layer.name}.${key}` };
  }
  if (what < 0.8 && w.get(layer.name)?.length) {
    const t = w.get(layer.name)[Math.floor(r() * w.get(layer.name).length)];
    if (r() < 0.5) t.shape = [...t.shape, 2];
    else t.data = t.data.subarray(0, Math.max(0, t.data.length - 1));
    t.shape = r() < 0.5 ? t.shape : t.shape.slice(1);
    return { g, w, note: `${layer.name} weight ${t.role}` };
  }
  if (what < 0.9) {
    layer.inbound = r() < 0.5 ? [['no_such_layer', 0, 0]] : [[layer.name, 0, 0]];
    return { g, w, note: `${layer.name} inbound` };
  }
  layer.className = ODD_VALUES[Math.floor(r() * ODD_VALUES.length)];
  return { g, w, note: `${layer.name} className` };
}

test('300 malformed variants of a real model: Errors, never aborts', async () => {
  const { graph, weights } = await readModel(await writeCifarScenarioH5());
  const r = rng(1234);
  let rejected = 0;
  let built = 0;
  for (let i = 0; i < 300; i++) {
    const { g, w, note } = mutate(graph, weights, r);
    let handle = null;
    try {
      handle = await buildModel(g, w);
      built += 1;
      const x = new Float32Array(32 * 32 * 3).fill(0.5);
      try {
        handle.predict([x], [[1, 32, 32, 3]]);
      } catch (error) {
        assert.ok(error instanceof Error && error.message.length > 0, `${note}: predict threw a non-Error`);
      }
    } catch (error) {
      rejected += 1;
      assert.ok(error instanceof Error, `${note}: threw ${String(error)}`);
      assert.doesNotMatch(error.message, /Aborted|unreachable|RuntimeError/, `${note}: ${error.message}`);
      assert.ok(error.message.length > 10, `${note}: message too short: ${error.message}`);
    } finally {
      handle?.delete();
    }
  }
  assert.ok(rejected > 100, `most mutations are rejected (${rejected} rejected, ${built} built)`);
  const y = await quantize('quantized_bits(4,0,1,alpha=1)', [0.3], [1]);
  assert.equal(y[0], 0.25, 'the module still works');
});
