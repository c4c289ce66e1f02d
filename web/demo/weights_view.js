// The demo's Weights view: what the hardware stores for every weight (integer codes, scale),
// a histogram of the codes with the grid's ends marked and clipped weights highlighted, and the
// exact hls4ml type of each tensor (weights and layer outputs: exact or lossy).

function codeHistogram(w, el) {
  if (!w.integers || w.integers.length === 0) return el('span', { class: 'muted', text: 'float' });
  let lo = Infinity;
  let hi = -Infinity;
  for (const k of w.integers) {
    if (k < lo) lo = k;
    if (k > hi) hi = k;
  }
  const span = hi - lo + 1;
  const bins = Math.min(span, 48);
  const counts = new Array(bins).fill(0);
  for (const k of w.integers) counts[Math.min(bins - 1, Math.floor(((k - lo) * bins) / span))] += 1;
  const peak = Math.max(...counts, 1);
  const clipped = w.stats.clipped ?? 0;
  const label = `codes ${lo} to ${hi}${clipped ? `; ${clipped} weights clipped to the ends` : ''}`;
  return el(
    'span',
    { class: 'hist codes', role: 'img', 'aria-label': label, title: label },
    counts.map((c, i) => {
      const end = i === 0 || i === bins - 1;
      const cls = `bar${c === 0 ? ' empty' : ''}${end && clipped ? ' clipped' : ''}`;
      return el('span', { class: cls, style: `height:${c > 0 ? Math.max(8, (100 * c) / peak) : 0}%` });
    }),
  );
}

function scaleText(scale) {
  if (scale === null) return '—';
  const one = (s) => {
    const e = Math.log2(s);
    return Number.isInteger(e) ? `2^${e}` : s.toPrecision(4);
  };
  if (typeof scale === 'number') return one(scale);
  return `${one(Math.min(...scale))} … ${one(Math.max(...scale))} (${scale.length} ch)`;
}

/** Fills the weights table; resolves when done (errors go into the panel). */
export async function renderWeights(model, { panel, rows, note }, el, inSlices) {
  rows.replaceChildren();
  note.textContent = '';
  try {
    const [weights, { report }] = await Promise.all([model.weights(), model.hls4mlConfig()]);
    const typeOf = (layer, slot) => report.find((r) => r.node === layer && r.slot === slot) ?? null;
    // Time-budgeted slices of rows, one per frame: no single main-thread task builds hundreds of them.
    await inSlices(weights, (w) => {
      const slot = w.name === 'bias' ? 'bias' : /Separable/.test(model.layers.find((l) => l.name === w.layer)?.className ?? '') ? w.name.replace(/_kernel$/, '') : 'weight';
      const t = typeOf(w.layer, slot);
      const n = w.values.length;
      rows.append(
        el(
          'tr',
          { dataset: { layer: w.layer, weight: w.name } },
          el('th', { scope: 'row', text: w.layer }),
          el('td', { text: `${w.folded ? 'folded ' : ''}${w.name} (${w.shape.join('×')})` }),
          el('td', {}, el('code', { text: w.quantizer ?? 'float32' })),
          el('td', { class: 'num', text: w.integers ? `${w.bits}` : '32' }),
          el('td', { text: scaleText(w.scale) }),
          el('td', { class: 'num', text: String(w.stats.distinct) }),
          el('td', { class: 'num', text: n ? `${((100 * w.stats.zeros) / n).toFixed(1)}%` : '—' }),
          el('td', { class: 'num', text: w.stats.clipped === null ? '?' : String(w.stats.clipped) }),
          el('td', {}, codeHistogram(w, el)),
          el('td', {}, t ? el('span', { class: `badge ${t.exact ? 'badge-exact' : 'badge-float'}`, title: t.reason, text: `${t.type} ${t.exact ? 'exact' : 'lossy'}` }) : '—'),
        ),
      );
    });
    const exact = report.filter((r) => r.exact).length;
    note.textContent = `${weights.length} weight tensors · ${exact} of ${report.length} hls4ml types exact (layer outputs included; trace an input for the lossy ones' error, or run qkeras-wasm hls4ml-config).`;
    panel.hidden = weights.length === 0;
  } catch (error) {
    note.textContent = `Could not show the weights: ${error?.message ?? error}`;
    panel.hidden = false;
  }
}
