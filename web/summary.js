// model.summary(): a Keras-style text table, plus the quantizers of each layer.
import { weightMemory } from './weights.js';

function formatShape(shape) {
  return `(${shape.map((d) => (d === null ? 'None' : d)).join(', ')}${shape.length === 1 ? ',' : ''})`;
}

function table(rows, widths) {
  return rows.map((cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join(' ').trimEnd()).join('\n');
}

function formatBytes(n) {
  return n >= 10240 ? `${(n / 1024).toFixed(1)} KiB` : `${n.toLocaleString('en-US')} B`;
}

export function formatSummary(model) {
  const memory = weightMemory(model);
  const header = ['Layer (type)', 'Output Shape', 'Param #', 'Quantizers', 'Weight bits', 'Kernel'];
  const rows = model.layers.map((l) => {
    const qs = Object.entries(l.quantizers ?? {})
      .filter(([, q]) => q)
      .map(([slot, q]) => `${slot.replace(/_quantizer$/, '')}=${q}`);
    const bits = (memory.layers.get(l.name) ?? []).map((w) => w.bits).join('/');
    const kernel = l.kernel ? (l.kernelReason && l.kernel.startsWith('f32_') ? `${l.kernel} (${l.kernelReason})` : l.kernel) : '';
    return [`${l.name} (${l.className})`, formatShape(l.outputShape), l.paramCount ?? '', qs.join(', ') || '-', bits || '-', kernel];
  });
  const widths = header.map((h, i) => (i === header.length - 1 ? 0 : Math.min(60, Math.max(h.length, ...rows.map((r) => String(r[i]).length)))));
  const total = model.layers.reduce((a, l) => a + (l.paramCount ?? 0), 0);
  const rule = '='.repeat(widths.reduce((a, b) => a + b + 1, 0));
  return [
    `Model: "${model.name}"`,
    rule,
    table([header], widths),
    rule,
    table(rows, widths),
    rule,
    `Total params: ${total.toLocaleString('en-US')}`,
    `Weight memory: ${formatBytes(memory.quantizedBytes)} at the quantized widths (weights as the layers use them, BN folded) vs ${formatBytes(memory.floatBytes)} as float32 (${memory.floatBytes ? ((100 * memory.quantizedBytes) / memory.floatBytes).toFixed(1) : '0'}%)`,
    `Inputs: ${model.inputs.map((i) => `${i.name} ${formatShape(i.shape)}`).join(', ')}`,
    `Outputs: ${model.outputs.map((o) => `${o.name} ${formatShape(o.shape)}`).join(', ')}`,
  ].join('\n');
}
