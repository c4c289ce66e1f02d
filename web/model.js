// loadModel() and the Model class: a user's QKeras model, built once in the WASM heap.
import { getInstance, currentInstance, isLive, guardTrap } from './instance.js';
import { checkLoadOptions, checkOptionKeys, checkShape, fitInputShape, flattenNested, isNestedArray, isTensorLike, optionsToJson, toFloat32Array } from './util.js';
import { readModelSource } from './io/index.js';
import { DEFAULT_LIMITS } from './limits.js';
import { decodeQkwm } from './format/qkwm.js';
import { formatSummary } from './summary.js';
import { decodeTraceRecord, keyedTrace, mergeTracePieces, shapeAnalysis, shapeTrace } from './trace.js';
import { keyedByName, topK } from './outputs.js';
import { modelWeights } from './weights.js';
import { hls4mlConfig } from './hls4ml.js';
import { CALL_POSITION, ThreadPool, checkThreads, joinOutputs, sliceInputs, splitBatch } from './threads.js';
import { encodeBuilt } from './convert.js';

const TRACE_OPTIONS = ['layers', 'includeData', 'histogramBins', 'batchSize', 'steps', 'threads'];
const PREDICT_OPTIONS = ['threads'];

/** predict(x, options) / trace(x, options): a plain object where the shape would be. */
const isOptionsObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v);
const LOAD_OPTIONS = ['onProgress', 'internalSigmoid', 'qnoiseFactor', 'tfKernels', 'integerKernels', 'fuse', 'limits', 'ignoreExtraWeights', 'name', 'adaptiveActivation', 'predictBatchSize'];

// Frees the WASM side of a Model that was garbage-collected without dispose().
const leakGuard =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry(({ handle, instance }) => {
        if (!isLive(instance)) return; // a crashed instance is never called again
        try {
          handle.delete();
        } catch {
          /* already freed */
        }
      })
    : null;

/**
 * Reads a model file (any supported format) into the normalized graph and weights.
 * Shared by loadModel() and convert().
 */
export async function readModel(source, options) {
  const { onProgress, limits, ignoreExtraWeights, name } = checkLoadOptions(options);
  const read = await readModelSource(source, { onProgress, limits, ignoreExtraWeights, name });
  if (read.format === 'qkwm') {
    const { header, graph, weights } = decodeQkwm(read.bytes, read.name ?? 'model.qkwm', { limits });
    return { graph, weights, converted: true, provenance: header.provenance };
  }
  annotateParamCounts(read.graph, read.weights);
  return { graph: read.graph, weights: read.weights, converted: false, provenance: null };
}


// Keras's "Param #": every stored variable of the layer (BN statistics and counters included),
// counted from the source file so converted models (which store folded weights) keep it.
function annotateParamCounts(graph, weights) {
  for (const layer of graph.layers ?? []) {
    if (layer.paramCount !== undefined) continue;
    layer.paramCount = (weights.get(layer.name) ?? []).reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
  }
}

/** The limits the C++ core checks (all but the JS readers' own, web/limits.js). */
function coreLimits(limits) {
  if (!limits) return null;
  const core = Object.fromEntries(Object.entries(limits).filter(([key]) => !Object.hasOwn(DEFAULT_LIMITS, key) || key === 'maxTensorElements'));
  return Object.keys(core).length ? core : null;
}

/**
 * One traced layer's values: a copy from the WASM heap while the trace's data is still there
 * (Model #traceData), else a view of the copy made when it was released.
 */
function traceValues(source, r) {
  source.unread -= 1;
  if (source.copy !== null) return source.copy.subarray(r.offset, r.offset + r.count);
  if (source.instance === null || !isLive(source.instance)) {
    throw new Error(`trace of model '${source.name}': the layer outputs are gone (the WASM core crashed after this trace); trace again`);
  }
  const start = source.start + r.offset;
  return source.instance.module.HEAPF32.slice(start, start + r.count);
}

/** WASM instance each model handle was built on (see instance.js). */
const handleInstances = new WeakMap();

/** @internal the instance a handle from buildModel() lives in */
export function instanceOfHandle(handle) {
  return handleInstances.get(handle) ?? null;
}

/** Builds the WASM model from a normalized graph and its weights (a Map: layer name -> list). */
export async function buildModel(graph, weights, options = {}) {
  return buildOn(await getInstance(), graph, weights, options);
}

