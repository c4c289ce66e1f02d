// convert(): any supported model file -> our .qkwm format (web/format/qkwm.js), with weights
// stored exactly as the layers use them (quantized, folded) at their bit width.
import { readModel, buildModel, instanceOfHandle } from './model.js';
import { guardTrap, isLive } from './instance.js';
import { checkLoadOptions, checkOptionKeys } from './util.js';
import { encodeQkwm } from './format/qkwm.js';

export const CONVERTER_VERSION = '0.1.0';

const CONVERT_OPTIONS = ['onProgress', 'sourceName', 'internalSigmoid', 'qnoiseFactor', 'tfKernels', 'integerKernels', 'fuse', 'limits', 'ignoreExtraWeights', 'name', 'adaptiveActivation', 'predictBatchSize'];

/**
 * @param {Parameters<typeof import('./model.js').loadModel>[0]} source
 * @param {{onProgress?: Function, sourceName?: string}} [options]
 * @returns {Promise<Uint8Array>} the .qkwm file's bytes (deterministic for a given input)
 */
export async function convert(source, options = {}) {
  checkOptionKeys(options, CONVERT_OPTIONS, 'convert');
  options = checkLoadOptions(options);
  const { graph, weights, provenance } = await readModel(source, options);
  const handle = await buildModel(graph, weights, options);
  const instance = instanceOfHandle(handle);
  try {
    return encodeBuilt(handle, instance, graph, weights, {
      source: options.sourceName ?? provenance?.source ?? graph.source ?? null,
      sourceFormat: graph.format ?? null,
      kerasVersion: provenance?.kerasVersion ?? graph.kerasVersion ?? null,
      converter: `qkeras-wasm ${CONVERTER_VERSION}`,
    });
  } finally {
    if (isLive(instance)) handle.delete();
  }
}

/**
 * @internal The .qkwm bytes of a model built on `instance` from `graph` and `weights` (a Map):
 * convert()'s output, and what web/threads.js gives each batch worker. A graph that came from a
 * .qkwm file already carries effective weights (qkw_effective_weights) and is stored as it is.
 */
export function encodeBuilt(handle, instance, graph, weights, provenance, { converted = false } = {}) {
  const effective = converted ? [] : guardTrap(instance, 'converting', () => handle.effectiveWeights());
  const effectiveLayers = new Set(effective.map((w) => w.layer));
  const outGraph = structuredClone(graph);
  for (const layer of outGraph.layers) {
    if (effectiveLayers.has(layer.name)) layer.config = { ...layer.config, qkw_effective_weights: true };
  }
  const tensors = [...effective];
  for (const [layer, list] of weights instanceof Map ? weights : Object.entries(weights)) {
    if (effectiveLayers.has(layer)) continue;
    for (const w of list) tensors.push({ layer, role: w.role ?? '', index: w.index ?? 0, shape: w.shape, data: w.data });
  }
  // Sorted so the output does not depend on object iteration order.
  tensors.sort((a, b) => (a.layer < b.layer ? -1 : a.layer > b.layer ? 1 : a.index - b.index || (a.role < b.role ? -1 : a.role > b.role ? 1 : 0)));
  const info = JSON.parse(guardTrap(instance, 'converting', () => handle.info()));
  return encodeQkwm({ graph: outGraph, provenance, inputs: info.inputs, outputs: info.outputs, tensors });
}
