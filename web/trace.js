// Layer tracing: every layer's output with its quantization status, checked against the
// static analysis. The analysis and the statistics are computed in C++ (src/graph/analysis.cpp,
// src/graph/tensor_stats.cpp); this module shapes them for JS users.
import { keyedByName } from './outputs.js';

/** Joins the static analysis (one entry per layer) with the layer list of model.layers. */
export function shapeAnalysis(rawAnalysis, layers) {
  return rawAnalysis.map((a, i) => ({
    name: a.name,
    className: a.className,
    inputs: a.inputs ?? layers[i]?.inbound ?? [],
    outputShape: layers[i]?.outputShape ?? null,
    status: a.status,
    quantized: a.status === 'quantized',
    quantizer: a.quantizer ?? null,
    grid: a.grid ?? null,
    accumulatorBits: a.accumulatorBits ?? null,
    reason: a.reason ?? '',
    source: a.source ?? null,
  }));
}

/** A model input's reason, once the trace has looked at the data fed (stats.observedGrid). */
export function inputReason(stats) {
  const g = stats.observedGrid;
  if (!g) {
    return 'model input, on no grid: the data you fed is float (its values are not all multiples of one power of two within 16 bits: pixels/255 are not, pixels/256 are)';
  }
  const step = Number.isInteger(Math.log2(g.step)) && g.step < 1 ? `1/${1 / g.step}` : String(g.step);
  return `model input, observed on a grid: the data you fed has ${stats.distinct} distinct values, all multiples of ${step} in [${g.min}, ${g.max}] (${g.bits}-bit ${g.signed ? 'signed' : 'unsigned'}); the model itself does not quantize its input`;
}

const TRACE_RECORD_VERSION = 1; // kTraceRecordVersion in src/graph/trace.h

/**
 * Decodes the binding's compact trace record (a Float64Array; layout in src/graph/trace.h) into
 * one {index, shape, offset, count, stats, timeMs, steps?} per traced layer, with the same values
 * and key order the per-call JSON text had (nlohmann's sorted keys for histogram and grids).
 * @param {Float64Array} r
 * @param {string} extras JSON text of the recurrent layers' steps, or ''
 */
export function decodeTraceRecord(r, extras) {
  if (r[0] !== TRACE_RECORD_VERSION) throw new Error(`trace: record version ${r[0]} from the WASM core, expected ${TRACE_RECORD_VERSION} (web/ and web/wasm/ are from different builds)`);
  const steps = extras ? JSON.parse(extras) : null;
  let stepIndex = 0;
  const n = r[1];
  const out = new Array(n);
  let p = 2;
  const inf = (v) => (Number.isFinite(v) ? v : v > 0 ? 'inf' : '-inf');
  const example = (v) => (Number.isFinite(v) ? v : Number.isNaN(v) ? 'NaN' : v > 0 ? 'inf' : '-inf');
  for (let k = 0; k < n; k++) {
    const index = r[p], offset = r[p + 1], count = r[p + 2], timeMs = r[p + 3], rank = r[p + 4];
    p += 5;
    const shape = new Array(rank);
    for (let d = 0; d < rank; d++) shape[d] = r[p++];
    const stats = {
      count: r[p], nanCount: r[p + 1], infCount: r[p + 2], min: inf(r[p + 3]), max: inf(r[p + 4]),
      mean: Number.isNaN(r[p + 5]) ? null : r[p + 5], distinct: r[p + 6],
    };
    const histogram = { counts: null, max: r[p + 8], min: r[p + 7] };
    const bins = r[p + 9];
    p += 10;
    histogram.counts = Array.from(r.subarray(p, p + bins));
    p += bins;
    stats.histogram = histogram;
    const onGrid = r[p];
    stats.onGrid = onGrid < 0 ? null : onGrid === 1;
    stats.offGridCount = r[p + 1];
    const examples = r[p + 2];
    p += 3;
    stats.offGridExamples = new Array(examples);
    for (let e = 0; e < examples; e++) stats.offGridExamples[e] = example(r[p++]);
    const observed = r[p++];
    if (observed === 1) {
      stats.observedGrid = null;
    } else if (observed === 2) {
      const kind = r[p];
      const g = { bits: r[p + 1], integer: r[p + 2], kind: kind === 1 ? 'powerOfTwo' : kind === 2 ? 'custom' : 'uniform' };
      const signed = r[p + 3] === 1, step = kind === 0 ? r[p + 4] : null, stepCount = r[p + 5];
      p += 6;
      const channelSteps = stepCount ? Array.from(r.subarray(p, p + stepCount)) : null;
      p += stepCount;
      g.max = r[p + 1];
      g.min = r[p];
      g.signed = signed;
      g.step = step;
      if (channelSteps) g.steps = channelSteps;
      const valueCount = r[p + 2];
      p += 3;
      if (valueCount) g.values = Array.from(r.subarray(p, p + valueCount));
      p += valueCount;
      stats.observedGrid = g;
    }
    const entry = { index, shape, offset, count, stats, timeMs };
    if (r[p++] === 1) entry.steps = steps[stepIndex++];
    out[k] = entry;
  }
  if (p !== r.length) throw new Error(`trace: malformed record from the WASM core (${r.length - p} values left over)`);
  return out;
}

