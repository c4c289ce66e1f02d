// Entry point of the file readers: takes whatever the user has (path, URL, bytes, Blob, or
// { config, weights }) and returns the normalized graph + weights, detecting the format by magic bytes.

import { baseName, checkJsonSize, detectFormat, isBlob, isBytes, partError, rethrowWithPart, toUint8Array } from './util.js';
import { resolveLimits } from '../limits.js';
import { normalizeLegacyWeights, normalizeModelConfig } from './normalize.js';
import { parseJsonBytes, readKerasZip } from './keras_zip.js';
import { nodePlatform, pageBase } from '../platform.js';

/** @typedef {import('./normalize.js').Graph} Graph */
/** @typedef {import('./normalize.js').Weights} Weights */
/** @typedef {{ phase: 'read' | 'parse' | 'weights', loaded: number, total: number, part?: string }} Progress */
/** @typedef {{ onProgress?: (p: Progress) => void, name?: string }} ReadOptions */
/** @typedef {string | URL | ArrayBuffer | ArrayBufferView | Blob} ByteSource */
/**
 * @typedef {ByteSource | { config: string | Record<string, any> | ByteSource, weights: ByteSource }} ModelSource
 */
/** @typedef {{ graph: Graph, weights: Weights } | { format: 'qkwm', bytes: Uint8Array, name: string }} ModelRead */

/** Strings read with fetch() in Node too (anything else there is a path or a file: URL). */
function isUrlString(s) {
  return /^(https?:|blob:|data:)/i.test(s);
}

/**
 * @param {Response} response
 * @param {string} name
 * @param {(p: Progress) => void} [onProgress]
 * @param {URL} [url]
 */
async function readResponse(response, name, onProgress, url) {
  if (!response.ok) throw partError(name, `HTTP ${response.status} ${response.statusText}`.trim() + (url && url.protocol !== 'data:' ? ` (${url.href})` : ''));
  const total = Number(response.headers.get('content-length') ?? 0);
  if (!response.body || typeof response.body.getReader !== 'function') {
    const bytes = new Uint8Array(await response.arrayBuffer());
    onProgress?.({ phase: 'read', loaded: bytes.length, total: bytes.length, part: name });
    return bytes;
  }
  const reader = response.body.getReader();
  /** @type {Uint8Array[]} */
  const chunks = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    onProgress?.({ phase: 'read', loaded, total: total || loaded, part: name });
  }
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.length;
  }
  return bytes;
}

/**
 * Reads any byte source into memory.
 * @param {ByteSource} source
 * @param {string} defaultName name used when the source carries none
 * @param {(p: Progress) => void} [onProgress]
 * @returns {Promise<{ bytes: Uint8Array, name: string }>}
 */
export async function readBytes(source, defaultName, onProgress) {
  if (isBytes(source)) {
    const bytes = toUint8Array(/** @type {ArrayBuffer | ArrayBufferView} */ (source));
    onProgress?.({ phase: 'read', loaded: bytes.length, total: bytes.length, part: defaultName });
    return { bytes, name: defaultName };
  }
  if (isBlob(source)) {
    const blob = /** @type {Blob} */ (source);
    const name = typeof (/** @type {any} */ (blob).name) === 'string' && /** @type {any} */ (blob).name ? /** @type {any} */ (blob).name : defaultName;
    let buffer;
    try {
      buffer = await blob.arrayBuffer();
    } catch (e) {
      rethrowWithPart(name, e, 'cannot read file');
    }
    const bytes = new Uint8Array(buffer);
    onProgress?.({ phase: 'read', loaded: bytes.length, total: bytes.length, part: name });
    return { bytes, name };
  }
  if (typeof source === 'string' || source instanceof URL) {
    const node = await nodePlatform();
    const text = String(source);
    // Node: a string is a file path (or a file: URL); browsers: a URL relative to the page.
    if (node && !isUrlString(text)) {
      const name = baseName(source instanceof URL ? source.pathname : text);
      let bytes;
      try {
        bytes = await node.readFile(source);
      } catch (e) {
        rethrowWithPart(name, e, 'cannot read file');
      }
      onProgress?.({ phase: 'read', loaded: bytes.length, total: bytes.length, part: name });
      return { bytes, name };
    }
    let url;
    try {
      url = new URL(text, pageBase() ?? undefined);
    } catch {
      throw partError(baseName(text), `not a URL, and there is no page to resolve it against: ${text}`);
    }
    const name = url.protocol === 'data:' ? defaultName : baseName(url.pathname) || defaultName;
    let response;
    try {
      response = await fetch(url);
    } catch (e) {
      rethrowWithPart(name, e, `cannot fetch ${url.protocol === 'data:' ? 'the data: URL' : url.href}`);
    }
    return { bytes: await readResponse(response, name, onProgress, url), name };
  }
  throw new TypeError('model source must be a path, URL, ArrayBuffer/typed array/Buffer, Blob/File, or { config, weights }');
}

