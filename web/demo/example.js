// The built-in example the page opens on: the CIFAR-10 model of the user report (4-bit QConv2D
// with QBatchNormalization after them) and the same model with the fix (a QActivation after each
// batch norm). `npm run build` writes them to build/examples/ (scripts/make-examples.mjs), as
// converted .qkwm files so that opening the page parses no HDF5.

export const EXAMPLES = {
  original: {
    url: '/build/examples/cifar10_qkeras.qkwm',
    label: 'example: cifar10_qkeras (4-bit convs, QBatchNormalization after them)',
  },
  fixed: {
    url: '/build/examples/cifar10_qkeras_fixed.qkwm',
    label: 'example: cifar10_qkeras_fixed (QActivation after each batch norm)',
  },
};

export const EXAMPLE_INPUT_URL = '/build/examples/cifar10_input.npy';

export const CIFAR10_LABELS = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** Class names from a labels .txt: one per line; blank lines at the end are ignored. */
export function parseLabels(text, fileName) {
  const lines = text.replace(/\r\n?/g, '\n').split('\n').map((l) => l.trim());
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new Error(`${fileName}: no class names (expected one per line)`);
  return lines;
}
