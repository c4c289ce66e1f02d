// What differs between Node and browsers, in one place: how a file path is read. The browser/
// default entry (web/browser.js) imports no Node built-in, so bundlers need no flag; the Node
// entry (web/index.js) fills the hooks in through node-platform.js before anything runs.

/** @type {{readFile: (path: string|URL) => Promise<Uint8Array>, toPath: (source: string|URL) => string|URL} | null} */
let node = null;

/** Called once by node-platform.js. */
export function setNodePlatform(hooks) {
  node = hooks;
}

/** The Node hooks if they are already loaded (synchronous callers), else null. */
export function loadedNodePlatform() {
  return node;
}

/**
 * The Node file hooks, or null in browsers. In Node they are there already when the package
 * was imported by name; a module of web/ imported directly (tests, tools) loads them here.
 * The specifier is computed so that bundlers never see node-platform.js (browsers never get here).
 */
export async function nodePlatform() {
  if (node || !isNodeRuntime) return node;
  const specifier = ['.', 'node-platform.js'].join('/');
  await import(/* webpackIgnore: true */ /* @vite-ignore */ specifier);
  return node;
}

export const isNodeRuntime =
  typeof process !== 'undefined' && process.versions != null && process.versions.node != null && typeof window === 'undefined';

/** The URL that relative strings are resolved against in browsers and workers (null if none). */
export function pageBase() {
  const g = /** @type {any} */ (globalThis);
  return g.document?.baseURI ?? g.location?.href ?? null;
}

