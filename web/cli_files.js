// File arguments shared by the CLI commands: the <model> (with --weights for a model JSON) and
// input files, read with errors that name the file.
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';

import { readInput } from './io/input.js';

export async function modelSourceFromArgs(path, flags) {
  if (!path) throw new Error('missing <model> argument');
  if (path.endsWith('.json')) {
    if (!flags.weights) throw new Error(`${path} is a model JSON: pass its weights with --weights <file.h5>`);
    return { config: await readFile(path, 'utf8'), weights: flags.weights };
  }
  return path;
}

export async function readInputBytes(path) {
  try {
    return await readFile(path);
  } catch (error) {
    throw new Error(`${basename(path)}: cannot read the input file (${error.code ?? error.message})`);
  }
}

/**
 * The input file of every command that runs the model (predict, trace): an array file
 * (.npy/.json/.txt) or a PNG image resized and scaled to the model input (web/io/input.js, shared
 * with the demo page). --sample I picks one sample by its 0-based index (as x[I] in numpy).
 * @returns {Promise<{data: Float32Array, shape: number[], note: string}>}
 */
export async function readModelInput(model, path, flags) {
  const bytes = await readInputBytes(path);
  return readInput(bytes, basename(path), model.inputs[0].shape, { scale: flags.scale, sample: flags.sample });
}

// Flags that name files the command writes, and those it reads.
const OUTPUT_FLAGS = ['output', 'json'];
const INPUT_FLAGS = ['weights', 'input'];

function sameFile(a, b) {
  if (resolve(a) === resolve(b)) return true;
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino; // links, ./ and ../ spellings
  } catch {
    return false;
  }
}

/** An output path that is also an input (`predict m.h5 --output m.h5`) would destroy the input. */
export function refuseOverwritingInputs(command, positional, flags) {
  const inputs = [...positional, ...INPUT_FLAGS.map((k) => flags[k])].filter((p) => typeof p === 'string');
  for (const key of OUTPUT_FLAGS) {
    const out = flags[key];
    if (typeof out !== 'string') continue;
    const clash = inputs.find((p) => sameFile(p, out));
    if (clash !== undefined) throw new Error(`${command}: --${key} ${out} is also an input file (${clash}); refusing to overwrite it`);
  }
  const outs = OUTPUT_FLAGS.map((k) => flags[k]).filter((p) => typeof p === 'string');
  if (outs.length === 2 && sameFile(outs[0], outs[1])) throw new Error(`${command}: --output and --json name the same file ${outs[0]}`);
}

/**
 * Prints the model's warnings (QKeras surprises the library follows, odd weights) to stderr,
 * one line each. They come from the core (model.warnings).
 */
export function printWarnings(model) {
  const seen = new Set();
  for (const w of model.warnings ?? []) {
    const line = `warning: ${w.layer ? `layer '${w.layer}': ` : ''}${w.message}`;
    if (seen.has(line)) continue;
    seen.add(line);
    console.error(line);
  }
}
