// Rendering the results: the answer ("which outputs are quantized, and why"), the layer table
// with grids, histograms and on-grid checks, and the predictions. `ui` holds the page's elements.
import { el, inSlices, shapeText, formatMs, formatNumber } from './dom.js';
import { valueHistogram, channelMosaic } from './layer_details.js';

function stepText(step) {
  const e = Math.log2(step);
  if (!Number.isInteger(e)) return formatNumber(step);
  return e >= 0 ? String(step) : `1/${2 ** -e}`;
}

/** A step of 2^-k as "1/2^k" (the natural way to read a fixed-point grid), anything else as a number. */
function stepNode(step) {
  if (!step) return document.createTextNode('');
  const e = Math.log2(step);
  if (Number.isInteger(e)) {
    if (e === 0) return document.createTextNode('1');
    if (e > 0) return el('span', { title: String(step) }, '2', el('sup', { text: String(e) }));
    return el('span', { title: String(step) }, '1/2', el('sup', { text: String(-e) }));
  }
  return document.createTextNode(formatNumber(step));
}

function gridNode(entry) {
  const g = entry.grid;
  if (!g) return entry.status === 'quantized' ? el('span', { class: 'muted', text: 'per-batch scale' }) : el('span', { class: 'muted', text: '—' });
  const sign = g.signed ? 'signed' : 'unsigned';
  if (g.kind === 'uniform') {
    const perChannel = Array.isArray(g.steps) && g.steps.length > 0;
    return el('span', { class: 'grid' }, `${g.bits}-bit ${sign}, step ${perChannel ? '≥ ' : ''}`, stepNode(g.step), perChannel ? ' per channel' : '');
  }
  if (g.kind === 'powerOfTwo') return el('span', { class: 'grid' }, `${g.bits}-bit ${sign} powers of two`);
  return el('span', { class: 'grid' }, `${g.bits}-bit ${sign} custom grid`);
}

function histogramNode(stats) {
  const h = stats?.histogram;
  if (!h || !Array.isArray(h.counts) || h.counts.length === 0) return el('span', { class: 'muted', text: '—' });
  const peak = Math.max(...h.counts, 1);
  const total = h.counts.reduce((a, b) => a + b, 0);
  const label = `histogram of ${total} values from ${formatNumber(h.min)} to ${formatNumber(h.max)} in ${h.counts.length} bins`;
  return el(
    'span',
    { class: 'hist', role: 'img', 'aria-label': label, title: label },
    h.counts.map((c) => el('span', { class: c > 0 ? 'bar' : 'bar empty', style: `height:${c > 0 ? Math.max(8, (100 * c) / peak) : 0}%` })),
  );
}

function onGridNode(entry) {
  const s = entry.stats;
  if (!s) return el('span', { class: 'muted', text: '—' });
  if (s.onGrid === true) return el('span', { class: 'ok' }, el('span', { 'aria-hidden': 'true', text: '✓ ' }), 'yes');
  if (s.onGrid === false) return el('span', { class: 'off-grid' }, el('span', { 'aria-hidden': 'true', text: '✗ ' }), `${s.offGridCount} off grid`);
  return el('span', { class: 'muted', title: 'no declared grid to check against', text: 'n/a' });
}

function rangeText(entry) {
  const s = entry.stats;
  if (s && Number.isFinite(s.min)) return `[${formatNumber(s.min)}, ${formatNumber(s.max)}]`;
  if (s && s.count === 0) return 'empty';
  if (entry.grid) return `grid [${formatNumber(entry.grid.min)}, ${formatNumber(entry.grid.max)}]`;
  return '—';
}

