// Peak WASM SIMD multiply-accumulate throughput on this machine, measured in the calling
// process: bench/peak.wat (built here with wabt's wat2wasm into build/bench/peak.wasm).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('./peak.wat', import.meta.url));
const binary = fileURLToPath(new URL('../build/bench/peak.wasm', import.meta.url));

function build() {
  if (existsSync(binary) && statSync(binary).mtimeMs >= statSync(source).mtimeMs) return;
  mkdirSync(new URL('../build/bench/', import.meta.url), { recursive: true });
  try {
    execFileSync('wat2wasm', [source, '-o', binary], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    throw new Error(`building bench/peak.wat needs wabt's wat2wasm (scripts/setup.sh installs wabt): ${error.message}`);
  }
}

const KERNELS = {
  // name: [export, MACs per loop iteration (8 chains)]
  f32x4_mul_add: ['f32_madd', 8 * 4],
  i32x4_dot_i16x8_add: ['i16_dot', 8 * 8],
};

/**
 * Returns {f32x4_mul_add, i32x4_dot_i16x8_add} in GMAC/s: the best of `repeats` timed calls of
 * `iterations` loop iterations each, after warm-up calls that let V8 tier the code up.
 */
export async function measurePeaks({ iterations = 2_000_000, repeats = 7 } = {}) {
  build();
  const { instance } = await WebAssembly.instantiate(readFileSync(binary));
  new Float32Array(instance.exports.memory.buffer, 0, 1024).fill(0.001);
  const result = {};
  for (const [name, [fn, macsPerIteration]] of Object.entries(KERNELS)) {
    const f = instance.exports[fn];
    for (let i = 0; i < 20; i++) f(10_000);
    let best = Infinity;
    for (let r = 0; r < repeats; r++) {
      const t = performance.now();
      f(iterations);
      best = Math.min(best, performance.now() - t);
    }
    result[name] = (iterations * macsPerIteration) / (best * 1e6);
  }
  return result;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const peaks = await measurePeaks();
  for (const [k, v] of Object.entries(peaks)) console.log(`${k}: ${v.toFixed(1)} GMAC/s`);
}
