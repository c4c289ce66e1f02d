// Trap isolation for the WASM core. A trap inside it (RuntimeError: memory access out of
// bounds, unreachable, an Emscripten abort) leaves the instance's stack pointer, allocator and
// objects in an unknown state: every later call may fail or, worse, compute wrong numbers. So a
// trap retires the instance for good: the call that trapped gets a clear Error, a fresh
// instance is created, and models loaded on the old one are rebuilt on the new one from the
// graph and weights they keep (see Model in model.js), transparently, when next used.
import { getWasmModule, discardWasmModule } from './wasm-module.js';
import { isWasmTrap } from './io/util.js';

/** @typedef {{ module: any, generation: number, retired: boolean }} Instance */

/** @type {Instance | null} */
let current = null;
let generation = 0;
let retiredCount = 0;

/** @returns {Promise<Instance>} the live instance (created on first use, or after a trap) */
export async function getInstance() {
  const module = await getWasmModule();
  if (current === null || current.module !== module) current = { module, generation: ++generation, retired: false };
  return current;
}

/** @returns {Instance | null} the live instance if it is already created (for synchronous callers) */
export function currentInstance() {
  return current !== null && !current.retired ? current : null;
}

/** @param {Instance | null | undefined} instance */
export function isLive(instance) {
  return instance != null && !instance.retired && instance === current;
}

/** How many instances were retired after a trap (diagnostics and tests). */
export function retiredInstances() {
  return retiredCount;
}

/** @param {Instance} instance */
function retire(instance) {
  if (!instance || instance.retired) return;
  instance.retired = true;
  retiredCount += 1;
  if (current === instance) {
    current = null;
    discardWasmModule(instance.module);
    // Start the replacement now, so synchronous calls (analyze()) find it ready soon.
    getInstance().catch(() => {});
  }
}

/**
 * Runs fn() against `instance`; a trap retires the instance and becomes a clear Error.
 * @template T
 * @param {Instance} instance
 * @param {string} what what was being done, e.g. "predicting with model 'm'"
 * @param {() => T} fn
 * @returns {T}
 */
export function guardTrap(instance, what, fn) {
  try {
    return fn();
  } catch (error) {
    if (!isWasmTrap(error)) throw error;
    retire(instance);
    const detail = error instanceof Error ? error.message : String(error);
    throw new Error(
      `qkeras-wasm: the WASM core crashed while ${what} (${detail}). It was replaced by a fresh instance; ` +
        'other loaded models are rebuilt on it and keep working.',
      { cause: error },
    );
  }
}

/**
 * getInstance() + guardTrap() for one-shot calls (quantize, describeQuantizer...).
 * @template T
 * @param {string} what
 * @param {(module: any) => T} fn
 * @returns {Promise<T>}
 */
export async function withInstance(what, fn) {
  const instance = await getInstance();
  return guardTrap(instance, what, () => fn(instance.module));
}
