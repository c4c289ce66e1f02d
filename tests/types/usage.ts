// Compiled with tsc --noEmit by tests/js/types.test.js: the public API's types must accept the
// documented usage and reject misuse (the @ts-expect-error lines fail the build if accepted).
import { quantize, describeQuantizer, loadModel, convert, compareTraces, readInput, type Model, type TensorData, type TraceEntry } from 'qkeras-wasm';

async function usage(): Promise<void> {
  const y: Float32Array = await quantize('quantized_bits(4,0,1)', new Float32Array([0.3]), [1]);
  const withScale = await quantize({ class_name: 'quantized_bits', config: { bits: 4 } }, [1, 2], [2], { weight: true, returnScale: true });
  const scale: Float32Array | null = withScale.scale;
  const d = await describeQuantizer('quantized_relu(4)', { internalSigmoid: 'smooth' });
  const step: number | null = d.step;
  const model: Model = await loadModel('model.h5', { onProgress: (p) => void p.loaded });
  const strict: Model = await loadModel(new Uint8Array(8), { name: 'm.h5', limits: { maxJsonBytes: 1 << 27 }, ignoreExtraWeights: false });
  const adaptive: Model = await loadModel(new Uint8Array(8), { adaptiveActivation: 'ema', predictBatchSize: 64 });
  void adaptive;
  void strict;
  const out: TensorData = await model.predict(new Float32Array(16), [1, 16]);
  const file = await readInput(new Uint8Array(8), 'x.png', model.inputs[0].shape, { scale: 'signed' });
  const fed: TensorData = await model.predict(file.data, file.shape);
  void fed;
  void file.note;
  // @ts-expect-error scale is 255, 256 or signed
  await readInput(new Uint8Array(8), 'x.png', [null, 4], { scale: 'percent' });
  const big: Model = await loadModel('big.h5', { limits: { maxTensorElements: 2 ** 30, maxArenaBytes: 2 ** 31 } });
  const surprises: string[] = big.warnings.map((w) => `${w.layer} (${w.code}): ${w.message}`);
  void surprises;
  const outs = await model.predict<TensorData[]>({ a: new Float32Array(4), b: new Float32Array(3) });
  void outs[1].shape;
  const shape: number[] = out.shape;
  const bytes: Uint8Array = await convert({ config: '{}', weights: 'w.h5' });
  const trace: TraceEntry[] = await model.trace(new Float32Array(16), [1, 16], { includeData: false });
  const floatReasons: string[] = trace.filter((t) => t.status === 'float').map((t) => t.reason);
  const onGrid: (boolean | null)[] = model.analyze().map((a) => a.grid?.step ?? null).map((s) => s !== null);
  const diffs = compareTraces(trace, trace);
  // Issue 12: nested arrays, null-batch shapes, keyed results, topK, batchSize.
  const nested: TensorData = await model.predict([[0.5, 0.25], [1, 0]]);
  const withNullBatch: TensorData = await model.predict(new Float32Array(16), model.inputs[0].shape);
  const keyed = await model.trace([[0, 1]], undefined, { batchSize: 8 });
  const dense: TraceEntry = keyed.get('q_dense');
  const best: string | undefined = model.topK(nested, 3, ['a', 'b', 'c'])[0][0].label;
  const grid = keyed.get('input_1').stats.observedGrid?.step;
  void [withNullBatch, dense, best, grid];
  // @ts-expect-error unknown trace options are errors
  await model.trace(new Float32Array(16), [1, 16], { includedata: false });
  // Issue 11: a batch across workers, options in place of the shape or after it.
  const threaded: TensorData = await model.predict(new Float32Array(64 * 16), { threads: 2 });
  const threadedShaped: TensorData = await model.predict(new Float32Array(64 * 16), [64, 16], { threads: 2 });
  const threadedTrace: TraceEntry[] = await model.trace(new Float32Array(64 * 16), { threads: 2, includeData: false });
  void [threaded, threadedShaped, threadedTrace];
  // @ts-expect-error predict takes only the threads option
  await model.predict(new Float32Array(16), { thread: 2 });
  for (const w of await model.weights('q_dense')) {
    const codes: Int8Array | Int16Array | Int32Array | null = w.integers;
    const s: number | Float32Array | null = w.scale;
    const clipped: number | null = w.stats.clipped;
    void [codes, s, clipped, w.values.length, w.quantizer];
  }
  const { config, report } = await model.hls4mlConfig({ input: new Float32Array(16), inputShape: [1, 16] });
  const accum: string | undefined = config.LayerName.q_dense?.Precision.accum;
  const lossy: string[] = report.filter((r) => !r.exact).map((r) => `${r.node}.${r.slot}: ${r.type} (${r.worstError ?? '?'})`);
  void [accum, lossy, config.Model.Precision];
  void [floatReasons, onGrid, diffs[0].maxAbsDiff];
  model.dispose();
  // @ts-expect-error internalSigmoid only takes hard / smooth / real
  await describeQuantizer('quantized_relu(4)', { internalSigmoid: 'soft' });
  // @ts-expect-error a spec is a string or a {class_name} object
  await quantize(42, [1], [1]);
  void [y, scale, step, shape, bytes];
}
void usage;
