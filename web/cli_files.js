// File arguments shared by the CLI commands: the <model> (with --weights for a model JSON) and
// input files, read with errors that name the file.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';

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
