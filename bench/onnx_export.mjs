// The onnxruntime-web peer's model: an int8 QDQ ONNX export of an architecture from
// bench/architecture.mjs, as a quantization tool would write it:
//   - activations uint8 (QuantizeLinear/DequantizeLinear around every Conv and Gemm), weights
//     int8 with per-output-channel scales, biases int32 at scale x_scale * w_scale;
//   - where our analysis proves a tensor lies on a uniform grid (quantized_relu outputs, the
//     weights' power-of-two steps), that grid is the quantization grid, so the int8 model
//     computes the same values up to requantization; float tensors (BatchNormalization outputs,
//     the input image) get a min/max calibration from our own trace of the same input;
//   - BatchNormalization, Softmax run in float between DequantizeLinear and QuantizeLinear.
// ORT fuses DQ -> Conv -> Q into QLinearConv and DQ -> Gemm -> Q into QGemm at graph
// optimization level 'extended' or 'all' (bench/run.mjs records which kernels actually ran).
// Conv and Gemm nodes are named '<our layer>:Conv' so that ORT's profile maps back to layers.
import { OnnxGraph } from './onnx_writer.mjs';

// The largest power of two dividing every value (0 when all are 0): the values' dyadic grid.
function dyadicStep(values) {
  let step = Infinity;
  for (const v of values) {
    if (v === 0) continue;
    let e = Math.floor(Math.log2(Math.abs(v)));
    while (e > -150 && !Number.isInteger(v / 2 ** e)) e -= 1;
    step = Math.min(step, 2 ** e);
  }
  return step === Infinity ? 0 : step;
}

// Per-channel int8 weight scale: the values' own step when it represents them exactly in
// [-127, 127], else max|w| / 127.
function weightScale(values) {
  let maxAbs = 0;
  for (const v of values) maxAbs = Math.max(maxAbs, Math.abs(v));
  if (maxAbs === 0) return { scale: 1, exact: true };
  const step = dyadicStep(values);
  if (step > 0 && maxAbs / step <= 127) return { scale: step, exact: true };
  return { scale: maxAbs / 127, exact: false };
}

// uint8 quantization parameters for a tensor, and the code range [lo, hi] its values occupy.
function gridParams(grid) {
  if (!grid || grid.kind !== 'uniform' || !(grid.step > 0)) return null;
  const zp = Math.round(-Math.min(grid.min, 0) / grid.step);
  const lo = Math.round(grid.min / grid.step) + zp;
  const hi = Math.round(grid.max / grid.step) + zp;
  if (zp < 0 || zp > 255 || lo < 0 || hi > 255) return null;
  return { scale: grid.step, zp, lo, hi, exact: true };
}
function calibratedParams(range) {
  const min = Math.min(0, range.min);
  const max = Math.max(0, range.max);
  if (min >= 0 && max <= 1) return { scale: 1 / 255, zp: 0, lo: 0, hi: 255, exact: false };
  const scale = (max - min) / 255 || 1;
  const zp = Math.min(255, Math.max(0, Math.round(-min / scale)));
  return { scale, zp, lo: 0, hi: 255, exact: false };
}

/**
 * @param {ReturnType<typeof import('./architecture.mjs').describeArchitecture>} arch
 * @param {Map<string, {min: number, max: number}>} ranges each layer output's observed range
 *   (our trace of the benchmark input), plus '__input__' for the model input
 * @returns {Promise<{bytes: Uint8Array, notes: string[]}>}
 */
