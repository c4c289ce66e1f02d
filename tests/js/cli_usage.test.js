// The command line as a package user runs it (issue 12): --version, the same input readers for
// every command (predict reads a PNG like trace), and a 0-based --sample said as such.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { qkw } from './helpers/cli.js';
import { zlibSync } from 'fflate';

import { writeCifarScenarioH5, cifarScenarioInput } from '../fixtures/cifar_scenario.js';
import { writeNpy, readNpy } from '../../web/io/npy.js';

const dir = mkdtempSync(join(tmpdir(), 'qkw-cli-usage-'));


const model = join(dir, 'cifar.h5');
const input = join(dir, 'input.npy');
writeFileSync(model, await writeCifarScenarioH5());
writeFileSync(input, writeNpy(cifarScenarioInput(2), [2, 32, 32, 3]));

/** An 8×8 RGB PNG (filter 0, one IDAT). */
function png() {
  const w = 8;
  const raw = new Uint8Array(w * (1 + w * 3));
  for (let y = 0; y < w; y++) for (let x = 0; x < w * 3; x++) raw[y * (1 + w * 3) + 1 + x] = (x * 16 + y * 8) & 0xff;
  const chunk = (type, body) => {
    const out = new Uint8Array(12 + body.length);
    new DataView(out.buffer).setUint32(0, body.length);
    out.set(new TextEncoder().encode(type), 4);
    out.set(body, 8);
    return out;
  };
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, w);
  new DataView(ihdr.buffer).setUint32(4, w);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', zlibSync(raw)), chunk('IEND', new Uint8Array())]);
}

test('--version prints the package version', async () => {
  const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  for (const flag of ['--version', '-v']) {
    const r = await qkw(flag);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), version);
  }
});

test('predict reads a PNG as trace does, with the same numbers', async () => {
  const image = join(dir, 'image.png');
  writeFileSync(image, png());
  const out = join(dir, 'y.npy');
  const r = await qkw('predict', model, '--input', image, '--scale', '256', '--output', out);
  assert.equal(r.code, 0, r.stderr);
  const y = readNpy(readFileSync(out));
  assert.deepEqual(y.shape, [1, 10]);
  const json = join(dir, 'trace.json');
  const t = await qkw('trace', model, '--input', image, '--scale', '256', '--json', json);
  assert.equal(t.code, 0, t.stderr);
  const last = JSON.parse(readFileSync(json, 'utf8')).layers.at(-1);
  assert.deepEqual(Array.from(y.data), last.data);
});

test('--sample is a 0-based index, said as such, the same for predict and trace', async () => {
  const second = await qkw('trace', model, '--input', input, '--sample', '1');
  assert.equal(second.code, 0, second.stderr);
  assert.doesNotMatch(second.stdout, /sample 1 of 2/);
  assert.match(second.stdout, /input: input\.npy\[1\] \(0-based index; the file has 2 samples\)/);
  const out = join(dir, 'second.npy');
  const p = await qkw('predict', model, '--input', input, '--sample', '1', '--output', out);
  assert.equal(p.code, 0, p.stderr);
  const both = join(dir, 'both.npy');
  await qkw('predict', model, '--input', input, '--output', both);
  assert.deepEqual(Array.from(readNpy(readFileSync(out)).data), Array.from(readNpy(readFileSync(both)).data.subarray(10, 20)), 'sample 1 is the second row');
  for (const bad of ['2', '1.5']) {
    const r = await qkw('predict', model, '--input', input, '--sample', bad);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--sample is a 0-based index: 0 to 1 for the 2 samples of input\.npy/, bad);
  }
});
