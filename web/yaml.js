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

/**
 * Reads the block-mapping subset of YAML that hls4ml configs use (nested `key: value` maps by
 * indentation, plain or double-quoted scalars, # comments). Enough to compare configs; not a
 * general YAML parser: sequences and flow collections raise an error naming the line.
 */
export function parseSimpleYaml(text, part = 'config.yml') {
  const root = {};
  const stack = [{ indent: -1, value: root }];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, n) => {
    const line = raw.replace(/\s+#.*$/, '').replace(/^#.*$/, '');
    if (!line.trim()) return;
    const indent = line.length - line.trimStart().length;
    const m = /^(\s*)("(?:[^"\\]|\\.)*"|[^:]+?)\s*:(?:\s+(.*))?$/.exec(line);
    if (!m) throw new Error(`${part}: line ${n + 1}: not a 'key: value' line`);
    while (stack[stack.length - 1].indent >= indent) stack.pop();
    const parent = stack[stack.length - 1].value;
    const key = m[2].startsWith('"') ? JSON.parse(m[2]) : m[2];
    const rest = m[3]?.trim();
    if (rest === undefined || rest === '') {
      const child = {};
      parent[key] = child;
      stack.push({ indent, value: child });
    } else if (/^[[{-]/.test(rest) && !/^-?\d/.test(rest)) {
      throw new Error(`${part}: line ${n + 1}: flow collections and sequences are not supported`);
    } else {
      parent[key] = readScalar(rest);
    }
  });
  return root;
}

function readScalar(s) {
  if (s.startsWith('"')) return JSON.parse(s);
  if (/^(true|false)$/i.test(s)) return s.toLowerCase() === 'true';
  if (/^(null|~)$/i.test(s)) return null;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Number(s);
  return s;
}
