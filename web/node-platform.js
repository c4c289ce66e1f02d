// Node's side of platform.js: file paths and file: URLs are read with node:fs. Imported only by
// the Node entry (web/index.js), never by the browser entry.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import * as zlib from 'node:zlib';

import { setNodePlatform } from './platform.js';

/** A path, or a file: URL (string or URL object), as something node:fs reads. */
function toPath(source) {
  if (source instanceof URL) return source;
  if (/^file:/i.test(source)) return fileURLToPath(source);
  return source;
}

setNodePlatform({
  toPath,
  /** zlib's native CRC-32 (Node >= 20.15), or null. */
  crc32: typeof zlib.crc32 === 'function' ? zlib.crc32 : null,
  /** import.meta.resolve from here (bundlers never see it: this file is Node-only). */
  resolve: (specifier) => import.meta.resolve(specifier),
  /**
   * A batch worker of web/threads.js (web/node-thread-worker.js) behind the Web Worker interface
   * threads.js uses (postMessage, onmessage, onerror, terminate), plus onexit, and ref/unref so
   * that an idle pool never keeps the process alive.
   */
  createWorker() {
    // The parent's Node flags, less those that describe its own entry (`node --input-type=module
    // -e ...` would make every worker evaluate that code instead of its file).
    const execArgv = [];
    for (let i = 0; i < process.execArgv.length; i++) {
      const arg = process.execArgv[i];
      if (/^(-e|--eval|-p|--print)$/.test(arg)) i++;
      else if (!/^--(input-type|eval|print)(=|$)/.test(arg)) execArgv.push(arg);
    }
    const worker = new Worker(new URL('./node-thread-worker.js', import.meta.url), { execArgv });
    const port = {
      onmessage: null,
      onerror: null,
      onmessageerror: null,
      onexit: null,
      postMessage: (message, transfer) => worker.postMessage(message, transfer),
      terminate: () => worker.terminate(),
      ref: () => worker.ref(),
      unref: () => worker.unref(),
    };
    worker.on('message', (data) => port.onmessage?.({ data }));
    worker.on('error', (error) => port.onerror?.({ message: error?.message ?? String(error) }));
    worker.on('messageerror', () => port.onmessageerror?.());
    worker.on('exit', (code) => port.onexit?.(code));
    return port;
  },
  async readFile(source) {
    const buffer = await readFile(toPath(source));
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  },
});
