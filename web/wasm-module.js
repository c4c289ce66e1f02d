// Loads the WebAssembly core once per process/page.
//
// Browsers and bundlers: the .wasm sits next to the glue (web/wasm/) and is found through
// import.meta.url; call setWasmLocation() to serve it from elsewhere. Node: Emscripten
// 3.1.6's glue would fetch() a file path, so we read the bytes ourselves and hand them over
// as wasmBinary.

let modulePromise = null;
let wasmLocation = null;
let loadedModule = null;

const isNode = typeof process !== 'undefined' && process.versions != null && process.versions.node != null;

/**
 * Overrides where qkeras_wasm.wasm is loaded from: a URL (browsers), or a file path or file: URL (Node).
 * Must be called before the first API call.
 * @param {string|URL} url
 */
export function setWasmLocation(url) {
  if (modulePromise) throw new Error('setWasmLocation() must be called before the WASM module is loaded');
  wasmLocation = String(url);
}

/** @returns {Promise<any>} the Emscripten module with the Embind API */
export function getWasmModule() {
  if (!modulePromise) {
    modulePromise = instantiate().then((m) => (loadedModule = m)).catch((error) => {
      modulePromise = null; // let a later call retry (e.g. after fixing the location)
      throw error;
    });
  }
  return modulePromise;
}

/** The module once getWasmModule() has resolved (a Model exists), else null: for synchronous helpers. */
export function loadedWasmModule() {
  return loadedModule;
}

async function instantiate() {
  let createModule;
  try {
    ({ default: createModule } = await import('./wasm/qkeras_wasm.mjs'));
  } catch (error) {
    throw new Error(`qkeras-wasm: the WASM build is missing (web/wasm/qkeras_wasm.mjs); run "npm run build" (${error.message})`);
  }
  const args = {};
  if (isNode) {
    const { readFile } = await import('node:fs/promises');
    const { pathToFileURL } = await import('node:url');
    // Node accepts a plain file path as well as a file: URL.
    const path = !wasmLocation
      ? new URL('./wasm/qkeras_wasm.wasm', import.meta.url)
      : /^[a-z][a-z0-9+.-]*:/i.test(wasmLocation) && !/^[a-z]:[\\/]/i.test(wasmLocation)
        ? new URL(wasmLocation)
        : pathToFileURL(wasmLocation);
    args.wasmBinary = await readFile(path);
  } else if (wasmLocation) {
    args.locateFile = (file) => (file.endsWith('.wasm') ? wasmLocation : file);
  }
  return createModule(args);
}
