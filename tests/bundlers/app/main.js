// A tiny app as a package user writes it: import 'qkeras-wasm', load models by URLs relative to
// the page, predict and trace nested arrays. Built by Vite, webpack and esbuild from the packed
// tarball (tests/js/bundlers.test.js); the result goes to window.__result for the test to read.
import { loadModel } from 'qkeras-wasm';
import { inputs } from './inputs.js';

async function run() {
  const model = await loadModel('models/model.qkwm'); // a relative URL: resolved against the page
  const output = await model.predict(inputs);
  const trace = await model.trace(inputs);
  const h5 = await loadModel('models/model.h5'); // needs h5wasm: a lazily loaded chunk
  const fromH5 = await h5.predict(inputs);
  const result = {
    predict: { data: Array.from(output.data), shape: output.shape },
    top: model.topK(output, 2),
    trace: trace.map((t) => ({ name: t.name, status: t.status, onGrid: t.stats.onGrid, distinct: t.stats.distinct })),
    inputGrid: trace.get('input_1').grid,
    h5: Array.from(fromH5.data),
  };
  model.dispose();
  h5.dispose();
  return result;
}

run().then(
  (result) => {
    window.__result = result;
  },
  (error) => {
    window.__result = { error: String(error?.message ?? error) };
  },
);