/**
 * @param {unknown} source
 * @returns {source is { config: any, weights: any }}
 */
function isConfigAndWeights(source) {
  return (
    typeof source === 'object' && source !== null && !isBytes(source) && !isBlob(source) && !(source instanceof URL) &&
    'config' in source && 'weights' in source
  );
}

/**
 * @param {((p: Progress) => void) | undefined} onProgress
 * @param {string} part
 */
function weightsProgress(onProgress, part) {
  return onProgress ? (/** @type {number} */ loaded, /** @type {number} */ total) => onProgress({ phase: 'weights', loaded, total, part }) : undefined;
}

/**
 * Reads a model from any supported source.
 *  - full-model Keras HDF5 (`model.save("x.h5")`)
 *  - Keras v3 `.keras` zip
 *  - `{ config, weights }`: `model.to_json()` text/object (or a path/URL/bytes of it) + weights HDF5
 *  - our converted format (magic "QKWM"): returned undecoded as `{ format: 'qkwm', bytes }`
 * @param {ModelSource} source
 * @param {ReadOptions} [options]
 * @returns {Promise<ModelRead>}
 */
export async function readModelSource(source, options = {}) {
  const { onProgress } = options;
  options = { ...options, limits: resolveLimits(options) };
  if (isConfigAndWeights(source)) return readConfigAndWeights(source.config, source.weights, options);

  const { bytes, name } = await readBytes(/** @type {ByteSource} */ (source), options.name ?? 'model', onProgress);
  const format = detectFormat(bytes);
  if (format === 'qkwm') return { format: 'qkwm', bytes, name };
  if (format === 'hdf5') return readFullModelBytes(bytes, name, options);
  if (format === 'zip') return readKerasZipBytes(bytes, name, options);
  if (format === 'json') {
    throw partError(name, 'this is a model JSON without weights; pass { config: <json>, weights: <weights .h5> }');
  }
  if (bytes.length === 0) throw partError(name, 'file is empty');
  throw partError(name, 'unrecognised file format (expected a Keras .h5, a .keras zip or a converted QKWM model)');
}

/**
 * @param {Uint8Array} bytes
 * @param {string} name
 * @param {(p: Progress) => void} [onProgress]
 */
async function readFullModelBytes(bytes, name, options) {
  const { onProgress } = options;
  const { readFullModelHdf5 } = await import('./hdf5.js');
  onProgress?.({ phase: 'parse', loaded: 0, total: 1, part: name });
  const file = await readFullModelHdf5(bytes, name, weightsProgress(onProgress, name), options.limits);
  const graph = normalizeModelConfig(file.modelConfig, { kerasVersion: file.kerasVersion, backend: file.backend, source: name, format: 'keras-h5' }, name, options);
  onProgress?.({ phase: 'parse', loaded: 1, total: 1, part: name });
  const weights = normalizeLegacyWeights(graph, file.weights, name, { ignoreExtraWeights: options.ignoreExtraWeights });
  return { graph, weights };
}

/**
 * @param {Uint8Array} bytes
 * @param {string} name
 * @param {(p: Progress) => void} [onProgress]
 */
