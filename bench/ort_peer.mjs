// The onnxruntime-web peer: the int8 QDQ export (bench/onnx_export.mjs) on the WASM backend,
// one thread, graph optimization level 'all' (QDQ -> QLinearConv/QGemm fusion, NHWC layout).
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

let ort = null;

export async function initOrt() {
  if (ort) return ort;
  ort = (await import('onnxruntime-web')).default;
  const require = createRequire(import.meta.url);
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.simd = true;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmPaths = dirname(require.resolve('onnxruntime-web')) + '/';
  ort.env.logLevel = 'error';
  return ort;
}

const sessionOptions = (extra = {}) => ({ executionProviders: ['wasm'], graphOptimizationLevel: 'all', logSeverityLevel: 3, ...extra });

/**
 * A session for the model: run(x) on one NHWC Float32Array image returns the output's
 * Float32Array; release() frees the session.
 */
export async function ortRunner(bytes, inputShape) {
  const session = await ort.InferenceSession.create(bytes, sessionOptions());
  const dims = [1, ...inputShape];
  return {
    run: async (x) => (await session.run({ input: new ort.Tensor('float32', x, dims) })).output.data,
    release: () => session.release(),
  };
}

/**
 * Runs the model `runs` times in a profiling session and returns which kernels ORT actually
 * executed: {byOp: {QLinearConv: {count, ms}, ...}, nodes: [{name, op, ms}]}: nodes per run and
 * their median time (ORT prints its profile to stdout; it is captured here, not shown).
 */
export async function ortKernelProfile(bytes, inputShape, x, runs) {
  const session = await ort.InferenceSession.create(bytes, sessionOptions({ enableProfiling: true }));
  for (let i = 0; i < runs; i++) await session.run({ input: new ort.Tensor('float32', x, [1, ...inputShape]) });
  // ORT's WASM build writes the profile to file descriptor 1 with fs.writeSync.
  const fs = createRequire(import.meta.url)('node:fs');
  const writeSync = fs.writeSync;
  let captured = '';
  fs.writeSync = (fd, data, ...rest) => {
    if (fd !== 1) return writeSync.call(fs, fd, data, ...rest);
    if (typeof data === 'string') {
      captured += data;
      return Buffer.byteLength(data);
    }
    const offset = typeof rest[0] === 'number' ? rest[0] : 0;
    const length = typeof rest[1] === 'number' ? rest[1] : data.byteLength - offset;
    captured += Buffer.from(data.buffer, data.byteOffset + offset, length).toString();
    return length;
  };
  try {
    await session.endProfiling();
  } finally {
    fs.writeSync = writeSync;
  }
  await session.release();
  // Each node's median over the runs (the profiling session's first runs are cold), summed by
  // operator: the kernels that ran and their time per run.
  const byNode = new Map();
  for (const line of captured.split('\n')) {
    const text = line.trim().replace(/,$/, '');
    if (!text.startsWith('{') || !text.includes('"Node"')) continue;
    let event;
    try {
      event = JSON.parse(text);
    } catch {
      continue;
    }
    const op = event.args?.op_name;
    if (event.cat !== 'Node' || !op || !event.name.endsWith('_kernel_time')) continue;
    if (!byNode.has(event.name)) byNode.set(event.name, { op, durations: [] });
    byNode.get(event.name).durations.push(event.dur / 1000);
  }
  const byOp = {};
  const nodes = [];
  for (const [name, { op, durations }] of byNode) {
    const sorted = durations.sort((a, b) => a - b);
    const ms = sorted[Math.floor(sorted.length / 2)];
    byOp[op] ??= { count: 0, ms: 0 };
    byOp[op].count += 1;
    byOp[op].ms += ms;
    nodes.push({ name: name.replace(/_kernel_time$/, ''), op, ms });
  }
  if (Object.keys(byOp).length === 0) throw new Error('onnxruntime-web printed no profile: cannot tell which kernels ran');
  return { byOp, nodes };
}
