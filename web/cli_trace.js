// `qkeras-wasm trace`: every layer's output, whether it is quantized, on which grid, and why.
import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import process from 'node:process';

import { loadModel } from './index.js';
import { readArray } from './io/npy.js';
import { fitInputShape } from './util.js';
import { modelSourceFromArgs, printWarnings, readInputBytes } from './cli_files.js';
import { decodePng, imageToTensor, isPng } from './io/png.js';
import { formatTraceTable, formatExplanations } from './trace_format.js';

export const TRACE_USAGE = `  trace <model> --input <file.npy|.json|.txt|image.png> [--json out.json] [--explain]
        [--scale 255|256|signed] [--sample N] [--layers a,b]
                                                    every layer: quantized?, grid, distinct values, range
  analyze <model> [--json out.json]                 the static quantization analysis alone (no input)`;

async function readTraceInput(model, path, flags) {
  const bytes = await readInputBytes(path);
  const dims = model.inputs[0].shape.slice(1);
  if (isPng(bytes)) {
    if (flags.sample !== undefined) throw new Error('--sample selects a row of an array file; an image is one sample');
    if (dims.length !== 3) throw new Error(`${basename(path)} is an image but the model input is [${dims.join(', ')}]`);
    const scale = flags.scale ?? '255';
    const image = decodePng(bytes, basename(path));
    const data = imageToTensor(image, dims[0], dims[1], dims[2], String(scale));
    return { data, shape: [1, ...dims], note: `${basename(path)}: ${image.width}×${image.height} resized (bilinear) to ${dims[0]}×${dims[1]}, pixels scaled by ${scale === 'signed' ? '1/127.5 − 1' : '1/' + scale}` };
  }
  if (flags.scale !== undefined) throw new Error('--scale applies to PNG images only');
  const array = readArray(bytes, basename(path));
  const perSample = dims.reduce((a, b) => a * b, 1);
  const n = fitInputShape(dims, array.shape, basename(path))[0];
  const sample = flags.sample === undefined ? null : Number(flags.sample);
  if (sample !== null) {
    if (!Number.isInteger(sample) || sample < 0 || sample >= n) throw new Error(`--sample must be an integer from 0 to ${n - 1}`);
    return { data: array.data.subarray(sample * perSample, (sample + 1) * perSample), shape: [1, ...dims], note: `${basename(path)}: sample ${sample} of ${n}` };
  }
  return { data: array.data, shape: [n, ...dims], note: `${basename(path)}: ${n} sample${n === 1 ? '' : 's'}` };
}

function jsonReplacer(key, value) {
  if (value instanceof Float32Array) return Array.from(value);
  return value;
}

export async function runTraceCommand(positional, flags, command = 'trace') {
  const model = await loadModel(await modelSourceFromArgs(positional[0], flags));
  printWarnings(model);
  const color = process.stdout.isTTY && !process.env.NO_COLOR;
  try {
    if (command === 'analyze') {
      const analysis = model.analyze();
      if (flags.json) await writeFile(flags.json, JSON.stringify(analysis, null, 2));
      console.log(formatTraceTable(analysis.map((a) => ({ ...a, shape: a.outputShape, stats: null })), { color }));
      console.log(formatExplanations(analysis, { full: !!flags.explain, color }));
      return 0;
    }
    if (!flags.input) throw new Error('trace needs --input <file.npy|.json|.txt|image.png>');
    const input = await readTraceInput(model, flags.input, flags);
    const layers = typeof flags.layers === 'string' ? flags.layers.split(',') : undefined;
    const trace = await model.trace(input.data, input.shape, { layers });
    console.log(`Model: ${model.name} (${basename(positional[0])})   input: ${input.note}`);
    console.log(formatTraceTable(trace, { color }));
    console.log(formatExplanations(trace, { full: !!flags.explain, color }));
    if (flags.json) {
      await writeFile(flags.json, JSON.stringify({ model: model.name, input: input.note, layers: trace }, jsonReplacer));
      console.error(`wrote ${flags.json}`);
    }
    const offGrid = trace.filter((t) => t.stats.onGrid === false);
    return offGrid.length ? 2 : 0;
  } finally {
    model.dispose();
  }
}
