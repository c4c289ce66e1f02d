// Turns any Keras model config (Keras 2 Sequential / Functional / Model, Keras 3 serialization)
// into the normalized graph that the C++ runtime consumes (src/graph/model.h), and legacy
// per-layer HDF5 weights into the normalized weights object.

import { checkJsonDepth, partError } from './util.js';
import { DEFAULT_LIMITS } from '../limits.js';

/**
 * @typedef {[string, number, number]} TensorRef  [layerName, nodeIndex, tensorIndex]
 * @typedef {{
 *   name: string, className: string, config: Record<string, any>, inbound: TensorRef[],
 *   inboundNodes?: number, wrapper?: { className: string, innerName: string | undefined }
 * }} GraphLayer
 * @typedef {{
 *   name: string, kerasVersion: string, backend: string, source: string, format: string,
 *   modelClass: string, layers: GraphLayer[], inputs: TensorRef[], outputs: TensorRef[]
 * }} Graph
 * @typedef {{ role: string, index: number, shape: number[], data: Float32Array, name?: string }} Weight
 * @typedef {Map<string, Weight[]>} Weights  a Map: layer names come from the file ('constructor', '__proto__'...)
 * @typedef {{ name: string, shape: number[], data: Float32Array }} RawWeight  name = HDF5 weight name
 * @typedef {{ layerNames: string[], layers: Map<string, RawWeight[]>, kerasVersion?: string, backend?: string }} LegacyWeights
 */

/** Wrappers we unwrap: the inner layer runs unchanged at inference once its stored weights are final. */
const UNWRAPPED_WRAPPERS = new Set(['PruneLowMagnitude']);
/** Variables a PruneLowMagnitude wrapper adds next to the inner layer's own. */
const PRUNING_VARIABLES = new Set(['mask', 'threshold', 'pruning_step']);

/**
 * "qkeras>QDense" -> "QDense". Only applied to class_name values that carry the prefix.
 * @param {string} className
 */
export function stripRegisteredPrefix(className) {
  const i = className.lastIndexOf('>');
  return i >= 0 ? className.slice(i + 1) : className;
}

/**
 * Role of a weight from its HDF5 name: last path component without ":0".
 * "fused_convbn_0/batch_normalization_6/gamma:0" -> "gamma".
 * @param {string} weightName
 */
export function weightRole(weightName) {
  const last = weightName.split('/').pop() ?? weightName;
  return last.replace(/:\d+$/, '');
}

