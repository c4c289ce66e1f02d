// Runs QKeras's own layer and model test cases (../shared/qkeras/test_vectors.json, kinds
// "layer" and "model") through the public JS API (WASM build). Each layer case becomes a
// one-layer model (InputLayer -> the layer) in the normalized graph JSON, with the case's
// weights, and is compared as upstream compares. Enabled, asserted cases must pass;
// low-confidence ones (disabled_upstream, asserted_upstream false) are reported with their
// outcome and never fail the run; cases that cannot apply are skipped with the reason.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';

import { Model, quantize } from '../../web/index.js';
import { buildModel } from '../../web/model.js';
import { hasShared, missingSharedMessage } from './helpers/shared.js';
import { allClose, flatten } from './helpers/compare.js';
import { loadVectorCases, vectorCaseTest, tolerances, sameJson } from './helpers/vector_cases.js';

const outcomes = [];

if (!hasShared) {
  test('QKeras layer and model test vectors', { skip: missingSharedMessage }, () => {});
} else {
  const handled = loadVectorCases(['layer', 'model']);
  test('the vectors hold layer and model cases', () => assert.ok(handled.length > 0, 'no layer/model cases found'));
  for (const c of handled) vectorCaseTest(`${c.id} [${c.class}.${c.method}]`, c, runCase, outcomes);
}

after(() => {
  if (outcomes.length === 0) return;
  const count = (s) => outcomes.filter((o) => o.status === s).length;
  const lines = [`QKeras layer/model vectors: ${count('pass')} pass, ${count('fail')} fail, ${count('skipped')} skipped`];
  for (const { c, status, message } of outcomes) {
    if (status !== 'pass' || c.asserted_upstream === false || c.disabled_upstream) {
      const soft = c.asserted_upstream === false || c.disabled_upstream ? ' (low confidence)' : '';
      lines.push(`  ${c.id}: ${status}${soft}${message ? ' - ' + message : ''}`);
    }
  }
  console.log(lines.join('\n'));
});

// ---- Keras config from the case -----------------------------------------------------------

// Splits "a, b=(1, 2), c='x, y'" at top-level commas.
function splitTopLevel(text) {
  const parts = [];
  let depth = 0;
  let quote = null;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if ('([{'.includes(ch)) depth++;
    else if (')]}'.includes(ch)) depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = text.slice(start).trim();
  if (last) parts.push(last);
  return parts;
}

