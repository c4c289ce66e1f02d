// File arguments shared by the CLI commands: the <model> (with --weights for a model JSON) and
// input files, read with errors that name the file.
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';

import { readArray } from './io/npy.js';
import { decodePng, imageToTensor, isPng } from './io/png.js';
import { fitInputShape } from './util.js';

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
 * (.npy/.json/.txt) or a PNG image resized and scaled to the model input. --sample I picks one
 * sample by its 0-based index (as x[I] in numpy).
 * @returns {Promise<{data: Float32Array, shape: number[], note: string}>}
 */
export async function readModelInput(model, path, flags) {
  const bytes = await readInputBytes(path);
  const dims = model.inputs[0].shape.slice(1);
  const name = basename(path);
  if (isPng(bytes)) {
    if (flags.sample !== undefined) throw new Error('--sample selects a row of an array file; an image is one sample');
    if (dims.length !== 3) throw new Error(`${name} is an image but the model input is [${dims.join(', ')}]`);
    const scale = flags.scale ?? '255';
    const image = decodePng(bytes, name);
    const data = imageToTensor(image, dims[0], dims[1], dims[2], String(scale));
    return { data, shape: [1, ...dims], note: `${name}: ${image.width}×${image.height} resized (bilinear) to ${dims[0]}×${dims[1]}, pixels scaled by ${scale === 'signed' ? '1/127.5 − 1' : '1/' + scale}` };
  }
  if (flags.scale !== undefined) throw new Error('--scale applies to PNG images only');
  const array = readArray(bytes, name);
  const perSample = dims.reduce((a, b) => a * b, 1);
  const n = fitInputShape(dims, array.shape, name)[0];
  if (flags.sample !== undefined) {
    const sample = /^\d+$/.test(String(flags.sample)) ? Number(flags.sample) : NaN;
    if (!Number.isInteger(sample) || sample >= n) {
      throw new Error(`--sample is a 0-based index: ${n === 1 ? 'the file has 1 sample, index 0' : `0 to ${n - 1} for the ${n} samples of ${name}`}, got ${flags.sample}`);
    }
    return { data: array.data.subarray(sample * perSample, (sample + 1) * perSample), shape: [1, ...dims], note: `${name}[${sample}] (0-based index; the file has ${n} sample${n === 1 ? '' : 's'})` };
  }
  return { data: array.data, shape: [n, ...dims], note: `${name}: ${n} sample${n === 1 ? '' : 's'}` };
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
