// A small YAML emitter for configs made of plain objects, arrays, strings, numbers, booleans
// and null (what hls4ml's yaml.safe_load reads back as the same dict).

const PLAIN = /^[A-Za-z_][A-Za-z0-9_<>,.\- ]*$/;
const RESERVED = /^(true|false|yes|no|on|off|null|~|y|n)$/i;

function scalar(v) {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return Number.isNaN(v) ? '.nan' : v > 0 ? '.inf' : '-.inf';
    return String(v);
  }
  const s = String(v);
  if (PLAIN.test(s) && !RESERVED.test(s) && !/[ ]$/.test(s) && !/: /.test(s)) return s;
  return JSON.stringify(s); // a double-quoted YAML scalar uses JSON's escapes
}

function key(k) {
  const s = String(k);
  return PLAIN.test(s) && !RESERVED.test(s) && !s.includes(' ') ? s : JSON.stringify(s);
}

function emit(value, indent, lines) {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    if (!value.length) return void lines.push(`${pad}[]`);
    for (const item of value) {
      if (item !== null && typeof item === 'object' && Object.keys(item).length) {
        const sub = [];
        emit(item, indent + 2, sub);
        lines.push(`${pad}- ${sub[0].trimStart()}`, ...sub.slice(1));
      } else lines.push(`${pad}- ${scalar(item)}`);
    }
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    if (v !== null && typeof v === 'object' && (Array.isArray(v) ? v.length : Object.keys(v).length)) {
      lines.push(`${pad}${key(k)}:`);
      emit(v, indent + 2, lines);
    } else if (v !== null && typeof v === 'object') {
      lines.push(`${pad}${key(k)}: ${Array.isArray(v) ? '[]' : '{}'}`);
    } else {
      lines.push(`${pad}${key(k)}: ${scalar(v)}`);
    }
  }
}

/** @param {Record<string, unknown>} value @param {{comments?: string[]}} [options] */
export function toYaml(value, { comments = [] } = {}) {
  const lines = comments.map((c) => `# ${c}`.trimEnd());
  emit(value, 0, lines);
  return `${lines.join('\n')}\n`;
}
