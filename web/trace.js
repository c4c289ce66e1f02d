// Layer tracing: every layer's output with its quantization status, checked against the
// static analysis. The analysis and the statistics are computed in C++ (src/graph/analysis.cpp,
// src/graph/tensor_stats.cpp); this module shapes them for JS users.

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

/**
 * Builds the public trace entries from the binding's result: one JSON text for all layers and
 * one Float32Array holding every traced output (each entry's data is a view into it).
 */
export function shapeTrace(raw, analysis, modelLayers = []) {
  const layers = JSON.parse(raw.layers);
  return layers.map((r) => {
    const a = analysis[r.index];
    const stats = r.stats;
    return {
      name: a.name,
      className: a.className,
      inputs: a.inputs,
      shape: r.shape,
      data: raw.data ? raw.data.subarray(r.offset, r.offset + r.count) : null,
      status: a.status,
      quantized: a.quantized,
      quantizer: a.quantizer,
      grid: a.grid,
      accumulatorBits: a.accumulatorBits,
      reason: a.reason,
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
      },
      timeMs: r.timeMs,
      kernel: modelLayers[r.index]?.kernel ?? null,
      kernelReason: modelLayers[r.index]?.kernelReason ?? null,
    };
  });
}

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