async function readKerasZipBytes(bytes, name, options) {
  const { onProgress } = options;
  onProgress?.({ phase: 'parse', loaded: 0, total: 1, part: name });
  const zip = readKerasZip(bytes, name, options.limits);
  const graph = normalizeModelConfig(
    zip.config,
    { kerasVersion: zip.metadata.keras_version, backend: zip.metadata.backend ?? /** @type {any} */ (zip.config)?.backend, source: name, format: 'keras-v3' },
    zip.configPart,
    options,
  );
  onProgress?.({ phase: 'parse', loaded: 1, total: 1, part: name });
  const weights = await weightsForGraph(graph, zip.weightsBytes, zip.weightsPart, options, true);
  return { graph, weights };
}

/**
 * @param {import('./normalize.js').Graph} graph
 * @param {Uint8Array} bytes
 * @param {string} part
 * @param {((p: Progress) => void) | undefined} onProgress
 * @param {boolean} requireAllLayers
 */
async function weightsForGraph(graph, bytes, part, options, requireAllLayers) {
  const { onProgress } = options;
  const { readWeightsHdf5, matchKeras3Weights } = await import('./hdf5.js');
  const file = await readWeightsHdf5(bytes, part, weightsProgress(onProgress, part), options.limits);
  if (file.kind === 'keras3') {
    const weights = matchKeras3Weights(graph, file.weights, part);
    onProgress?.({ phase: 'weights', loaded: 1, total: 1, part });
    return weights;
  }
  if (!graph.kerasVersion && file.weights.kerasVersion) graph.kerasVersion = file.weights.kerasVersion;
  if (!graph.backend && file.weights.backend) graph.backend = file.weights.backend;
  return normalizeLegacyWeights(graph, file.weights, part, { requireAllLayers, ignoreExtraWeights: options.ignoreExtraWeights });
}

/**
 * JSON (`model.to_json()`) + weights HDF5 route.
 * @param {string | Record<string, any> | ByteSource} config
 * @param {ByteSource} weightsSource
 * @param {ReadOptions} options
 */
async function readConfigAndWeights(config, weightsSource, options) {
  const { onProgress } = options;
  /** @type {unknown} */
  let modelJson;
  let configPart = 'config.json';
  if (typeof config === 'string' && config.trimStart().startsWith('{')) {
    checkJsonSize(config.length, options.limits.maxJsonBytes, configPart);
    try {
      modelJson = JSON.parse(config);
    } catch (e) {
      rethrowWithPart(configPart, e, 'invalid JSON');
    }
  } else if (typeof config === 'object' && config !== null && !isBytes(config) && !isBlob(config) && !(config instanceof URL)) {
    modelJson = config;
  } else {
    const read = await readBytes(/** @type {ByteSource} */ (config), 'config.json', onProgress);
    configPart = read.name;
    if (detectFormat(read.bytes) !== 'json') throw partError(configPart, 'not a JSON model config');
    modelJson = parseJsonBytes(read.bytes, configPart, options.limits);
  }
  if (weightsSource === undefined || weightsSource === null) throw partError(configPart, 'no weights given with the model config');
  const { bytes, name } = await readBytes(weightsSource, 'weights.h5', onProgress);
  if (detectFormat(bytes) !== 'hdf5') {
    throw partError(name, bytes.length === 0 ? 'file is empty' : 'not an HDF5 weights file (missing the \\x89HDF signature)');
  }
  onProgress?.({ phase: 'parse', loaded: 0, total: 1, part: configPart });
  const graph = normalizeModelConfig(modelJson, { source: `${configPart} + ${name}`, format: 'keras-json+h5' }, configPart, options);
  onProgress?.({ phase: 'parse', loaded: 1, total: 1, part: configPart });
  const weights = await weightsForGraph(graph, bytes, name, options, true);
  return { graph, weights };
}

export { detectFormat } from './util.js';
export { normalizeModelConfig, normalizeLegacyWeights, weightRole, stripRegisteredPrefix } from './normalize.js';
export { readNpy, writeNpy, parseTextMatrix, parseJsonArray, readArray } from './npy.js';
