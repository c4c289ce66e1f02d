// The pictures in a selected layer's details: the histogram of its traced values with the grid's
// levels marked (are the values on the grid, and how much of it do they use?), and for feature
// maps ([batch, height, width, channels]) a mosaic of the first sample's channels as images.
// Built when a row is first opened, from the values the trace sent (includeData).
import { el, formatNumber } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const MAX_MARKED_LEVELS = 256;

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function finiteRange(data) {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return Number.isFinite(lo) && Number.isFinite(hi) ? [lo, hi] : null;
}

/**
 * The grid's levels inside [lo, hi], or {count} alone when there are too many to draw.
 * Uniform grids: min + k·step (per-channel grids: the finest step). Power-of-two grids: 0 and
 * ±2^e. Custom grids have no closed form here: none are marked.
 * @returns {{levels: number[]|null, count: number, text: string}|null}
 */
export function gridLevels(grid, lo, hi) {
  if (!grid) return null;
  if (grid.kind === 'uniform' && grid.step > 0 && Number.isFinite(grid.min) && Number.isFinite(grid.max)) {
    const from = Math.max(grid.min, lo);
    const to = Math.min(grid.max, hi);
    if (from > to) return { levels: [], count: 0, text: 'no grid level lies in the range of the values' };
    const first = Math.ceil((from - grid.min) / grid.step - 1e-9);
    const last = Math.floor((to - grid.min) / grid.step + 1e-9);
    const count = Math.max(0, last - first + 1);
    const text = `${count} level${count === 1 ? '' : 's'} of the grid (step ${formatNumber(grid.step)}) in this range`;
    if (count > MAX_MARKED_LEVELS) return { levels: null, count, text: `${text}: too dense to mark` };
    return { levels: Array.from({ length: count }, (_, k) => grid.min + (first + k) * grid.step), count, text };
  }
  if (grid.kind === 'powerOfTwo') {
    const levels = [0];
    const top = Math.max(Math.abs(lo), Math.abs(hi));
    if (top > 0) {
      const highest = Math.floor(Math.log2(top));
      for (let e = highest; e > highest - 24; e--) {
        const p = 2 ** e;
        if (p >= lo && p <= hi) levels.push(p);
        if (-p >= lo && -p <= hi) levels.push(-p);
      }
    }
    const inRange = levels.filter((v) => v >= lo && v <= hi);
    return { levels: inRange, count: inRange.length, text: `${inRange.length} power-of-two levels (0, ±2^e) in this range, the largest 24 exponents` };
  }
  return { levels: null, count: 0, text: 'custom grid: levels not marked' };
}

/** Histogram of the values (64 bins) with the grid's levels as ticks under the bars. */
export function valueHistogram(entry) {
  const data = entry.data;
  if (!data || data.length === 0) return null;
  const range = finiteRange(data);
  if (!range) return el('p', { class: 'muted', text: 'no finite values to draw' });
  let [lo, hi] = range;
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const BINS = 64;
  const counts = new Array(BINS).fill(0);
  const scale = BINS / (hi - lo);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (Number.isFinite(v)) counts[Math.min(BINS - 1, Math.max(0, Math.floor((v - lo) * scale)))] += 1;
  }
  const peak = Math.max(...counts, 1);
  const W = 512;
  const H = 120;
  const TICKS = 12;
  const x = (v) => ((v - lo) / (hi - lo)) * W;
  const root = svg('svg', { class: 'value-hist', viewBox: `0 0 ${W} ${H + TICKS + 14}`, width: W, height: H + TICKS + 14, role: 'img' });
  const barWidth = W / BINS;
  counts.forEach((c, i) => {
    if (c === 0) return;
    const h = Math.max(1, (H * c) / peak);
    root.append(svg('rect', { class: 'bar', x: i * barWidth + 0.5, y: H - h, width: Math.max(1, barWidth - 1), height: h }, undefined));
  });
  const levels = gridLevels(entry.grid, lo, hi);
  const ticks = svg('g', { class: 'levels' });
  for (const v of levels?.levels ?? []) ticks.append(svg('line', { x1: x(v), x2: x(v), y1: H + 1, y2: H + TICKS }));
  root.append(ticks);
  root.append(svg('text', { x: 0, y: H + TICKS + 12, class: 'axis' }, formatNumber(range[0])));
  root.append(svg('text', { x: W, y: H + TICKS + 12, class: 'axis', 'text-anchor': 'end' }, formatNumber(range[1])));
  const label = `histogram of ${data.length} values from ${formatNumber(range[0])} to ${formatNumber(range[1])} in ${BINS} bins` +
    (levels ? `; ticks: ${levels.text}` : '; no grid to mark');
  root.setAttribute('aria-label', label);
  root.append(svg('title', {}, label));
  return el('figure', { class: 'value-hist-figure' }, root, el('figcaption', { class: 'hint' },
    levels ? `Ticks under the bars: ${levels.text}.` : 'No grid: this output is float, nothing to mark.'));
}

/**
 * The first sample's channels as grey images, one tile per channel (up to 64), all on the tensor's
 * common value range so that channels compare: black = the minimum, white = the maximum.
 */
export function channelMosaic(entry, maxChannels = 64) {
  const shape = entry.shape;
  const data = entry.data;
  if (!data || !Array.isArray(shape) || shape.length !== 4) return null;
  const [, H, W, C] = shape;
  if (!(H > 1 && W > 1 && C >= 1) || data.length < H * W * C) return null;
  const shown = Math.min(C, maxChannels);
  const sample = data.subarray(0, H * W * C);
  const range = finiteRange(sample);
  if (!range) return null;
  const [lo, hi] = range;
  const span = hi > lo ? hi - lo : 1;
  const cols = Math.ceil(Math.sqrt(shown));
  const rows = Math.ceil(shown / cols);
  const GAP = 1;
  const width = cols * (W + GAP) - GAP;
  const height = rows * (H + GAP) - GAP;
  const canvas = /** @type {HTMLCanvasElement} */ (el('canvas', { class: 'mosaic', width, height }));
  const context = canvas.getContext('2d');
  if (!context) return null;
  const image = context.createImageData(width, height);
  image.data.fill(255); // gaps white
  for (let c = 0; c < shown; c++) {
    const ox = (c % cols) * (W + GAP);
    const oy = Math.floor(c / cols) * (H + GAP);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const v = sample[(y * W + x) * C + c];
        const g = Number.isFinite(v) ? Math.round((255 * (v - lo)) / span) : 0;
        const at = ((oy + y) * width + ox + x) * 4;
        image.data[at] = g;
        image.data[at + 1] = g;
        image.data[at + 2] = g;
        image.data[at + 3] = 255;
      }
    }
  }
  context.putImageData(image, 0, 0);
  const zoom = Math.max(1, Math.min(8, Math.floor(480 / width)));
  canvas.style.width = `${width * zoom}px`;
  canvas.style.height = `${height * zoom}px`;
  const text = `Sample 1: ${shown === C ? `all ${C}` : `the first ${shown} of ${C}`} channels, ${H}×${W} each; black ${formatNumber(lo)}, white ${formatNumber(hi)}`;
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', text);
  return el('figure', { class: 'mosaic-figure', dataset: { channels: String(shown) } }, canvas, el('figcaption', { class: 'hint', text }));
}
