#!/usr/bin/env node
// qkeras-wasm command line: summary, predict, convert, trace.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import process from 'node:process';

import { loadModel, convert, writeNpy } from './index.js';
import { modelSourceFromArgs, readModelInput, refuseOverwritingInputs, printWarnings } from './cli_files.js';
import { runTraceCommand, TRACE_USAGE } from './cli_trace.js';
import { runWeightsCommand, runHls4mlCommand, WEIGHTS_USAGE } from './cli_weights.js';

const USAGE = `Usage: qkeras-wasm <command> [options]

Commands:
  summary <model>                                   layer table with shapes and quantizers
  predict <model> --input <file.npy|.json|.txt|image.png> [--output out.npy]
        [--scale 255|256|signed] [--sample I]      QKeras model.predict
  convert <model> -o <file.qkwm>                    write the compact converted format
${TRACE_USAGE}
${WEIGHTS_USAGE}
<model> is a Keras .h5 file, a .keras zip, a converted .qkwm file, or a model JSON followed by
--weights <weights.h5>. --sample I is a 0-based sample index (x[I] in numpy).
qkeras-wasm --version prints the version.`;

// Flags each command accepts; true = takes a value.
const FLAGS = {
  summary: { weights: true },
  predict: { weights: true, input: true, output: true, scale: true, sample: true },
  convert: { weights: true, output: true },
  trace: { weights: true, input: true, json: true, explain: false, scale: true, sample: true, layers: true },
  analyze: { weights: true, json: true, explain: false },
  weights: { weights: true, layer: true, export: true, format: true },
  'hls4ml-config': { weights: true, output: true, input: true },
};

function parseArgs(command, argv) {
  const allowed = FLAGS[command] ?? {};
  const positional = [];
  const flags = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.length > 1 && a.startsWith('-') && a !== '-o' && !a.startsWith('--')) {
      const known = Object.keys(allowed).map((k) => `--${k}`).join(', ');
      throw new Error(`${command}: unknown option ${a}${known ? ` (it takes ${known}${'output' in allowed ? ', -o' : ''})` : ''}`);
    }
    if (a === '-o' || a.startsWith('--')) {
      const [key, inline] = a === '-o' ? ['output', undefined] : a.slice(2).split(/=(.*)/s, 2);
      if (!(key in allowed)) {
        const known = Object.keys(allowed).map((k) => `--${k}`).join(', ');
        throw new Error(`${command}: unknown option ${a}${known ? ` (it takes ${known})` : ''}`);
      }
      if (!allowed[key]) {
        flags[key] = true;
      } else if (inline !== undefined) {
        flags[key] = inline;
      } else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) {
        flags[key] = argv[++i];
      } else {
        throw new Error(`${command}: ${a} needs a value`);
      }
    } else positional.push(a);
  }
  if (positional.length > 1) {
    throw new Error(`${command}: unexpected argument '${positional[1]}' (${command} takes one <model>; a model JSON's weights go in --weights)`);
  }
  refuseOverwritingInputs(command, positional, flags);
  return { positional, flags };
}

function formatOutput(output, maxRows = 10) {
  const { data, shape } = output;
  const perRow = shape.length > 1 ? shape.slice(1).reduce((a, b) => a * b, 1) : data.length;
  const rows = [];
  for (let r = 0; r * perRow < data.length && r < maxRows; r++) {
    rows.push(Array.from(data.subarray(r * perRow, Math.min((r + 1) * perRow, r * perRow + 12)), (v) => v.toPrecision(9)).join(' ') + (perRow > 12 ? ' ...' : ''));
  }
  return `shape [${shape.join(', ')}]\n${rows.join('\n')}`;
}

async function main(argv) {
  const [command, ...rest] = argv;
  if (command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return 0;
  }
  if (command === '--version' || command === '-v' || command === 'version') {
    console.log(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version);
    return 0;
  }
  if (!command) {
    console.error(USAGE);
    return 1;
  }
  if (!(command in FLAGS)) throw new Error(`unknown command '${command}'\n\n${USAGE}`);
  const { positional, flags } = parseArgs(command, rest);
  switch (command) {
    case 'summary': {
      const model = await loadModel(await modelSourceFromArgs(positional[0], flags));
      printWarnings(model);
      console.log(model.summary());
      model.dispose();
      return 0;
    }
    case 'predict': {
      if (!flags.input) throw new Error('predict needs --input <file.npy|.json|.txt|image.png>');
      const model = await loadModel(await modelSourceFromArgs(positional[0], flags));
      printWarnings(model);
      const input = await readModelInput(model, flags.input, flags);
      const result = await model.predict(input.data, input.shape);
      const outputs = Array.isArray(result) ? result : [result];
      if (flags.output) {
        if (outputs.length !== 1) throw new Error('--output writes one .npy; this model has several outputs');
        await writeFile(flags.output, writeNpy(outputs[0].data, outputs[0].shape));
        console.error(`wrote ${flags.output} (shape [${outputs[0].shape.join(', ')}])`);
      } else {
        outputs.forEach((o, i) => console.log(`${model.outputs[i].name}: ${formatOutput(o)}`));
      }
      model.dispose();
      return 0;
    }
    case 'convert': {
      if (!flags.output) throw new Error('convert needs -o <file.qkwm>');
      const path = positional[0];
      const bytes = await convert(await modelSourceFromArgs(path, flags), { sourceName: basename(path) });
      await writeFile(flags.output, bytes);
      console.error(`wrote ${flags.output}: ${bytes.length.toLocaleString('en-US')} bytes`);
      return 0;
    }
    case 'trace':
    case 'analyze':
      return runTraceCommand(positional, flags, command);
    case 'weights':
      return runWeightsCommand(positional, flags, { writeNpy });
    case 'hls4ml-config':
      return runHls4mlCommand(positional, flags);
    default:
      throw new Error(`unknown command '${command}'\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(`qkeras-wasm: ${error.message}`);
    process.exit(1);
  },
);


