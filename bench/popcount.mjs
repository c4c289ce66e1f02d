// The popcount kernels in WebAssembly against the int16 dot16x2 path and the float kernels, on
// one 3x3 'same' conv at the conv shapes of the CIFAR-10 CNN (B). Each shape is a
// two-layer model, QActivation then QConv2D, whose conv runs:
//   qb1 xor+popcnt   binary(alpha=1) activation, binary weights
//   qt2 and+popcnt   ternary(1, 0.5) activation, ternary weights
//   qs8 dot16x2      quantized_relu(4) activation, quantized_bits(4) weights (the int16 path)
//   f32              the binary model with {integerKernels: false}
// Conv time is the median of trace()'s per-layer times (the float -> code/bit-plane conversion
// included); GMAC/s = 9 * H * W * C * N / time. A report, not a test.
//   node bench/popcount.mjs [--runs 200]
import { loadModel } from '../web/index.js';
import {
  writeKerasH5, sequentialConfig, inputLayer, qConv2D, qActivation, quantizedBits, quantizedRelu, fixtureValues,
} from '../tests/fixtures/keras_writer.js';

const args = process.argv.slice(2);
const runsIndex = args.indexOf('--runs');
const runs = runsIndex >= 0 ? Number(args[runsIndex + 1]) : 200;

const binary = { class_name: 'binary', config: { use_01: false, alpha: 1, use_stochastic_rounding: false } };
const ternary = (alpha, threshold) => ({
  class_name: 'ternary', config: { alpha, threshold, use_stochastic_rounding: false, number_of_unrolls: 5 },
});
const flavours = {
  'qb1 xor+popcnt': { act: binary, kq: { class_name: 'binary', config: { use_01: false, alpha: null, use_stochastic_rounding: false } } },
  'qt2 and+popcnt': { act: ternary(1, 0.5), kq: ternary(null, null) },
  'qs8 dot16x2 (4-bit)': { act: quantizedRelu(4), kq: quantizedBits(4, 0, { alpha: 1 }) },
};

async function convModel(hw, c, n, flavour) {
  const config = sequentialConfig('bench', [
    inputLayer('input', [hw, hw, c]),
    qActivation('act', flavour.act),
    qConv2D('conv', n, [3, 3], { padding: 'same', kernel_quantizer: flavour.kq }),
  ]);
  const weights = {
    conv: [
      { name: 'conv/kernel:0', shape: [3, 3, c, n], data: fixtureValues(9 * c * n, 7) },
      { name: 'conv/bias:0', shape: [n], data: fixtureValues(n, 8) },
    ],
  };
  return writeKerasH5({ modelConfig: config, weights });
}

async function convMs(model, data, shape) {
  for (let i = 0; i < 20; i++) await model.trace(data, shape);
  const ms = [];
  for (let i = 0; i < runs; i++) ms.push((await model.trace(data, shape)).find((e) => e.name === 'conv').timeMs);
  ms.sort((a, b) => a - b);
  return ms[Math.floor(ms.length / 2)];
}

const shapes = [[32, 32, 32], [16, 32, 64], [16, 64, 64], [8, 64, 128], [8, 128, 128]];
console.log(`conv 3x3 same, batch 1, median of ${runs} traced runs; GMAC/s (ms)\n`);
console.log(`| H=W, C, N | ${Object.keys(flavours).join(' | ')} | f32 |`);
console.log(`|---|${Object.keys(flavours).map(() => '---:').join('|')}|---:|`);
for (const [hw, c, n] of shapes) {
  const macs = 9 * hw * hw * c * n;
  const data = fixtureValues(hw * hw * c, 3);
  const shape = [1, hw, hw, c];
  const cells = [];
  let floatMs;
  for (const [label, flavour] of Object.entries(flavours)) {
    const bytes = await convModel(hw, c, n, flavour);
    const model = await loadModel(bytes);
    const kernel = model.layers.find((l) => l.name === 'conv').kernel;
    if (!kernel.startsWith(label.slice(0, 3))) throw new Error(`${label}: the conv runs ${kernel}`);
    const ms = await convMs(model, data, shape);
    cells.push(`${(macs / ms / 1e6).toFixed(1)} (${ms.toFixed(3)})`);
    model.dispose();
    if (label.startsWith('qb1')) {
      const f = await loadModel(bytes, { integerKernels: false });
      floatMs = await convMs(f, data, shape);
      f.dispose();
    }
  }
  cells.push(`${(macs / floatMs / 1e6).toFixed(1)} (${floatMs.toFixed(3)})`);
  console.log(`| ${hw}, ${c}, ${n} | ${cells.join(' | ')} |`);
}
