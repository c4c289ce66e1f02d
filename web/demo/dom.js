// Small DOM helpers shared by the demo's modules.

export const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** Resolves after the next frame is painted: long work is cut into slices between frames. */
export const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));

/**
 * Calls work(item) for each item in slices, one slice per frame (nextFrame between them), so that
 * no main-thread task does much: the page stays responsive while a large model's hundreds of rows
 * or graph nodes are added. Each slice's cost is measured with the style and layout it causes
 * (forced at the end of the slice: the frame would do that work anyway, and the DOM work alone
 * is a small part of it), and the next slice's size is scaled to fit budgetMs: a fixed count
 * would be either too slow on a slow machine or too timid on a fast one.
 * @template T
 * @param {T[]} items
 * @param {(item: T, index: number) => void} work
 * @param {{budgetMs?: number, first?: number, stillWanted?: () => boolean}} [options] first: the
 *   first slice's size; stillWanted() false stops early (e.g. another model was loaded)
 * @returns {Promise<boolean>} false when stopped early
 */
export async function inSlices(items, work, { budgetMs = 12, first = 12, stillWanted = () => true } = {}) {
  let count = first;
  for (let i = 0; i < items.length;) {
    if (i > 0) {
      await nextFrame();
      if (!stillWanted()) return false;
    }
    const start = performance.now();
    const end = Math.min(items.length, i + count);
    for (; i < end; i++) work(items[i], i);
    void document.body.offsetHeight; // the slice's style and layout, measured with it
    const spent = Math.max(performance.now() - start, 0.5);
    count = Math.max(1, Math.min(2 * count, Math.floor((count * budgetMs) / spent)));
  }
  return true;
}

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function shapeText(shape) {
  if (!shape) return '';
  return `[${shape.map((d) => (d === null || d === undefined || d < 0 ? 'N' : d)).join(', ')}]`;
}

export function formatMs(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '';
  if (ms < 0.01) return '<0.01 ms';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms)} ms`;
}

/** A number as the CLI's tables show it: integers as they are, else 5 significant digits. */
export function formatNumber(v) {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(3);
  return String(Number(v.toPrecision(5)));
}
