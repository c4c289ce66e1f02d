// predict()/trace() with { threads: n }: a large batch is cut into up to n consecutive pieces,
// each run by a worker (Web Workers in browsers, worker_threads in Node) that holds its own WASM
// instance with the model built from the model's converted (.qkwm) bytes, and the pieces' results
// are joined in order, bit-identical to one thread:
//  - No layer mixes the samples of a batch, but some depend on a sample's position in Keras's
//    model.predict batch of 32 (KERAS_PREDICT_BATCH) or in the call: TF's softmax and Eigen
//    activations take vectorized or scalar paths by position in that batch (src/quant/tf_math.h),
//    QAdaptiveActivation treats the call's first batch apart. So every piece is run with its
//    place in the whole call (CALL_POSITION), which makes any split exact. Pieces still start at
//    multiples of 32 samples: each Keras batch then runs in one loop of one worker (a cut batch
//    costs a second, partial pass over that batch in each of two workers), and a batch of 32 or
//    fewer stays on one thread, where a worker's message round trip would cost more than it saves.
//  - trace's statistics cover the whole batch; mergeTracePieces() (web/trace.js) merges the
//    pieces' exactly, as trace's batchSize does. With batchSize, pieces start at multiples of it,
//    so every worker traces the same sub-batches one thread would.
//
// One pool per model, created on first use and ended by model.dispose(). A worker that fails a
// call (a bad option, a limit, a crash of its WASM core) answers with the Error's message and
// keeps serving; a worker that dies is dropped and replaced on the next call.
import { nodePlatform } from './platform.js';
import { compiledWasm } from './wasm-module.js';

/** Upper bound on options.threads (a typo like 1e6 must not start a million workers). */
export const MAX_THREADS = 64;

/**
 * Checks options.threads: undefined (1) or an integer from 1 to MAX_THREADS.
 * @returns {number}
 */
export function checkThreads(threads, what) {
  if (threads === undefined) return 1;
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new TypeError(`${what} options.threads must be an integer from 1 to ${MAX_THREADS}, got ${JSON.stringify(threads) ?? String(threads)}`);
  }
  return threads;
}

/** kKerasPredictBatch in src/quant/tf_math.h: Keras's model.predict batch size. */
export const KERAS_PREDICT_BATCH = 32;

/**
 * Internal predict()/trace() option (a symbol key, so not a public option): {first, total} when
 * the call is samples [first, first + batch) of a user's call of `total` samples, as a worker's
 * piece is. The core then gives every sample the position it has in the whole call
 * (ModelHandle.setCallPosition, src/quant/keras_batch.h).
 */
export const CALL_POSITION = Symbol('qkw.callPosition');

/**
 * The consecutive pieces [start, end) a batch is cut into for `threads` workers: whole units of
 * `unit` samples (the last unit may be partial), as equal as possible, never empty; one piece
 * when the batch is a single unit.
 */
export function splitBatch(batch, threads, unit = KERAS_PREDICT_BATCH) {
  const units = Math.ceil(batch / unit);
  const n = Math.max(1, Math.min(threads, units));
  const base = Math.floor(units / n);
  const extra = units % n;
  const pieces = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const end = Math.min(batch, start + (base + (i < extra ? 1 : 0)) * unit);
    pieces.push([start, end]);
    start = end;
  }
  return pieces;
}

/** Copies samples [start, end) of every input into its own buffer (transferred to a worker). */
export function sliceInputs(arrays, shapes, start, end) {
  const xs = arrays.map((x, i) => {
    const per = shapes[i].slice(1).reduce((a, b) => a * b, 1);
    return x.slice(start * per, end * per);
  });
  return { arrays: xs, shapes: shapes.map((s) => [end - start, ...s.slice(1)]) };
}

/** Joins the pieces' outputs (each a list in model.outputs order) along the batch axis. */
export function joinOutputs(pieces) {
  return pieces[0].map((first, k) => {
    const total = pieces.reduce((n, p) => n + p[k].data.length, 0);
    const data = new Float32Array(total);
    let offset = 0;
    let batch = 0;
    for (const p of pieces) {
      data.set(p[k].data, offset);
      offset += p[k].data.length;
      batch += p[k].shape[0];
    }
    return { data, shape: [batch, ...first.shape.slice(1)] };
  });
}

/** Starts one worker: web/thread-worker.js (Node: through web/node-platform.js). */
async function startWorker() {
  const node = await nodePlatform();
  if (node) return node.createWorker();
  if (typeof Worker !== 'function') throw new Error('predict/trace options.threads: this environment has no Web Workers; use threads: 1');
  // Written out so that Vite and webpack bundle the worker script with its imports.
  return new Worker(new URL('./thread-worker.js', import.meta.url), { type: 'module', name: 'qkeras-wasm thread' });
}

