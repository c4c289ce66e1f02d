// qkeras-wasm public API, shared by the Node entry (index.js) and the browser entry (browser.js).
export { quantize, describeQuantizer, quantizerRange } from './quantize.js';
export { loadModel, Model } from './model.js';
export { convert } from './convert.js';
export { compareTraces } from './trace.js';
export { getScale, getIntegerBits, getUnrolledShape, getRolledBackShape } from './helpers.js';
export { setWasmLocation } from './wasm-module.js';
export { readNpy, writeNpy } from './io/npy.js';
export { readNpz } from './io/npz.js';
export { readInput, decodeImage } from './io/input.js';