export async function exportQdqOnnx(arch, ranges) {
  const g = new OnnxGraph(arch.name);
  const notes = [];
  const f32 = (prefix, v) => g.constant(prefix, 'float32', [], [v]);
  const u8 = (prefix, v) => g.constant(prefix, 'uint8', [], [v]);

  // The current tensor: its value name, 'float' or 'uint8' (with q = {scale, zp, lo, hi}), its
  // NCHW shape without batch, its observed range and grid.
  const [h, w, c] = arch.input.length === 3 ? arch.input : [null, null, arch.input[0]];
  g.input('input', 'float32', [1, ...arch.input]);
  let cur = {
    value: arch.input.length === 3 ? g.node('Transpose', ['input'], { perm: [0, 3, 1, 2] }) : 'input',
    type: 'float', q: null, shape: arch.input.length === 3 ? [c, h, w] : [c], range: ranges.get('__input__'), grid: null,
  };

  const quantized = (t) => {
    if (t.type === 'uint8') return t;
    const q = gridParams(t.grid) ?? calibratedParams(t.range);
    return { ...t, type: 'uint8', q, value: g.node('QuantizeLinear', [t.value, f32('scale', q.scale), u8('zp', q.zp)]) };
  };
  const dequantized = (t) => (t.type === 'float' ? t.value : g.node('DequantizeLinear', [t.value, f32('scale', t.q.scale), u8('zp', t.q.zp)]));
  // Quantizes a float value to `q`, clipping the codes to [lo, hi] when that is narrower than uint8.
  const requantize = (value, q) => {
    let y = g.node('QuantizeLinear', [value, f32('scale', q.scale), u8('zp', q.zp)]);
    if (q.lo > 0 || q.hi < 255) y = g.node('Clip', [y, u8('lo', q.lo), u8('hi', q.hi)]);
    return y;
  };

  // DQ(x) -> op(DQ(w), DQ(b)) : the weight/bias half of a Conv or Gemm.
  const weightsAndBias = (l, x, perm, axis) => {
    const kernel = l.kernel;
    const outC = kernel.shape[kernel.shape.length - 1];
    const inner = kernel.data.length / outC;
    const dims = perm.map((p) => kernel.shape[p]);
    // Keras stores [..., out] with out fastest; ONNX wants out on `axis` of `dims`.
    const byChannel = Array.from({ length: outC }, () => new Float32Array(inner));
    for (let i = 0; i < kernel.data.length; i++) byChannel[i % outC][Math.floor(i / outC)] = kernel.data[i];
    const scales = byChannel.map((v) => weightScale(v));
    if (scales.some((s) => !s.exact)) notes.push(`${l.name}: weights not exactly int8 (scale max|w|/127)`);
    const codes = new Int8Array(kernel.data.length);
    const strides = dims.map((_, i) => dims.slice(i + 1).reduce((a, b) => a * b, 1));
    const srcStrides = kernel.shape.map((_, i) => kernel.shape.slice(i + 1).reduce((a, b) => a * b, 1));
    const index = new Array(dims.length).fill(0);
    for (let o = 0; o < codes.length; o++) {
      let rem = o;
      for (let d = 0; d < dims.length; d++) {
        index[d] = Math.floor(rem / strides[d]);
        rem %= strides[d];
      }
      let src = 0;
      for (let d = 0; d < dims.length; d++) src += index[d] * srcStrides[perm[d]];
      const ch = src % outC;
      codes[o] = Math.max(-127, Math.min(127, Math.round(kernel.data[src] / scales[ch].scale)));
    }
    const wq = g.constant(`${l.name}_w`, 'int8', dims, codes);
    const ws = g.constant(`${l.name}_wscale`, 'float32', [outC], scales.map((s) => s.scale));
    const wz = g.constant(`${l.name}_wzp`, 'int8', [outC], new Int8Array(outC));
    const wd = g.node('DequantizeLinear', [wq, ws, wz], { axis });
    const inputs = [dequantized(x), wd];
    if (l.bias) {
      const bscale = scales.map((s) => s.scale * x.q.scale);
      const limit = 2 ** 31 - 1;
      const raw = Array.from(l.bias.data, (b, i) => Math.round(b / bscale[i]));
      if (raw.some((v) => Math.abs(v) > limit)) notes.push(`${l.name}: bias does not fit int32 at x_scale * w_scale; clamped`);
      const bcodes = Int32Array.from(raw, (v) => Math.max(-limit, Math.min(limit, v)));
      const bq = g.constant(`${l.name}_b`, 'int32', [outC], bcodes);
      inputs.push(g.node('DequantizeLinear', [bq, g.constant(`${l.name}_bscale`, 'float32', [outC], bscale), g.constant(`${l.name}_bzp`, 'int32', [outC], new Int32Array(outC))], { axis: 0 }));
    }
    return inputs;
  };

  // An op's float output followed by the layer's activation; returns the new current tensor.
  // `floatOut`: the consumer computes in float anyway (QGemm can write float directly).
  const activate = (l, value, shape, floatOut) => {
    const range = ranges.get(l.outputOf ?? l.name);
    const a = l.activation;
    if (a.kind === 'softmax') return { value: g.node('Softmax', [value], { axis: -1 }), type: 'float', q: null, shape, range, grid: null };
    if (floatOut && a.kind === 'none') return { value, type: 'float', q: null, shape, range, grid: null };
    let q;
    if (a.kind === 'grid') {
      q = gridParams(a.grid);
      if (!q) {
        q = calibratedParams(range);
        notes.push(`${l.name}: output grid ${a.quantizer} does not fit uint8; calibrated instead`);
      }
    } else {
      q = calibratedParams(a.kind === 'relu' ? { min: 0, max: range.max } : range);
    }
    return { value: requantize(value, q), type: 'uint8', q, shape, range, grid: a.kind === 'grid' ? a.grid : null };
  };

  // A Conv or Gemm without an activation that feeds an activation layer (QActivation, ReLU)
  // requantizes straight to that activation's grid, as a quantization tool fuses it.
  const layers = [];
  for (const l of arch.layers) {
    const prev = layers[layers.length - 1];
    if (l.kind === 'activation' && l.activation.kind !== 'softmax' && prev && (prev.kind === 'conv2d' || prev.kind === 'dense') && prev.activation.kind === 'none') {
      layers[layers.length - 1] = { ...prev, outputOf: l.name, activation: l.activation };
      continue;
    }
    layers.push(l);
  }
  const last = layers.length - 1;
  for (const [i, l] of layers.entries()) {
    const isLast = i === last || (i === last - 1 && layers[last].kind === 'activation' && layers[last].activation.kind === 'softmax');
    switch (l.kind) {
      case 'conv2d': {
        const x = quantized(cur);
        const [kh, kw, , outC] = l.kernel.shape;
        const [oh, ow] = l.outputShape;
        const attrs = { kernel_shape: [kh, kw], strides: l.strides, dilations: [1, 1] };
        if (l.padding === 'same') attrs.auto_pad = 'SAME_UPPER';
        else attrs.pads = [0, 0, 0, 0];
        const y = g.node('Conv', weightsAndBias(l, x, [3, 2, 0, 1], 0), attrs, { name: `${l.name}:Conv` });
        cur = activate(l, y, [outC, oh, ow], isLast);
        break;
      }
      case 'dense': {
        const x = quantized(cur);
        const y = g.node('Gemm', weightsAndBias(l, x, [0, 1], 1), {}, { name: `${l.name}:Gemm` });
        cur = activate(l, y, [l.kernel.shape[1]], isLast || layers[i + 1]?.kind === 'batchnorm');
        break;
      }
      case 'batchnorm': {
        const n = l.gamma.length;
        const k = (name, v) => g.constant(`${l.name}_${name}`, 'float32', [n], v);
        const y = g.node('BatchNormalization', [dequantized(cur), k('gamma', l.gamma), k('beta', l.beta), k('mean', l.mean), k('var', l.variance)], { epsilon: { float: l.epsilon } });
        cur = { ...cur, value: y, type: 'float', q: null, range: ranges.get(l.name), grid: l.analysis.grid };
        break;
      }
      case 'activation': {
        const a = l.activation;
        if (a.kind === 'relu' && cur.type === 'uint8' && cur.q.zp === 0) break;
        if (a.kind === 'relu') {
          cur = { ...cur, value: g.node('Relu', [dequantized(cur)]), type: 'float', q: null, range: ranges.get(l.name) };
        } else if (a.kind === 'softmax') {
          cur = { ...cur, value: g.node('Softmax', [dequantized(cur)], { axis: -1 }), type: 'float', q: null, range: ranges.get(l.name) };
        } else if (a.kind === 'grid') {
          const q = gridParams(a.grid) ?? calibratedParams(ranges.get(l.name));
          cur = { ...cur, value: requantize(dequantized(cur), q), type: 'uint8', q, range: ranges.get(l.name), grid: a.grid };
        }
        break;
      }
      case 'maxpool': {
        const attrs = { kernel_shape: l.pool, strides: l.strides };
        if (l.padding === 'same') attrs.auto_pad = 'SAME_UPPER';
        const [oh, ow] = l.outputShape;
        cur = { ...cur, value: g.node('MaxPool', [cur.value], attrs), shape: [cur.shape[0], oh, ow], range: ranges.get(l.name) };
        break;
      }
      case 'flatten': {
        // Keras flattens channels-last: back to NHWC first (ORT cancels it against its own
        // NHWC layout transposes), then flatten.
        const t = cur.shape.length === 3 ? g.node('Transpose', [cur.value], { perm: [0, 2, 3, 1] }) : cur.value;
        cur = { ...cur, value: g.node('Flatten', [t], { axis: 1 }), shape: [cur.shape.reduce((a, b) => a * b, 1)], range: ranges.get(l.name) };
        break;
      }
      default:
        throw new Error(`ONNX export: layer kind ${l.kind}`);
    }
  }
  let out = dequantized(cur);
  let outShape = cur.shape;
  if (outShape.length === 3) {
    out = g.node('Transpose', [out], { perm: [0, 2, 3, 1] });
    outShape = [outShape[1], outShape[2], outShape[0]];
  }
  g.output(out, 'output', 'float32', [1, ...outShape]);
  return { bytes: await g.serialize({ opset: 13 }), notes };
}
