// Bundles the demo's Web Worker (web/demo/worker.js) into build/demo/ with esbuild: module
// workers do not see the page's import map, so 'qkeras-wasm', 'fflate' and 'h5wasm' are resolved
// here. Run by scripts/make-examples.mjs (part of every build); takes well under a second.
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

export async function buildDemoWorker() {
  const esbuild = await import('esbuild');
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: ['web/demo/worker.js'],
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    outdir: 'build/demo',
    alias: { 'qkeras-wasm': './web/browser.js' },
    chunkNames: '[name]', // stable names: a rebuild overwrites instead of piling up hashed files
    logLevel: 'warning',
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await buildDemoWorker();
