// Size budget of what the npm package ships for the core: the release .wasm plus its JS glue,
// gzipped (level 9, as a server or bundler would send them). A plain byte count, not a timing:
// it fails when a change makes the module grow past the budget. Lower BUDGET when the module
// shrinks; raise it only with a reason in the commit message (issue 11 targets 150 KB).
// Where the bytes go: `wasm-objdump -h web/wasm/qkeras_wasm.wasm` and README "Footprint".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const dir = new URL('../../web/wasm/', import.meta.url);
const BUDGET = 273_700; // bytes, .wasm + .mjs gzipped; measured 272,194 (258,012 + 14,182)

function gzipped(name) {
  const bytes = readFileSync(fileURLToPath(new URL(name, dir)));
  return { raw: bytes.length, gz: gzipSync(bytes, { level: 9 }).length };
}

test(`shipped .wasm + JS glue stay within ${BUDGET} bytes gzipped`, () => {
  const wasm = gzipped('qkeras_wasm.wasm');
  const glue = gzipped('qkeras_wasm.mjs');
  const total = wasm.gz + glue.gz;
  assert.ok(total <= BUDGET,
    `.wasm ${wasm.gz} B gz (${wasm.raw} raw) + glue ${glue.gz} B gz (${glue.raw} raw) = ${total} B > budget ${BUDGET} B`);
});

test('no iostream/locale machinery in the module (it costs ~80 KB raw)', () => {
  // Without a name section, libc++'s locale code shows through the imports it needs from JS.
  const text = readFileSync(fileURLToPath(new URL('qkeras_wasm.mjs', dir)), 'latin1');
  for (const name of ['_strftime_l', '_environ_get', '_environ_sizes_get']) {
    assert.ok(!text.includes(name), `glue imports ${name}: something pulls <sstream>/<iostream> into the module`);
  }
});

test('no test hooks in the shipped module (the kernel self-tests live in build/wasm/kernel_selftest.wasm)', () => {
  // Embind keeps every exported name as a string in the module's data.
  const bytes = readFileSync(fileURLToPath(new URL('qkeras_wasm.wasm', dir)), 'latin1');
  for (const name of ['selfTestKernels', 'selfTestFloatKernels', 'KernelSelfTest']) {
    assert.ok(!bytes.includes(name), `qkeras_wasm.wasm contains ${name}: test-only code is linked into the shipped module`);
  }
});
