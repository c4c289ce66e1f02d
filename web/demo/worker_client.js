// The page's side of web/demo/worker.js: a model-like object whose calls run in the worker.
// Cancelling terminates the worker (the only way to stop WebAssembly mid-call); the next call
// starts a fresh one, and the model must then be loaded again.

const WORKER_URL = '/build/demo/worker.js';

export class WorkerClient {
  #worker = null;
  #next = 1;
  /** @type {Map<number, {resolve: Function, reject: Function, onProgress?: Function}>} */
  #pending = new Map();

  /** @param {Worker|null} [early] a worker index.html started before this script loaded */
  constructor(early = null) {
    if (early) this.#adopt(early);
  }

  #ensure() {
    return this.#worker ?? this.#adopt(new Worker(WORKER_URL, { type: 'module' }));
  }

  #adopt(worker) {
    worker.onmessage = ({ data }) => {
      const call = this.#pending.get(data.id);
      if (!call) return;
      if (data.progress) return call.onProgress?.(data.progress);
      this.#pending.delete(data.id);
      if (data.error) call.reject(Object.assign(new Error(data.error.message), { name: data.error.name }));
      else call.resolve(data.result);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      this.#failAll(new Error(`the worker failed: ${event.message || `could not start ${WORKER_URL} (run "npm run build")`}`));
    };
    this.#worker = worker;
    return worker;
  }

  #failAll(error) {
    for (const call of this.#pending.values()) call.reject(error);
    this.#pending.clear();
    this.#worker?.terminate();
    this.#worker = null;
  }

  call(op, args, { onProgress, transfer = [] } = {}) {
    const worker = this.#ensure();
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, onProgress });
      worker.postMessage({ id, op, args }, transfer);
    });
  }

  /** Stops whatever runs: pending calls reject with an AbortError. */
  cancel() {
    this.#failAll(Object.assign(new Error('cancelled'), { name: 'AbortError' }));
  }

  /** Loads a model in the worker and returns a model-like proxy. */
  async load(source, onProgress) {
    const info = await this.call('load', { source }, { onProgress });
    return new RemoteModel(this, info);
  }
}

/** What the page needs of a Model, backed by the worker. */
class RemoteModel {
  constructor(client, info) {
    this.client = client;
    Object.assign(this, { name: info.name, inputs: info.inputs, outputs: info.outputs, layers: info.layers, provenance: info.provenance });
    this.analysis = info.analysis;
    this.timings = info.timings ?? [];
  }

  /** The layer graph laid out by dagre (in the worker). */
  graph() {
    return this.client.call('graph');
  }

  analyze() {
    return this.analysis;
  }

  /** @returns {Promise<{trace: any[], predictions: any}>} */
  trace(data, shape, options, topK) {
    return this.client.call('trace', { data, shape, options, topK });
  }

  weights() {
    return this.client.call('weights');
  }

  hls4mlConfig(options) {
    return this.client.call('hls4mlConfig', { options });
  }

  dispose() {}
}
