// HDF5 readers for Keras files, on h5wasm (loaded lazily: converted models never pay for it).
// The same ESM build runs in Node and the browser; bytes go into h5wasm's in-memory file system.

import { nodePlatform } from '../platform.js';
import { checkJsonSize, partError, rethrowWithPart, toFloat32Array, toSnakeCase, isHdf5, isWasmTrap } from './util.js';
import { weightRole } from './normalize.js';
import { DEFAULT_LIMITS } from '../limits.js';

/** @typedef {import('./normalize.js').RawWeight} RawWeight */
/** @typedef {import('./normalize.js').LegacyWeights} LegacyWeights */
/** @typedef {import('./normalize.js').Graph} Graph */
/** @typedef {import('./normalize.js').Weights} Weights */

/** @type {Promise<{ h5wasm: any, FS: any, Module: any, generation: number }> | undefined} */
let h5wasmPromise;
let fileCounter = 0;

// h5wasm isolation. A trap inside h5wasm's WASM leaves that instance's state untrustworthy, and
// every HDF5 error is thrown out of the middle of the C library (h5wasm's throwing error
// handler), which skips its cleanup: the handles the failing call had open, the file they keep
// open, an error-text temp file (about 0.3 MB per corrupt file; after about 2,000 such loads the
// instance traps on everything). So the instance is replaced by a fresh one after a trap, after
// MAX_FAILED_LOADS failed loads, or once its memory grew by MAX_HEAP_GROWTH (WASM memory never
// shrinks). h5wasm keeps its Emscripten module in a module-scope binding its classes read on every
// call, so the fresh instance is made with the same factory and put behind that same object.
let failedLoads = 0;
let heapAtStart = 0;
const MAX_FAILED_LOADS = 32;
const MAX_HEAP_GROWTH = 256 << 20;

/** @type {any} */
let currentLib = null;

/** @returns {{ generation: number, failedLoads: number, heapBytes: number } | null} for tests and diagnostics */
export function h5wasmStats() {
  return currentLib ? { generation: currentLib.generation, failedLoads, heapBytes: currentLib.Module.HEAPU8.length } : null;
}

/**
 * Loads h5wasm once. HDF5's own error stack is turned into thrown exceptions (instead of being
 * printed to stderr and returning -1), so every failure reaches us and gets a file-part name.
 */
export function loadH5wasm() {
  if (!h5wasmPromise) {
    h5wasmPromise = (async () => {
      const mod = await import('h5wasm');
      const h5wasm = mod.default ?? mod.h5wasm ?? mod;
      const Module = await (mod.ready ?? h5wasm.ready);
      if (typeof Module.activate_throwing_error_handler === 'function') Module.activate_throwing_error_handler();
      failedLoads = 0;
      heapAtStart = Module.HEAPU8.length;
      currentLib = {
        h5wasm,
        Module,
        get FS() {
          return Module.FS;
        },
        generation: 0,
        broken: null,
      };
      return currentLib;
    })();
    h5wasmPromise.catch(() => {
      h5wasmPromise = undefined;
    });
  }
  return h5wasmPromise;
}

/**
 * Replaces the Emscripten instance behind `lib.Module` by a fresh one (the old one, with all it
 * leaked, becomes garbage). Where the factory cannot be reached (no import.meta.resolve, e.g. some
 * bundlers), the instance is kept after errors, and after a trap every later HDF5 read fails
 * with a message saying to reload.
 * @param {any} lib
 * @param {boolean} trapped
 */
function renewH5wasm(lib, trapped) {
  h5wasmPromise = (async () => {
    let fresh = null;
    try {
      // Node only: browsers (bundled or not) keep the instance after an error, and after a trap
      // every later HDF5 read fails with a message saying to reload.
      const node = await nodePlatform();
      if (!node?.resolve) throw new Error('the HDF5 reader cannot be restarted here');
      const url = new URL('./hdf5_util.js', node.resolve('h5wasm'));
      const { default: factory } = await import(/* @vite-ignore */ url.href);
      fresh = await factory({ noInitialRun: true });
      for (const key of Object.keys(fresh)) {
        Object.defineProperty(lib.Module, key, {
          get: () => fresh[key],
          set: (v) => {
            fresh[key] = v;
          },
          configurable: true,
          enumerable: true,
        });
      }
    } catch (error) {
      if (trapped) lib.broken = error;
      return lib;
    }
    if (typeof fresh.activate_throwing_error_handler === 'function') fresh.activate_throwing_error_handler();
    lib.generation += 1;
    lib.broken = null;
    failedLoads = 0;
    heapAtStart = fresh.HEAPU8.length;
    return lib;
  })();
}