/**
 * Builds the public trace entries from the decoded record (decodeTraceRecord). `data(r)` gives
 * entry r's values, or null; it is called on first access of entry.data (see Model.trace: the
 * outputs are copied out of the WASM heap only when read).
 */
export function shapeTrace(layers, analysis, modelLayers = [], data = null) {
  return layers.map((r) => {
    const a = analysis[r.index];
    const stats = r.stats;
    const observed = 'observedGrid' in stats ? { observedGrid: stats.observedGrid } : {};
    let values;
    const entry = {
      name: a.name,
      className: a.className,
      inputs: a.inputs,
      shape: r.shape,
      get data() {
        if (values === undefined) values = data ? data(r) : null;
        return values;
      },
      set data(v) {
        values = v;
      },
      status: a.status,
      quantized: a.quantized,
      quantizer: a.quantizer,
      grid: a.grid ?? stats.observedGrid ?? null,
      accumulatorBits: a.accumulatorBits,
      reason: 'observedGrid' in stats ? inputReason(stats) : a.reason,
      stats: {
        min: stats.min,
        max: stats.max,
        mean: stats.mean,
        distinct: stats.distinct,
        histogram: stats.histogram,
        onGrid: stats.onGrid,
        offGridCount: stats.offGridCount,
        offGridExamples: stats.offGridExamples,
        count: stats.count,
        nanCount: stats.nanCount,
        infCount: stats.infCount,
        ...observed,
      },
      timeMs: r.timeMs,
      ...(r.steps ? { steps: shapeSteps(r.steps) } : {}),
      kernel: modelLayers[r.index]?.kernel ?? null,
      kernelReason: modelLayers[r.index]?.kernelReason ?? null,
    };
    return entry;
  });
}

/** A trace array that can also be read by layer name: trace.get('q_dense'). */
export function keyedTrace(entries) {
  return keyedByName(entries, entries.map((e) => e.name), 'traced layer');
}

const MAX_OFF_GRID_EXAMPLES = 8; // as kMaxOffGridExamples in src/graph/tensor_stats.h

/**
 * Joins the traces of consecutive pieces of a batch into the trace of the whole batch. The
 * statistics are those one trace of the whole batch gives (tests compare the two): the on-grid
 * verdicts are summed from the pieces; distinct values, min/max, mean and the histogram are
 * recounted from the pieces' data with the same rules as src/graph/tensor_stats.cpp's reference
 * (tensor order, -0 == 0 for distinct, the first zero's sign for a zero min/max, NaN left out).
 * @param {Iterable<ReturnType<typeof shapeTrace>>} pieces
 * @param {number} batch
 * @param {{includeData: boolean, histogramBins: number}} options
 */
