// model.weights(): every weight as the hardware sees it: integer codes, their scale, the
// dequantized values QKeras multiplies with, and what the quantizer did to the float weights.
//
// The values are the layer's effective weights (quantized, BN-folded: Layer::effectiveWeights
// in C++). The codes: value = integer * scale, checked bit for bit.
//   - fixed grids (alpha=1, quantized_relu, ...): one scale, the grid's step;
//   - auto/auto_po2 alphas (binary, ternary, quantized_bits): one scale per channel, QKeras's
//     own quantizer.scale times the alpha=1 grid's step (QKeras's scale is recorded at load;
//     converted files no longer have it, so there the scale is the finest power of two whose
//     codes still fit the quantizer's width);
//   - anything else on a dyadic grid (po2): per-channel powers of two from web/format's
//     dyadicCodes (the converter's encoder);
//   - float weights: integers and scale are null.
import { describeQuantizer } from './quantize.js';
import { loadedWasmModule } from './wasm-module.js';
import { specToJson, optionsToJson } from './util.js';
import { channelsOf, dyadicCodes } from './format/tensor_encoding.js';

const SLOT_OF_ROLE = {
  depthwise_kernel: 'depthwise_quantizer',
  pointwise_kernel: 'pointwise_quantizer',
  moving_mean: 'mean_quantizer',
  moving_variance: 'variance_quantizer',
};

function slotOf(role) {
  return SLOT_OF_ROLE[role] ?? `${role}_quantizer`;
}

function intArrayFor(ints) {
  let lo = 0;
  let hi = 0;
  for (const k of ints) {
    if (k < lo) lo = k;
    if (k > hi) hi = k;
  }
  if (lo >= -128 && hi <= 127) return Int8Array.from(ints);
  if (lo >= -32768 && hi <= 32767) return Int16Array.from(ints);
  return Int32Array.from(ints);
}

/** Integer codes of `values` at per-channel steps (`stepOf(i)`), or null when one is not an exact integer. */
function codesAt(values, stepOf) {
  const ints = new Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const s = stepOf(i);
    const k = values[i] / s;
    if (!Number.isSafeInteger(k) || Math.abs(k) > 2 ** 31 - 1 || Math.fround(k * s) !== values[i]) return null;
    ints[i] = k;
  }
  return ints;
}

/** value = integer * scale for every element, compared as float32 (±0 equal). */
export function dequantize(integers, scale, shape) {
  const out = new Float32Array(integers.length);
  const channels = typeof scale === 'number' ? 1 : scale.length;
  for (let i = 0; i < integers.length; i++) {
    const s = typeof scale === 'number' ? scale : channels === integers.length ? scale[i] : scale[i % channels];
    out[i] = integers[i] * s;
  }
  return out;
}

function sameScale(steps) {
  return steps.every((s) => s === steps[0]);
}

// One scale per channel (or per element for rank-1 auto scales), from QKeras's recorded scale.
function scaleFromReport(report, unitStep, n, shape) {
  const raw = report.scale;
  if (raw.length === 1) return Math.fround(raw[0] * unitStep);
  const last = shape.length ? shape[shape.length - 1] : 1;
  if (raw.length !== n && raw.length !== last) return null;
  return Float32Array.from(raw, (s) => s * unitStep);
}

function stepFunction(scale, n) {
  if (typeof scale === 'number') return () => scale;
  if (scale.length === n) return (i) => scale[i];
  const c = scale.length;
  return (i) => scale[i % c];
}

// Converted files (no recorded scale): per channel, the finest power-of-two step at which the
// channel's codes stay within the alpha=1 grid's largest code.
function fittedScale(values, shape, maxCode) {
  const codes = dyadicCodes(values, shape);
  if (!codes) return null;
  const channels = channelsOf(shape);
  const steps = Float32Array.from(codes.steps);
  for (let c = 0; c < channels; c++) {
    let top = 0;
    for (let i = c; i < values.length; i += channels) top = Math.max(top, Math.abs(codes.ints[i]));
    if (top === 0) continue;
    while (top * 2 <= maxCode && steps[c] / 2 >= 2 ** -126) {
      steps[c] /= 2;
      top *= 2;
    }
  }
  return steps;
}

function histogram(values, bins = 16) {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const counts = new Array(bins).fill(0);
  if (!values.length) return { min: 0, max: 0, counts };
  const width = (max - min) / bins;
  for (const v of values) counts[width > 0 ? Math.min(bins - 1, Math.floor((v - min) / width)) : 0] += 1;
  return { min, max, counts };
}

function statsOf(values, clipped) {
  const distinct = new Set();
  let zeros = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    distinct.add(v === 0 ? 0 : v);
    if (v === 0) zeros += 1;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min: values.length ? min : 0, max: values.length ? max : 0, distinct: distinct.size, histogram: histogram(values), zeros, clipped };
}

