// Writes the fuzzers' seed corpora from the real models (../shared/models, never copied into
// the repository) and the test fixtures, into build/fuzz-corpus/<target>/:
//   model_builder:  normalized graph JSON + "\n#QKWW#\n" + weight records (tests/fuzz/fuzz_model_builder.cpp)
//   quantizer_spec: one options byte + every quantizer spec found in the configs
//   qkwm:           every model converted to .qkwm
// Usage: node scripts/fuzz-seeds.mjs [outDir]
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { convert } from '../web/index.js';
import { readModel } from '../web/model.js';
import { writeCifarScenarioH5 } from '../tests/fixtures/cifar_scenario.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = process.argv[2] ?? join(root, 'build/fuzz-corpus');
const modelsDir = join(root, '../shared/models');
const ROLES = ['kernel', 'bias', 'gamma', 'beta', 'moving_mean', 'moving_variance', 'depthwise_kernel', 'pointwise_kernel', 'alpha', 'iteration', 'recurrent_kernel'];

function save(target, bytes) {
  const dir = join(out, target);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, createHash('sha1').update(bytes).digest('hex')), bytes);
}

function builderSeed(graph, weights) {
  const layerIndex = new Map(graph.layers.map((l, i) => [l.name, i]));
  const parts = [Buffer.from(JSON.stringify(graph)), Buffer.from('\n#QKWW#\n')];
  for (const [layer, list] of Object.entries(weights)) {
    const li = layerIndex.get(layer);
    if (li === undefined || li > 255) continue;
    for (const w of list) {
      if (w.shape.length > 6 || w.shape.some((d) => d > 65535)) continue;
      const role = ROLES.indexOf(w.role);
      const head = role >= 0 ? [li, role] : [li, 255, (w.index ?? 0) & 255];
      const values = Array.from(w.data.subarray(0, 16));
      const b = Buffer.alloc(head.length + 1 + 2 * w.shape.length + 1 + 4 * values.length);
      let o = 0;
      for (const h of head) b[o++] = h;
      b[o++] = w.shape.length;
      for (const d of w.shape) o = b.writeUInt16LE(d, o);
      b[o++] = values.length;
      for (const v of values) o = b.writeFloatLE(v, o);
      parts.push(b);
    }
  }
  return Buffer.concat(parts);
}

function quantizerSpecs(value, found) {
  if (Array.isArray(value)) value.forEach((v) => quantizerSpecs(v, found));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if ((k.endsWith('_quantizer') || k === 'activation' || k === 'quantizer') && v !== null) found.add(typeof v === 'string' ? v : JSON.stringify(v));
      quantizerSpecs(v, found);
    }
  }
}

function modelFiles(dir) {
  if (!existsSync(dir)) return [];
  const files = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) files.push(...modelFiles(p));
    else if (/\.(h5|keras)$/.test(name) && !name.endsWith('_weights.h5')) files.push(p);
    else if (name.endsWith('.json') && existsSync(p.replace(/\.json$/, '_weights.h5'))) {
      files.push({ config: readFileSync(p, 'utf8'), weights: p.replace(/\.json$/, '_weights.h5') });
    }
  }
  return files;
}

const sources = [...modelFiles(modelsDir), await writeCifarScenarioH5()];
if (!existsSync(modelsDir)) console.log(`fuzz-seeds: ${modelsDir} not found; seeding from the fixtures only`);
const specs = new Set();
let models = 0;
for (const source of sources) {
  try {
    const { graph, weights } = await readModel(source);
    save('model_builder', builderSeed(graph, weights));
    quantizerSpecs(graph, specs);
    save('qkwm', Buffer.from(await convert(source)));
    models += 1;
  } catch (error) {
    console.log(`fuzz-seeds: skipped ${typeof source === 'string' ? source : 'a model'}: ${error.message.slice(0, 120)}`);
  }
}
for (const s of specs) save('quantizer_spec', Buffer.concat([Buffer.from([0]), Buffer.from(s)]));
console.log(`fuzz-seeds: ${models} models, ${specs.size} quantizer specs -> ${out}`);
