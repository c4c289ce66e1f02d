// Describes a loaded qkeras-wasm model as a plain layer list that the peer builders
// (bench/tfjs_peer.mjs, bench/onnx_export.mjs) can rebuild: the weights exactly as our layers
// use them (read through the public converter: convert() stores quantized, folded weights),
// and each output's grid from the static analysis (model.analyze()).
import { convert } from '../web/index.js';
import { readModel } from '../web/model.js';

const CONV = new Set(['Conv2D', 'QConv2D', 'QConv2DBatchnorm']);
const DENSE = new Set(['Dense', 'QDense', 'QDenseBatchnorm']);
const BN = new Set(['BatchNormalization', 'QBatchNormalization']);
const ACTIVATION = new Set(['Activation', 'QActivation', 'ReLU']);
const IGNORED = new Set(['InputLayer', 'Dropout', 'SpatialDropout2D']);

const prod = (xs) => xs.reduce((a, b) => a * b, 1);

/** {kind: 'none'|'relu'|'softmax'|'grid', grid?} for a layer's output nonlinearity. */
function outputActivation(info, graphLayer, analysis) {
  if (info.outputQuantizer) {
    if (!analysis.grid || analysis.grid.kind !== 'uniform') {
      throw new Error(`layer '${info.name}': output quantizer ${info.outputQuantizer} has no uniform grid; the peers cannot mirror it`);
    }
    return { kind: 'grid', grid: analysis.grid, quantizer: info.outputQuantizer };
  }
  const a = graphLayer?.config?.activation ?? 'linear';
  const name = typeof a === 'string' ? a : a?.class_name ?? String(a);
  if (name === 'linear' || name === null) return { kind: 'none' };
  if (name === 'relu') return { kind: 'relu' };
  if (name === 'softmax') return { kind: 'softmax' };
  throw new Error(`layer '${info.name}': activation '${name}' is not mirrored by the benchmark peers`);
}

/**
 * @param {string} path model file
 * @param {import('../web/index.js').Model} model the same file, loaded
 * @returns {{name: string, input: number[], layers: object[], macs: number}}
 */
export async function describeArchitecture(path, model) {
  const { graph, weights } = await readModel(await convert(path));
  const byName = new Map(graph.layers.map((l) => [l.name, l]));
  const analysis = model.analyze();
  const layers = [];
  let previous = model.inputs[0].name;
  for (const [i, info] of model.layers.entries()) {
    if (info.inbound.length > 1) throw new Error(`layer '${info.name}': the peers mirror sequential models only`);
    if (info.inbound.length === 1 && info.inbound[0] !== previous && !IGNORED.has(info.className)) {
      throw new Error(`layer '${info.name}': the peers mirror sequential models only`);
    }
    previous = info.name;
    const config = byName.get(info.name)?.config ?? {};
    // readModel() gives the weights as a Map (names come from files: no prototype keys).
    const w = Object.fromEntries(((weights instanceof Map ? weights.get(info.name) : weights[info.name]) ?? []).map((t) => [t.role, t]));
    const need = (...roles) => {
      for (const role of roles) {
        if (!w[role]) throw new Error(`layer '${info.name}' (${info.className}): the converter gave no '${role}' weight (it gave: ${Object.keys(w).join(', ') || 'none'})`);
      }
    };
    const base = { name: info.name, className: info.className, outputShape: info.outputShape.slice(1), analysis: analysis[i] };
    if (IGNORED.has(info.className)) continue;
    if (CONV.has(info.className)) {
      need('kernel');
      const [kh, kw, cin, cout] = w.kernel.shape;
      if ((config.groups ?? 1) !== 1 || (config.dilation_rate ?? [1, 1]).some((d) => d !== 1)) {
        throw new Error(`layer '${info.name}': grouped or dilated convolutions are not mirrored`);
      }
      const [oh, ow] = base.outputShape;
      layers.push({
        ...base, kind: 'conv2d', kernel: w.kernel, bias: w.bias ?? null, strides: config.strides ?? [1, 1],
        padding: config.padding ?? 'valid', activation: outputActivation(info, byName.get(info.name), analysis[i]),
        macs: oh * ow * kh * kw * cin * cout,
      });
    } else if (DENSE.has(info.className)) {
      need('kernel');
      const [inUnits, units] = w.kernel.shape;
      layers.push({ ...base, kind: 'dense', kernel: w.kernel, bias: w.bias ?? null, activation: outputActivation(info, byName.get(info.name), analysis[i]), macs: inUnits * units });
    } else if (BN.has(info.className)) {
      need('moving_mean', 'moving_variance');
      const channels = w.moving_mean.shape[0];
      layers.push({
        ...base, kind: 'batchnorm', epsilon: config.epsilon ?? 1e-3,
        gamma: w.gamma?.data ?? new Float32Array(channels).fill(1), beta: w.beta?.data ?? new Float32Array(channels),
        mean: w.moving_mean.data, variance: w.moving_variance.data, macs: 0,
      });
    } else if (ACTIVATION.has(info.className)) {
      let activation;
      if (info.className === 'ReLU') activation = { kind: 'relu' };
      else activation = outputActivation(info, { config: { activation: config.activation } }, analysis[i]);
      layers.push({ ...base, kind: 'activation', activation, macs: 0 });
    } else if (info.className === 'MaxPooling2D') {
      layers.push({ ...base, kind: 'maxpool', pool: config.pool_size ?? [2, 2], strides: config.strides ?? config.pool_size ?? [2, 2], padding: config.padding ?? 'valid', macs: 0 });
    } else if (info.className === 'Flatten') {
      layers.push({ ...base, kind: 'flatten', macs: 0 });
    } else {
      throw new Error(`layer '${info.name}' (${info.className}) is not mirrored by the benchmark peers`);
    }
  }
  return {
    name: model.name,
    input: model.inputs[0].shape.slice(1),
    layers,
    macs: layers.reduce((n, l) => n + l.macs, 0),
    inputSize: prod(model.inputs[0].shape.slice(1)),
  };
}