export function mergeTracePieces(pieces, batch, { includeData, histogramBins }) {
  let merged = null;
  let done = 0;
  for (const piece of pieces) {
    if (merged === null) {
      merged = piece.map((e) => {
        const per = e.shape.slice(1).reduce((a, b) => a * b, 1);
        return {
          entry: { ...e, shape: [batch, ...e.shape.slice(1)], stats: { ...e.stats }, timeMs: 0 },
          per,
          chunks: includeData ? [] : null,
          acc: { nan: 0, inf: 0, finite: 0, sum: 0, lo: Infinity, hi: -Infinity, flo: Infinity, fhi: -Infinity, counts: new Map(), onGrid: e.stats.onGrid, offGrid: 0, examples: [], observed: undefined },
        };
      });
    }
    piece.forEach((e, i) => {
      const m = merged[i];
      const a = m.acc;
      const data = e.data;
      for (let j = 0; j < data.length; j++) {
        const v = data[j];
        if (v !== v) {
          a.nan++;
          continue;
        }
        if (v < a.lo) a.lo = v;
        if (v > a.hi) a.hi = v;
        a.counts.set(v, (a.counts.get(v) ?? 0) + 1); // Map keys: -0 and 0 are one key
        if (v === Infinity || v === -Infinity) {
          a.inf++;
          continue;
        }
        if (v < a.flo) a.flo = v;
        if (v > a.fhi) a.fhi = v;
        a.sum += v;
        a.finite++;
      }
      if (a.counts.size >= 1 << 24) {
        throw new Error(`trace: layer '${e.name}' has more than ${1 << 24} distinct values over the pieces; trace fewer samples, or leave the layer out with { layers }`);
      }
      if (a.onGrid !== null) a.onGrid = a.onGrid && e.stats.onGrid;
      a.offGrid += e.stats.offGridCount;
      for (const x of e.stats.offGridExamples) if (a.examples.length < MAX_OFF_GRID_EXAMPLES) a.examples.push(x);
      a.observed = a.observed === undefined ? e.stats.observedGrid ?? null : mergeObservedGrids(a.observed, e.stats.observedGrid ?? null);
      m.entry.timeMs += e.timeMs;
      if (m.chunks) m.chunks.push(data);
    });
    done += piece[0]?.shape[0] ?? 0;
  }
  const total = merged.reduce((n, m) => n + (m.chunks ? m.per * batch : 0), 0);
  const buffer = includeData ? new Float32Array(total) : null;
  let offset = 0;
  return merged.map(({ entry, per, chunks, acc: a }) => {
    const count = per * batch;
    if (buffer) {
      let o = offset;
      for (const c of chunks) {
        buffer.set(c, o);
        o += c.length;
      }
      entry.data = buffer.subarray(offset, offset + count);
      offset += count;
    } else {
      entry.data = null;
    }
    const bins = new Array(histogramBins).fill(0);
    const width = a.fhi - a.flo;
    for (const [v, n] of a.counts) {
      if (v === Infinity || v === -Infinity) continue;
      const b = width > 0 ? Math.min(Math.max(Math.floor(((v - a.flo) / width) * histogramBins), 0), histogramBins - 1) : 0;
      bins[b] += n;
    }
    const any = count > a.nan;
    const number = (v) => (Number.isFinite(v) ? v : v > 0 ? 'inf' : '-inf');
    entry.stats = {
      ...entry.stats,
      min: any ? number(a.lo) : 0,
      max: any ? number(a.hi) : 0,
      mean: a.finite > 0 ? a.sum / a.finite : 0,
      distinct: a.counts.size,
      histogram: { min: a.finite > 0 ? a.flo : 0, max: a.finite > 0 ? a.fhi : 0, counts: bins },
      onGrid: a.onGrid,
      offGridCount: a.offGrid,
      offGridExamples: a.examples,
      count,
      nanCount: a.nan,
      infCount: a.inf,
      ...('observedGrid' in entry.stats ? { observedGrid: a.observed } : {}),
    };
    if ('observedGrid' in entry.stats) {
      entry.grid = a.observed;
      entry.reason = inputReason(entry.stats);
    }
    return entry;
  });
}