function detailList(entry, layer) {
  const items = [];
  const add = (term, ...value) => items.push(el('dt', { text: term }), el('dd', {}, ...value));
  add('Why', entry.reason || '(no reason given)');
  // The kernel predict() runs for this layer, as the model records it (model.layers[i].kernel).
  if (layer?.kernel) add('Kernel', el('code', { class: 'kernel', text: layer.kernel }), layer.kernelReason ? ` — ${layer.kernelReason}` : '');
  if (entry.quantizer) add('Quantizer', el('code', { text: entry.quantizer }));
  if (entry.grid) {
    const g = entry.grid;
    add('Grid', `${g.kind}, ${g.bits} bits (${g.integer} integer), ${g.signed ? 'signed' : 'unsigned'}, step `, stepNode(g.step),
      g.step ? ` = ${formatNumber(g.step)}` : '', `, from ${formatNumber(g.min)} to ${formatNumber(g.max)}`);
    if (Array.isArray(g.steps) && g.steps.length) add('Steps per channel', g.steps.slice(0, 16).map(stepText).join(', ') + (g.steps.length > 16 ? ', …' : ''));
  }
  if (entry.accumulatorBits) add('Accumulator', `${entry.accumulatorBits} bits`);
  const inputs = entry.inputs ?? [];
  if (inputs.length) add('Inputs', inputs.join(', '));
  const s = entry.stats;
  if (s) {
    add('Values', `${s.count ?? ''} values, mean ${formatNumber(s.mean)}, ${s.distinct} distinct` +
      (s.nanCount ? `, ${s.nanCount} NaN` : '') + (s.infCount ? `, ${s.infCount} ±Inf` : ''));
    if (s.onGrid === false) {
      add('Off grid', el('span', { class: 'off-grid' }, `${s.offGridCount} values are not on the declared grid, e.g. ${(s.offGridExamples ?? []).map(formatNumber).join(', ')}`));
    }
  }
  if (entry.data && entry.data.length) {
    const first = Array.from(entry.data.subarray(0, 24), formatNumber).join(', ');
    add(`First values (${Math.min(24, entry.data.length)} of ${entry.data.length})`, el('code', { class: 'values', text: first + (entry.data.length > 24 ? ', …' : '') }));
    add('Histogram', valueHistogram(entry));
    const mosaic = channelMosaic(entry);
    if (mosaic) add('Channels', mosaic);
  }
  return el('dl', { class: 'details' }, items);
}

let renderGeneration = 0;

function toggleRow(button, detail, entry, layer) {
  const open = button.getAttribute('aria-expanded') !== 'true';
  if (open && !detail.firstChild) detail.append(el('td', { colspan: 10 }, detailList(entry, layer)));
  button.setAttribute('aria-expanded', String(open));
  detail.hidden = !open;
  button.closest('tr')?.classList.toggle('open', open);
}

/**
 * @param {any[]} analysis model.analyze()
 * @param {any[]|null} trace model.trace(), or null before any input was traced
 * @param {{name: string, kernel?: string|null, kernelReason?: string|null}[]} [layers] model.layers (the kernels that ran)
 */
export async function renderResults(ui, analysis, trace, layers = []) {
  const layerByName = new Map(layers.map((l) => [l.name, l]));
  const entries = trace ?? analysis.map((a) => ({ ...a, shape: a.outputShape, stats: null, data: null, timeMs: null }));
  renderAnswer(ui, entries, trace !== null);
  ui.caption.textContent = trace
    ? `Every layer output, traced with real values (${entries.length} layers). Select a row for details.`
    : `Static analysis of every layer output (${entries.length} layers); run a trace to see real values.`;
  // Rows are built and appended in time-budgeted slices (one per frame), so that no single
  // main-thread task builds and lays out hundreds of rows; a small model (the example) fits in
  // the first slice. A newer render (another trace) stops this one.
  const generation = (renderGeneration += 1);
  ui.rows.replaceChildren();
  ui.results.hidden = false;
  await inSlices(entries, (entry, i) => {
    const detailId = `layer-detail-${i}`;
    // The details are built when first opened: a large model's table stays light.
    const detail = el('tr', { class: 'detail', id: detailId, hidden: true });
    const button = el('button', { type: 'button', class: 'row-toggle', 'aria-expanded': 'false', 'aria-controls': detailId }, entry.name);
    button.addEventListener('click', (event) => {
      event.stopPropagation();
      toggleRow(button, detail, entry, layerByName.get(entry.name));
    });
    const offGrid = entry.stats?.onGrid === false;
    const row = el(
      'tr',
      { class: `layer status-${entry.status}${offGrid ? ' has-off-grid' : ''}`, dataset: { layer: entry.name, status: entry.status } },
      el('th', { scope: 'row' }, button),
      el('td', { text: entry.className }),
      el('td', { class: 'shape', text: shapeText(entry.shape) }),
      el('td', {}, el('span', { class: `badge badge-${entry.status}`, text: entry.status })),
      el('td', {}, gridNode(entry)),
      el('td', { class: 'num', text: entry.stats ? String(entry.stats.distinct) : '—' }),
      el('td', { class: 'range', text: rangeText(entry) }),
      el('td', {}, histogramNode(entry.stats)),
      el('td', {}, onGridNode(entry)),
      el('td', { class: 'num', text: formatMs(entry.timeMs) || '—' }),
    );
    row.addEventListener('click', (event) => {
      if (/** @type {HTMLElement} */ (event.target).closest('a, button, input')) return;
      if (window.getSelection()?.toString()) return; // selecting text is not a click
      toggleRow(button, detail, entry, layerByName.get(entry.name));
    });
    ui.rows.append(row, detail);
  }, { stillWanted: () => generation === renderGeneration });
}

