// Fuzzes the converted-format decoder (web/format/qkwm.js) and the model build behind it.
//
// Jazzer.js was the plan, but no installable version runs here: 4.0.0's prebuilt addon needs
// glibc 2.38 (Debian 12 has 2.36) and older versions compile their addon at install time,
// which fails offline. So this is a structure-aware mutation fuzzer without coverage feedback:
// it mutates real .qkwm files both as raw bytes and through their header (inflate, mutate one
// JSON value, deflate, re-frame), and recomputes the CRC-32 most of the time so mutations get
// past the checksum into the tensor table, the unpacking and the WASM model builder.
//
// Oracle: decodeQkwm returns or throws an Error whose message starts with the file name and
// names the part; buildModel returns or throws an Error (never a TypeError/RangeError from
// JS internals, a WebAssembly trap or an abort); each input finishes within 10 s; and a good
// model built first still predicts the same numbers at the end.
//
// Usage: node tests/fuzz/fuzz_qkwm.mjs <seconds> <artifactDir> <corpusDir>...
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzlibSync, zlibSync } from 'fflate';

import { decodeQkwm } from '../../web/format/qkwm.js';
import { crc32 } from '../../web/format/crc32.js';
import { buildModel } from '../../web/model.js';

const [secondsArg = '10', artifactDir = 'build/fuzz-artifacts/qkwm', ...corpusDirs] = process.argv.slice(2);
const deadline = Date.now() + Number(secondsArg) * 1000;
const NAME = 'fuzz.qkwm';

const seeds = [];
for (const dir of corpusDirs) {
  let names = [];
  try {
    names = readdirSync(dir);
  } catch {
    continue;
  }
  for (const n of names) seeds.push(new Uint8Array(readFileSync(join(dir, n))));
}
if (seeds.length === 0) {
  console.error('fuzz_qkwm: no seeds (run scripts/fuzz-seeds.mjs)');
  process.exit(1);
}

let state = 0x9e3779b9 ^ Number(process.env.FUZZ_SEED ?? Date.now() & 0xffffffff);
const rand = () => {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) / 4294967296;
};
const pick = (a) => a[Math.floor(rand() * a.length)];

const ODD = [-1, 0, 1, 3, 15, 16, 17, 255, 65535, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 32 + 1, 2 ** 40, 2 ** 53, 1e308, -0, 0.5, NaN, Infinity, null, true, '', 'x', 'f32', 'int', '__proto__', 'constructor', [], [0], [2 ** 31, 2 ** 31], {}];

function fixCrc(bytes) {
  if (bytes.length < 4) return bytes;
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)), true);
  return bytes;
}

function mutateJson(value, depth = 0) {
  if (Array.isArray(value) && value.length && rand() < 0.85) {
    const i = Math.floor(rand() * value.length);
    const r = rand();
    if (r < 0.1) value.splice(i, 1);
    else if (r < 0.2) value.push(structuredClone(value[i]));
    else value[i] = mutateJson(value[i], depth + 1);
    return value;
  }
  if (value && typeof value === 'object' && !Array.isArray(value) && rand() < 0.85) {
    const keys = Object.keys(value);
    if (keys.length) {
      const k = pick(keys);
      const r = rand();
      if (r < 0.1) delete value[k];
      else value[k] = mutateJson(value[k], depth + 1);
      return value;
    }
  }
  if (typeof value === 'number' && rand() < 0.5) return pick([value + 1, value - 1, value * 2, value * 65536, -value]);
  return structuredClone(pick(ODD));
}

