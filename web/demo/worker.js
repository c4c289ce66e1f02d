// The demo's Web Worker: loading, conversion, prediction and tracing run here, so the page stays
// responsive. It uses the package's public API only. Bundled by scripts/build-demo.mjs into
// build/demo/ (module workers ignore the page's import map, so bare imports must be resolved).
//
// Protocol: the page posts {id, op, args}; the worker answers {id, result} or {id, error},
// and {id, progress} while loading. Cancel = the page terminates this worker.
//
// Opening the page fast: index.html starts this worker (with ?preload) before the page's own
// script has loaded, and at the same time fetches the .wasm and the example model itself, so that
// the three downloads run in parallel instead of one after the other. It posts the bytes here as
// {op: 'preloaded'}; the WASM is then compiled from them (a blob: URL given to setWasmLocation,
// compiled with compileStreaming) and instantiated at once (describeQuantizer() loads the module on
// first use), while the page's script loads. Timings (ms on the page's clock) go back with each
// result, for the page's performance marks.
import { loadModel, setWasmLocation, describeQuantizer } from 'qkeras-wasm';

/** [step, ms on the page's clock]: since the worker's timeOrigin differs from the page's. */
const timings = [];
const mark = (step) => timings.push([step, performance.timeOrigin + performance.now()]);
mark('worker-start');

const WASM_URL = new URL('/web/wasm/qkeras_wasm.wasm', self.location.href).href;

/** url -> Uint8Array: models the page fetched before asking for them. */
const prefetched = new Map();

/** Resolved by the page's 'preloaded' message (or at once without ?preload). */
let receivePreloaded;
const preloaded = new URL(self.location.href).searchParams.has('preload')
  ? new Promise((resolve) => {
    receivePreloaded = resolve;
  })
  : Promise.resolve(null);

/** Settles once the WASM location is set: every operation waits for it. */
const located = preloaded.then((files) => {
  if (files?.model && files.modelBytes) prefetched.set(files.model, new Uint8Array(files.modelBytes));
  setWasmLocation(files?.wasm ? URL.createObjectURL(new Blob([files.wasm], { type: 'application/wasm' })) : WASM_URL);
  mark('wasm-located');
  describeQuantizer('quantized_bits(4,0,1)').then(
    () => mark('wasm-ready'),
    () => {}, // the first real call reports the problem, with its own context
  );
});

/** @type {any} */
let model = null;

function describe(m) {
  return {
    name: m.name,
    inputs: m.inputs.map((t) => ({ name: t.name, shape: t.shape })),
    outputs: m.outputs.map((t) => ({ name: t.name, shape: t.shape })),
    layers: m.layers.map((l) => ({ name: l.name, className: l.className, kernel: l.kernel ?? null, kernelReason: l.kernelReason ?? null })),
    provenance: m.provenance ? { kerasVersion: m.provenance.kerasVersion ?? null } : null,
    analysis: m.analyze(),
  };
}

/** The layer graph laid out top to bottom by dagre: node boxes and edge polylines, in pixels. */
async function layoutGraph(analysis) {
  // Imported when first needed (after the first trace): dagre is half of this worker's code.
  const { default: dagre } = await import('@dagrejs/dagre');
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'TB', nodesep: 16, ranksep: 22, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  const known = new Set(analysis.map((a) => a.name));
  for (const a of analysis) g.setNode(a.name, { width: Math.max(90, 7 * a.name.length + 16), height: 30 });
  for (const a of analysis) for (const from of a.inputs ?? []) if (known.has(from)) g.setEdge(from, a.name);
  dagre.layout(g);
  const { width, height } = g.graph();
  return {
    width,
    height,
    nodes: analysis.map((a) => {
      const n = g.node(a.name);
      return { name: a.name, className: a.className, status: a.status, x: n.x, y: n.y, width: n.width, height: n.height };
    }),
    edges: g.edges().map((e) => g.edge(e).points),
  };
}

const ops = {
  async load(id, { source }) {
    mark('load-start');
    const onProgress = (p) => self.postMessage({ id, progress: { phase: p.phase, loaded: p.loaded, total: p.total, part: p.part } });
    const early = typeof source === 'string' ? prefetched.get(source) : null;
    prefetched.delete(source);
    const next = early
      ? await loadModel(early, { onProgress, name: source.split('/').pop() })
      : await loadModel(source, { onProgress });
    model?.dispose();
    model = next;
    mark('load-end');
    return { ...describe(model), timings: timings.splice(0) };
  },
  graph: async () => layoutGraph(model.analyze()),
  async trace(_id, { data, shape, options, topK }) {
    mark('trace-start');
    const trace = await model.trace(data, shape, options);
    mark('trace-end');
    const entries = Array.from(trace, (e) => ({ ...e }));
    let predictions = null;
    if (topK) {
      const entry = entries.find((e) => e.name === topK.output) ?? entries[entries.length - 1];
      if (entry?.data && entry.shape?.length === 2) {
        // One top-k list per sample (the page has a sample selector), for the first 1024 samples.
        const [batch, classes] = entry.shape;
        const shown = Math.min(batch, 1024);
        const top = model.topK({ data: entry.data.subarray(0, shown * classes), shape: [shown, classes] }, Math.min(topK.k, classes));
        predictions = { name: entry.name, shape: entry.shape, top: shown === 1 && !Array.isArray(top[0]) ? [top] : top };
      }
    }
    return { trace: entries, predictions, timings: timings.splice(0) };
  },
  weights: () => model.weights(),
  hls4mlConfig: (_id, { options }) => model.hls4mlConfig(options),
};

function buffersOf(value, found, depth) {
  if (depth > 4 || value === null || typeof value !== 'object') return found;
  if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer) found.add(value.buffer);
    return found;
  }
  for (const v of Array.isArray(value) ? value : Object.values(value)) buffersOf(v, found, depth + 1);
  return found;
}

self.onmessage = async ({ data: { id, op, args } }) => {
  if (op === 'preloaded') return receivePreloaded?.(args);
  try {
    await located;
    if (!ops[op]) throw new Error(`worker: unknown operation ${op}`);
    if (op !== 'load' && !model) throw new Error('worker: no model loaded');
    const result = await ops[op](id, args ?? {});
    // Typed arrays move to the page instead of being copied (a copy would cost main-thread time).
    const transfer = [...buffersOf(result, new Set(), 0)];
    try {
      self.postMessage({ id, result }, transfer);
    } catch {
      self.postMessage({ id, result }); // e.g. a view on WASM memory, which cannot be transferred
    }
  } catch (error) {
    self.postMessage({ id, error: { message: error?.message ?? String(error), name: error?.name ?? 'Error' } });
  }
};