const listNames = (entries) => entries.map((e) => e.name).join(', ');

function renderAnswer(ui, entries, traced) {
  const quantized = entries.filter((e) => e.status === 'quantized');
  const exact = entries.filter((e) => e.status === 'exact');
  const float = entries.filter((e) => e.status === 'float');
  const offGrid = entries.filter((e) => e.stats?.onGrid === false);
  const parts = [];

  const headline = el('p', { class: 'headline', id: 'answer-headline' },
    el('strong', { text: `${quantized.length} of ${entries.length}` }), ' layer outputs are quantized',
    float.length ? `; float ones: ${listNames(float)}.` : '; none is float.');
  parts.push(headline);
  if (exact.length) {
    const gridOf = (e) => (e.grid?.kind === 'uniform' && e.grid.step ? `${e.grid.bits}-bit, step ${stepText(e.grid.step)}` : e.grid ? `${e.grid.bits}-bit` : 'grid');
    const shownExact = exact.slice(0, 12).map((e) => `${e.name} (${gridOf(e)})`).join(', ') + (exact.length > 12 ? `, and ${exact.length - 12} more` : '');
    parts.push(el('p', { class: 'sub' }, el('span', { class: 'badge badge-exact', text: 'exact' }),
      ` ${exact.length === 1 ? 'One more output is' : `${exact.length} more outputs are`} on a grid without being re-quantized: ${shownExact}. ` +
      'Their values are computed without rounding, but on a finer (wider) grid than a quantizer would give.'));
  }
  if (offGrid.length) {
    parts.push(el('p', { class: 'warning', role: 'status' },
      el('strong', { text: 'Off grid: ' }),
      `${listNames(offGrid)} ${offGrid.length === 1 ? 'has' : 'have'} values that are not on the declared grid (see the rows marked in red).`));
  }
  if (float.length) {
    const item = (e) => el('li', {}, el('strong', { text: e.name }), el('span', { class: 'muted', text: ` (${e.className})` }), `: ${e.reason}`);
    const shown = float.slice(0, 8);
    const rest = float.slice(8);
    parts.push(el('h3', { text: 'Why the float ones are float' }));
    parts.push(el('ul', { class: 'reasons' }, shown.map(item)));
    if (rest.length) parts.push(el('details', {}, el('summary', { text: `${rest.length} more float layer${rest.length === 1 ? '' : 's'}` }), el('ul', { class: 'reasons' }, rest.map(item))));
  }
  if (!traced) parts.push(el('p', { class: 'hint', text: 'This is the static analysis (no input needed). Run a trace to check the real values against the grids.' }));
  ui.answer.replaceChildren(...parts);
}

/**
 * Top-5 of the (first) model output for one sample (computed in the worker, one list per sample),
 * with class names when known.
 */
export function renderPredictions(ui, predictions, labels, sample = 0) {
  if (!predictions) {
    ui.predictionsPanel.hidden = true; // only [batch, classes] outputs have a top-k
    return;
  }
  const { name, shape } = predictions;
  const [batch, classes] = shape;
  const s = Math.min(Math.max(0, sample), predictions.top.length - 1);
  const top = predictions.top[s];
  ui.sampleRow.hidden = predictions.top.length < 2;
  if (ui.sample.max !== String(predictions.top.length)) {
    ui.sample.max = String(predictions.top.length);
  }
  ui.sample.value = String(s + 1);
  ui.predictionsNote.textContent = `Top ${top.length} of ${classes} scores of '${name}'${batch > 1 ? ` for sample ${s + 1} of ${batch}` : ''}` +
    (labels ? '' : ' (no class names: choose a labels .txt)') +
    (labels && labels.length !== classes ? ` — note: ${labels.length} class names for ${classes} outputs` : '');
  ui.predictions.replaceChildren(...top.map((t) => el('li', { dataset: { index: String(t.index) } },
    el('span', { class: 'label', text: labels?.[t.index] ?? `class ${t.index}` }), ` (#${t.index}): `, el('code', { text: formatNumber(t.value) }))));
  ui.predictionsPanel.hidden = false;
}
