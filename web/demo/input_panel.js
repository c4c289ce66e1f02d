// The input panel: random or zeros input (seeded, any batch size), or a file (an array or an image,
// read by the package's readInput, as the CLI reads it), for the model loaded in the page.
import { readInput } from 'qkeras-wasm';
import { shapeText, formatNumber } from './dom.js';

export const IMAGE_EXTENSIONS = new Set(['png', 'jpg', 'jpeg', 'webp', 'gif', 'bmp', 'avif']);
export const extension = (name) => (name.match(/\.([^.]+)$/)?.[1] ?? '').toLowerCase();

/** ui -> a dropped input file, used until the file input gets a new choice */
const dropped = new WeakMap();

/** Wires the panel's controls; a dropped file is used until the file input gets a new choice. */
export function wireInputPanel(ui) {
  for (const radio of ui.inputForm.querySelectorAll('input[name="input-kind"]')) radio.addEventListener('change', () => syncInputOptions(ui));
  ui.inputFile.addEventListener('change', () => {
    dropped.delete(ui);
    if (ui.inputFile.files?.length) selectInputKind(ui, 'file');
  });
  syncInputOptions(ui);
}

/** Uses a file dropped on the page as the input. */
export function useDroppedInput(ui, file) {
  dropped.set(ui, file);
  selectInputKind(ui, 'file');
}

function selectedInputKind(ui) {
  return /** @type {HTMLInputElement} */ (ui.inputForm.querySelector('input[name="input-kind"]:checked')).value;
}

export function selectInputKind(ui, kind) {
  const radio = /** @type {HTMLInputElement} */ (ui.inputForm.querySelector(`input[name="input-kind"][value="${kind}"]`));
  radio.checked = true;
  syncInputOptions(ui);
}

export function syncInputOptions(ui) {
  const kind = selectedInputKind(ui);
  for (const box of ui.inputForm.querySelectorAll('.input-options[data-kind]')) {
    /** @type {HTMLElement} */ (box).hidden = /** @type {HTMLElement} */ (box).dataset.kind !== kind;
  }
}


/** mulberry32: a small seeded generator, so "random input, seed 7" is the same everywhere. */
function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function sampleDims(input) {
  const dims = input.shape.slice(1);
  if (dims.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new Error(`model input '${input.name}' has an unknown dimension ${shapeText(input.shape)}; use an input file with an explicit shape`);
  }
  return dims;
}

function readNumber(input, what) {
  const value = Number(input.value);
  if (input.value.trim() === '' || !Number.isFinite(value)) throw new Error(`${what} must be a number, got "${input.value}"`);
  return value;
}

/** @returns {Promise<{data: any, shape: any, note: string}>} */
export async function buildInput(ui, model) {
  const kind = selectedInputKind(ui);
  if (kind === 'file') return readInputFile(ui, model);
  const batch = readNumber(ui.batchSize, 'Samples');
  if (!Number.isInteger(batch) || batch < 1 || batch > 4096) throw new Error(`Samples must be an integer from 1 to 4096, got ${ui.batchSize.value}`);
  let fill;
  let note;
  if (kind === 'zeros') {
    fill = () => 0;
    note = 'zeros';
  } else {
    const lo = readNumber(ui.randomMin, 'Random "from"');
    const hi = readNumber(ui.randomMax, 'Random "to"');
    const seed = readNumber(ui.randomSeed, 'Seed');
    if (!(hi >= lo)) throw new Error(`random range: "to" (${hi}) must not be below "from" (${lo})`);
    if (!Number.isInteger(seed) || seed < 0) throw new Error(`Seed must be a non-negative integer, got ${ui.randomSeed.value}`);
    const next = seededRandom(seed);
    fill = () => lo + (hi - lo) * next();
    note = `uniform random in [${formatNumber(lo)}, ${formatNumber(hi)}), seed ${seed}`;
  }
  const tensors = model.inputs.map((input) => {
    const dims = sampleDims(input);
    const data = new Float32Array(batch * dims.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = fill();
    return { data, shape: [batch, ...dims] };
  });
  const samples = `${batch} sample${batch === 1 ? '' : 's'}`;
  if (tensors.length === 1) return { data: tensors[0].data, shape: tensors[0].shape, note: `${samples} of ${note}` };
  return { data: tensors, shape: undefined, note: `${samples} of ${note} for each of ${tensors.length} inputs` };
}

async function readInputFile(ui, model) {
  const file = dropped.get(ui) ?? ui.inputFile.files?.[0];
  if (!file) throw new Error('choose an input file (.npy, .json, .txt, or an image), or pick random / zeros input');
  if (model.inputs.length !== 1) {
    throw new Error(`the model has ${model.inputs.length} inputs (${model.inputs.map((i) => i.name).join(', ')}); file input feeds single-input models only — use random or zeros`);
  }
  sampleDims(model.inputs[0]);
  const isImage = file.type.startsWith('image/') || IMAGE_EXTENSIONS.has(extension(file.name));
  return readInput(new Uint8Array(await file.arrayBuffer()), file.name, model.inputs[0].shape, isImage ? { scale: ui.imageScale.value } : {});
}
