// model.hls4mlConfig(): an hls4ml config ('name' granularity: { Model, LayerName: { <layer>:
// { Precision: { weight, bias, result, accum } } } }) whose ap_fixed types are exact where the
// analysis proves a grid, plus a report saying which types are exact and, for float tensors,
// what the suggested (lossy) type costs on the traced data.
//
// Where each type comes from:
//   weight, bias — the integer codes and power-of-two scales of model.weights() (separable
//                  layers: depthwise and pointwise, hls4ml's names for their two kernels);
//   result       — the analysis grid of the layer's output (status quantized or exact);
//   accum        — linear layers on grid inputs: the analysis's accumulator bits at the
//                  accumulator step (input step x weight step, or the bias step if finer);
//   float tensors— a 16-bit type covering the range seen in a trace of options.input (hls4ml's
//                  default ap_fixed<16,6> without one), marked exact: false with its worst error.
// hls4ml splits a layer's activation= into a node named <layer>_<activation>: the layer's own
// `result` is then the pre-activation sum (the accumulator type), and the activation node's
// result is the layer's output.
import { exactType, typeForCodes, suggestedType, makeType, castToType, representable, parseType, covers } from './fixed_point.js';
import { modelWeights } from './weights.js';

const DEFAULT_TYPE = makeType(16, 6, true);

function gridType(grid) {
  if (!grid) return null;
  if (grid.kind === 'uniform' && grid.step) return exactType(grid.min, grid.max, grid.step);
  if (grid.kind === 'custom' && Array.isArray(grid.values)) {
    let step = Infinity;
    for (const v of grid.values) {
      if (v === 0) continue;
      // the largest power of two dividing v
      let s = 2 ** Math.floor(Math.log2(Math.abs(v)));
      while (!Number.isInteger(v / s)) s /= 2;
      step = Math.min(step, s);
    }
    if (!Number.isFinite(step)) step = 1;
    return exactType(Math.min(...grid.values), Math.max(...grid.values), step);
  }
  return null;
}

// The activation hls4ml splits off a layer, by name (null for none / linear).
function activationName(config) {
  const a = config?.activation;
  if (a === undefined || a === null || a === 'linear') return null;
  if (typeof a === 'string') return a.replace(/\(.*$/s, '').trim() || null;
  if (typeof a === 'object' && typeof a.class_name === 'string') return a.class_name;
  return null;
}

function finestStep(grid) {
  if (!grid || grid.kind !== 'uniform') return null;
  return Array.isArray(grid.steps) && grid.steps.length ? Math.min(...grid.steps) : grid.step;
}

function minMax(data) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of data) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return { min: lo, max: hi };
}

/**
 * @param {import('./model.js').Model} model
 * @param {{input?: any, inputShape?: number[], bits?: number, reuseFactor?: number, strategy?: string}} [options]
 */
