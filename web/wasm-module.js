// Loads the WebAssembly core once per process/page.
//
// The .wasm URL is written as new URL('./wasm/qkeras_wasm.wasm', import.meta.url), the form
// Vite and webpack 5 recognise: they emit the file as an asset and rewrite the URL. Without a
// bundler (or with esbuild, which leaves the expression alone) it is the file next to the glue.
// setWasmLocation() overrides it. We fetch and compile the module ourselves, so a failure names
// the URL tried; Emscripten 3.1.6's glue only aborts with "both async and sync fetching of the
// wasm failed". In Node the bytes are read with node:fs (through platform.js, filled in by the
// Node entry only).
import { nodePlatform, pageBase } from './platform.js';

let modulePromise = null;
let wasmLocation = null;

/**
 * Overrides where qkeras_wasm.wasm is loaded from: a URL (browsers; relative to the page), or a
 * file path or file: URL (Node). Must be called before the first API call.
 * @param {string|URL} url
 */
export function setWasmLocation(url) {
  if (modulePromise) throw new Error('setWasmLocation() must be called before the WASM module is loaded');
  if (!(url instanceof URL) && (typeof url !== 'string' || url === '')) throw new TypeError('setWasmLocation(url): url must be a non-empty string or a URL');
  wasmLocation = url;
}

/** @returns {Promise<any>} the Emscripten module with the Embind API */
export function getWasmModule() {
  if (!modulePromise) {
    modulePromise = instantiate().catch((error) => {
      modulePromise = null; // let a later call retry (e.g. after fixing the location)
      throw error;
    });
  }
  return modulePromise;
}

function defaultWasmUrl() {
  return new URL('./wasm/qkeras_wasm.wasm', import.meta.url);
}

/**
 * @internal Forgets an instance that trapped (web/instance.js): the next getWasmModule() call
 * creates a fresh one. A no-op if `module` is not the current instance.
 */
export function discardWasmModule(module) {
  if (module !== currentModule) return;
  currentModule = null;
  modulePromise = null;
}
let currentModule = null;
let compiled = null;  // {key: location, module: Promise<WebAssembly.Module>}

/**
 * @internal The compiled WebAssembly.Module (compiled on first use), for the batch workers of
 * web/threads.js: a Module is posted to a worker, which instantiates it without fetching or
 * compiling again.
 * @returns {Promise<WebAssembly.Module>}
 */
export async function compiledWasm() {
  await getWasmModule();
  return compiled.module;
}

/**
 * @internal In a batch worker (web/thread-worker.js): instantiate this already-compiled Module
 * instead of loading the .wasm. Must be called before the first API call.
 * @param {WebAssembly.Module} module
 */
export function useCompiledWasm(module) {
  if (modulePromise) throw new Error('useCompiledWasm() must be called before the WASM module is loaded');
  if (!(module instanceof WebAssembly.Module)) throw new TypeError('useCompiledWasm(module): module must be a WebAssembly.Module');
  compiled = { key: String(wasmLocation ?? defaultWasmUrl()), module: Promise.resolve(module) };
}

/** The module once getWasmModule() has resolved (a Model exists), else null: for synchronous helpers. */
export function loadedWasmModule() {
  return currentModule;
}

async function instantiate() {
  let createModule;
  try {
    ({ default: createModule } = await import('./wasm/qkeras_wasm.mjs'));
  } catch (error) {
    throw new Error(`qkeras-wasm: the WASM build is missing (web/wasm/qkeras_wasm.mjs); run "npm run build" (${error.message})`);
  }
  // Compiled once per location: an instance retired after a trap is replaced without recompiling.
  const location = wasmLocation ?? defaultWasmUrl();
  if (compiled?.key !== String(location)) compiled = { key: String(location), module: compileWasm(location) };
  let wasm;
  try {
    wasm = await compiled.module;
  } catch (error) {
    compiled = null;
    throw error;
  }
  let failInstantiation;
  const failed = new Promise((_, reject) => {
    failInstantiation = reject;
  });
  const ready = createModule({
    // Emscripten calls this instead of fetching; errors reach our promise, not an abort().
    instantiateWasm(imports, receiveInstance) {
      WebAssembly.instantiate(wasm, imports).then(
        (instance) => receiveInstance(instance, wasm),
        (error) => failInstantiation(new Error(`qkeras-wasm: cannot instantiate the WebAssembly module (${error.message}); is qkeras_wasm.wasm from the same build as qkeras_wasm.mjs?`)),
      );
      return {};
    },
  });
  currentModule = await Promise.race([ready, failed]);
  return currentModule;
}

const HINT = 'Serve qkeras_wasm.wasm (in the package at web/wasm/qkeras_wasm.wasm) there, or call setWasmLocation(url) before the first API call';

/** Reads (Node) or fetches (browsers) the .wasm and compiles it; errors name the location tried. */
async function compileWasm(location) {
  const node = await nodePlatform();
  const isHttp = (s) => /^(https?|data|blob):/i.test(s);
  if (node && !isHttp(String(location))) {
    let bytes;
    try {
      bytes = await node.readFile(location);
    } catch (error) {
      throw new Error(`qkeras-wasm: cannot read the WebAssembly module at ${String(node.toPath(location))} (${error.code ?? error.message}). Run "npm run build", or call setWasmLocation(path) before the first API call`);
    }
    return compileBytes(bytes, String(location));
  }
  let url;
  try {
    url = new URL(String(location), pageBase() ?? undefined);
  } catch {
    throw new Error(`qkeras-wasm: the WebAssembly location ${String(location)} is not a valid URL. ${HINT}`);
  }
  let response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new Error(`qkeras-wasm: could not fetch the WebAssembly module from ${url.href} (${error.message}). ${HINT}`);
  }
  if (!response.ok) {
    throw new Error(`qkeras-wasm: could not fetch the WebAssembly module from ${url.href} (HTTP ${response.status} ${response.statusText}`.trimEnd() + `). ${HINT}`);
  }
  const type = response.headers.get('content-type') ?? '';
  if (typeof WebAssembly.compileStreaming === 'function' && type.startsWith('application/wasm')) {
    try {
      return await WebAssembly.compileStreaming(response);
    } catch (error) {
      throw new Error(`qkeras-wasm: ${url.href} is not a valid WebAssembly module (${error.message}). ${HINT}`);
    }
  }
  return compileBytes(new Uint8Array(await response.arrayBuffer()), url.href, type);
}

async function compileBytes(bytes, where, type = '') {
  const magic = bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d;
  if (!magic) {
    const got = type ? ` (got ${type.split(';')[0]}, ${bytes.length} bytes)` : ` (${bytes.length} bytes)`;
    throw new Error(`qkeras-wasm: ${where} is not a WebAssembly module${got}. ${HINT}`);
  }
  try {
    return await WebAssembly.compile(bytes);
  } catch (error) {
    throw new Error(`qkeras-wasm: cannot compile the WebAssembly module from ${where} (${error.message})`);
  }
}
