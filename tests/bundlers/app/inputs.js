// The inputs the bundled app feeds (shared with tests/js/bundlers.test.js, which computes the
// expected numbers in Node): two samples of 8 features, on the 1/256 grid, as nested arrays.
export const inputs = Array.from({ length: 2 }, (_, i) => Array.from({ length: 8 }, (_, j) => (((i * 8 + j) * 37) % 256) / 256));

/** A batch of 70 samples (three Keras predict batches of 32: 32 + 32 + 6) for predict/trace with threads. */
export const batch70 = Float32Array.from({ length: 70 * 8 }, (_, i) => ((i * 37) % 256) / 64 - 2);
