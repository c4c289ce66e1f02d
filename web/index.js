// qkeras-wasm public API.
export { quantize, describeQuantizer, quantizerRange } from './quantize.js';
export { setWasmLocation } from './wasm-module.js';
