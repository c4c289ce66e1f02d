// Bundles the demo page (web/demo/demo.js -> build/demo/page.js) and its Web Worker
// (web/demo/worker.js -> build/demo/worker.js) with esbuild, minified. The page is bundled so
// that it opens with two requests instead of a waterfall of ~40 small modules (measured: the page's
// script ran ~300 ms after navigation unbundled); the worker because module workers do not see an
// import map. 'qkeras-wasm' resolves to the package's browser entry, as in a user's bundler.
// Run by scripts/make-examples.mjs (part of every build); takes well under a second.
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

export async function buildDemoWorker() {
  const esbuild = await import('esbuild');
  const common = {
    absWorkingDir: root,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    outdir: 'build/demo',
    alias: { 'qkeras-wasm': './web/browser.js' },
    logLevel: 'warning',
  };
  await Promise.all([
    esbuild.build({
      ...common,
      entryPoints: ['web/demo/worker.js'],
      splitting: true, // h5wasm (HDF5 models only) stays a chunk loaded on demand
      chunkNames: '[name]', // stable names: a rebuild overwrites instead of piling up hashed files
    }),
    esbuild.build({ ...common, entryPoints: { page: 'web/demo/demo.js' } }),
  ]);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await buildDemoWorker();
