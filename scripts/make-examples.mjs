// Writes the example models the README traces into build/examples/ (generated, never
// committed): the 4-bit CIFAR-10 QKeras model from the user report, the same model with the
// fix, and a CIFAR-like input. They are genuine Keras 2.4 .h5 files (tests/fixtures/).
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { writeCifarScenarioH5, cifarScenarioInput } from '../tests/fixtures/cifar_scenario.js';
import { writeNpy } from '../web/io/npy.js';

const dir = fileURLToPath(new URL('../build/examples/', import.meta.url));
mkdirSync(dir, { recursive: true });
const files = {
  'cifar10_qkeras.h5': () => writeCifarScenarioH5(),
  'cifar10_qkeras_fixed.h5': () => writeCifarScenarioH5({ withFix: true }),
  'cifar10_input.npy': () => writeNpy(cifarScenarioInput(1), [1, 32, 32, 3]),
};
for (const [name, make] of Object.entries(files)) {
  if (!existsSync(dir + name)) writeFileSync(dir + name, await make());
}
