// The inputs the bundled app feeds (shared with tests/js/bundlers.test.js, which computes the
// expected numbers in Node): two samples of 8 features, on the 1/256 grid, as nested arrays.
export const inputs = Array.from({ length: 2 }, (_, i) => Array.from({ length: 8 }, (_, j) => (((i * 8 + j) * 37) % 256) / 256));
