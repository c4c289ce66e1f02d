// NumPy .npz files (np.savez / np.savez_compressed): a zip archive of .npy files, one per array,
// named "<key>.npy". Read with the bounded zip reader of keras_zip.js and the .npy reader.
import { readZipEntries } from './keras_zip.js';
import { readNpy } from './npy.js';
import { partError } from './util.js';
import { DEFAULT_LIMITS } from '../limits.js';

/**
 * @param {Uint8Array | ArrayBuffer} input the .npz file's bytes
 * @param {string} [part] the file's name, used in messages
 * @returns {Record<string, {data: Float32Array | Float64Array | Int32Array | any, shape: number[]}>}
 *   the arrays by key (the entry name without ".npy"), in archive order
 */
export function readNpz(input, part = 'arrays.npz', limits = DEFAULT_LIMITS) {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) throw partError(part, 'not an .npz file (no zip signature)');
  const entries = readZipEntries(bytes, part, (name) => !name.endsWith('/'), limits);
  /** @type {Record<string, any>} */
  const arrays = Object.create(null);
  for (const [name, data] of entries) {
    if (!name.endsWith('.npy')) throw partError(`${part}/${name}`, 'an .npz entry must be a .npy file');
    arrays[name.slice(0, -4)] = readNpy(data, `${part}/${name}`);
  }
  if (Object.keys(arrays).length === 0) throw partError(part, 'the archive holds no arrays');
  return arrays;
}
