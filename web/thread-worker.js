// A batch worker of web/threads.js: holds one WASM instance (from the Module the page or main
// thread compiled) with one model loaded from its .qkwm bytes, and runs the predict() and
// trace() calls it is sent on its piece of the batch. In browsers this file is the Web Worker
// itself; in Node, web/node-thread-worker.js (a worker_threads entry) gives it the same port.
//
// Protocol: {id, op: 'init', wasm, model, options} -> {id, result: {memoryBytes}};
// {id, op: 'predict', arrays, shapes, first, total} -> {id, result: [{data, shape}...]};
// {id, op: 'trace', arrays, shapes, options, first, total} -> {id, result: {entries, data}};
// (first, total: the piece is samples [first, first + batch) of a call of `total` samples.)
// any failure -> {id, error: {message, name}}.
import { loadModel } from './model.js';
import { useCompiledWasm, loadedWasmModule } from './wasm-module.js';
import { CALL_POSITION, KERAS_PREDICT_BATCH, joinOutputs } from './threads.js';

// A worker predicts its piece in sub-batches of this many samples: its WASM memory stays at
// about the activations of 1,024 samples whatever the batch. Each sub-batch is run with its
// place in the whole call (CALL_POSITION); a multiple of Keras's predict batch, so no Keras
// batch is cut in two.
const PREDICT_CHUNK = 32 * KERAS_PREDICT_BATCH;

const port = /** @type {any} */ (globalThis).__qkwThreadPort ?? /** @type {any} */ (globalThis).self;

/** @type {import('./model.js').Model | null} */
let model = null;

const memoryBytes = () => loadedWasmModule()?.HEAP8?.buffer.byteLength ?? 0;

const ops = {
  async init({ wasm, model: bytes, options }) {
    useCompiledWasm(wasm);
    model = await loadModel(bytes, options);
    return { result: { memoryBytes: memoryBytes() } };
  },
  async predict({ arrays, shapes, first, total }) {
    const batch = shapes[0][0];
    const chunks = [];
    for (let start = 0; start < batch; start += PREDICT_CHUNK) {
      const end = Math.min(batch, start + PREDICT_CHUNK);
      const xs = arrays.map((x, i) => {
        const per = shapes[i].slice(1).reduce((a, b) => a * b, 1);
        return x.subarray(start * per, end * per);
      });
      const out = await model.predict(xs, shapes.map((s) => [end - start, ...s.slice(1)]), { [CALL_POSITION]: { first: first + start, total } });
      chunks.push(Array.isArray(out) ? Array.from(out, (o) => ({ data: o.data, shape: o.shape })) : [{ data: out.data, shape: out.shape }]);
    }
    const list = chunks.length === 1 ? chunks[0] : joinOutputs(chunks);
    // The outputs are copies out of the WASM heap: handing their buffers over copies nothing.
    return { result: list, transfer: list.map((o) => o.data.buffer) };
  },
  async trace({ arrays, shapes, options, first, total }) {
    const trace = await model.trace(arrays, shapes, { ...options, [CALL_POSITION]: { first, total } });
    // Every entry's data, packed into one buffer that is handed over (entries keep offsets).
    const values = trace.reduce((n, e) => n + (e.data?.length ?? 0), 0);
    const data = new Float32Array(values);
    let offset = 0;
    const entries = Array.from(trace, (e) => {
      const { data: d, ...rest } = e;
      const at = { offset, count: d?.length ?? 0 };
      if (d) data.set(d, offset);
      offset += at.count;
      return { ...rest, at };
    });
    return { result: { entries, data }, transfer: [data.buffer] };
  },
  async memory() {
    return { result: { memoryBytes: memoryBytes() } };
  },
};

port.onmessage = async ({ data: message }) => {
  const { id, op, ...payload } = message;
  try {
    if (!Object.hasOwn(ops, op)) throw new Error(`batch worker: unknown operation ${String(op)}`);
    if (op !== 'init' && model === null) throw new Error('batch worker: no model loaded');
    const { result, transfer = [] } = await ops[op](payload);
    port.postMessage({ id, result }, transfer);
  } catch (error) {
    port.postMessage({ id, error: { message: error instanceof Error ? error.message : String(error), name: error?.name ?? 'Error' } });
  }
};
