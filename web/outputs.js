// Reading results: arrays that can also be read by name (multi-output predict, trace), and topK.

/**
 * Gives an array (in model order) a get(name) method and, for every name that is not already an
 * Array property ('map', 'length'...), a property of that name. Both are non-enumerable, so the
 * array still compares, spreads and serialises as a plain array.
 * @template T
 * @param {T[]} items
 * @param {string[]} names one per item
 * @param {string} what 'output' or 'layer', for the error
 */
export function keyedByName(items, names, what) {
  const byName = new Map(names.map((n, i) => [n, items[i]]));
  Object.defineProperty(items, 'get', {
    value(name) {
      const item = byName.get(name);
      if (item === undefined) throw new Error(`no ${what} named '${name}' here; the ${what}s are ${names.join(', ')}`);
      return item;
    },
  });
  names.forEach((name, i) => {
    if (!(name in items)) Object.defineProperty(items, name, { value: items[i] });
  });
  return items;
}

/**
 * The k highest values of each sample, best first (ties: lower index first). NaN ranks last.
 * @param {{data: ArrayLike<number>, shape?: number[]} | ArrayLike<number>} output
 * @param {number} k
 * @param {string[]} [labels]
 */
export function topK(output, k = 5, labels) {
  if (Array.isArray(output) && output.length > 0 && output[0] && typeof output[0] === 'object' && 'data' in output[0]) {
    throw new TypeError("topK(output, k): pass one output of a multi-output model, e.g. outputs[0] or outputs.get('name')");
  }
  const data = output && !ArrayBuffer.isView(output) && !Array.isArray(output) ? output.data : output;
  if (!(ArrayBuffer.isView(data) || Array.isArray(data))) throw new TypeError('topK(output, k): output must be {data, shape} (as predict() returns) or an array of scores');
  const shape = output.shape ?? [data.length];
  if (!Number.isInteger(k) || k < 1) throw new TypeError(`topK(output, k): k must be a positive integer, got ${k}`);
  if (labels !== undefined && !Array.isArray(labels)) throw new TypeError('topK(output, k, labels): labels must be an array of class names');
  const perSample = shape.length > 1 ? shape.slice(1).reduce((a, b) => a * b, 1) : data.length;
  const samples = shape.length > 1 ? shape[0] : 1;
  if (perSample * samples !== data.length) throw new Error(`topK: shape [${shape.join(', ')}] does not match ${data.length} values`);
  if (labels !== undefined && labels.length !== perSample) throw new Error(`topK: ${labels.length} labels for ${perSample} classes`);
  const rank = (v) => (Number.isNaN(v) ? -Infinity : v);
  const lists = [];
  for (let s = 0; s < samples; s++) {
    const base = s * perSample;
    const order = Array.from({ length: perSample }, (_, i) => i);
    order.sort((a, b) => rank(data[base + b]) - rank(data[base + a]) || a - b);
    lists.push(order.slice(0, Math.min(k, perSample)).map((index) => (labels ? { index, label: labels[index], value: data[base + index] } : { index, value: data[base + index] })));
  }
  return shape.length > 1 ? lists : lists[0];
}