async function unitGridOf(desc) {
  if (desc.grid) return { grid: desc.grid, scaled: false };
  const alpha = desc.config?.alpha;
  if (typeof alpha !== 'string') return { grid: null, scaled: false };
  try {
    const unit = await describeQuantizer({ class_name: desc.className, config: { ...desc.config, alpha: 1 } });
    return { grid: unit.grid, scaled: true };
  } catch {
    return { grid: null, scaled: false };
  }
}

/** The codes and scale of one effective weight, or {integers: null, scale: null} for float weights. */
export async function encodeWeight(values, shape, desc, report) {
  if (!desc) return { integers: null, scale: null, method: 'float' };
  const { grid, scaled } = await unitGridOf(desc);
  const n = values.length;
  const attempts = [];
  if (grid && grid.kind === 'uniform' && grid.step > 0) {
    if (!scaled) attempts.push(['grid', () => Math.fround(grid.step)]);
    else {
      if (report?.scale?.length) attempts.push(['qkeras-scale', () => scaleFromReport(report, grid.step, n, shape)]);
      attempts.push(['fitted', () => fittedScale(values, shape, Math.round(Math.max(Math.abs(grid.min), Math.abs(grid.max)) / grid.step))]);
    }
  }
  attempts.push([
    'dyadic',
    () => {
      const codes = dyadicCodes(values, shape);
      if (!codes) return null;
      return sameScale(codes.steps) ? codes.steps[0] : codes.steps;
    },
  ]);
  for (const [method, make] of attempts) {
    const scale = make();
    if (scale === null || scale === undefined) continue;
    const ints = codesAt(values, stepFunction(scale, n));
    if (ints) return { integers: intArrayFor(ints), scale: typeof scale !== 'number' && sameScale(scale) ? scale[0] : scale, method };
  }
  return { integers: null, scale: null, method: 'float' };
}

/**
 * @param {import('./model.js').Model} model
 * @param {string} [layerName]
 */
export async function modelWeights(model, layerName) {
  const handle = model._handle;
  if (layerName !== undefined && !model.layers.some((l) => l.name === layerName)) {
    throw new Error(`weights(): no layer named '${layerName}'; the model's layers are ${model.layers.map((l) => l.name).join(', ')}`);
  }
  const effective = handle.effectiveWeights();
  const reports = JSON.parse(handle.weightReports());
  const layerByName = new Map(model.layers.map((l) => [l.name, l]));
  const order = new Map(model.layers.map((l, i) => [l.name, i]));
  const selected = effective
    .filter((w) => layerName === undefined || w.layer === layerName)
    .sort((a, b) => order.get(a.layer) - order.get(b.layer) || a.index - b.index);
  const out = [];
  for (const w of selected) {
    const layer = layerByName.get(w.layer);
    const slot = slotOf(w.role);
    const quantizer = layer?.quantizers?.[slot] ?? null;
    const report = reports.find((r) => r.layer === w.layer && r.slot === slot) ?? null;
    const desc = quantizer ? await describeQuantizer(quantizer) : null;
    const { integers, scale, method } = await encodeWeight(w.data, w.shape, desc, report);
    const folded = /Batchnorm$/.test(layer?.className ?? '');
    // Float weights cannot be clipped; converted files keep no float weights to count from.
    const clipped = quantizer ? (report ? report.clipped : null) : 0;
    out.push({
      layer: w.layer,
      name: w.role,
      folded,
      shape: [...w.shape],
      quantizer,
      bits: desc ? desc.bits : 32,
      signed: desc ? desc.signed : true,
      integers,
      scale,
      scaleMethod: method,
      values: w.data,
      stats: statsOf(w.data, clipped),
    });
  }
  return out;
}

/**
 * Per layer, the bits of each weight the layer multiplies with (the quantizer's bits, 32 for
 * float weights), and the model's weight memory at those widths against float32. Synchronous
 * (model.summary()): a Model exists, so the WASM module is loaded.
 * @returns {{layers: Map<string, {name: string, bits: number, count: number}[]>, quantizedBytes: number, floatBytes: number}}
 */
export function weightMemory(model) {
  const wasm = loadedWasmModule();
  const byLayer = new Map(model.layers.map((l) => [l.name, l]));
  const layers = new Map();
  let bits = 0;
  let count = 0;
  for (const w of model._handle.effectiveWeights()) {
    const quantizer = byLayer.get(w.layer)?.quantizers?.[slotOf(w.role)] ?? null;
    const b = quantizer && wasm ? JSON.parse(wasm.describeQuantizer(specToJson(quantizer), optionsToJson({}))).bits || 32 : 32;
    const n = w.data.length;
    if (!layers.has(w.layer)) layers.set(w.layer, []);
    layers.get(w.layer).push({ name: w.role, bits: b, count: n });
    bits += b * n;
    count += n;
  }
  return { layers, quantizedBytes: Math.ceil(bits / 8), floatBytes: 4 * count };
}
