// `qkeras-wasm weights` (integer codes and scales per weight, exported as .npy, JSON or a C
// header) and `qkeras-wasm hls4ml-config` (exact ap_fixed types as hls4ml YAML).
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

import { loadModel } from './index.js';
import { readArray } from './io/npy.js';
import { fitInputShape } from './util.js';
import { modelSourceFromArgs, readInputBytes } from './cli_files.js';
import { toYaml } from './yaml.js';
import { log2Exact } from './fixed_point.js';

export const WEIGHTS_USAGE = `  weights <model> [--layer NAME] [--export DIR --format npy|json|c]
                                                    integer codes, scales, distinct values, clipped
  hls4ml-config <model> [-o config.yml] [--input x.npy]
                                                    hls4ml config with exact ap_fixed types`;

export function formatScale(scale) {
  if (scale === null) return '-';
  const one = (s) => {
    const e = log2Exact(s);
    return e === null ? s.toPrecision(6) : `2^${e}`;
  };
  if (typeof scale === 'number') return one(scale);
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of scale) {
    lo = Math.min(lo, s);
    hi = Math.max(hi, s);
  }
  return `${one(lo)}..${one(hi)} (${scale.length} ch)`;
}

export function formatWeightsTable(weights) {
  const header = ['layer', 'weight', 'quantizer', 'bits', 'scale(s)', 'distinct', 'sparsity', 'clipped'];
  const rows = weights.map((w) => {
    const n = w.values.length;
    return [
      w.layer,
      `${w.folded ? 'folded ' : ''}${w.name} (${w.shape.join('x')})`,
      w.quantizer ?? 'float',
      w.integers ? `${w.bits}${w.signed ? '' : 'u'}` : '32f',
      formatScale(w.scale),
      String(w.stats.distinct),
      n ? `${((100 * w.stats.zeros) / n).toFixed(1)}%` : '-',
      w.stats.clipped === null ? '?' : `${w.stats.clipped}${n && w.stats.clipped ? ` (${((100 * w.stats.clipped) / n).toFixed(1)}%)` : ''}`,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** A C identifier for layer/weight. */
export function cIdentifier(layer, name) {
  let id = `${layer}_${name}`.replace(/[^A-Za-z0-9_]/g, '_');
  if (/^[0-9]/.test(id)) id = `w_${id}`;
  return id;
}

function cType(integers) {
  if (integers instanceof Int8Array) return 'int8_t';
  if (integers instanceof Int16Array) return 'int16_t';
  return 'int32_t';
}

// A float32 value as a C literal that reads back to the same float (shortest round-trip text).
function cFloat(v) {
  if (Number.isNaN(v)) return '(0.0f/0.0f)';
  if (!Number.isFinite(v)) return v > 0 ? '(1.0f/0.0f)' : '(-1.0f/0.0f)';
  const s = String(v);
  return `${/[.e]/.test(s) ? s : `${s}.0`}f`;
}

function chunked(items, perLine = 16) {
  const lines = [];
  for (let i = 0; i < items.length; i += perLine) lines.push(`  ${items.slice(i, i + perLine).join(', ')},`);
  return lines.join('\n');
}

/** The C header: integer arrays (int8_t/int16_t/int32_t) with their scales; float weights as float arrays. */
export function weightsToCHeader(weights, modelName) {
  const guard = `${cIdentifier(modelName, 'weights').toUpperCase()}_H`;
  const out = [
    `// Weights of ${modelName} as the hardware sees them, written by qkeras-wasm.`,
    '// Quantized weights: value = code * scale (scale per output channel, the last axis, when it is',
    '// an array). Arrays are row-major in Keras layout.',
    `#ifndef ${guard}`,
    `#define ${guard}`,
    '#include <stdint.h>',
    '',
  ];
  for (const w of weights) {
    const id = cIdentifier(w.layer, w.name);
    const n = w.values.length;
    out.push(`// ${w.layer}/${w.name}${w.folded ? ' (batch norm folded in)' : ''}: shape (${w.shape.join(', ')}), ${w.quantizer ?? 'float32'}`);
    out.push(`#define ${id.toUpperCase()}_SIZE ${n}`);
    if (w.integers) {
      if (typeof w.scale === 'number') {
        out.push(`// scale = ${w.scale} (${formatScale(w.scale)})`);
        out.push(`#define ${id.toUpperCase()}_CHANNELS 1`);
        out.push(`static const float ${id}_scale[1] = { ${cFloat(w.scale)} };`);
      } else {
        out.push(`// scales per channel: ${Array.from(w.scale, (s) => formatScale(s)).join(' ')}`);
        out.push(`#define ${id.toUpperCase()}_CHANNELS ${w.scale.length}`);
        out.push(`static const float ${id}_scale[${w.scale.length}] = {\n${chunked(Array.from(w.scale, cFloat), 8)}\n};`);
      }
      out.push(`static const ${cType(w.integers)} ${id}[${n}] = {\n${chunked(Array.from(w.integers, String))}\n};`);
    } else {
      out.push(`#define ${id.toUpperCase()}_CHANNELS 0`);
      out.push(`static const float ${id}[${n}] = {\n${chunked(Array.from(w.values, cFloat), 8)}\n};`);
    }
    out.push('');
  }
  out.push(`#endif  // ${guard}`, '');
  return out.join('\n');
}

/** Int codes as .npy ('<i1', '<i2' or '<i4'). */
export function writeIntNpy(integers, shape) {
  const descr = integers instanceof Int8Array ? '<i1' : integers instanceof Int16Array ? '<i2' : '<i4';
  const size = integers.BYTES_PER_ELEMENT;
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + integers.length * size);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  const dv = new DataView(out.buffer);
  dv.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const start = 10 + header.length;
  for (let i = 0; i < integers.length; i++) {
    if (size === 1) dv.setInt8(start + i, integers[i]);
    else if (size === 2) dv.setInt16(start + 2 * i, integers[i], true);
    else dv.setInt32(start + 4 * i, integers[i], true);
  }
  return out;
}

async function exportWeights(weights, dir, format, modelName, writeNpy) {
  await mkdir(dir, { recursive: true });
  const written = [];
  const put = async (name, bytes) => {
    await writeFile(join(dir, name), bytes);
    written.push(name);
  };
  if (format === 'c') {
    await put(`${cIdentifier(modelName, 'weights')}.h`, weightsToCHeader(weights, modelName));
  } else if (format === 'json') {
    const json = weights.map((w) => ({
      layer: w.layer,
      name: w.name,
      folded: w.folded,
      shape: w.shape,
      quantizer: w.quantizer,
      bits: w.bits,
      signed: w.signed,
      scale: w.scale === null ? null : typeof w.scale === 'number' ? w.scale : Array.from(w.scale),
      integers: w.integers ? Array.from(w.integers) : null,
      values: w.integers ? undefined : Array.from(w.values),
      stats: { ...w.stats, histogram: undefined },
    }));
    await put('weights.json', JSON.stringify(json, null, 1));
  } else {
    for (const w of weights) {
      const id = cIdentifier(w.layer, w.name);
      if (w.integers) {
        await put(`${id}.int.npy`, writeIntNpy(w.integers, w.shape));
        const scale = typeof w.scale === 'number' ? [w.scale] : w.scale;
        await put(`${id}.scale.npy`, writeNpy(scale, [scale.length]));
      } else {
        await put(`${id}.f32.npy`, writeNpy(w.values, w.shape));
      }
    }
  }
  return written;
}

export async function runWeightsCommand(positional, flags, { writeNpy }) {
  const format = flags.format ?? (flags.export ? 'npy' : undefined);
  if (format !== undefined && !['npy', 'json', 'c'].includes(format)) throw new Error(`--format must be npy, json or c, got '${format}'`);
  if (flags.format && !flags.export) throw new Error('--format needs --export <dir>');
  const model = await loadModel(await modelSourceFromArgs(positional[0], flags));
  try {
    const weights = await model.weights(flags.layer);
    console.log(weights.length ? formatWeightsTable(weights) : `no weights${flags.layer ? ` in layer '${flags.layer}'` : ''}`);
    if (flags.export) {
      const files = await exportWeights(weights, flags.export, format, model.name, writeNpy);
      console.error(`wrote ${files.length} file${files.length === 1 ? '' : 's'} to ${flags.export} (${format})`);
    }
  } finally {
    model.dispose();
  }
  return 0;
}

export async function runHls4mlCommand(positional, flags) {
  const model = await loadModel(await modelSourceFromArgs(positional[0], flags));
  try {
    const options = {};
    if (flags.input) {
      const array = readArray(await readInputBytes(flags.input), basename(flags.input));
      options.input = array.data;
      options.inputShape = fitInputShape(model.inputs[0].shape.slice(1), array.shape, basename(flags.input));
    }
    const { config, report } = await model.hls4mlConfig(options);
    const lossy = report.filter((r) => !r.exact);
    const comments = [
      `hls4ml config for ${model.name}, written by qkeras-wasm hls4ml-config ('name' granularity).`,
      `${report.length - lossy.length} of ${report.length} types are exact: they hold every value QKeras computes.`,
      lossy.length ? 'Lossy (float tensors; suggested from the traced range, or hls4ml\'s default):' : 'No lossy types.',
      ...lossy.map((r) => `  ${r.node}.${r.slot}: ${r.type}${r.worstError !== null && r.worstError !== undefined ? `, worst error ${r.worstError.toPrecision(3)} on the traced data` : ''} (${r.reason})`),
    ];
    const yaml = toYaml(config, { comments });
    if (flags.output) {
      await writeFile(flags.output, yaml);
      console.error(`wrote ${flags.output}: ${report.length - lossy.length} exact, ${lossy.length} lossy types`);
    } else {
      process.stdout.write(yaml);
    }
  } finally {
    model.dispose();
  }
  return 0;
}
