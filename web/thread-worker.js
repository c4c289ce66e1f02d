// A batch worker of web/threads.js: holds one WASM instance (from the Module the page or main
// thread compiled) with one model loaded from its .qkwm bytes, and runs the predict() and
// trace() calls it is sent on its piece of the batch. In browsers this file is the Web Worker
// itself; in Node, web/node-thread-worker.js (a worker_threads entry) gives it the same port.
//
// Protocol: {id, op: 'init', wasm, model, options} -> {id, result: {memoryBytes}};
// {id, op: 'predict', arrays, shapes} -> {id, result: [{data, shape}...]};
// {id, op: 'trace', arrays, shapes, options} -> {id, result: {entries, data}};
// any failure -> {id, error: {message, name}}.
import { loadModel } from './model.js';
import { useCompiledWasm, loadedWasmModule } from './wasm-module.js';

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
  async predict({ arrays, shapes }) {
    const out = await model.predict(arrays, shapes);
    const list = Array.isArray(out) ? Array.from(out, (o) => ({ data: o.data, shape: o.shape })) : [{ data: out.data, shape: out.shape }];
    // The outputs are copies out of the WASM heap: handing their buffers over copies nothing.
    return { result: list, transfer: list.map((o) => o.data.buffer) };
  },
  async trace({ arrays, shapes, options }) {
    const trace = await model.trace(arrays, shapes, options);
    // Every entry's data, packed into one buffer that is handed over (entries keep offsets).
    const total = trace.reduce((n, e) => n + (e.data?.length ?? 0), 0);
    const data = new Float32Array(total);
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