class PoolWorker {
  /** @type {Map<number, {resolve: Function, reject: Function}>} */
  pending = new Map();
  next = 1;
  dead = false;
  deadReason = 'qkeras-wasm: a batch worker stopped; the next call starts a fresh one';
  /** @type {Promise<{memoryBytes: number}> | null} */
  ready = null;

  constructor(worker, onDeath) {
    this.worker = worker;
    worker.onmessage = ({ data }) => {
      const call = this.pending.get(data.id);
      if (!call) return;
      this.pending.delete(data.id);
      this.#idle();
      if (data.error) call.reject(Object.assign(new Error(data.error.message), data.error.name && data.error.name !== 'Error' ? { name: data.error.name } : {}));
      else call.resolve(data.result);
    };
    const die = (why) => {
      if (this.dead) return;
      this.dead = true;
      onDeath(this);
      const error = new Error(`qkeras-wasm: a batch worker stopped (${why}); the next call starts a fresh one`);
      for (const call of this.pending.values()) call.reject(error);
      this.pending.clear();
      this.worker.terminate();
    };
    worker.onerror = (event) => {
      event?.preventDefault?.();
      die(event?.message ?? String(event));
    };
    worker.onmessageerror = () => die('a message could not be read');
    worker.onexit = (code) => die(`exit code ${code}`);
    worker.unref?.();
  }

  #idle() {
    if (this.pending.size === 0) this.worker.unref?.();
  }

  call(op, payload, transfer = []) {
    if (this.dead) return Promise.reject(new Error(this.deadReason));
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref?.(); // Node: a pending call keeps the process alive, an idle pool does not
      this.worker.postMessage({ id, op, ...payload }, transfer);
    });
  }
}

export class ThreadPool {
  /** @type {PoolWorker[]} */
  #workers = [];
  #init;
  #disposed = false;

  /**
   * @param {() => {model: Uint8Array, options: object}} init the model's .qkwm bytes and load
   *   options, asked for once, when the first worker starts
   */
  constructor(init) {
    this.#init = init;
    this.initMessage = null;
  }

  get size() {
    return this.#workers.length;
  }

  async #spawn() {
    this.initMessage ??= { ...this.#init(), wasm: await compiledWasm() };
    const pw = new PoolWorker(await startWorker(), (w) => {
      const i = this.#workers.indexOf(w);
      if (i >= 0) this.#workers.splice(i, 1);
    });
    this.#workers.push(pw);
    // The bytes are copied into each worker (not transferred): the pool keeps them for the next one.
    pw.ready = pw.call('init', this.initMessage);
    pw.ready.catch(() => {});
    return pw;
  }

  /** n ready workers, started as needed. */
  async workers(n) {
    if (this.#disposed) throw new Error('the model was disposed');
    while (this.#workers.length < n) await this.#spawn();
    const chosen = this.#workers.slice(0, n);
    try {
      await Promise.all(chosen.map((w) => w.ready));
    } catch (error) {
      // A worker that could not load the model is useless: drop it, report why.
      for (const w of chosen) {
        const ok = await w.ready.then(() => true, () => false);
        if (!ok) {
          const i = this.#workers.indexOf(w);
          if (i >= 0) this.#workers.splice(i, 1);
          w.worker.terminate();
        }
      }
      throw error;
    }
    return chosen;
  }

  /**
   * Runs one task per worker and returns their results in order.
   * @param {{op: string, payload: object, transfer?: Transferable[]}[]} tasks
   */
  async run(tasks) {
    const workers = await this.workers(tasks.length);
    if (this.#disposed) throw new Error('the model was disposed while a threaded call ran');
    const results = await Promise.allSettled(tasks.map((t, i) => workers[i].call(t.op, t.payload, t.transfer)));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    return results.map((r) => r.value);
  }

  /** Each worker's WASM memory now, in bytes (benchmarks, tests). */
  async memory() {
    return Promise.all(this.#workers.map((w) => w.ready.then(() => w.call('memory', {})).then((r) => r.memoryBytes)));
  }

  /** @internal the live workers (tests) */
  get _workers() {
    return [...this.#workers];
  }

  dispose() {
    this.#disposed = true;
    for (const w of this.#workers) {
      w.dead = true;
      w.deadReason = 'the model was disposed while a threaded call ran';
      w.worker.terminate();
      for (const call of w.pending.values()) call.reject(new Error(w.deadReason));
      w.pending.clear();
    }
    this.#workers = [];
    this.initMessage = null;
  }
}
