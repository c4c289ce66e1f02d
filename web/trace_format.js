// Text rendering of traces and analyses for terminals (used by the CLI; plain strings, so a
// web page can show them too).

const COLORS = { green: 32, yellow: 33, red: 31, dim: 2, bold: 1, cyan: 36 };
const paint = (on, name, text) => (on ? `\x1b[${COLORS[name]}m${text}\x1b[0m` : text);

export function formatNumber(v) {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(3);
  return String(Number(v.toPrecision(5)));
}

export function formatStep(step) {
  if (!step) return '';
  const e = Math.log2(step);
  if (Number.isInteger(e)) return e >= 0 ? String(step) : `1/${2 ** -e}`;
  return formatNumber(step);
}

export function describeGrid(entry) {
  const g = entry.grid;
  if (!g) return entry.status === 'quantized' ? 'per-batch scale' : '';
  if (g.kind === 'uniform') {
    const sign = g.signed ? 's' : 'u';
    const step = g.steps ? `≥${formatStep(g.step)} per ch` : formatStep(g.step);
    return `${g.bits}b ${sign} step ${step}`;
  }
  if (g.kind === 'powerOfTwo') return `po2 ${g.bits}b`;
  return `${g.bits}b custom`;
}

function statusLabel(entry, color) {
  if (entry.status === 'quantized') return paint(color, 'green', 'yes');
  if (entry.status === 'exact') return paint(color, 'cyan', 'exact');
  return paint(color, 'yellow', 'float');
}

function shortNote(entry) {
  if (entry.stats && entry.stats.onGrid === false) return `OFF GRID: ${entry.stats.offGridCount} values`;
  if (entry.status === 'quantized') return entry.quantizer ?? '';
  if (entry.status === 'exact') return entry.accumulatorBits ? `accumulator ${entry.accumulatorBits} bits` : 'grid kept';
  const first = (entry.reason ?? '').split(/[.:]/)[0];
  return first.length > 60 ? first.slice(0, 57) + '...' : first;
}

const visibleLength = (s) => s.replace(/\x1b\[[0-9;]*m/g, '').length;
const pad = (s, n) => s + ' '.repeat(Math.max(0, n - visibleLength(s)));

/** One row per layer: layer, class, shape, quantized?, grid, distinct, range, note. */
export function formatTraceTable(entries, { color = false } = {}) {
  const header = ['layer', 'class', 'shape', 'quantized?', 'grid', 'distinct', 'range', 'kernel', 'note'];
  const rows = entries.map((e) => {
    const shape = (e.shape ?? []).map((d) => (d === null ? 'N' : d)).join('×');
    const range = e.stats ? `[${formatNumber(e.stats.min)}, ${formatNumber(e.stats.max)}]` : e.grid ? `[${formatNumber(e.grid.min)}, ${formatNumber(e.grid.max)}]` : '';
    const note = shortNote(e);
    const noteColored = e.stats && e.stats.onGrid === false ? paint(color, 'red', note) : paint(color, 'dim', note);
    return [e.name, e.className, shape, statusLabel(e, color), describeGrid(e), e.stats ? String(e.stats.distinct) : '', range, e.kernel ?? '', noteColored];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => visibleLength(r[i]))));
  const line = (cells) => cells.map((c, i) => (i === cells.length - 1 ? c : pad(c, widths[i]))).join('  ');
  return [paint(color, 'bold', line(header)), ...rows.map(line)].join('\n');
}

/** Why each float tensor is float (and, with full, every tensor's reason). */
export function formatExplanations(entries, { full = false, color = false } = {}) {
  const lines = [];
  const seen = new Set();
  for (const e of entries) {
    if (!full && e.status !== 'float') continue;
    if (!full && /because its input/.test(e.reason ?? '')) continue;
    const key = `${e.className}|${e.reason}`;
    if (!full && seen.has(key)) continue;
    seen.add(key);
    lines.push(`${paint(color, 'bold', e.name)} (${e.className}): ${e.reason}`);
    if (e.stats && e.stats.onGrid === false) {
      lines.push(paint(color, 'red', `  ${e.stats.offGridCount} values are off the declared grid, e.g. ${e.stats.offGridExamples.join(', ')}`));
    }
  }
  const kept = entries.filter((e) => e.kernel && e.kernelReason && e.kernel.startsWith('f32_'));
  if (kept.length > 0) {
    lines.push('');
    lines.push(paint(color, 'bold', 'Float kernels kept:'));
    for (const e of kept) lines.push(`  ${e.name} (${e.kernel}): ${e.kernelReason}`);
  }
  if (lines.length === 0) return '';
  return `\n${full ? 'Every layer' : 'Why these outputs are float'}:\n${lines.map((l) => '  ' + l).join('\n')}`;
}
