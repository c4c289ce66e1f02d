// qkeras-wasm, browser/default entry (package.json exports "browser" and "default"): no Node
// built-in is imported, so Vite, webpack and esbuild bundle it as it is. Strings given to
// loadModel() are URLs relative to the page.
export * from './api.js';
