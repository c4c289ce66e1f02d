// The TF.js peer: the same architecture as a tf.sequential model on the WASM backend (SIMD on,
// threads off), with the weights our layers use. QKeras quantizers do not exist in TF.js, so it
// computes in float32 with the quantized weight values; an output quantizer becomes a ReLU
// clipped at the grid's top (relu-like grids) and is otherwise left out.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

let tf = null;

/** Loads TF.js and its WASM backend once; returns the tf namespace. */
export async function initTfjs() {
  if (tf) return tf;
  tf = await import('@tensorflow/tfjs');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const require = createRequire(import.meta.url);
  const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm')) + '/';
  wasm.setWasmPaths(dist);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  tf.env().set('WASM_HAS_SIMD_SUPPORT', true);
  if (!(await tf.setBackend('wasm'))) throw new Error('TF.js: the wasm backend failed to initialize');
  await tf.ready();
  return tf;
}

function activationLayers(activation, name) {
  switch (activation.kind) {
    case 'none':
      return [];
    case 'relu':
      return [tf.layers.reLU({ name: `${name}_relu` })];
    case 'softmax':
      return [tf.layers.softmax({ name: `${name}_softmax` })];
    case 'grid':
      // quantized_relu-like grid: clip to [0, max]; signed grids have no float counterpart.
      return activation.grid.min >= 0 ? [tf.layers.reLU({ maxValue: activation.grid.max, name: `${name}_clip` })] : [];
    default:
      throw new Error(`TF.js peer: activation ${activation.kind}`);
  }
}

/** Builds the tf.LayersModel for an architecture from bench/architecture.mjs. */
export function buildTfjsModel(arch) {
  const model = tf.sequential({ name: arch.name.replace(/[^A-Za-z0-9_]/g, '_') });
  let first = true;
  const inputShape = () => (first ? ((first = false), { inputShape: arch.input }) : {});
  const weightsFor = (l) => [tf.tensor(l.kernel.data, l.kernel.shape), ...(l.bias ? [tf.tensor(l.bias.data, l.bias.shape)] : [])];
  for (const l of arch.layers) {
    const add = (layer) => model.add(layer);
    switch (l.kind) {
      case 'conv2d':
        add(tf.layers.conv2d({
          ...inputShape(), name: l.name, filters: l.kernel.shape[3], kernelSize: l.kernel.shape.slice(0, 2), strides: l.strides,
          padding: l.padding, useBias: !!l.bias, activation: l.activation.kind === 'relu' ? 'relu' : 'linear', weights: weightsFor(l),
        }));
        if (l.activation.kind !== 'relu') activationLayers(l.activation, l.name).forEach(add);
        break;
      case 'dense':
        add(tf.layers.dense({ ...inputShape(), name: l.name, units: l.kernel.shape[1], useBias: !!l.bias, activation: l.activation.kind === 'relu' ? 'relu' : 'linear', weights: weightsFor(l) }));
        if (l.activation.kind !== 'relu') activationLayers(l.activation, l.name).forEach(add);
        break;
      case 'batchnorm':
        add(tf.layers.batchNormalization({
          ...inputShape(), name: l.name, epsilon: l.epsilon,
          weights: [tf.tensor1d(l.gamma), tf.tensor1d(l.beta), tf.tensor1d(l.mean), tf.tensor1d(l.variance)],
        }));
        break;
      case 'activation': {
        const layers = activationLayers(l.activation, l.name);
        if (layers.length === 0) break;
        if (first) add(tf.layers.activation({ ...inputShape(), activation: 'linear' }));
        layers.forEach(add);
        break;
      }
      case 'maxpool':
        add(tf.layers.maxPooling2d({ ...inputShape(), name: l.name, poolSize: l.pool, strides: l.strides, padding: l.padding }));
        break;
      case 'flatten':
        add(tf.layers.flatten({ ...inputShape(), name: l.name }));
        break;
      default:
        throw new Error(`TF.js peer: layer kind ${l.kind}`);
    }
  }
  return model;
}

/** A predict function on one Float32Array image: returns the output as a Float32Array. */
export function tfjsRunner(model, inputShape) {
  return (x) => tf.tidy(() => model.predict(tf.tensor(x, [1, ...inputShape])).dataSync());
}
