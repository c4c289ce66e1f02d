// loadModel() and the Model class: a user's QKeras model, built once in the WASM heap.
import { getWasmModule } from './wasm-module.js';
import { checkShape, optionsToJson, toFloat32Array } from './util.js';
import { readModelSource } from './io/index.js';
import { decodeQkwm } from './format/qkwm.js';
import { formatSummary } from './summary.js';
import { shapeAnalysis, shapeTrace } from './trace.js';

// Frees the WASM side of a Model that was garbage-collected without dispose().
const leakGuard =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry((handle) => {
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
export async function readModel(source, { onProgress } = {}) {
  const read = await readModelSource(source, { onProgress });
  if (read.format === 'qkwm') {
    const { header, graph, weights } = decodeQkwm(read.bytes, read.name ?? 'model.qkwm');
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
    layer.paramCount = (weights[layer.name] ?? []).reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
  }
}

/** Builds the WASM model from a normalized graph and its weights. */
export async function buildModel(graph, weights, options = {}) {
  const wasm = await getWasmModule();
  const builder = new wasm.ModelBuilder();
  try {
    for (const [layer, list] of Object.entries(weights)) {
      for (const w of list) builder.addWeight(layer, w.role ?? '', w.index ?? 0, w.shape, w.data);
    }
    const quantizerOptions = {};
    if (options.internalSigmoid !== undefined) quantizerOptions.internalSigmoid = options.internalSigmoid;
    if (options.qnoiseFactor !== undefined) quantizerOptions.qnoiseFactor = options.qnoiseFactor;
    if (options.integerKernels !== undefined) quantizerOptions.integerKernels = options.integerKernels;
    if (options.fuse !== undefined) quantizerOptions.fuse = options.fuse;
    return builder.build(JSON.stringify(graph), optionsToJson(quantizerOptions));
  } finally {
    builder.delete();
  }
}

/**
 * @param {string|URL|ArrayBuffer|Uint8Array|Blob|{config: string|object, weights: any}} source
 * @param {{onProgress?: (p: {phase: string, loaded: number, total: number}) => void,
 *          internalSigmoid?: 'hard'|'smooth'|'real', qnoiseFactor?: number, integerKernels?: boolean,
 *          fuse?: boolean}} [options]
 * @returns {Promise<Model>}
 */
export async function loadModel(source, options = {}) {
  const { graph, weights, converted, provenance } = await readModel(source, options);
  options.onProgress?.({ phase: 'build', loaded: 0, total: 1 });
  const handle = await buildModel(graph, weights, options);
  options.onProgress?.({ phase: 'build', loaded: 1, total: 1 });
  return new Model(handle, graph, { converted, provenance });
}

export class Model {
  #handle;
  #info;
  #analysis = null;

  constructor(handle, graph, { converted = false, provenance = null } = {}) {
    this.#handle = handle;
    this.#info = JSON.parse(handle.info());
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
    leakGuard?.register(this, handle, this);
  }

  get disposed() {
    return this.#handle === null;
  }

  #live() {
    if (this.#handle === null) throw new Error(`model '${this.name}' was disposed`);
    return this.#handle;
  }

  /** Normalizes predict()'s arguments into one Float32Array and shape per model input. */
  #prepareInputs(data, shape) {
    const arrays = [];
    const shapes = [];
    const one = (input, values, givenShape, what) => {
      const x = toFloat32Array(values, what);
      const perSample = input.shape.slice(1).reduce((a, b) => a * b, 1);
      let s = givenShape;
      if (s === undefined) {
        if (perSample === 0 || x.length % perSample !== 0) {
          throw new Error(`${what}: ${x.length} values is not a whole number of samples of shape [${input.shape.slice(1).join(', ')}]`);
        }
        s = [x.length / perSample, ...input.shape.slice(1)];
      }
      checkShape(s, x.length, what);
      if (s.length !== input.shape.length || s.slice(1).some((d, i) => d !== input.shape[i + 1])) {
        throw new Error(`${what}: shape [${s.join(', ')}] does not match the model input '${input.name}' shape [batch, ${input.shape.slice(1).join(', ')}]`);
      }
      arrays.push(x);
      shapes.push(s);
    };
    const flatNumbers = ArrayBuffer.isView(data) || (Array.isArray(data) && (data.length === 0 || typeof data[0] === 'number'));
    if (this.inputs.length === 1 && flatNumbers) {
      one(this.inputs[0], data, shape, `input '${this.inputs[0].name}'`);
    } else if (Array.isArray(data)) {
      if (data.length !== this.inputs.length) throw new Error(`model has ${this.inputs.length} inputs, got ${data.length}`);
      data.forEach((d, i) => one(this.inputs[i], d.data ?? d, d.shape ?? shape?.[i], `input '${this.inputs[i].name}'`));
    } else if (data && typeof data === 'object') {
      const names = Object.keys(data);
      const unknown = names.filter((n) => !this.inputs.some((i) => i.name === n));
      if (unknown.length) throw new Error(`unknown input name(s) ${unknown.join(', ')}; the model's inputs are ${this.inputs.map((i) => i.name).join(', ')}`);
      for (const input of this.inputs) {
        const d = data[input.name];
        if (d === undefined) throw new Error(`missing input '${input.name}'`);
        one(input, d.data ?? d, d.shape, `input '${input.name}'`);
      }
    } else {
      throw new TypeError('predict(data, shape): data must be a Float32Array, an array of inputs, or an object keyed by input name');
    }
    const batch = shapes[0][0];
    if (shapes.some((s) => s[0] !== batch)) throw new Error(`inputs disagree on the batch size: ${shapes.map((s) => s[0]).join(' vs ')}`);
    return { arrays, shapes };
  }

  /**
   * Runs the model exactly as QKeras's model.predict.
   * @returns {Promise<{data: Float32Array, shape: number[]} | {data: Float32Array, shape: number[]}[]>}
   */
  async predict(data, shape) {
    const handle = this.#live();
    const { arrays, shapes } = this.#prepareInputs(data, shape);
    const outputs = handle.predict(arrays, shapes);
    return outputs.length === 1 ? outputs[0] : outputs;
  }

  /**
   * The static quantization analysis: for every layer output, is it quantized, on which grid,
   * and why or why not. Needs no input.
   */
  analyze() {
    this.#analysis ??= shapeAnalysis(JSON.parse(this.#live().analyze()), this.layers);
    return this.#analysis;
  }

  /**
   * Runs the model and returns every layer's output in execution order, with its quantization
   * status and observed statistics (is every value on the declared grid?).
   * @param {{layers?: string[], includeData?: boolean, histogramBins?: number}} [options]
   */
  async trace(data, shape, options = {}) {
    const handle = this.#live();
    const { layers = null, includeData = true, histogramBins = 16 } = options ?? {};
    if (typeof includeData !== 'boolean') throw new TypeError('trace options.includeData must be true or false');
    if (layers !== null && (!Array.isArray(layers) || layers.some((l) => typeof l !== 'string'))) {
      throw new TypeError('trace options.layers must be an array of layer names');
    }
    if (!Number.isInteger(histogramBins) || histogramBins < 1 || histogramBins > 4096) {
      throw new TypeError('trace options.histogramBins must be an integer from 1 to 4096');
    }
    const { arrays, shapes } = this.#prepareInputs(data, shape);
    const analysis = this.analyze();
    const raw = handle.trace(arrays, shapes, JSON.stringify({ layers, includeData, histogramBins }));
    return shapeTrace(raw, analysis, this.layers);
  }

  /** A text table like Keras's model.summary(), with each layer's quantizers. */
  summary() {
    return formatSummary(this);
  }

  /** Frees the model's WASM memory. The model cannot be used afterwards. */
  dispose() {
    if (this.#handle === null) return;
    leakGuard?.unregister(this);
    this.#handle.delete();
    this.#handle = null;
  }

  /** @internal the Embind handle, for sibling modules (tracing, conversion) */
  get _handle() {
    return this.#live();
  }
}
