// Keras v3 `.keras` archives: a zip holding config.json, metadata.json and model.weights.h5.

import { unzipSync } from 'fflate';
import { partError, rethrowWithPart } from './util.js';

/**
 * @param {Uint8Array} bytes
 * @param {string} part name of the archive, used in messages
 * @returns {{ config: unknown, metadata: Record<string, any>, weightsBytes: Uint8Array, configPart: string, weightsPart: string }}
 */
export function readKerasZip(bytes, part) {
  /** @type {Record<string, Uint8Array>} */
  let entries;
  try {
    entries = unzipSync(bytes, {
      filter: (f) => f.name === 'config.json' || f.name === 'metadata.json' || f.name === 'model.weights.h5',
    });
  } catch (e) {
    rethrowWithPart(part, e, 'cannot unzip (corrupt or truncated .keras archive)');
  }
  const configPart = `${part}/config.json`;
  const metadataPart = `${part}/metadata.json`;
  const weightsPart = `${part}/model.weights.h5`;
  if (!entries['config.json']) throw partError(part, 'archive has no config.json (not a Keras v3 .keras file)');
  if (!entries['model.weights.h5']) {
    if (entries['model.weights.npz']) throw partError(part, 'weights are stored as model.weights.npz; only model.weights.h5 is supported');
    throw partError(part, 'archive has no model.weights.h5');
  }
  const config = parseJsonBytes(entries['config.json'], configPart);
  const metadata = entries['metadata.json'] ? parseJsonBytes(entries['metadata.json'], metadataPart) : {};
  if (typeof metadata !== 'object' || metadata === null) throw partError(metadataPart, 'not a JSON object');
  return { config, metadata: /** @type {Record<string, any>} */ (metadata), weightsBytes: entries['model.weights.h5'], configPart, weightsPart };
}

/**
 * @param {Uint8Array} bytes
 * @param {string} part
 * @returns {unknown}
 */
export function parseJsonBytes(bytes, part) {
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (e) {
    rethrowWithPart(part, e, 'not UTF-8 text');
  }
  try {
    // Python's json writes NaN/Infinity for non-finite floats; JSON.parse does not accept them.
    return JSON.parse(text);
  } catch (first) {
    try {
      return JSON.parse(text.replace(/\bNaN\b/g, 'null').replace(/-?\bInfinity\b/g, 'null'));
    } catch {
      rethrowWithPart(part, first, 'invalid JSON');
    }
  }
}