/**
 * HDF5 error stacks are long; the innermost frame says what actually went wrong.
 * @param {unknown} error
 */
export function describeHdf5Error(error) {
  const text = error instanceof Error ? error.message : String(error);
  if (!text.includes('HDF5-DIAG')) return text;
  const frames = [...text.matchAll(/#\d+: .*? in ([A-Za-z0-9_]+)\(\): (.*)/g)];
  const minors = [...text.matchAll(/minor: (.*)/g)];
  const last = frames.length > 0 ? frames[frames.length - 1][2].trim() : '';
  const minor = minors.length > 0 ? minors[minors.length - 1][1].trim() : '';
  return [minor, last].filter((s) => s.length > 0).join(' — ') || 'HDF5 error';
}

/**
 * Opens HDF5 bytes read-only and runs `use(file)`; always closes and removes the in-memory copy.
 * @template T
 * @param {Uint8Array} bytes
 * @param {string} part
 * @param {(file: any, lib: { h5wasm: any }) => T} use
 * @returns {Promise<T>}
 */
export async function withHdf5File(bytes, part, use, limits = DEFAULT_LIMITS) {
  if (!isHdf5(bytes)) throw partError(part, 'not an HDF5 file (missing the \\x89HDF signature)');
  checkHdf5Superblock(bytes, part);
  const lib = await loadH5wasm();
  if (lib.broken) {
    throw partError(part, `the HDF5 reader crashed on an earlier corrupt file and cannot be restarted here (${lib.broken.message ?? lib.broken}); reload the page`);
  }
  const path = `/qkw_io_${++fileCounter}.h5`;
  lib.FS.writeFile(path, bytes);
  let file;
  let failed = true;
  let trapped = false;
  const crashed = (/** @type {unknown} */ e) =>
    partError(part, `the HDF5 reader (h5wasm) crashed on this file (${e instanceof Error ? e.message : String(e)}): the file is corrupt. The reader was restarted; other models are not affected`, e);
  try {
    try {
      file = new lib.h5wasm.File(path, 'r');
    } catch (e) {
      if (isWasmTrap(e)) {
        trapped = true;
        throw crashed(e);
      }
      throw partError(part, `cannot open HDF5 file: ${describeHdf5Error(e)}`, e);
    }
    if (file.file_id === undefined || file.file_id < 0n) throw partError(part, 'cannot open HDF5 file (corrupt or truncated)');
    activeFileLength = bytes.length;
    activeLimits = limits;
    try {
      const result = use(file, lib);
      failed = false;
      return result;
    } catch (e) {
      if (isWasmTrap(e)) {
        trapped = true;
        throw crashed(e);
      }
      if (e instanceof Error && e.message.startsWith(`${part}:`)) throw e;
      throw partError(part, `cannot read HDF5 file: ${describeHdf5Error(e)}`, e);
    } finally {
      activeFileLength = Infinity;
      activeLimits = DEFAULT_LIMITS;
    }
  } finally {
    // A trapped instance is not called again: it is dropped with everything it holds.
    if (!trapped) {
      try {
        if (file && file.file_id >= 0n) file.close();
      } catch (e) {
        // closing a damaged file can fail; the in-memory copy is removed below either way
        if (isWasmTrap(e)) trapped = true;
      }
    }
    try {
      lib.FS.unlink(path);
    } catch {
      // already gone
    }
    if (failed) failedLoads += 1;
    if (trapped || failedLoads >= MAX_FAILED_LOADS || lib.Module.HEAPU8.length - heapAtStart > MAX_HEAP_GROWTH) renewH5wasm(lib, trapped);
  }
}

/** Byte length of the file being read (datasets must fit in it); set while `use` runs. */
let activeFileLength = Infinity;
let activeLimits = DEFAULT_LIMITS;

/**
 * Checks the HDF5 superblock before h5wasm sees the file: a known version, sane field sizes, and
 * addresses that lie inside the file. (HDF5 checks more, but a bad address in the superblock is
 * where a one-byte corruption does the most harm.)
 * @param {Uint8Array} bytes
 * @param {string} part
 */
export function checkHdf5Superblock(bytes, part) {
  let base = 0;
  while (base + 8 <= bytes.length && !(bytes[base] === 0x89 && bytes[base + 1] === 0x48 && bytes[base + 2] === 0x44 && bytes[base + 3] === 0x46)) {
    base = base === 0 ? 512 : base * 2;
  }
  const bad = (/** @type {string} */ why) => partError(part, `cannot open HDF5 file: ${why}`);
  if (bytes.length < base + 48) throw bad(`file is truncated (${bytes.length} bytes, shorter than a superblock)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = bytes[base + 8];
  let offsetSize;
  let lengthSize;
  let addressesAt;
  let names;
  if (version === 0 || version === 1) {
    offsetSize = bytes[base + 13];
    lengthSize = bytes[base + 14];
    addressesAt = base + 24 + (version === 1 ? 4 : 0);
    names = ['base address', 'free-space address', 'end-of-file address', 'driver block address'];
  } else if (version === 2 || version === 3) {
    offsetSize = bytes[base + 9];
    lengthSize = bytes[base + 10];
    addressesAt = base + 12;
    names = ['base address', 'extension address', 'end-of-file address', 'root object header address'];
  } else {
    throw bad(`corrupt superblock: unknown version ${version}`);
  }
  for (const [what, size] of [['offsets', offsetSize], ['lengths', lengthSize]]) {
    if (![2, 4, 8].includes(size)) throw bad(`corrupt superblock: size of ${what} is ${size} (expected 2, 4 or 8)`);
  }
  if (addressesAt + names.length * offsetSize > bytes.length) throw bad(`file is truncated (${bytes.length} bytes)`);
  const undefinedAddress = 2n ** BigInt(8 * offsetSize) - 1n;
  const addresses = names.map((_, i) => {
    let v = 0n;
    for (let k = offsetSize - 1; k >= 0; k--) v = (v << 8n) | BigInt(view.getUint8(addressesAt + i * offsetSize + k));
    return v;
  });
  const [baseAddress, , eof] = addresses;
  if (baseAddress !== BigInt(base)) throw bad(`corrupt superblock: base address ${baseAddress} where the superblock sits at ${base}`);
  // The other addresses count from the base address.
  if (eof === undefinedAddress || eof > BigInt(bytes.length - base)) {
    throw bad(`file is truncated or corrupt: the superblock says it ends at byte ${eof}, the file has ${bytes.length - base} bytes`);
  }
  addresses.forEach((a, i) => {
    if (i > 0 && i !== 2 && a !== undefinedAddress && a >= eof) throw bad(`corrupt superblock: ${names[i]} ${a} lies past the end of the file (${eof})`);
  });
}

/**
 * @param {any} obj h5wasm Group / File / Dataset
 * @param {string} name
 */
function hasAttr(obj, name) {
  return Object.prototype.hasOwnProperty.call(obj.attrs, name);
}

/** @param {string} s */
function stripNul(s) {
  const i = s.indexOf('\0');
  return i >= 0 ? s.slice(0, i) : s;
}

/**
 * @param {unknown} value
 * @returns {string[] | undefined}
 */
function valueToStrings(value) {
  if (typeof value === 'string') return [stripNul(value)];
  if (value instanceof Uint8Array) return [stripNul(new TextDecoder().decode(value))];
  if (Array.isArray(value)) {
    const out = [];
    for (const v of value) {
      const s = valueToStrings(v);
      if (!s) return undefined;
      out.push(...s);
    }
    return out;
  }
  // Keras writes an empty name list as a float64 array of shape (0,).
  if (ArrayBuffer.isView(value) && /** @type {any} */ (value).length === 0) return [];
  return undefined;
}

/**
 * Scalar string attribute (fixed-length or variable-length).
 * @param {any} obj
 * @param {string} name
 * @param {string} part
 * @param {boolean} [required]
 * @returns {string | undefined}
 */
export function readStringAttr(obj, name, part, required = true) {
  if (!hasAttr(obj, name)) {
    if (required) throw partError(part, `attribute ${attrPath(obj, name)} missing`);
    return undefined;
  }
  const strings = valueToStrings(obj.attrs[name].value);
  if (!strings || strings.length !== 1) throw partError(part, `attribute ${attrPath(obj, name)} is not a string`);
  return strings[0];
}

/**
 * String-list attribute; Keras splits lists over 64 KB into name0, name1, ...
 * @param {any} obj
 * @param {string} name
 * @param {string} part
 * @returns {string[]}
 */
export function readStringListAttr(obj, name, part) {
  /** @type {unknown[]} */
  let values;
  if (hasAttr(obj, name)) {
    values = [obj.attrs[name].value];
  } else if (hasAttr(obj, `${name}0`)) {
    values = [];
    for (let i = 0; hasAttr(obj, `${name}${i}`); i++) values.push(obj.attrs[`${name}${i}`].value);
  } else {
    throw partError(part, `attribute ${attrPath(obj, name)} missing`);
  }
  /** @type {string[]} */
  const out = [];
  for (const v of values) {
    const strings = valueToStrings(v);
    if (!strings) throw partError(part, `attribute ${attrPath(obj, name)} is not a list of strings`);
    out.push(...strings);
  }
  return out;
}

/** @param {any} obj @param {string} name */
function attrPath(obj, name) {
  const p = obj.path === '/' ? '' : obj.path;
  return `${p}/${name}`;
}

/**
 * @param {any} group
 * @param {string} name
 * @param {any} h5wasm
 */
function getChild(group, name, h5wasm) {
  let child;
  try {
    child = group.get(name);
  } catch (e) {
    if (isWasmTrap(e)) throw e;
    return undefined;
  }
  if (child === null || child === undefined) return undefined;
  if (child instanceof h5wasm.Dataset) return { kind: 'dataset', node: child };
  if (child instanceof h5wasm.Group) return { kind: 'group', node: child };
  return { kind: 'other', node: child };
}

/**
 * @param {any} dataset
 * @param {string} part
 * @returns {{ shape: number[], data: Float32Array }}
 */
function readDataset(dataset, part) {
  const dtype = dataset.dtype;
  if (typeof dtype !== 'string' || !/^[<>|=]?[bBhHiIqQfd]$/.test(dtype)) {
    throw partError(part, `dataset ${dataset.path} has non-numeric dtype ${JSON.stringify(dtype)}`);
  }
  const shape = (dataset.shape ?? []).map(Number);
  checkDatasetSize(dataset, shape, part);
  let value;
  try {
    value = dataset.value;
  } catch (e) {
    throw partError(part, `cannot read dataset ${dataset.path}: ${describeHdf5Error(e)}`, e);
  }
  /** @type {Float32Array} */
  let data;
  if (typeof value === 'number' || typeof value === 'bigint') data = Float32Array.of(Number(value));
  else if (typeof value === 'boolean') data = Float32Array.of(value ? 1 : 0);
  else if (ArrayBuffer.isView(value)) data = toFloat32Array(/** @type {any} */ (value));
  else throw partError(part, `dataset ${dataset.path} did not read as numbers`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (data.length !== count) throw partError(part, `dataset ${dataset.path}: ${data.length} values for shape [${shape}]`);
  return { shape, data };
}

/**
 * Before reading a dataset: its element count must be under the limit, and its bytes must be
 * stored in the file. An unallocated dataset (no chunks written) reads as fill values, so a few
 * KB could otherwise declare gigabytes. Compressed (filtered) chunks may hold at most deflate's
 * ratio (1032:1).
 * @param {any} dataset
 * @param {number[]} shape
 * @param {string} part
 */
function checkDatasetSize(dataset, shape, part) {
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw partError(part, `dataset ${dataset.path} has shape [${shape}]`);
  const count = shape.reduce((a, b) => a * b, 1);
  const limit = activeLimits.maxTensorElements;
  if (count > limit) {
    throw partError(part, `dataset ${dataset.path} has ${count} elements (shape [${shape}]), over the limit of ${limit} elements per tensor (limit maxTensorElements; raise it with options.limits.maxTensorElements)`);
  }
  const metadata = dataset.metadata;
  const bytes = count * Number(metadata?.size ?? 8);
  const filtered = Array.isArray(metadata?.chunks) && dataset.filters.length > 0;
  const canHold = filtered ? activeFileLength * 1032 : activeFileLength;
  if (bytes > canHold) {
    throw partError(
      part,
      `dataset ${dataset.path} declares shape [${shape}] (${bytes} bytes) but the file holds only ${activeFileLength} bytes: ` +
        'its data is not stored in the file (unallocated or sparse storage)',
    );
  }
}

/**
 * Legacy Keras weight layout rooted at `group` (/model_weights, or the file root for save_weights):
 * attrs layer_names (+ backend, keras_version); per layer a group with attr weight_names and the
 * datasets at <layer>/<weight_name>. Weights are taken by weight_names, never by position.
 * @param {any} group
 * @param {string} part
 * @param {any} h5wasm
 * @param {(loaded: number, total: number) => void} [progress]
 * @returns {LegacyWeights}
 */
export function readLegacyWeightGroup(group, part, h5wasm, progress) {
  const layerNames = readStringListAttr(group, 'layer_names', part);
  const kerasVersion = readStringAttr(group, 'keras_version', part, false);
  const backend = readStringAttr(group, 'backend', part, false);
  /** @type {Map<string, RawWeight[]>} */
  const layers = new Map();
  const base = group.path === '/' ? '' : group.path;
  layerNames.forEach((layerName, i) => {
    const child = getChild(group, layerName, h5wasm);
    if (!child || child.kind !== 'group') throw partError(part, `group ${base}/${layerName} (listed in layer_names) missing`);
    const weightNames = readStringListAttr(child.node, 'weight_names', part);
    /** @type {RawWeight[]} */
    const list = [];
    for (const weightName of weightNames) {
      const ds = getChild(child.node, weightName, h5wasm);
      if (!ds || ds.kind !== 'dataset') throw partError(part, `dataset ${base}/${layerName}/${weightName} (listed in weight_names) missing`);
      list.push({ name: weightName, ...readDataset(ds.node, part) });
    }
    layers.set(layerName, list);
    progress?.(i + 1, layerNames.length);
  });
  return { layerNames, layers, kerasVersion, backend };
}

/**
 * @typedef {{ path: string, key: string, nameAttr: string | undefined, vars: { shape: number[], data: Float32Array }[], nestedVarPaths: string[] }} Keras3LayerGroup
 * @typedef {{ layers: Map<string, Keras3LayerGroup> }} Keras3Weights
 */

/**
 * Datasets of a Keras 3 `vars` group, in index order 0..n-1.
 * @param {any} varsGroup
 * @param {string} part
 */
function readVarsGroup(varsGroup, part) {
  const keys = varsGroup.keys();
  const indices = keys.map((k) => Number(k));
  if (indices.some((n) => !Number.isInteger(n) || n < 0)) {
    throw partError(part, `${varsGroup.path} has entries that are not variable indices: ${keys.join(', ')}`);
  }
  indices.sort((a, b) => a - b);
  indices.forEach((n, i) => {
    if (n !== i) throw partError(part, `${varsGroup.path}: variable ${i} missing (have ${indices.join(', ')})`);
  });
  return indices.map((n) => readDataset(varsGroup.get(String(n)), part));
}

/**
 * Paths of nested `vars` groups holding variables (sublayers: layers/<x>/<attr>/vars/...).
 * @param {any} group
 * @param {any} h5wasm
 * @param {string[]} out
 */
function findNestedVars(group, h5wasm, out) {
  for (const key of group.keys()) {
    const child = getChild(group, key, h5wasm);
    if (!child || child.kind !== 'group') continue;
    if (key === 'vars') {
      if (child.node.keys().length > 0) out.push(child.node.path);
    } else {
      findNestedVars(child.node, h5wasm, out);
    }
  }
}

/**
 * Keras 3 `model.weights.h5` (also tf-keras `*.weights.h5`): layers/<snake_case(class)>[_N]/vars/<i>.
 * @param {any} file
 * @param {string} part
 * @param {any} h5wasm
 * @returns {Keras3Weights}
 */
export function readKeras3WeightFile(file, part, h5wasm) {
  const layersGroup = getChild(file, 'layers', h5wasm);
  if (!layersGroup || layersGroup.kind !== 'group') throw partError(part, 'group /layers missing (not a Keras 3 weights file)');
  /** @type {Map<string, Keras3LayerGroup>} */
  const layers = new Map();
  for (const key of layersGroup.node.keys()) {
    const child = getChild(layersGroup.node, key, h5wasm);
    if (!child || child.kind !== 'group') continue;
    const vars = getChild(child.node, 'vars', h5wasm);
    let nameAttr;
    /** @type {{ shape: number[], data: Float32Array }[]} */
    let values = [];
    if (vars && vars.kind === 'group') {
      nameAttr = readStringAttr(vars.node, 'name', part, false);
      values = readVarsGroup(vars.node, part);
    }
    /** @type {string[]} */
    const nestedVarPaths = [];
    for (const sub of child.node.keys()) {
      if (sub === 'vars') continue;
      const subChild = getChild(child.node, sub, h5wasm);
      if (subChild && subChild.kind === 'group') findNestedVars(subChild.node, h5wasm, nestedVarPaths);
    }
    layers.set(key, { path: child.node.path, key, nameAttr, vars: values, nestedVarPaths });
  }
  return { layers };
}

/**
 * Assigns Keras 3 layer groups to graph layers. A group's `vars` attribute `name` (when present)
 * is the layer's name and decides; otherwise the group key must be snake_case(class) with the
 * class-occurrence suffix Keras uses (_1, _2, ...). Any unmatched group with variables is an error.
 * @param {Graph} graph
 * @param {Keras3Weights} file
 * @param {string} part
 * @returns {Weights}
 */
export function matchKeras3Weights(graph, file, part) {
  const groups = file.layers;
  const hasInputGroups = [...groups.keys()].some((k) => /^input_layer(_\d+)?$/.test(k));
  const byNameAttr = new Map();
  for (const g of groups.values()) {
    if (g.nameAttr === undefined) continue;
    if (byNameAttr.has(g.nameAttr)) throw partError(part, `two layer groups carry name "${g.nameAttr}"`);
    byNameAttr.set(g.nameAttr, g);
  }
  /** @type {Map<string, number>} */
  const seen = new Map();
  /** @type {Set<string>} */
  const used = new Set();
  /** @type {Weights} */
  const weights = new Map();
  /** @type {string[]} */
  const layersWithoutGroup = [];
  for (const layer of graph.layers) {
    const isInput = layer.className === 'InputLayer';
    let expectedKey;
    if (!isInput || hasInputGroups) {
      const base = toSnakeCase(layer.wrapper?.className ?? layer.className);
      const n = seen.get(base);
      seen.set(base, n === undefined ? 0 : n + 1);
      expectedKey = n === undefined ? base : `${base}_${n + 1}`;
    }
    let group = byNameAttr.get(layer.name);
    if (!group && expectedKey !== undefined) {
      const candidate = groups.get(expectedKey);
      if (candidate && (candidate.nameAttr === undefined || candidate.nameAttr === layer.name)) group = candidate;
    }
    if (!group) {
      if (!isInput) layersWithoutGroup.push(layer.name);
      continue;
    }
    if (used.has(group.key)) throw partError(part, `layer ${layer.name}: group ${group.path} already assigned to another layer`);
    used.add(group.key);
    if (group.nestedVarPaths.length > 0) {
      throw partError(
        part,
        `layer ${layer.name}: variables of nested sublayers (${group.nestedVarPaths.join(', ')}) ` +
          'cannot be ordered against the layer\'s own variables; this Keras 3 layout is not supported',
      );
    }
    weights.set(layer.name, group.vars.map((v, index) => ({ role: '', index, shape: v.shape, data: v.data })));
  }
  const leftovers = [...groups.values()].filter((g) => !used.has(g.key) && (g.vars.length > 0 || g.nestedVarPaths.length > 0));
  if (leftovers.length > 0) {
    const named = layersWithoutGroup.length > 0 ? `layer(s) ${layersWithoutGroup.join(', ')} could not be matched` : 'no layer matches them';
    throw partError(part, `weight groups ${leftovers.map((g) => g.path).join(', ')} were not assigned: ${named}`);
  }
  return weights;
}

/**
 * Full-model legacy HDF5 (`model.save("x.h5")`).
 * @param {Uint8Array} bytes
 * @param {string} part
 * @param {(loaded: number, total: number) => void} [progress]
 * @returns {Promise<{ modelConfig: unknown, kerasVersion: string | undefined, backend: string | undefined, weights: LegacyWeights }>}
 */
export async function readFullModelHdf5(bytes, part, progress, limits = DEFAULT_LIMITS) {
  return withHdf5File(bytes, part, (file, { h5wasm }) => {
    const configText = readStringAttr(file, 'model_config', part, false);
    if (configText === undefined) {
      if (hasAttr(file, 'layer_names') || getChild(file, 'layers', h5wasm)) {
        throw partError(part, 'this is a weights-only file (no model_config attribute); pass it as { config, weights } with the model JSON');
      }
      throw partError(part, 'attribute /model_config missing (not a Keras full-model HDF5 file)');
    }
    let modelConfig;
    checkJsonSize(configText.length, limits.maxJsonBytes, `${part}/model_config`);
    try {
      modelConfig = JSON.parse(configText);
    } catch (e) {
      rethrowWithPart(part, e, 'attribute /model_config is not valid JSON');
    }
    const weightsGroup = getChild(file, 'model_weights', h5wasm);
    if (!weightsGroup || weightsGroup.kind !== 'group') throw partError(part, 'group /model_weights missing');
    const weights = readLegacyWeightGroup(weightsGroup.node, part, h5wasm, progress);
    return {
      modelConfig,
      kerasVersion: readStringAttr(file, 'keras_version', part, false) ?? weights.kerasVersion,
      backend: readStringAttr(file, 'backend', part, false) ?? weights.backend,
      weights,
    };
  }, limits);
}

/**
 * Weights-only HDF5: legacy layout at the root (`save_weights("w.h5")`) or the Keras 3 layout.
 * A full-model file is accepted too (its /model_weights group is used).
 * @param {Uint8Array} bytes
 * @param {string} part
 * @param {(loaded: number, total: number) => void} [progress]
 * @returns {Promise<{ kind: 'legacy', weights: LegacyWeights } | { kind: 'keras3', weights: Keras3Weights }>}
 */
export async function readWeightsHdf5(bytes, part, progress, limits = DEFAULT_LIMITS) {
  return withHdf5File(bytes, part, (file, { h5wasm }) => {
    if (hasAttr(file, 'layer_names') || hasAttr(file, 'layer_names0')) {
      return { kind: 'legacy', weights: readLegacyWeightGroup(file, part, h5wasm, progress) };
    }
    const modelWeights = getChild(file, 'model_weights', h5wasm);
    if (modelWeights && modelWeights.kind === 'group') {
      return { kind: 'legacy', weights: readLegacyWeightGroup(modelWeights.node, part, h5wasm, progress) };
    }
    if (getChild(file, 'layers', h5wasm)) return { kind: 'keras3', weights: readKeras3WeightFile(file, part, h5wasm) };
    throw partError(part, 'attribute /layer_names missing (not a Keras weights file)');
  }, limits);
}

export { weightRole };