function buildOn(instance, graph, weights, options) {
  return guardTrap(instance, `building model '${graph.name ?? 'model'}'`, () => {
    const builder = new instance.module.ModelBuilder();
    try {
      // The readers give a Map (names from files are never object keys); callers building a
      // graph by hand may pass a plain object of own properties.
      for (const [layer, list] of weights instanceof Map ? weights : Object.entries(weights)) {
        for (const w of list) builder.addWeight(layer, w.role ?? '', w.index ?? 0, w.shape, w.data);
      }
      const quantizerOptions = {};
      if (options.internalSigmoid !== undefined) quantizerOptions.internalSigmoid = options.internalSigmoid;
      if (options.qnoiseFactor !== undefined) quantizerOptions.qnoiseFactor = options.qnoiseFactor;
      if (options.tfKernels !== undefined) quantizerOptions.tfKernels = options.tfKernels;
      if (options.integerKernels !== undefined) quantizerOptions.integerKernels = options.integerKernels;
      if (options.fuse !== undefined) quantizerOptions.fuse = options.fuse;
      if (options.ignoreExtraWeights) quantizerOptions.ignoreExtraWeights = true;
      if (options.adaptiveActivation !== undefined) quantizerOptions.adaptiveActivation = options.adaptiveActivation;
      if (options.predictBatchSize !== undefined) quantizerOptions.predictBatchSize = options.predictBatchSize;
      const core = coreLimits(options.limits);
      if (core) quantizerOptions.limits = core;
      const handle = builder.build(JSON.stringify(graph), optionsToJson(quantizerOptions));
      handleInstances.set(handle, instance);
      return handle;
    } finally {
      if (!instance.retired) builder.delete();
    }
  });
}

/**
 * @param {string|URL|ArrayBuffer|Uint8Array|Blob|{config: string|object, weights: any}} source
 * @param {{onProgress?: (p: {phase: string, loaded: number, total: number}) => void,
 *          internalSigmoid?: 'hard'|'smooth'|'real', qnoiseFactor?: number,
 *          tfKernels?: 'eigen'|'onednn', integerKernels?: boolean, ignoreExtraWeights?: boolean, fuse?: boolean,
 *          limits?: import('./index.d.ts').ModelLimits}} [options]
 * @returns {Promise<Model>}
 */
export async function loadModel(source, options = {}) {
  checkOptionKeys(options, LOAD_OPTIONS, 'loadModel');
  options = checkLoadOptions(options);
  const { graph, weights, converted, provenance } = await readModel(source, options);
  options.onProgress?.({ phase: 'build', loaded: 0, total: 1 });
  const handle = await buildModel(graph, weights, options);
  options.onProgress?.({ phase: 'build', loaded: 1, total: 1 });
  return new Model(handle, graph, { converted, provenance, weights, options });
}

export class Model {
  #handle;
  #info;
  #analysis = null;
  #instance;
  // What the model is rebuilt from if its WASM instance crashes (see instance.js).
  #rebuildFrom;
  #warnings = null;
  /** @type {ThreadPool | null} the batch workers of predict/trace({threads}) (threads.js) */
  #pool = null;
  // The outputs of the last trace, still in the WASM heap (TraceRecorder::data()): entries copy
  // their part out when first read; whatever is unread is copied before the next trace or
  // dispose() overwrites or frees it, unless the trace was garbage-collected (see #releaseTraceData).
  #traceData = null;

