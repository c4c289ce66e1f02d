// The demo page's first visit: time from navigation start to the example's trace on screen
// (body[data-open-to-trace-ms], set by web/demo/demo.js), and the bytes the page downloads,
// gzipped as a compressing server would send them (our serve.js sends them plain, on loopback).
// A fresh Chromium per run (no HTTP or compiled-code cache), the system one, never a download.
//
//   node bench/demo_open.mjs [runs=7]
//
// Prints the median and every run with the page's performance marks (worker steps included), then
// one row per file: requested at / done at (ms), raw and gzip -9 bytes. Wall-clock numbers on a
// shared machine: read them with the load average printed beside them.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import { startServer } from '../web/demo/serve.js';
import { openBrowser, skipWithoutChromium } from '../tests/browser/demo_page.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const runs = Number(process.argv[2] ?? 7);
const why = skipWithoutChromium();
if (why) {
  console.log(`skipped: ${why}`);
  process.exit(0);
}

const server = await startServer({ port: 0 });
const times = [];
let files = [];
try {
  for (let r = 0; r < runs; r++) {
    const browser = await openBrowser(server.url.replace(/\/$/, ''));
    const requests = [];
    browser.page.context().on('requestfinished', (request) => requests.push(request));
    const t0 = Date.now();
    await browser.page.goto(server.demoUrl);
    await browser.page.waitForFunction(() => ['traced', 'error'].includes(document.body.dataset.state) && document.body.dataset.weights === 'shown', null, { timeout: 60000 });
    const { ms, marks, state } = await browser.page.evaluate(() => ({
      state: document.body.dataset.state,
      ms: Number(document.body.dataset.openToTraceMs),
      marks: performance.getEntriesByType('mark').map((m) => `${m.name}@${Math.round(m.startTime)}`).join(' '),
    }));
    if (state !== 'traced' || browser.problems.length) throw new Error(`run ${r}: page state ${state}; ${browser.problems.join('; ')}`);
    times.push(ms);
    console.log(`run ${r}: ${ms} ms (load average ${loadavg()[0].toFixed(1)})  ${marks}`);
    files = requests.map((q) => {
      const path = new URL(q.url()).pathname;
      const t = q.timing();
      let raw = 0;
      let gz = 0;
      try {
        const bytes = readFileSync(root + decodeURIComponent(path.endsWith('/') ? `${path}index.html` : path).slice(1));
        raw = bytes.length;
        gz = gzipSync(bytes, { level: 9 }).length;
      } catch {
        // a data: or blob: URL
      }
      return { path, start: Math.round(t.startTime - t0), end: Math.round(t.startTime + t.responseEnd - t0), raw, gz };
    });
    await browser.close();
  }
} finally {
  await server.close();
}
const sorted = [...times].sort((a, b) => a - b);
console.log(`\nopen -> example trace: median ${sorted[Math.floor(sorted.length / 2)]} ms over ${runs} fresh-browser runs (min ${sorted[0]}, max ${sorted[sorted.length - 1]})`);
console.log(`\n${'file (last run)'.padEnd(44)} ${'from'.padStart(6)} ${'to'.padStart(6)} ${'bytes'.padStart(9)} ${'gzip -9'.padStart(9)}`);
for (const f of files.sort((a, b) => a.start - b.start)) {
  console.log(`${f.path.padEnd(44)} ${String(f.start).padStart(6)} ${String(f.end).padStart(6)} ${String(f.raw).padStart(9)} ${String(f.gz).padStart(9)}`);
}
const total = (key) => files.reduce((a, f) => a + f[key], 0);
console.log(`${'total'.padEnd(58)} ${String(total('raw')).padStart(9)} ${String(total('gz')).padStart(9)}`);
