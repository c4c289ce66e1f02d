// A page's script (bundled by Vite, webpack or esbuild): trace a model served beside the page.
import { loadModel } from 'qkeras-wasm';

const model = await loadModel('model.qkwm'); // a URL relative to the page; .qkwm needs no HDF5 reader
const pixels = new Float32Array(32 * 32 * 3).fill(0.5); // your image, scaled as in training
const trace = await model.trace(pixels, [1, 32, 32, 3]);
for (const layer of trace) {
  document.body.append(`${layer.name}: ${layer.status}, ${layer.stats.distinct} distinct values\n`);
}
console.log(model.topK(trace.at(-1), 3)); // the last layer's output is the prediction
