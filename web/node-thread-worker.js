// Node's entry for a batch worker (worker_threads): fills in the Node platform hooks and gives
// web/thread-worker.js the port a Web Worker has (postMessage, onmessage). Started only by
// web/node-platform.js, so bundlers never see it.
import { parentPort } from 'node:worker_threads';

import './node-platform.js';

globalThis.__qkwThreadPort = {
  postMessage: (message, transfer) => parentPort.postMessage(message, transfer),
  set onmessage(handler) {
    parentPort.on('message', (data) => handler({ data }));
  },
};
await import('./thread-worker.js');
