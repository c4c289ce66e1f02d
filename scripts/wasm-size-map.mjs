// Code bytes of the .wasm by part; run through scripts/wasm-size-map.sh (it makes the inputs).
import { readFileSync } from 'node:fs';
const [,, symFile, sizeFile, objFile, detail] = process.argv;
// Emscripten escapes symbol-map names (\\2c for a comma): undo it.
const unescape = (s) => s.replace(/\\([0-9a-f]{2})/g, (m, h) => String.fromCharCode(parseInt(h, 16)));
const names = new Map();
for (const l of readFileSync(symFile, 'utf8').split('\n')) { const i = l.indexOf(':'); if (i > 0) names.set(+l.slice(0, i), unescape(l.slice(i + 1))); }
const objs = new Map();
for (const l of readFileSync(objFile, 'utf8').split('\n')) { const [s, o] = l.split('\t'); if (!o) continue; if (!objs.has(s)) objs.set(s, new Set()); objs.get(s).add(o); }
const strip = (s) => { let p; do { p = s; s = s.replace(/<[^<>]*>/g, ''); } while (s !== p); return s; };
const tot = {}; const top = {};
for (const l of readFileSync(sizeFile, 'utf8').split('\n')) {
  const [i, sz] = l.split('\t'); if (!sz) continue;
  const n = names.get(+i) || '?'; let cat;
  const head = strip(n).replace(/\(.*$/, '');   // qualified name without template args and parameters
  const o = objs.get(n);
  if (/nlohmann::/.test(head) || (/std::/.test(head) && /nlohmann/.test(n) && !/qkw::/.test(n.replace(/\(.*$/, '')))) cat = 'json(nlohmann)';
  else if (/emscripten::|embind|emval/.test(head)) cat = 'embind';
  else if (/^(\S+ )?std::/.test(head) && !/qkw::/.test(head)) cat = o ? 'libc++ templates' : 'libc++/abi runtime';
  else if (o) {
    const f = [...o][0];
    const m = f.match(/src\/(\w+)\//) || f.match(/(bindings)\//);
    cat = (m ? m[1] : f);
  } else if (/::/.test(n)) cat = 'libc++/abi runtime';
  else cat = 'libc';
  tot[cat] = (tot[cat] || 0) + +sz;
  (top[cat] ||= []).push([+sz, n]);
}
const all = Object.values(tot).reduce((a, b) => a + b, 0);
for (const [k, v] of Object.entries(tot).sort((a, b) => b[1] - a[1])) console.log(String(v).padStart(8), (100 * v / all).toFixed(1).padStart(5) + '%', k);
console.log(String(all).padStart(8), 'total code');
if (detail) for (const [k, v] of Object.entries(top)) if (k === detail) { v.sort((a, b) => b[0] - a[0]); for (const [s, n] of v.slice(0, 45)) console.log(s, n.slice(0, 150)); }
