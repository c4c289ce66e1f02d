// A tiny app as a package user writes it: import 'qkeras-wasm', load models by URLs relative to
// the page, predict and trace nested arrays. Built by Vite, webpack and esbuild from the packed
// tarball (tests/js/bundlers.test.js); the result goes to window.__result for the test to read.
import { loadModel } from 'qkeras-wasm';
import { inputs, batch70 } from './inputs.js';

async function run() {
  const model = await loadModel('models/model.qkwm'); // a relative URL: resolved against the page
  const output = await model.predict(inputs);
  const trace = await model.trace(inputs);
  // A batch across two Web Workers (the bundler must have bundled web/thread-worker.js).
  const one = await model.predict(batch70, [70, 8]);
  const two = await model.predict(batch70, [70, 8], { threads: 2 });
  const traceOne = await model.trace(batch70, [70, 8]);
  const traceTwo = await model.trace(batch70, [70, 8], { threads: 2 });
  const same = (a, b) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
  // Statistics compared as values (key order aside).
  const canonical = (v) => JSON.stringify(v, (_, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([p], [q]) => (p < q ? -1 : 1))) : x));
  const threads = {
    workers: model._threadPool?.size ?? 0,
    predict: Array.from(two.data),
    predictSame: same(one.data, two.data),
    traceSame: traceOne.every((e, i) => same(e.data, traceTwo[i].data) && canonical(e.stats) === canonical(traceTwo[i].stats)),
  };
  const h5 = await loadModel('models/model.h5'); // needs h5wasm: a lazily loaded chunk
  const fromH5 = await h5.predict(inputs);
  const result = {
    predict: { data: Array.from(output.data), shape: output.shape },
    top: model.topK(output, 2),
    trace: trace.map((t) => ({ name: t.name, status: t.status, onGrid: t.stats.onGrid, distinct: t.stats.distinct })),
    inputGrid: trace.get('input_1').grid,
    h5: Array.from(fromH5.data),
    threads,
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
