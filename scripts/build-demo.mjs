// Bundles the demo page (web/demo/demo.js -> build/demo/page.js) and its Web Worker
// (web/demo/worker.js -> build/demo/worker.js) with esbuild, minified. The page is bundled so
// that it opens with two requests instead of a waterfall of ~40 small modules (measured: the page's
// script ran ~300 ms after navigation unbundled); the worker because module workers do not see an
// import map. 'qkeras-wasm' resolves to the package's browser entry, as in a user's bundler.
//
// The worker is one file with the WASM glue inside, so that the .wasm fetch starts as soon as it
// runs (with code splitting, the glue and the shared code were two more round trips, one after
// the other, before it). What it needs only later is built apart and loaded on demand: h5wasm
// (5.6 MB, HDF5 models only) and dagre (the graph, drawn after the first trace).
// Run by scripts/make-examples.mjs (part of every build); takes about a second.
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Imports of these packages stay imports of the separately built files next to worker.js. */
const LATER = { h5wasm: './h5wasm.js', '@dagrejs/dagre': './dagre.js' };
const loadedLater = {
  name: 'loaded-later',
  setup(build) {
    build.onResolve({ filter: /^(h5wasm|@dagrejs\/dagre)$/ }, (args) => ({ path: LATER[args.path], external: true }));
  },
};

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
    esbuild.build({ ...common, entryPoints: { worker: 'web/demo/worker.js' }, plugins: [loadedLater] }),
    esbuild.build({ ...common, entryPoints: { page: 'web/demo/demo.js' } }),
    esbuild.build({ ...common, entryPoints: { h5wasm: 'h5wasm', dagre: '@dagrejs/dagre' } }),
  ]);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await buildDemoWorker();