// A Python literal as the constructor strings write it. Calls (quantizers such as
// "quantized_bits(4, 0, 1)") stay strings: they are valid quantizer specs as they are.
function pythonLiteral(text) {
  if (text === 'None') return null;
  if (text === 'True') return true;
  if (text === 'False') return false;
  if (/^-?[0-9.]+(e-?[0-9]+)?$/.test(text)) return Number(text);
  if (/^(['"]).*\1$/.test(text)) return text.slice(1, -1);
  if (/^[([].*[)\]]$/.test(text)) return splitTopLevel(text.slice(1, -1)).map(pythonLiteral);
  return text;
}

// The keyword arguments of "Class(pos, key=value, ...)" (positional ones are in `args`).
function constructorKwargs(constructor) {
  const open = constructor.indexOf('(');
  if (open < 0 || !constructor.endsWith(')')) return {};
  const kwargs = {};
  for (const part of splitTopLevel(constructor.slice(open + 1, -1))) {
    const m = /^([A-Za-z_]\w*)\s*=\s*([\s\S]+)$/.exec(part);
    if (m) kwargs[m[1]] = pythonLiteral(m[2]);
  }
  return kwargs;
}

// args (explicit arguments, exact values) over the literal keyword arguments of the
// constructor string (which hold what `args` leaves out, e.g. kernel_size of the folded
// layers); Keras/QKeras constructor defaults are filled by the C++ factories.
function layerConfig(c) {
  const config = { ...constructorKwargs(c.constructor), ...c.args };
  config.name ??= 'layer_under_test';
  return config;
}

// ---- Trainable weight shapes, as Keras/QKeras's build() creates them ----------------------

function pair(v) {
  return Array.isArray(v) ? v : [v, v];
}

// Input shape without the batch axis -> [{role, shape}] of the trainable weights.
function trainableWeightShapes(className, config, inputShape) {
  const channels = inputShape[inputShape.length - 1];
  const useBias = config.use_bias ?? true;
  const bias = useBias ? [{ role: 'bias', shape: [config.filters ?? config.units] }] : [];
  switch (className) {
    case 'QDense':
    case 'Dense':
      return [{ role: 'kernel', shape: [channels, config.units] }, ...bias];
    case 'QConv2D':
    case 'Conv2D': {
      const groups = config.groups ?? 1;
      return [{ role: 'kernel', shape: [...pair(config.kernel_size), channels / groups, config.filters] }, ...bias];
    }
    case 'QConv2DTranspose':
    case 'Conv2DTranspose':
      return [{ role: 'kernel', shape: [...pair(config.kernel_size), config.filters, channels] }, ...bias];
    case 'QDepthwiseConv2DTranspose':
      // The bias has `filters` entries even though the output has `channels` (and is never added).
      return [{ role: 'depthwise_kernel', shape: [...pair(config.kernel_size), channels, config.group_size ?? 1] }, ...bias];
    case 'QSeparableConv2DTranspose':
      return [
        { role: 'depthwise_kernel', shape: [...pair(config.kernel_size), 1, channels] },
        { role: 'pointwise_kernel', shape: [1, 1, config.filters, channels] },
        ...bias,
      ];
    case 'QAveragePooling2D':
    case 'QGlobalAveragePooling2D':
      return [];
    default:
      throw new Error(`no weight-shape rule for ${className}`);
  }
}

const product = (shape) => shape.reduce((a, b) => a * b, 1);

function nestedShape(value) {
  const shape = [];
  for (let v = value; Array.isArray(v); v = v[0]) shape.push(v.length);
  return shape;
}

// ---- Building and running a one-layer model -----------------------------------------------

function oneLayerGraph(className, config, inputShape) {
  return {
    name: 'single_layer',
    layers: [
      { name: 'input', className: 'InputLayer', config: { name: 'input', batch_input_shape: [null, ...inputShape], dtype: 'float32' }, inbound: [] },
      { name: config.name, className, config, inbound: [['input', 0, 0]] },
    ],
    inputs: [['input', 0, 0]],
    outputs: [[config.name, 0, 0]],
  };
}

async function withModel(graph, weights, fn) {
  const model = new Model(await buildModel(graph, weights), graph);
  try {
    return await fn(model);
  } finally {
    model.dispose();
  }
}

// The case's weights as {role, index, shape, data} (float32, as set_weights casts them).
function caseWeights(c) {
  if (!c.weights_names) return [];
  return c.weights_names.map((role, index) => ({
    role,
    index,
    shape: c.weights_shapes[index],
    data: Float32Array.from(flatten(c.weights[index])),
  }));
}

// Upstream compares float32 predictions with Python-float literals; numpy casts the literals
// to float32 when the prediction is float32.
function expectedValues(c) {
  return flatten(c.expected).map((v) => Math.fround(v));
}

async function runCase(c) {
  if (c.kind === 'model') return runModelCase(c);
  switch (c.method) {
    case '__call__':
      return runCallCase(c);
    case 'param_count':
      return runParamCountCase(c);
    case 'get_folded_weights':
      return runFoldedWeightsCase(c);
    default:
      return { skip: `method ${c.method} is not an inference-time layer method` };
  }
}

async function runCallCase(c) {
  if (c.input == null) return { skip: 'no literal input' };
  const config = layerConfig(c);
  const inputShape = c.input_shape.slice(1);
  const weights = caseWeights(c);
  // Our weight-shape rule must agree with the shapes the test sets (checks the rule that
  // param_count relies on).
  const rule = trainableWeightShapes(c.class, config, inputShape);
  const shapes = sameJson(rule.map((w) => w.shape), weights.map((w) => w.shape), 'weight shapes from the config');
  if (!shapes.ok) return shapes;
  const roles = sameJson(rule.map((w) => w.role), weights.map((w) => w.role), 'weight roles');
  if (!roles.ok) return roles;
  const graph = oneLayerGraph(c.class, config, inputShape);
  return withModel(graph, { [config.name]: weights }, async (model) => {
    const x = Float32Array.from(flatten(c.input));
    const y = await model.predict(x, c.input_shape);
    const shape = sameJson(y.shape, c.expected_shape, 'output shape');
    if (!shape.ok) return shape;
    return allClose(Array.from(y.data), expectedValues(c), tolerances(c));
  });
}

async function runParamCountCase(c) {
  const config = layerConfig(c);
  const inputShape = c.input_shape.slice(1);
  const rule = trainableWeightShapes(c.class, config, inputShape);
  const got = { n_trainable_weights: rule.length, n_trainable_params: rule.reduce((n, w) => n + product(w.shape), 0) };
  const counts = sameJson(got, c.expected, 'trainable weights / params');
  if (!counts.ok) return counts;
  // The runtime must accept exactly these shapes: build the layer with them and run it.
  const weights = rule.map((w, index) => ({ ...w, index, data: new Float32Array(product(w.shape)).fill(0.5) }));
  return withModel(oneLayerGraph(c.class, config, inputShape), { [config.name]: weights }, async (model) => {
    const y = await model.predict(new Float32Array(product(inputShape)), [1, ...inputShape]);
    return y.data.length > 0 ? { ok: true } : { ok: false, message: 'empty output' };
  });
}

// get_folded_weights of a *Batchnorm folded layer: the converter's effective weights (the
// folded, quantized kernel and bias the layer uses at inference).
async function runFoldedWeightsCase(c) {
  const config = layerConfig(c);
  const [[key, values]] = Object.entries(c.weights);
  const roles = key.replace(/^\[|\]$/g, '').split(',').map((s) => s.trim());
  const weights = roles.map((role, index) => {
    const value = values[index];
    return { role, index, shape: nestedShape(value), data: Float32Array.from(flatten(value)) };
  });
  const kernel = weights.find((w) => /kernel$/.test(w.role));
  const [kh, kw, channels] = kernel.shape;
  const inputShape = [kh, kw, channels];
  return withModel(oneLayerGraph(c.class, config, inputShape), { [config.name]: weights }, async (model) => {
    const effective = model._handle.effectiveWeights();
    const byRole = new Map(effective.map((w) => [w.role, w]));
    for (const [name, expected] of Object.entries(c.expected)) {
      const role = /bias/.test(name) ? 'bias' : kernel.role;
      const w = byRole.get(role);
      if (!w) return { ok: false, message: `no effective weight '${role}'` };
      const shape = sameJson(w.shape, nestedShape(expected), `${name} shape`);
      if (!shape.ok) return shape;
      // The literals are float32 values printed with 8 significant digits.
      const close = allClose(Array.from(w.data), flatten(expected), { rtol: 1e-6, atol: 0 });
      if (!close.ok) return { ok: false, message: `${name}: ${close.message}` };
    }
    return { ok: true };
  });
}

// clone_model_and_freeze_auto_po2_scale(quantize_model_weights=True): the new model's
// quantizers carry the scale auto_po2 computed on the same float weights, so its hardware
// weights are model_save_quantized_weights' conversion of our quantizer applied to those
// weights (semantics §6.5): hw = q(w) * m / m_i and scale_hw = scale * m_i / m with
// m = 2^(bits - keep_negative), m_i = 2^integer.
async function runModelCase(c) {
  if (c.class !== 'clone_model_and_freeze_auto_po2_scale') return { skip: `model helper ${c.class} is not an inference path` };
  const quantizerByLayer = new Map();
  for (const line of c.model_spec ?? []) {
    const name = /name='([^']+)'/.exec(line)?.[1];
    const kwargs = constructorKwargs(line);
    for (const value of Object.values(kwargs)) {
      if (typeof value === 'string' && /^quantized_bits\(.*alpha='auto_po2'/.test(value)) {
        if (quantizerByLayer.has(name)) return { skip: `layer ${name} has two auto_po2 quantizers` };
        quantizerByLayer.set(name, value);
      }
    }
  }
  for (const [path, expected] of Object.entries(c.expected)) {
    const m = /^new_hw\["(\w+)"\]\["(weights|scales)"\]\[0\](\.flatten\(\))?$/.exec(path);
    if (!m) return { skip: `cannot map ${path} to a quantizer applied to weights` };
    const [, layer, field] = m;
    const spec = quantizerByLayer.get(layer);
    if (!spec) return { skip: `layer ${layer} has no auto_po2 quantizer in the model spec` };
    const [bits, integer, keepNegative = 1] = /^quantized_bits\((\d+),\s*(\d+)(?:,\s*(\d+))?/.exec(spec).slice(1).filter((v) => v !== undefined).map(Number);
    const scaleRatio = 2 ** (bits - keepNegative) / 2 ** integer;  // m / m_i
    const w = c.weights[layer][0];
    const { data, scale } = await quantize(spec, Float32Array.from(flatten(w)), nestedShape(w), { weight: true, returnScale: true });
    const got = field === 'weights' ? Array.from(data, (v) => Math.fround(v * scaleRatio)) : Array.from(scale, (v) => Math.fround(v / scaleRatio));
    const close = allClose(got, flatten(expected), { rtol: 0, atol: 0 });
    if (!close.ok) return { ok: false, message: `${path}: ${close.message}` };
  }
  return { ok: true };
}
