// qkeras-wasm, Node entry (package.json exports "node"): file paths and file: URLs are read with
// node:fs. Browsers and bundlers get web/browser.js, the same API without Node built-ins.
import './node-platform.js';

export * from './api.js';
