// "Check against Python": the user drops what their QKeras session computed, either the output
// of model.predict as .npy or every layer's output as .npz (the snippet below writes it), and
// the page compares it with its own trace, layer by layer, with the package's compareTraces().
import { compareTraces, readNpy, readNpz } from 'qkeras-wasm';

export const PYTHON_SNIPPET = `import numpy as np, tensorflow as tf
from qkeras.utils import load_qmodel

model = load_qmodel("my_model.h5")            # the model you load in the page
x = np.load("input.npy").astype(np.float32)    # the input you give the page
layers = [l for l in model.layers if not isinstance(l, tf.keras.layers.InputLayer)]
probe = tf.keras.Model(model.inputs, [l.output for l in layers])
outs = probe.predict(x)
outs = outs if isinstance(outs, list) else [outs]
np.savez("layers.npz", **{l.name: o for l, o in zip(layers, outs)})`;

/**
 * Reads a reference file: an .npz of per-layer outputs (keyed by layer name) or an .npy of the
 * model's output (compared with the output layer).
 * @returns {{reference: Record<string, any>, note: string}}
 */
export function readReference(bytes, fileName, outputName) {
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) {
    const arrays = readNpz(bytes, fileName);
    return { reference: arrays, note: `${fileName}: ${Object.keys(arrays).length} arrays` };
  }
  const array = readNpy(bytes, fileName);
  return { reference: { [outputName]: array }, note: `${fileName}: the output of model.predict, compared with '${outputName}'` };
}

const fmt = (x) => (Number.isFinite(x) ? (x === 0 ? '0' : x.toExponential(2)) : String(x));

/**
 * Compares and renders one row per traced layer: max |diff|, differing count, green when
 * bit-exact. Returns the comparison.
 */
export function renderComparison(trace, reference, { rows, summary }, el) {
  const result = compareTraces(trace, reference);
  const compared = result.filter((r) => !r.missing);
  const exact = compared.filter((r) => r.differing === 0);
  rows.replaceChildren(...result.map((r) => {
    const kind = r.missing ? 'missing' : r.differing === 0 ? 'bit-exact' : 'differs';
    return el('tr', { class: `compare-${kind}`, dataset: { layer: r.name, kind } },
      el('th', { scope: 'row', text: r.name }),
      el('td', { text: r.missing ? 'not in the file' : r.differing === 0 ? '✓ bit-exact' : '✗ differs' }),
      el('td', { class: 'num', text: r.missing ? '—' : fmt(r.maxAbsDiff) }),
      el('td', { class: 'num', text: r.missing ? '—' : `${r.differing} of ${r.count}` }));
  }));
  summary.textContent = compared.length === 0
    ? 'No layer of the file matches a traced layer name.'
    : `${exact.length} of ${compared.length} compared layers are bit-exact` +
      (exact.length === compared.length ? '.' : `; differing: ${compared.filter((r) => r.differing > 0).map((r) => r.name).join(', ')}.`);
  summary.className = compared.length > 0 && exact.length === compared.length ? 'ok' : 'off-grid';
  return result;
}