  constructor(handle, graph, { converted = false, provenance = null, weights = null, options = {} } = {}) {
    this.#handle = handle;
    this.#instance = instanceOfHandle(handle) ?? currentInstance();
    this.#rebuildFrom = weights ? { weights, options } : null;
    this.#info = JSON.parse(guardTrap(this.#instance, `reading model '${graph.name ?? 'model'}'`, () => handle.info()));
    this.graph = graph;
    this.name = graph.name ?? 'model';
    this.converted = converted;
    this.provenance = provenance ?? { source: graph.source ?? null, kerasVersion: graph.kerasVersion ?? null };
    const paramCounts = new Map((graph.layers ?? []).map((l) => [l.name, l.paramCount ?? null]));
    /** @type {{name: string, shape: (number|null)[]}[]} */
    this.inputs = this.#info.inputs.map((t) => ({ name: t.name, shape: [null, ...t.shape] }));
    this.outputs = this.#info.outputs.map((t) => ({ name: t.name, shape: [null, ...t.shape] }));
    this.layers = this.#info.layers.map((l) => ({
      name: l.name,
      className: l.className,
      inbound: l.inbound,
      outputShape: [null, ...l.outputShape],
      quantizers: l.quantizers,
      outputQuantizer: l.outputQuantizer,
      paramCount: paramCounts.get(l.name) ?? null,
      kernel: l.kernel ?? null,
      kernelReason: l.kernelReason ?? null,
    }));
    leakGuard?.register(this, { handle, instance: this.#instance }, this);
  }

  /**
   * What QKeras silently does with this model that the library follows to stay exact (a mangled
   * quantizer string, an ignored setting, non-finite weights, ...), one entry per surprise.
   * @returns {{layer: string, code: string, message: string}[]}
   */
  get warnings() {
    this.#warnings ??= Object.freeze(JSON.parse(this.#live().warnings()).map((w) => Object.freeze(w)));
    return this.#warnings;
  }

  get disposed() {
    return this.#handle === null;
  }

  #live() {
    if (this.#handle === null) throw new Error(`model '${this.name}' was disposed`);
    if (!isLive(this.#instance)) this.#rebuild();
    return this.#handle;
  }

  /** Like #live(), but waits for a replacement instance that is still being created. */
  async #ready() {
    if (this.#handle !== null && !isLive(this.#instance)) await getInstance();
    return this.#live();
  }

  /** Builds this model again on the live instance, after its own instance crashed. */
  #rebuild() {
    const instance = currentInstance();
    if (this.#rebuildFrom === null) {
      throw new Error(`model '${this.name}': the WASM core was restarted after a crash and this model was created without its weights; load it again`);
    }
    if (instance === null) throw new Error(`model '${this.name}': the WASM core is restarting after a crash; await model.predict() or load the model again`);
    leakGuard?.unregister(this);
    this.#handle = buildOn(instance, this.graph, this.#rebuildFrom.weights, this.#rebuildFrom.options);
    this.#instance = instance;
    leakGuard?.register(this, { handle: this.#handle, instance }, this);
  }

  /** Calls into the WASM core; a crash there becomes a clear Error and retires the instance. */
  #call(what, fn) {
    const handle = this.#live();
    return guardTrap(this.#instance, `${what} model '${this.name}'`, () => fn(handle));
  }

  /**
   * Normalizes predict()'s arguments into one Float32Array and shape per model input. Each input
   * may be a typed array or flat array (with a shape, or the batch inferred), nested arrays (shape
   * inferred), or a {data, shape} object such as readNpy() returns; a null batch in a shape (as in
   * model.inputs) is taken from the data.
   */
  #prepareInputs(data, shape) {
    const arrays = [];
    const shapes = [];
    const one = (input, value, givenShape, what) => {
      const dims = input.shape.slice(1);
      const perSample = dims.reduce((a, b) => a * b, 1);
      let x;
      let s = givenShape;
      if (isTensorLike(value)) {
        s = value.shape ?? givenShape;
        value = value.data;
      }
      if (isNestedArray(value)) {
        const nested = flattenNested(value, what);
        x = nested.data;
        if (s === undefined) s = fitInputShape(dims, nested.shape, what);
      } else {
        x = toFloat32Array(value, what);
      }
      if (Array.isArray(s) && s[0] === null) {
        const rest = s.slice(1);
        const n = rest.reduce((a, b) => a * b, 1);
        if (n === 0 || x.length % n !== 0) throw new Error(`${what}: ${x.length} values is not a whole number of samples of shape [${rest.join(', ')}]`);
        s = [x.length / n, ...rest];
      }
      if (s === undefined) {
        if (perSample === 0 || x.length % perSample !== 0) {
          throw new Error(`${what}: ${x.length} values is not a whole number of samples of shape [${dims.join(', ')}]`);
        }
        s = [x.length / perSample, ...dims];
      }
      checkShape(s, x.length, what);
      if (s.length !== input.shape.length || s.slice(1).some((d, i) => d !== input.shape[i + 1])) {
        throw new Error(`${what}: shape [${s.join(', ')}] does not match the model input '${input.name}' shape [batch, ${dims.join(', ')}]`);
      }
      arrays.push(x);
      shapes.push(s);
    };
    const names = this.inputs.map((i) => i.name);
    const single = this.inputs.length === 1;
    const flatNumbers = ArrayBuffer.isView(data) || (Array.isArray(data) && (data.length === 0 || typeof data[0] === 'number'));
    // An object whose keys are all input names is named inputs, even if one is called 'data'.
    const named = data !== null && typeof data === 'object' && !Array.isArray(data) && !ArrayBuffer.isView(data) &&
      Object.keys(data).length > 0 && Object.keys(data).every((k) => names.includes(k));
    if (single && (flatNumbers || (isTensorLike(data) && !named))) {
      one(this.inputs[0], data, shape, `input '${names[0]}'`);
    } else if (single && isNestedArray(data) && !(data.length === 1 && ArrayBuffer.isView(data[0]))) {
      one(this.inputs[0], data, shape, `input '${names[0]}'`);
    } else if (Array.isArray(data)) {
      if (data.length !== this.inputs.length) {
        throw new Error(`model has ${this.inputs.length} input${single ? '' : 's'} (${names.join(', ')}), got an array of ${data.length}: pass ${single ? 'the data (flat, nested arrays or {data, shape})' : 'one entry per input, or an object keyed by input name'}`);
      }
      data.forEach((d, i) => one(this.inputs[i], d, shape?.[i], `input '${names[i]}'`));
    } else if (named || (data && typeof data === 'object' && !isTensorLike(data))) {
      const unknown = Object.keys(data).filter((n) => !names.includes(n));
      if (unknown.length) throw new Error(`unknown input name(s) ${unknown.join(', ')}; the model's inputs are ${names.join(', ')}`);
      for (const input of this.inputs) {
        const d = Object.hasOwn(data, input.name) ? data[input.name] : undefined;
        if (d === undefined) throw new Error(`missing input '${input.name}'`);
        one(input, d, undefined, `input '${input.name}'`);
      }
    } else if (isTensorLike(data)) {
      throw new Error(`model has ${this.inputs.length} inputs (${names.join(', ')}): pass one {data, shape} per input, in an array or an object keyed by input name`);
    } else {
      throw new TypeError('predict(data, shape): data must be a typed array, (nested) arrays of numbers, a {data, shape} object, an array of inputs, or an object keyed by input name');
    }
    const batch = shapes[0][0];
    if (shapes.some((s) => s[0] !== batch)) throw new Error(`inputs disagree on the batch size: ${shapes.map((s) => s[0]).join(' vs ')}`);
    return { arrays, shapes };
  }

  /**
   * Runs the model exactly as QKeras's model.predict. Single-output models give one {data, shape};
   * multi-output models an array in model.outputs order that can also be read by output name
   * (outputs.get('name'), or outputs.name where the name is not an Array method).
   * @returns {Promise<{data: Float32Array, shape: number[]} | {data: Float32Array, shape: number[]}[]>}
   */
  async predict(data, shape, options) {
    if (options === undefined && isOptionsObject(shape)) [shape, options] = [undefined, shape];
    checkOptionKeys(options, PREDICT_OPTIONS, 'predict');
    const threads = checkThreads(options?.threads, 'predict');
    await this.#ready();
    const { arrays, shapes } = this.#prepareInputs(data, shape);
    // Where these samples sit in the user's call (a worker's piece: CALL_POSITION), so that every
    // run below gives each sample its position in the whole call.
    const { first = 0, total = shapes[0][0] } = options?.[CALL_POSITION] ?? {};
    const pieces = splitBatch(shapes[0][0], threads);
    const outputs =
      pieces.length > 1
        ? joinOutputs(await this.#threadPool().run(pieces.map(([start, end]) => {
            const piece = sliceInputs(arrays, shapes, start, end);
            return { op: 'predict', payload: { ...piece, first: first + start, total }, transfer: piece.arrays.map((x) => x.buffer) };
          })))
        : this.#call('predicting with', (handle) => {
            handle.setCallPosition(first, total);
            return handle.predict(arrays, shapes);
          });
    return outputs.length === 1 ? outputs[0] : keyedByName(outputs, this.outputs.map((o) => o.name), 'output');
  }

  /**
   * The k highest scores of each sample of an output (e.g. class probabilities), best first.
   * @param {{data: ArrayLike<number>, shape?: number[]} | ArrayLike<number>} output one output of predict()
   * @param {number} [k]
   * @param {string[]} [labels] class names, by index
   * @returns {{index: number, value: number, label?: string}[] | {index: number, value: number, label?: string}[][]}
   *   one list for a single sample (a flat array or a rank-1 shape), else one list per sample
   */
  topK(output, k = 5, labels) {
    return topK(output, k, labels);
  }

  /**
   * The static quantization analysis: for every layer output, is it quantized, on which grid,
   * and why or why not. Needs no input.
   */
  analyze() {
    this.#analysis ??= shapeAnalysis(JSON.parse(this.#call('analyzing', (handle) => handle.analyze())), this.layers);
    return this.#analysis;
  }

  /**
   * Runs the model and returns every layer's output in execution order, with its quantization
   * status and observed statistics (is every value on the declared grid?). The result is an
   * array that can also be read by layer name: trace.get('q_dense').
   * @param {{layers?: string[], includeData?: boolean, histogramBins?: number, batchSize?: number, steps?: boolean}} [options]
   *   batchSize: trace the batch in pieces of this many samples (less WASM memory); the
   *   statistics and data still cover the whole batch.
   *   steps: recurrent layers also return their states at every time step (entry.steps).
   */
  async trace(data, shape, options = {}) {
    if (isOptionsObject(shape) && (options === undefined || (isOptionsObject(options) && Object.keys(options).length === 0))) [shape, options] = [undefined, shape];
    await this.#ready();
    checkOptionKeys(options, TRACE_OPTIONS, 'trace');
    const { layers = null, includeData = true, histogramBins = 16, batchSize, steps = false } = options ?? {};
    const threads = checkThreads(options?.threads, 'trace');
    if (typeof includeData !== 'boolean') throw new TypeError('trace options.includeData must be true or false');
    if (typeof steps !== 'boolean') throw new TypeError('trace options.steps must be true or false');
    if (layers !== null && (!Array.isArray(layers) || layers.some((l) => typeof l !== 'string'))) {
      throw new TypeError('trace options.layers must be an array of layer names');
    }
    if (!Number.isInteger(histogramBins) || histogramBins < 1 || histogramBins > 4096) {
      throw new TypeError('trace options.histogramBins must be an integer from 1 to 4096');
    }
    if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1)) {
      throw new TypeError(`trace options.batchSize must be a positive integer, got ${JSON.stringify(batchSize)}`);
    }
    if (steps && batchSize !== undefined) {
      throw new TypeError('trace options.steps cannot be combined with batchSize (per-step states are recorded for one pass)');
    }
    if (steps && threads > 1) {
      throw new TypeError('trace options.steps cannot be combined with threads (per-step states are recorded for one pass)');
    }
    const { arrays, shapes } = this.#prepareInputs(data, shape);
    const analysis = this.analyze();
    const batch = shapes[0][0];
    // Where these samples sit in the user's call (a worker's piece: CALL_POSITION); every run
    // below is told where its samples sit in the whole call (at: its first sample's index here).
    const { first = 0, total = batch } = options?.[CALL_POSITION] ?? {};
    const run = (xs, ss, withData, at = 0) => {
      try {
        this.#releaseTraceData();
        const raw = this.#call('tracing', (handle) => {
          handle.setCallPosition(first + at, total);
          return handle.trace(xs, ss, layers, withData, histogramBins, steps);
        });
        // Both views alias the heap: decode the record now, remember where the data lies.
        const decoded = decodeTraceRecord(raw.record, raw.extras);
        const source = raw.data
          ? { instance: this.#instance, start: raw.data.byteOffset >> 2, length: raw.data.length, copy: null, unread: decoded.length, name: this.name }
          : null;
        // Every entry reaches `source` through its data getter: the WeakRef dies with the trace.
        if (source) this.#traceData = new WeakRef(source);
        return shapeTrace(decoded, analysis, this.layers, source ? (r) => traceValues(source, r) : null);
      } catch (error) {
        const oom = /out of memory/i.test(error?.message ?? '');
        if (!oom && !/maxArenaBytes/.test(error?.message ?? '')) throw error;
        const hints = [];
        if (oom && withData && batchSize === undefined) hints.push('{ includeData: false } (statistics only, no copy of every layer output)');
        if (ss[0][0] > 1) hints.push(`a smaller batch, e.g. { batchSize: ${Math.max(1, Math.floor(ss[0][0] / 8))} } (traced in pieces, statistics still over all ${batch} samples)`);
        if (oom && layers === null) hints.push("{ layers: ['name', ...] } (only the layers you need)");
        throw new Error(`trace of ${batch} sample${batch === 1 ? '' : 's'}: ${error.message}; try ${hints.join(', or ')}`, { cause: error });
      }
    };
    const split = splitBatch(batch, threads, batchSize);
    if (split.length > 1) {
      // Each worker traces its piece (in pieces of batchSize, if given) with the data, which the
      // exact merge of the statistics needs; the merge is the one batchSize uses.
      const results = await this.#threadPool().run(split.map(([start, end]) => {
        const piece = sliceInputs(arrays, shapes, start, end);
        const pieceOptions = { layers, includeData: true, histogramBins, ...(batchSize !== undefined ? { batchSize } : {}) };
        return { op: 'trace', payload: { ...piece, options: pieceOptions, first: first + start, total }, transfer: piece.arrays.map((x) => x.buffer) };
      }));
      const pieces = results.map(({ entries, data: all }) => entries.map(({ at, ...e }) => ({ ...e, data: all.subarray(at.offset, at.offset + at.count) })));
      return keyedTrace(mergeTracePieces(pieces, batch, { includeData, histogramBins }));
    }
    if (batchSize === undefined || batchSize >= batch) return keyedTrace(run(arrays, shapes, includeData));
    const pieces = function* () {
      for (let start = 0; start < batch; start += batchSize) {
        const end = Math.min(batch, start + batchSize);
        const xs = arrays.map((x, i) => {
          const per = shapes[i].slice(1).reduce((a, b) => a * b, 1);
          return x.subarray(start * per, end * per);
        });
        // Every piece's data is needed to merge exact statistics; only kept with includeData.
        yield run(xs, shapes.map((s) => [end - start, ...s.slice(1)]), true, start);
      }
    };
    return keyedTrace(mergeTracePieces(pieces(), batch, { includeData, histogramBins }));
  }

  /**
   * Every weight as the hardware sees it: integer codes, scale, dequantized values, statistics.
   * @param {string} [layerName] only this layer's weights
   */
  async weights(layerName) {
    this.#live();
    return modelWeights(this, layerName);
  }

  /**
   * An hls4ml config with the narrowest exact ap_fixed types the analysis proves, and suggested
   * (lossy) types for float tensors, from a trace of `input` when given.
   * @param {{input?: import('./index.js').PredictInput, inputShape?: number[]}} [options]
   */
  async hls4mlConfig(options = {}) {
    this.#live();
    return hls4mlConfig(this, options);
  }

  /** A text table like Keras's model.summary(), with each layer's quantizers. */
  summary() {
    return formatSummary(this);
  }

  /**
   * Copies the last trace's unread outputs out of the WASM heap before the next trace (or
   * dispose) reuses it, so every entry.data stays valid for as long as the trace is kept. Costs
   * nothing when that trace was already dropped (garbage-collected) or all its data was read.
   */
  #releaseTraceData() {
    const source = this.#traceData?.deref();
    this.#traceData = null;
    if (source === undefined) return;
    if (source.unread > 0 && source.copy === null && isLive(source.instance)) {
      source.copy = source.instance.module.HEAPF32.slice(source.start, source.start + source.length);
    }
    source.instance = null;
  }

  /** Frees the model's WASM memory. The model cannot be used afterwards. */
  dispose() {
    this.#pool?.dispose();
    this.#pool = null;
    if (this.#handle === null) return;
    this.#releaseTraceData();
    leakGuard?.unregister(this);
    if (isLive(this.#instance)) this.#handle.delete();
    this.#handle = null;
    this.#rebuildFrom = null;
  }

  /**
   * The workers of predict/trace({threads}), created on first use: each loads this model from
   * its converted (.qkwm) bytes, made once here, with the options it was loaded with.
   */
  #threadPool() {
    if (this.#pool) return this.#pool;
    if (this.#rebuildFrom === null) {
      throw new Error(`model '${this.name}': options.threads needs a model made by loadModel() (the workers build it from its weights)`);
    }
    const { weights, options } = this.#rebuildFrom;
    this.#pool = new ThreadPool(() => {
      const handle = this.#live();
      const model = encodeBuilt(handle, this.#instance, this.graph, weights, this.provenance, { converted: this.converted });
      const { onProgress, ...rest } = options; // functions do not cross to a worker
      return { model, options: rest };
    });
    return this.#pool;
  }

  /** @internal the batch workers, if predict/trace({threads}) started them (tests, benchmarks) */
  get _threadPool() {
    return this.#pool;
  }

  /** @internal the Embind handle, for sibling modules (tracing, conversion) */
  get _handle() {
    return this.#live();
  }
}
