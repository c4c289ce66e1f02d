// Writes the example models the README traces into build/examples/ (generated, never
// committed): the 4-bit CIFAR-10 QKeras model from the user report, the same model with the
// fix, and a CIFAR-like input. They are genuine Keras 2.4 .h5 files (tests/fixtures/). The demo
// page opens on the converted .qkwm twins (no HDF5 parsing on open) with the same input.
import { mkdirSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { writeCifarScenarioH5, cifarScenarioInput } from '../tests/fixtures/cifar_scenario.js';
import { writeNpy } from '../web/io/npy.js';

const dir = fileURLToPath(new URL('../build/examples/', import.meta.url));
const wasm = fileURLToPath(new URL('../web/wasm/qkeras_wasm.wasm', import.meta.url));
mkdirSync(dir, { recursive: true });
const toQkwm = (h5) => async () => {
  const { convert } = await import('../web/index.js');
  return convert(readFileSync(dir + h5), { sourceName: h5 });
};
const files = {
  'cifar10_qkeras.h5': () => writeCifarScenarioH5(),
  'cifar10_qkeras_fixed.h5': () => writeCifarScenarioH5({ withFix: true }),
  'cifar10_input.npy': () => writeNpy(cifarScenarioInput(1), [1, 32, 32, 3]),
  // convert() needs the WASM build; without it the page falls back to the .h5 files.
  ...(existsSync(wasm) ? { 'cifar10_qkeras.qkwm': toQkwm('cifar10_qkeras.h5'), 'cifar10_qkeras_fixed.qkwm': toQkwm('cifar10_qkeras_fixed.h5') } : {}),
};
for (const [name, make] of Object.entries(files)) {
  if (!existsSync(dir + name)) writeFileSync(dir + name, await make());
}

// The demo page's worker bundle (cheap; always rebuilt so that it follows web/).
const { buildDemoWorker } = await import('./build-demo.mjs');
await buildDemoWorker();