function mutateHeader(seed) {
  const view = new DataView(seed.buffer, seed.byteOffset, seed.byteLength);
  const headerLength = view.getUint32(8, true);
  const flags = view.getUint32(12, true);
  let text = seed.subarray(16, 16 + headerLength);
  if (flags & 1) text = unzlibSync(text);
  const header = JSON.parse(new TextDecoder().decode(text));
  const target = rand() < 0.7 && header.tensors?.length ? header.tensors : header;
  mutateJson(target);
  let encoded = new TextEncoder().encode(JSON.stringify(header));
  if (flags & 1) encoded = zlibSync(encoded);
  // Keep the data section where it was (offsets count from its start).
  const oldStart = Math.ceil((16 + headerLength) / 16) * 16;
  const newStart = Math.ceil((16 + encoded.length) / 16) * 16;
  const out = new Uint8Array(newStart + (seed.length - oldStart));
  out.set(seed.subarray(0, 16));
  new DataView(out.buffer).setUint32(8, encoded.length, true);
  out.set(encoded, 16);
  out.set(seed.subarray(oldStart), newStart);
  return fixCrc(out);
}

function mutateBytes(seed) {
  let out = seed.slice();
  const n = 1 + Math.floor(rand() * 8);
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (r < 0.5 && out.length) out[Math.floor(rand() * out.length)] ^= 1 << Math.floor(rand() * 8);
    else if (r < 0.7 && out.length > 16) {
      // A header field: length, flags, version.
      const view = new DataView(out.buffer);
      view.setUint32(pick([4, 8, 12]), pick([0, 1, 2, 0xffffffff, 0x7fffffff, out.length, Math.floor(rand() * 2 ** 32)]), true);
    } else if (r < 0.85) out = out.slice(0, Math.floor(rand() * out.length));
    else out = new Uint8Array([...out, ...new Uint8Array(Math.floor(rand() * 64))]);
  }
  return rand() < 0.8 ? fixCrc(out) : out;
}

function fail(kind, input, error) {
  mkdirSync(artifactDir, { recursive: true });
  const file = join(artifactDir, `crash-${Date.now()}.qkwm`);
  writeFileSync(file, input);
  console.log(`fuzz_qkwm: ${kind}: ${error?.stack ?? error}\n  input saved to ${file}`);
  console.log(`runs: ${runs}`);
  process.exit(1);
}

// A good model first: it must keep its numbers whatever the fuzzer feeds the same instance.
const good = decodeQkwm(seeds[0], NAME);
const goodHandle = await buildModel(good.graph, good.weights);
const goodInfo = JSON.parse(goodHandle.info());
const goodInputs = goodInfo.inputs.map((t) => new Float32Array(t.shape.reduce((a, b) => a * b, 1)).map((_, i) => ((i % 13) - 6) * 0.21));
const goodShapes = goodInfo.inputs.map((t) => [1, ...t.shape]);
const goodOut = goodHandle.predict(goodInputs, goodShapes).map((o) => Array.from(o.data));

let runs = 0;
let decoded = 0;
let built = 0;
while (Date.now() < deadline) {
  const seed = pick(seeds);
  let input;
  try {
    input = rand() < 0.6 ? mutateHeader(seed) : mutateBytes(seed);
  } catch {
    continue; // the seed's own header did not parse after a previous byte mutation: skip
  }
  runs += 1;
  const started = Date.now();
  let result = null;
  try {
    result = decodeQkwm(input, NAME);
    decoded += 1;
  } catch (error) {
    if (!(error instanceof Error) || error.constructor !== Error || !error.message.startsWith(`${NAME}: `)) fail('decoder threw an unclear error', input, error);
  }
  if (result) {
    let handle = null;
    try {
      handle = await buildModel(result.graph, result.weights);
      built += 1;
    } catch (error) {
      if (!(error instanceof Error) || /RuntimeError|unreachable|Aborted|out of bounds|table index/.test(`${error.name} ${error.message}`)) fail('model build trapped', input, error);
      if (error instanceof TypeError || error instanceof RangeError) fail('model build threw a JS internal error', input, error);
    } finally {
      handle?.delete();
    }
  }
  if (Date.now() - started > 10000) fail('hang (over 10 s for one input)', input, null);
}
const after = goodHandle.predict(goodInputs, goodShapes).map((o) => Array.from(o.data));
if (JSON.stringify(after) !== JSON.stringify(goodOut)) fail('the good model changed its numbers', seeds[0], null);
goodHandle.delete();
console.log(`fuzz_qkwm: ${runs} inputs, ${decoded} decoded, ${built} built; no crash`);
console.log(`runs: ${runs}`);