/** @param {unknown} v @returns {v is Record<string, any>} */
function isObject(v) {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * @param {unknown} value
 * @param {string} part
 * @param {string} where
 * @returns {TensorRef}
 */
function toTensorRef(value, part, where) {
  if (!Array.isArray(value) || typeof value[0] !== 'string') {
    throw partError(part, `${where}: expected [layerName, nodeIndex, tensorIndex], got ${JSON.stringify(value)}`);
  }
  const node = value.length > 1 ? Number(value[1]) : 0;
  const tensor = value.length > 2 ? Number(value[2]) : 0;
  if (!Number.isInteger(node) || !Number.isInteger(tensor)) {
    throw partError(part, `${where}: node and tensor indices must be integers, got ${JSON.stringify(value)}`);
  }
  return [value[0], node, tensor];
}

/**
 * input_layers / output_layers come as [[name, n, t], ...] or, for one tensor, [name, n, t].
 * @param {unknown} value
 * @param {string} part
 * @param {string} key
 * @returns {TensorRef[]}
 */
function toTensorRefList(value, part, key) {
  if (!Array.isArray(value)) throw partError(part, `model config "${key}" must be a list`);
  if (value.length > 0 && typeof value[0] === 'string') return [toTensorRef(value, part, key)];
  return value.map((v, i) => toTensorRef(v, part, `${key}[${i}]`));
}

/**
 * Collects Keras 3 "__keras_tensor__" references in argument order.
 * @param {unknown} value
 * @param {TensorRef[]} out
 * @param {string} part
 * @param {string} where
 */
function collectKerasTensors(value, out, part, where) {
  if (Array.isArray(value)) {
    for (const v of value) collectKerasTensors(v, out, part, where);
  } else if (isObject(value)) {
    if (value.class_name === '__keras_tensor__') {
      const history = value.config?.keras_history;
      out.push(toTensorRef(history, part, `${where} keras_history`));
      return;
    }
    for (const v of Object.values(value)) collectKerasTensors(v, out, part, where);
  }
}

/**
 * One inbound node, Keras 2 list form [[name, n, t, kwargs], ...] or Keras 3 {args, kwargs}.
 * @param {unknown} node
 * @param {string} part
 * @param {string} where
 * @returns {TensorRef[]}
 */
function parseInboundNode(node, part, where) {
  if (Array.isArray(node)) {
    // Keras 2: list of [name, nodeIndex, tensorIndex, kwargs]. Some writers emit one bare entry.
    if (node.length > 0 && typeof node[0] === 'string') return [toTensorRef(node, part, where)];
    return node.map((entry, i) => toTensorRef(entry, part, `${where}[${i}]`));
  }
  if (isObject(node)) {
    /** @type {TensorRef[]} */
    const refs = [];
    collectKerasTensors(node.args ?? [], refs, part, where);
    collectKerasTensors(node.kwargs ?? {}, refs, part, where);
    return refs;
  }
  throw partError(part, `${where}: unrecognised inbound node ${JSON.stringify(node)}`);
}

/**
 * Unwraps PruneLowMagnitude, keeping the wrapper's name (inbound references use it).
 * @param {string} name
 * @param {string} className
 * @param {Record<string, any>} config
 * @param {string} part
 * @param {string} where
 * @returns {{ className: string, config: Record<string, any>, wrapper?: GraphLayer['wrapper'] }}
 */
function unwrapLayer(name, className, config, part, where) {
  if (!UNWRAPPED_WRAPPERS.has(className)) return { className, config };
  const inner = config.layer;
  if (!isObject(inner) || typeof inner.class_name !== 'string' || !isObject(inner.config)) {
    throw partError(part, `${where} (${name}): ${className} wrapper has no inner "layer" with class_name and config`);
  }
  return {
    className: stripRegisteredPrefix(inner.class_name),
    config: inner.config,
    wrapper: { className, innerName: typeof inner.config.name === 'string' ? inner.config.name : undefined },
  };
}

/**
 * @param {Record<string, any>} layer
 * @param {number} index
 * @param {string} part
 */
function layerBasics(layer, index, part) {
  if (!isObject(layer)) throw partError(part, `layer ${index} is not an object`);
  if (typeof layer.class_name !== 'string' || layer.class_name.length === 0) {
    throw partError(part, `layer ${index} has no class_name`);
  }
  if (!isObject(layer.config)) throw partError(part, `layer ${index} (${layer.class_name}) has no config object`);
  const name = typeof layer.name === 'string' ? layer.name : layer.config.name;
  if (typeof name !== 'string' || name.length === 0) {
    throw partError(part, `layer ${index} (${layer.class_name}) has no name`);
  }
  return { name, className: stripRegisteredPrefix(layer.class_name), config: layer.config };
}

/**
 * Batch input shape for a Sequential model saved without an explicit InputLayer.
 * @param {Record<string, any>} first
 * @param {Record<string, any>} modelConfig
 */
function sequentialInputShape(first, modelConfig) {
  const c = first.config ?? {};
  if (Array.isArray(c.batch_input_shape)) return c.batch_input_shape;
  if (Array.isArray(c.batch_shape)) return c.batch_shape;
  if (Array.isArray(c.input_shape)) return [null, ...c.input_shape];
  if (Array.isArray(first.build_config?.input_shape)) return first.build_config.input_shape;
  if (Array.isArray(modelConfig.build_input_shape)) return modelConfig.build_input_shape;
  return undefined;
}

/**
 * Normalizes a Keras model config ({class_name, config, ...} as in model_config / to_json / config.json).
 * @param {unknown} modelJson parsed JSON
 * @param {{ kerasVersion?: string, backend?: string, source?: string, format?: string }} meta
 * @param {string} part file part named in errors
 * @param {{ limits?: { maxNestingDepth: number } }} [options]
 * @returns {Graph}
 */
export function normalizeModelConfig(modelJson, meta, part, options = {}) {
  if (!isObject(modelJson)) throw partError(part, 'model config is not a JSON object');
  checkJsonDepth(modelJson, options.limits?.maxNestingDepth ?? DEFAULT_LIMITS.maxNestingDepth, part);
  if (typeof modelJson.class_name !== 'string') throw partError(part, 'model config has no class_name');
  const modelClass = stripRegisteredPrefix(modelJson.class_name);
  const config = modelJson.config;
  if (!isObject(config)) throw partError(part, `model config (${modelClass}) has no config object`);
  if (!Array.isArray(config.layers)) throw partError(part, `model config (${modelClass}) has no "layers" list`);

  const kerasVersion = String(meta.kerasVersion ?? modelJson.keras_version ?? '');
  const backend = String(meta.backend ?? modelJson.backend ?? '');
  /** @type {GraphLayer[]} */
  const layers = [];
  /** @type {TensorRef[]} */
  let inputs;
  /** @type {TensorRef[]} */
  let outputs;

  const isSequential = modelClass === 'Sequential';
  const hasInboundNodes = config.layers.some((l) => isObject(l) && Array.isArray(l.inbound_nodes) && l.inbound_nodes.length > 0);

  if (isSequential && !hasInboundNodes) {
    const list = config.layers;
    if (list.length === 0) throw partError(part, 'Sequential model has no layers');
    list.forEach((layer, index) => {
      const basics = layerBasics(layer, index, part);
      if (basics.className === 'InputLayer' && index !== 0) {
        throw partError(part, `layer ${index} (${basics.name}): InputLayer in the middle of a Sequential model`);
      }
      const unwrapped = unwrapLayer(basics.name, basics.className, basics.config, part, `layer ${index}`);
      layers.push({ name: basics.name, ...unwrapped, inbound: [] });
    });
    if (layers[0].className !== 'InputLayer') {
      const batchShape = sequentialInputShape(list[0], config);
      if (!batchShape) {
        throw partError(part, `Sequential model: first layer ${layers[0].name} has no batch_input_shape and there is no InputLayer`);
      }
      const inputName = `${layers[0].name}_input`;
      layers.unshift({
        name: inputName,
        className: 'InputLayer',
        config: { batch_input_shape: batchShape, dtype: 'float32', sparse: false, ragged: false, name: inputName },
        inbound: [],
      });
    }
    for (let i = 1; i < layers.length; i++) layers[i].inbound = [[layers[i - 1].name, 0, 0]];
    inputs = [[layers[0].name, 0, 0]];
    outputs = [[layers[layers.length - 1].name, 0, 0]];
  } else {
    config.layers.forEach((layer, index) => {
      const basics = layerBasics(layer, index, part);
      const unwrapped = unwrapLayer(basics.name, basics.className, basics.config, part, `layer ${index}`);
      const nodes = layer.inbound_nodes ?? [];
      if (!Array.isArray(nodes)) throw partError(part, `layer ${index} (${basics.name}): inbound_nodes is not a list`);
      /** @type {GraphLayer} */
      const entry = {
        name: basics.name,
        ...unwrapped,
        inbound: nodes.length > 0 ? parseInboundNode(nodes[0], part, `layer ${index} (${basics.name}) inbound_nodes[0]`) : [],
      };
      if (nodes.length > 1) entry.inboundNodes = nodes.length;
      layers.push(entry);
    });
    if (config.input_layers === undefined) throw partError(part, `${modelClass} model config has no input_layers`);
    if (config.output_layers === undefined) throw partError(part, `${modelClass} model config has no output_layers`);
    inputs = toTensorRefList(config.input_layers, part, 'input_layers');
    outputs = toTensorRefList(config.output_layers, part, 'output_layers');
  }

  const names = new Set();
  for (const layer of layers) {
    if (names.has(layer.name)) throw partError(part, `two layers are named "${layer.name}"`);
    names.add(layer.name);
    // Flags the converter sets for its own .qkwm files (e.g. qkw_effective_weights: the stored
    // weights are already quantized) must not come in through a user's file.
    const internal = Object.keys(layer.config).find((k) => k.startsWith('qkw_'));
    if (internal !== undefined) {
      throw partError(part, `layer ${layer.name}: config key "${internal}" is internal to qkeras-wasm and not allowed in a Keras model file`);
    }
  }
  for (const layer of layers) {
    for (const [producer] of layer.inbound) {
      if (!names.has(producer)) throw partError(part, `layer ${layer.name} takes input from unknown layer "${producer}"`);
    }
  }
  for (const [name] of [...inputs, ...outputs]) {
    if (!names.has(name)) throw partError(part, `model input/output refers to unknown layer "${name}"`);
  }

  return {
    name: typeof config.name === 'string' ? config.name : 'model',
    kerasVersion,
    backend,
    source: meta.source ?? '',
    format: meta.format ?? '',
    modelClass,
    layers,
    inputs,
    outputs,
  };
}

/**
 * Checks that a stored kernel already has its pruning mask applied (every masked-out entry is 0).
 * @param {string} layerName
 * @param {RawWeight} kernel
 * @param {RawWeight} mask
 * @param {string} part
 */
function checkMaskApplied(layerName, kernel, mask, part) {
  if (kernel.data.length !== mask.data.length) {
    throw partError(part, `layer ${layerName}: pruning mask ${mask.name} has shape [${mask.shape}], kernel ${kernel.name} has [${kernel.shape}]`);
  }
  let violations = 0;
  let first = -1;
  for (let i = 0; i < kernel.data.length; i++) {
    const k = kernel.data[i];
    if (Math.fround(k * mask.data[i]) !== k) {
      if (first < 0) first = i;
      violations++;
    }
  }
  if (violations > 0) {
    throw partError(
      part,
      `layer ${layerName}: stored kernel ${kernel.name} does not have its pruning mask applied ` +
        `(${violations} entries differ from kernel*mask, first at flat index ${first}); ` +
        'run tfmot.sparsity.keras.strip_pruning before saving',
    );
  }
}

/**
 * Splits a PruneLowMagnitude layer's variables into the inner layer's and the wrapper's, checks
 * the masks, and returns the inner layer's variables in order.
 * @param {string} layerName
 * @param {RawWeight[]} raw
 * @param {string} part
 * @returns {RawWeight[]}
 */
function unwrapPruningWeights(layerName, raw, part) {
  const isWrapperVariable = (/** @type {RawWeight} */ w) =>
    PRUNING_VARIABLES.has(weightRole(w.name)) && w.name.split('/')[0] === layerName;
  const inner = raw.filter((w) => !isWrapperVariable(w));
  const masks = raw.filter((w) => weightRole(w.name) === 'mask' && isWrapperVariable(w));
  for (const mask of masks) {
    const candidates = inner.filter(
      (w) => /kernel$/.test(weightRole(w.name)) && w.shape.length === mask.shape.length && w.shape.every((d, i) => d === mask.shape[i]),
    );
    if (candidates.length !== 1) {
      throw partError(part, `layer ${layerName}: cannot tell which weight pruning mask ${mask.name} belongs to (${candidates.length} kernels of shape [${mask.shape}])`);
    }
    checkMaskApplied(layerName, candidates[0], mask, part);
  }
  return inner;
}

/**
 * A layer's weights must be ones its config uses: no two with the same name or role, and no bias
 * when the config says use_bias: false (the layer would silently ignore it).
 * @param {GraphLayer} layer
 * @param {Weight[]} list
 * @param {string} part
 */
export function checkWeightList(layer, list, part) {
  const hint = 'pass { ignoreExtraWeights: true } to load it anyway';
  const seen = new Set();
  // A Bidirectional holds two cells' weights with the same roles: there the full names must differ.
  const twoCells = /Bidirectional$/.test(layer.className ?? '');
  for (const w of list) {
    const key = twoCells && w.name ? `name ${w.name}` : w.role ? `role ${w.role}` : `#${w.index}`;
    if (seen.has(key)) throw partError(part, `layer ${layer.name}: duplicate weight ${w.name ?? key} (${key} appears twice); ${hint}`);
    seen.add(key);
    if (w.role === 'bias' && layer.config?.use_bias === false) {
      throw partError(part, `layer ${layer.name}: weight ${w.name ?? 'bias'} is a bias but the config has use_bias: false, so the layer would ignore it; ${hint}`);
    }
  }
}

/**
 * Maps legacy (Keras 2 HDF5) per-layer weights onto the graph's layers by name.
 * @param {Graph} graph
 * @param {LegacyWeights} legacy
 * @param {string} part
 * @param {{ requireAllLayers?: boolean, ignoreExtraWeights?: boolean }} [options] requireAllLayers: every
 *   non-input layer of the graph must be listed in the weights file (true for the JSON + weights
 *   route); ignoreExtraWeights: accept duplicate weights and a bias the config does not use
 * @returns {Weights}
 */
export function normalizeLegacyWeights(graph, legacy, part, options = {}) {
  const byName = new Map(graph.layers.map((l) => [l.name, l]));
  /** @type {Weights} */
  const weights = new Map();
  for (const layerName of legacy.layerNames) {
    const layer = byName.get(layerName);
    if (!layer) throw partError(part, `weights for layer "${layerName}" but the model config has no layer of that name`);
    let raw = legacy.layers.get(layerName) ?? [];
    if (layer.wrapper?.className === 'PruneLowMagnitude') raw = unwrapPruningWeights(layerName, raw, part);
    if (weights.has(layerName)) throw partError(part, `layer "${layerName}" is listed twice in layer_names`);
    const list = raw.map((w, index) => ({ role: weightRole(w.name), index, shape: w.shape, data: w.data, name: w.name }));
    if (!options.ignoreExtraWeights) checkWeightList(layer, list, part);
    weights.set(layerName, list);
  }
  if (options.requireAllLayers) {
    const listed = new Set(legacy.layerNames);
    for (const layer of graph.layers) {
      if (layer.className !== 'InputLayer' && !listed.has(layer.name)) {
        throw partError(part, `layer "${layer.name}" of the model config is not in the weights file's layer_names`);
      }
    }
  }
  return weights;
}