export async function hls4mlConfig(model, options = {}) {
  const { input, inputShape, bits = 16, reuseFactor = 1, strategy = 'Latency' } = options ?? {};
  if (!Number.isInteger(bits) || bits < 2 || bits > 64) throw new TypeError('hls4mlConfig options.bits must be an integer from 2 to 64');
  const analysis = model.analyze();
  const byName = new Map(analysis.map((a) => [a.name, a]));
  const weights = await modelWeights(model);
  const traced = new Map();
  if (input !== undefined) {
    const trace = await model.trace(input, inputShape);
    for (const t of trace) traced.set(t.name, t.data);
  }
  const graphLayer = new Map((model.graph.layers ?? []).map((l) => [l.name, l]));

  const LayerName = {};
  const report = [];
  const put = (node, slot, entry) => {
    (LayerName[node] ??= { Precision: {} }).Precision[slot] = entry.type.text;
    report.push({ node, slot, ...entry, type: entry.type.text, typeInfo: entry.type });
  };
  // A float tensor: the suggested type for what the trace saw (or hls4ml's default).
  const lossy = (layer, why) => {
    const data = traced.get(layer);
    if (!data || !data.length) {
      return { type: DEFAULT_TYPE, exact: false, reason: `${why}; no input traced, so hls4ml's default`, worstError: null, observed: null };
    }
    const { min, max } = minMax(data);
    const type = suggestedType(min, max, bits);
    let worst = 0;
    for (const v of data) worst = Math.max(worst, Math.abs(castToType(v, type) - v));
    return { type, exact: false, reason: `${why}; covers the traced range [${min}, ${max}]`, worstError: worst, observed: { min, max } };
  };

  for (const a of analysis) {
    const cfg = graphLayer.get(a.name)?.config ?? {};
    const own = weights.filter((w) => w.layer === a.name);
    const kernel = own.find((w) => w.name !== 'bias');
    const bias = own.find((w) => w.name === 'bias');
    const act = activationName(cfg);
    // QAdaptiveActivation's stored variables (step, EMAs) are state, not multiplied weights.
    const isLinear = own.length > 0 && kernel && !['BatchNormalization', 'QBatchNormalization', 'QAdaptiveActivation'].includes(a.className);

    // The layer's output: exact from the analysis grid, else a lossy suggestion.
    const outType = a.status !== 'float' ? gridType(a.grid) : null;
    const outEntry = outType
      ? { type: outType, exact: true, reason: `${a.status} on the grid ${a.quantizer ?? 'of the exact sums'}`, observedLayer: a.name }
      : { ...lossy(a.name, a.status === 'float' ? 'float tensor' : 'grid not representable in fixed point'), observedLayer: a.name };

    if (isLinear) {
      // hls4ml names a separable layer's two kernels depthwise and pointwise.
      const separable = /Separable/.test(a.className);
      const slotOf = (w) => (w.name === 'bias' ? 'bias' : separable ? w.name.replace(/_kernel$/, '') : 'weight');
      for (const w of own) {
        const slot = slotOf(w);
        const t = w.integers ? typeForCodes(w.integers, w.scale) : null;
        if (t) put(a.name, slot, { type: t, exact: true, reason: `${w.quantizer} codes x scale ${typeof w.scale === 'number' ? w.scale : 'per channel'}` });
        else {
          const { min, max } = w.stats;
          const type = suggestedType(min, max, bits);
          let worst = 0;
          for (const v of w.values) worst = Math.max(worst, Math.abs(castToType(v, type) - v));
          put(a.name, slot, { type, exact: false, reason: 'float weights', worstError: worst, observed: { min, max } });
        }
      }
      // accum: the analysis's accumulator bits at the accumulator step.
      const inGrid = byName.get(a.inputs[0])?.grid ?? null;
      const inStep = finestStep(inGrid);
      let accum = null;
      const kernels = own.filter((w) => w.name !== 'bias');
      if (a.accumulatorBits && inStep && kernels.every((k) => k.integers)) {
        // A separable layer multiplies by both kernels: its products step by their product.
        const scalesOf = (w) => (typeof w.scale === 'number' ? [w.scale] : Array.from(w.scale));
        const biasStep = bias?.integers ? Math.min(...scalesOf(bias)) : Infinity;
        const fine = Math.min(kernels.reduce((p, k) => p * Math.min(...scalesOf(k)), inStep), biasStep);
        const coarse = Math.min(kernels.reduce((p, k) => p * Math.max(...scalesOf(k)), inStep), biasStep);
        const I = a.accumulatorBits + Math.log2(coarse);
        const W = I - Math.log2(fine);
        if (Number.isInteger(I) && Number.isInteger(W)) accum = makeType(W, I, true);
      }
      // Without a bound: a layer without activation accumulates exactly its traced output.
      const accumEntry = accum
        ? { type: accum, exact: true, reason: `${a.accumulatorBits}-bit accumulator bound of the analysis` }
        : !act && !outEntry.exact
          ? { ...outEntry, reason: `no accumulator bound (the input is not on a grid); ${outEntry.reason}` }
          : { type: DEFAULT_TYPE, exact: false, reason: 'the input is not on a grid, so no accumulator bound; hls4ml default', worstError: null, observed: null };
      put(a.name, 'accum', accumEntry);
      if (act) {
        // hls4ml's layer result is the pre-activation sum, on the accumulator's grid.
        put(a.name, 'result', { ...accumEntry, reason: `pre-activation sum (hls4ml runs '${act}' as node ${a.name}_${act})` });
        put(`${a.name}_${act}`, 'result', outEntry);
      } else {
        put(a.name, 'result', outEntry);
      }
    } else {
      put(a.name, 'result', outEntry);
    }
  }
  const config = { Model: { Precision: DEFAULT_TYPE.text, ReuseFactor: reuseFactor, Strategy: strategy }, LayerName };
  return { config, report };
}

export { representable };

/**
 * Where another hls4ml config (e.g. a hand-written one) gives a type narrower than the exact
 * one: it cannot hold every value QKeras computes. `theirs` is an HLSConfig dict ({Model,
 * LayerName}) or a full config file's dict (with HLSConfig); slots it leaves out fall back to
 * its Model precision, as in hls4ml.
 * @returns {{node: string, slot: string, exact: string, theirs: string, fallback: boolean, covers: boolean}[]}
 */
export function compareWithExact(report, theirs) {
  const hls = theirs?.HLSConfig ?? theirs ?? {};
  const modelPrecision = typeof hls.Model?.Precision === 'string' ? hls.Model.Precision : hls.Model?.Precision?.default;
  const out = [];
  for (const r of report) {
    if (!r.exact) continue;
    const layer = hls.LayerName?.[r.node];
    const given = typeof layer?.Precision === 'string' ? layer.Precision : layer?.Precision?.[r.slot];
    const text = given ?? modelPrecision;
    if (!text) continue;
    const type = parseType(text);
    out.push({ node: r.node, slot: r.slot, exact: r.type, theirs: text, fallback: given === undefined, covers: type ? covers(type, r.typeInfo) : false });
  }
  return out;
}
