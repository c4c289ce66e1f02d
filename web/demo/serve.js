#!/usr/bin/env node
// A dependency-free static server for the demo: serves the repository root on loopback only, so the
// page can import /web/index.js, /web/wasm/*.wasm and /node_modules/* as plain ES modules.
//
//   node web/demo/serve.js [--port 8080]      (port 0 or no flag: a free port)

import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import process from 'node:process';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

const MIME_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
};

function send(res, status, text, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  res.end(text);
}

/** Maps a request path to a file under root, or null when it would leave root. */
async function resolveFile(root, urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  // Dot-folders (.git, .ci, ...) are never part of the page.
  if (decoded.split('/').some((part) => part.startsWith('.') && part !== '.' && part !== '..')) return null;
  const candidate = resolve(root, '.' + decoded);
  if (candidate !== root && !candidate.startsWith(root + sep)) return null;
  // Symlinks (node_modules/.bin, workspaces) may point elsewhere; follow them, then re-check.
  let real;
  try {
    real = await realpath(candidate);
  } catch {
    return { path: candidate, missing: true };
  }
  const realRoot = await realpath(root);
  if (real !== realRoot && !real.startsWith(realRoot + sep) && !candidate.startsWith(join(root, 'node_modules') + sep)) return null;
  return { path: real, missing: false };
}

async function handle(root, req, res) {
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
  const rawPath = (req.url ?? '/').split('?')[0];
  let decodedRaw;
  try {
    decodedRaw = decodeURIComponent(rawPath);
  } catch {
    return send(res, 400, 'bad request: malformed percent-encoding\n');
  }
  // The URL parser would quietly clamp "/../.." to "/"; a request that tries is refused outright.
  if (decodedRaw.split(/[\\/]/).includes('..')) return send(res, 403, 'forbidden: outside the served directory\n');
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/') return send(res, 302, 'see /web/demo/\n', { Location: '/web/demo/' });
  const found = await resolveFile(root, url.pathname);
  if (found === null) return send(res, 403, 'forbidden: outside the served directory\n');
  if (found.missing) return send(res, 404, `not found: ${url.pathname}\n`);
  let file = found.path;
  let info = await stat(file);
  if (info.isDirectory()) {
    if (!url.pathname.endsWith('/')) return send(res, 301, 'moved\n', { Location: url.pathname + '/' + url.search });
    file = join(file, 'index.html');
    try {
      info = await stat(file);
    } catch {
      return send(res, 404, `no index.html in ${url.pathname}\n`);
    }
  }
  const type = MIME_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
  res.writeHead(200, {
    'Content-Type': type,
    'Content-Length': info.size,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  if (req.method === 'HEAD') return res.end();
  const stream = createReadStream(file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

/**
 * Starts the server on 127.0.0.1.
 * @param {{port?: number, root?: string}} [options] port 0 picks a free port
 * @returns {Promise<{url: string, demoUrl: string, port: number, close: () => Promise<void>}>}
 */
export async function startServer({ port = 0, root = repoRoot } = {}) {
  const servedRoot = resolve(root);
  const server = createServer((req, res) => {
    handle(servedRoot, req, res).catch((error) => {
      if (!res.headersSent) send(res, 500, `server error: ${error.message}\n`);
      else res.destroy();
    });
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', fail);
      ok();
    });
  });
  const actualPort = /** @type {import('node:net').AddressInfo} */ (server.address()).port;
  const url = `http://127.0.0.1:${actualPort}/`;
  return {
    url,
    demoUrl: `${url}web/demo/`,
    port: actualPort,
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections?.();
        server.close(() => ok());
      }),
  };
}

function parsePort(argv) {
  const i = argv.findIndex((a) => a === '--port' || a.startsWith('--port='));
  if (i < 0) return 0;
  const value = argv[i].includes('=') ? argv[i].split('=')[1] : argv[i + 1];
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be an integer from 0 to 65535, got ${value}`);
  return port;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const { demoUrl } = await startServer({ port: parsePort(process.argv.slice(2)) });
    console.log(`qkeras-wasm demo: ${demoUrl}`);
    console.log('(serving the repository root on 127.0.0.1 only; Ctrl+C to stop)');
  } catch (error) {
    console.error(`serve.js: ${error.message}`);
    process.exit(1);
  }
}