/** The observed grid of two pieces: the finer step, the wider range (null if either has none). */
function mergeObservedGrids(x, y) {
  if (x === null || y === null) return null;
  return observedGrid(Math.min(x.step, y.step), Math.min(x.min, y.min), Math.max(x.max, y.max));
}

/** Mirrors observedGridOf() and uniformGrid() in src/graph (a power-of-two step). */
function observedGrid(step, min, max) {
  if (!(step > 0) || Math.max(Math.abs(min), Math.abs(max)) / step > 2 ** MAX_OBSERVED_GRID_BITS) return null;
  const signed = min < 0;
  const lo = Math.round(min / step);
  const hi = Math.round(max / step);
  let bits = 1;
  if (signed) while (-(2 ** (bits - 1)) > lo || 2 ** (bits - 1) - 1 < hi) bits++;
  else while (2 ** bits < hi + 1) bits++;
  if (bits > MAX_OBSERVED_GRID_BITS) return null;
  return { kind: 'uniform', bits, integer: Math.log2(step) + bits - (signed ? 1 : 0), signed, step, min: min + 0, max: max + 0 };
}
const MAX_OBSERVED_GRID_BITS = 16; // kMaxObservedGridBits in src/graph/tensor_stats.h

/**
 * Per-layer differences between two traces, or between a trace and reference arrays
 * ({layerName: Float32Array | number[] | {data}}).
 * @returns {{name: string, maxAbsDiff: number, differing: number, count: number, missing?: boolean}[]}
 */
export function compareTraces(a, b) {
  const reference = new Map();
  if (Array.isArray(b)) for (const entry of b) reference.set(entry.name, entry.data);
  else if (b && typeof b === 'object') for (const [name, value] of Object.entries(b)) reference.set(name, value?.data ?? value);
  else throw new TypeError('compareTraces(a, b): b must be a trace or an object of reference arrays keyed by layer name');
  return a.map((entry) => {
    const other = reference.get(entry.name);
    if (!entry.data || other == null) return { name: entry.name, maxAbsDiff: NaN, differing: NaN, count: entry.data?.length ?? 0, missing: true };
    if (other.length !== entry.data.length) {
      throw new Error(`compareTraces: layer '${entry.name}' has ${entry.data.length} values, the reference has ${other.length}`);
    }
    let maxAbsDiff = 0;
    let differing = 0;
    for (let i = 0; i < entry.data.length; i++) {
      const x = entry.data[i];
      const y = other[i];
      if (Object.is(x, y) || x === y || (Number.isNaN(x) && Number.isNaN(y))) continue;
      differing += 1;
      const d = Math.abs(x - y);
      maxAbsDiff = Number.isNaN(d) ? Infinity : Math.max(maxAbsDiff, d);
    }
    return { name: entry.name, maxAbsDiff, differing, count: entry.data.length };
  });
}

/**
 * trace({steps: true}) record of a recurrent layer: per step (processing order) the time index,
 * the output, the states after the step and, with a state_quantizer, the quantized previous
 * states the step used; every array is a Float32Array of batch * units values. A Bidirectional
 * layer has one such record per direction: { forward, backward }.
 */
function shapeSteps(s) {
  if (s.forward) return { forward: shapeSteps(s.forward), backward: shapeSteps(s.backward) };
  const f32 = (v) => (v ? Float32Array.from(v) : undefined);
  return {
    batch: s.batch,
    units: s.units,
    goBackwards: s.goBackwards,
    stateQuantizer: s.stateQuantizer ?? null,
    steps: s.steps.map((st) => ({
      t: st.t,
      output: f32(st.output),
      h: f32(st.h),
      ...(st.c ? { c: f32(st.c) } : {}),
      ...(st.hPrevQuantized ? { hPrevQuantized: f32(st.hPrevQuantized) } : {}),
      ...(st.cPrevQuantized ? { cPrevQuantized: f32(st.cPrevQuantized) } : {}),
    })),
  };
}
