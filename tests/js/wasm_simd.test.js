// The release .wasm must contain WebAssembly SIMD (v128) instructions: the core is built with
// -msimd128 and xsimd's sse4_1 arch lowered to wasm SIMD.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const wasmPath = fileURLToPath(new URL('../../web/wasm/qkeras_wasm.wasm', import.meta.url));

test('release .wasm uses v128 instructions', () => {
  const disassembly = execFileSync('wasm-objdump', ['-d', wasmPath], { maxBuffer: 1 << 30 }).toString();
  const simd = disassembly.match(/\b(v128\.\w+|[fi](32x4|64x2|16x8|8x16)\.\w+)/g) ?? [];
  const kinds = new Set(simd);
  assert.ok(simd.length > 100, `expected many SIMD instructions, found ${simd.length}`);
  assert.ok([...kinds].some((k) => k.startsWith('f32x4.')), 'f32x4 arithmetic present');
});
