// `qkeras-wasm trace`: every layer's output, whether it is quantized, on which grid, and why.
import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import process from 'node:process';

import { loadModel } from './index.js';
import { modelSourceFromArgs, readModelInput, printWarnings } from './cli_files.js';
import { formatTraceTable, formatExplanations } from './trace_format.js';

export const TRACE_USAGE = `  trace <model> --input <file.npy|.json|.txt|image.png> [--json out.json] [--explain]
        [--scale 255|256|signed] [--sample I] [--layers a,b]
                                                    every layer: quantized?, grid, distinct values, range
  analyze <model> [--json out.json]                 the static quantization analysis alone (no input)`;

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
      const entries = analysis.map((a, i) => ({ ...a, shape: a.outputShape, stats: null, kernel: model.layers[i]?.kernel ?? null, kernelReason: model.layers[i]?.kernelReason ?? null }));
      console.log(formatTraceTable(entries, { color }));
      console.log(formatExplanations(entries, { full: !!flags.explain, color }));
      return 0;
    }
    if (!flags.input) throw new Error('trace needs --input <file.npy|.json|.txt|image.png>');
    const input = await readModelInput(model, flags.input, flags);
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
