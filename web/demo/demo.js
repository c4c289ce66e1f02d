// The demo page: opens on the report's CIFAR-10 example, traced; loads a user's model, shows the
// static quantization analysis at once, then traces real values through every layer and checks
// them against a Python run. Model work runs in a Web Worker (worker.js, via worker_client.js);
// rendering is in render.js, weights_view.js and compare_view.js; this file wires the page:
// loading, inputs, state. Nothing is fetched from the network.

// It uses the package's public API only ('qkeras-wasm'); scripts/build-demo.mjs bundles it.
import { readNpy } from 'qkeras-wasm';
import { WorkerClient } from './worker_client.js';
import { $, el, nextFrame, inSlices, shapeText, formatMs } from './dom.js';
import { renderResults, renderPredictions } from './render.js';
import { renderGraph } from './graph_view.js';
import { renderWeights } from './weights_view.js';
import { IMAGE_EXTENSIONS, extension, wireInputPanel, useDroppedInput, buildInput } from './input_panel.js';
import { PYTHON_SNIPPET, readReference, renderComparison } from './compare_view.js';
import { EXAMPLES, EXAMPLE_INPUT_URL, CIFAR10_LABELS, parseLabels } from './example.js';

performance.mark('page-script');

/** The built-in example's input, fetched at once (the example opens with it). */
const exampleOnOpen = new URLSearchParams(location.search).get('example') ?? 'original';
const exampleInputBytes = exampleOnOpen === 'off' ? null : fetch(EXAMPLE_INPUT_URL).then((r) => (r.ok ? r.arrayBuffer() : r.status), (e) => e?.message ?? String(e));

/** Loading, conversion, prediction and tracing run in a Web Worker (web/demo/worker.js), started by index.html. */
const worker = new WorkerClient(/** @type {any} */ (window).qkwDemoWorker ?? null);


const ui = {
  modelFile: /** @type {HTMLInputElement} */ ($('model-file')),
  weightsFile: /** @type {HTMLInputElement} */ ($('weights-file')),
  progressRow: $('progress-row'),
  progressLabel: $('progress-label'),
  progress: /** @type {HTMLProgressElement} */ ($('load-progress')),
  modelError: $('model-error'),
  modelInfo: $('model-info'),
  inputForm: /** @type {HTMLFormElement} */ ($('input-form')),
  inputFile: /** @type {HTMLInputElement} */ ($('input-file')),
  imageScale: /** @type {HTMLSelectElement} */ ($('image-scale')),
  randomMin: /** @type {HTMLInputElement} */ ($('random-min')),
  randomMax: /** @type {HTMLInputElement} */ ($('random-max')),
  randomSeed: /** @type {HTMLInputElement} */ ($('random-seed')),
  batchSize: /** @type {HTMLInputElement} */ ($('batch-size')),
  runTrace: /** @type {HTMLButtonElement} */ ($('run-trace')),
  inputNote: $('input-note'),
  inputError: $('input-error'),
  results: $('results-panel'),
  answer: $('answer'),
  caption: $('table-caption'),
  rows: $('layer-rows'),
  labelsFile: /** @type {HTMLInputElement} */ ($('labels-file')),
  labelsNote: $('labels-note'),
  predictionsPanel: $('predictions-panel'),
  predictionsNote: $('predictions-note'),
  predictions: $('predictions'),
  sampleRow: $('sample-row'),
  sample: /** @type {HTMLInputElement} */ ($('sample')),
  exampleButtons: /** @type {HTMLButtonElement[]} */ ([...document.querySelectorAll('#example-bar button[data-example]')]),
};

/**
 * labels: class names for the predictions (a labels .txt wins over the example's built-in ones).
 * @type {{model: any, label: string, pendingConfig: File|null, busy: boolean, example: string|null, fileLabels: string[]|null}}
 */
const state = { model: null, label: '', pendingConfig: null, busy: false, example: null, fileLabels: null, trace: null, predictions: null };

// body[data-state] lets tests (and curious users) see what the page is doing.
function setPageState(name) {
  document.body.dataset.state = name;
}

function showError(box, error) {
  const message = error instanceof Error ? error.message : String(error);
  box.replaceChildren(el('strong', { text: 'Error: ' }), message);
  box.hidden = false;
  console.warn(error); // shown to the user: an expected outcome of bad input, not a page bug
}

function clearError(box) {
  box.hidden = true;
  box.replaceChildren();
}

function setBusy(busy) {
  state.busy = busy;
  ui.modelFile.disabled = busy;
  ui.weightsFile.disabled = busy;
  ui.runTrace.disabled = busy || !state.model;
  for (const b of ui.exampleButtons) b.disabled = busy;
}

const MODEL_EXTENSIONS = new Set(['h5', 'hdf5', 'keras', 'qkwm']);
const INPUT_EXTENSIONS = new Set(['npy', 'txt', 'csv', ...IMAGE_EXTENSIONS]);

// ---------------------------------------------------------------------------------------------
// Loading a model

/**
 * Turns a set of chosen/dropped files into a loadModel() source.
 * @param {File[]} files
 * @returns {{source: any, label: string} | {needWeights: File}}
 */
function modelSourceFromFiles(files) {
  const jsons = files.filter((f) => extension(f.name) === 'json');
  const binaries = files.filter((f) => extension(f.name) !== 'json');
  if (jsons.length > 1) throw new Error(`choose one model .json at a time (got ${jsons.map((f) => f.name).join(', ')})`);
  if (jsons.length === 1) {
    if (binaries.length > 1) throw new Error(`a model .json takes exactly one weights .h5 (got ${binaries.map((f) => f.name).join(', ')})`);
    if (binaries.length === 0) return { needWeights: jsons[0] };
    return { source: { config: jsons[0], weights: binaries[0] }, label: `${jsons[0].name} + ${binaries[0].name}` };
  }
  if (binaries.length !== 1) {
    throw new Error(`choose one model file (or a .json with its weights .h5); got ${files.length} files: ${files.map((f) => f.name).join(', ')}`);
  }
  return { source: binaries[0], label: binaries[0].name };
}

const PHASES = {
  read: { from: 0, span: 0.35, text: 'Reading' },
  parse: { from: 0.35, span: 0.1, text: 'Parsing' },
  weights: { from: 0.45, span: 0.4, text: 'Reading weights of' },
  build: { from: 0.85, span: 0.15, text: 'Building the WebAssembly model for' },
};

function onProgress(label) {
  return ({ phase, loaded, total, part }) => {
    const p = PHASES[phase] ?? PHASES.read;
    const fraction = total > 0 ? Math.min(loaded / total, 1) : 0;
    const value = p.from + p.span * fraction;
    ui.progress.value = value;
    ui.progressLabel.textContent = `${p.text} ${part ?? label}… ${Math.round(value * 100)}%`;
  };
}

/** Worker timings ([step, ms since the page's time origin]) as performance marks, for tests and the curious. */
function markWorker(timings) {
  for (const [step, at] of timings ?? []) performance.mark(`worker:${step}`, { startTime: at - performance.timeOrigin });
}

/**
 * Loads a model; then, given makeInput, traces that input before anything else is drawn (the
 * example: the answer first), else shows the static analysis. The graph and the weights view come after.
 * @returns {Promise<boolean>} whether the model loaded
 */
async function loadFrom(source, label, { example = null, makeInput = null } = {}) {
  if (state.busy) return false;
  clearError(ui.modelError);
  setBusy(true);
  setPageState('loading');
  ui.progressRow.hidden = false;
  ui.progress.value = 0;
  ui.progressLabel.textContent = `Reading ${label}…`;
  const started = performance.now();
  try {
    performance.mark('load-call');
    const model = await worker.load(source, onProgress(label));
    performance.mark('load-reply');
    markWorker(model.timings);
    const analysis = model.analyze();
    state.model?.dispose();
    state.model = model;
    state.label = label;
    state.example = example;
    for (const b of ui.exampleButtons) b.setAttribute('aria-pressed', String(b.dataset.example === example));
    ui.predictionsPanel.hidden = true;
    state.trace = null;
    $('compare-panel').hidden = true;
    ui.progress.value = 1;
    ui.progressLabel.textContent = `Loaded ${label} in ${Math.round(performance.now() - started)} ms`;
    describeModel(model, label);
    if (makeInput) {
      ui.progressRow.hidden = true;
      if (await traceNow(model, makeInput)) {
        // The answer is on screen: the page is usable while the graph and weights view follow.
        setBusy(false);
        showGraphAndWeights(model);
      }
      return true;
    }
    await renderResults(ui, analysis, null, model.layers);
    await showGraphAndWeights(model);
    setPageState('loaded');
    return true;
  } catch (error) {
    ui.progressRow.hidden = true;
    if (error?.name === 'AbortError') {
      // The worker was stopped, and with it any model it held.
      state.model = null;
      ui.modelInfo.replaceChildren(`Cancelled loading ${label}. Choose a model to start again.`);
      setPageState('cancelled');
      return false;
    }
    const kept = state.model ? ` The previously loaded model (${state.label}) is still active.` : '';
    const message = String(error?.message ?? error).replace(/\.\s*$/, '');
    // Reader errors already start with the file's name ("x.h5: ..."); don't say it twice.
    const named = label.split(' + ').some((name) => message.startsWith(`${name}:`));
    showError(ui.modelError, new Error(`Could not load ${named ? '' : `${label}: `}${message}.${kept}`));
    setPageState('error');
    return false;
  } finally {
    setBusy(false);
  }
}

/** The graph, then the weights view (both from the worker); skipped if another model was loaded meanwhile. */
async function showGraphAndWeights(model) {
  delete document.body.dataset.weights;
  try {
    const graph = await model.graph();
    if (state.model !== model) return;
    $('graph-panel').hidden = false;
    if (!(await renderGraph(graph, $('graph'), selectLayer, () => state.model === model))) return;
    await nextFrame(); // let the page paint the table and graph before the weights view is built
    if (state.model !== model) return;
    await renderWeights(model, { panel: $('weights-panel'), rows: $('weight-rows'), note: $('weights-note') }, el, inSlices);
    performance.mark('weights-shown');
    document.body.dataset.weights = 'shown';
  } catch (error) {
    if (error?.name !== 'AbortError') console.error(error); // a page bug: tests fail on console errors
  }
}

function describeModel(model, label) {
  const inputs = model.inputs.map((t) => `${t.name} ${shapeText(t.shape)}`).join(', ');
  const outputs = model.outputs.map((t) => `${t.name} ${shapeText(t.shape)}`).join(', ');
  const keras = model.provenance?.kerasVersion ? ` · Keras ${model.provenance.kerasVersion}` : '';
  ui.modelInfo.replaceChildren(
    el('strong', { text: model.name }),
    ` (${label}${keras}) · ${model.layers.length} layers · input ${inputs} · output ${outputs}`,
  );
}

async function handleModelFiles(files) {
  if (files.length === 0) return;
  let picked;
  try {
    picked = modelSourceFromFiles(files);
  } catch (error) {
    showError(ui.modelError, error);
    return;
  }
  if ('needWeights' in picked) {
    const weights = ui.weightsFile.files?.[0];
    if (weights) return loadFrom({ config: picked.needWeights, weights }, `${picked.needWeights.name} + ${weights.name}`);
    state.pendingConfig = picked.needWeights;
    clearError(ui.modelError);
    ui.modelInfo.replaceChildren(`${picked.needWeights.name} is a model JSON: now choose its weights .h5 file.`);
    ui.weightsFile.focus();
    return;
  }
  state.pendingConfig = null;
  return loadFrom(picked.source, picked.label);
}

ui.modelFile.addEventListener('change', () => {
  const files = [...(ui.modelFile.files ?? [])];
  handleModelFiles(files).finally(() => {
    ui.modelFile.value = ''; // choosing the same file again must fire 'change' again
  });
});

ui.weightsFile.addEventListener('change', () => {
  const weights = ui.weightsFile.files?.[0];
  if (!weights) return;
  if (!state.pendingConfig) {
    showError(ui.modelError, new Error(`${weights.name}: choose the model .json first (a full-model .h5 goes in "Choose a model file")`));
    ui.weightsFile.value = '';
    return;
  }
  const config = state.pendingConfig;
  state.pendingConfig = null;
  loadFrom({ config, weights }, `${config.name} + ${weights.name}`).finally(() => {
    ui.weightsFile.value = '';
  });
});

// Drag and drop anywhere: model files load a model; .npy/.png/.txt (and JSON arrays) (or any image) become the input.
let dragDepth = 0;
document.addEventListener('dragenter', (event) => {
  if (!event.dataTransfer?.types.includes('Files')) return;
  event.preventDefault();
  dragDepth += 1;
  document.body.classList.add('dragging');
});
document.addEventListener('dragleave', () => {
  dragDepth = Math.max(0, dragDepth - 1);
  if (dragDepth === 0) document.body.classList.remove('dragging');
});
document.addEventListener('dragover', (event) => {
  if (!event.dataTransfer?.types.includes('Files')) return;
  event.preventDefault();
  event.dataTransfer.dropEffect = 'copy';
});
document.addEventListener('drop', async (event) => {
  if (!event.dataTransfer?.files?.length) return;
  event.preventDefault();
  dragDepth = 0;
  document.body.classList.remove('dragging');
  const files = [...event.dataTransfer.files];
  const isInputFile = async (f) => {
    const ext = extension(f.name);
    if (INPUT_EXTENSIONS.has(ext)) return true;
    if (ext !== 'json' || files.length !== 1) return false;
    return (await f.slice(0, 64).text()).trimStart().startsWith('[');
  };
  if (files.length === 1 && (await isInputFile(files[0]))) {
    if (!state.model) {
      showError(ui.modelError, new Error(`${files[0].name} looks like input data: load a model first`));
      return;
    }
    useDroppedInput(ui, files[0]);
    ui.inputNote.textContent = `input: ${files[0].name} (dropped)`;
    return;
  }
  if (files.some((f) => !MODEL_EXTENSIONS.has(extension(f.name)) && extension(f.name) !== 'json')) {
    showError(ui.modelError, new Error(`cannot use ${files.map((f) => f.name).join(', ')}: drop a model (.h5, .keras, .qkwm, or .json + .h5) or one input file (.npy, .json, .txt, or an image)`));
    return;
  }
  await handleModelFiles(files);
});

// ---------------------------------------------------------------------------------------------
// Input data (input_panel.js)

wireInputPanel(ui);

ui.inputForm.addEventListener('submit', (event) => {
  event.preventDefault();
  traceWith((model) => buildInput(ui, model));
});

/** Builds an input with makeInput(model), traces it and shows the results and predictions. */
async function traceWith(makeInput) {
  const model = state.model;
  if (!model || state.busy) return;
  setBusy(true);
  try {
    await traceNow(model, makeInput);
  } finally {
    setBusy(false);
  }
}

/** @returns {Promise<boolean>} whether the trace is shown (errors are shown in the input panel) */
async function traceNow(model, makeInput) {
  clearError(ui.inputError);
  setPageState('tracing');
  ui.inputNote.textContent = 'Tracing…';
  try {
    const input = await makeInput(model);
    const started = performance.now();
    ui.progressRow.hidden = false;
    ui.progress.removeAttribute('value'); // indeterminate: a trace reports no steps
    ui.progressLabel.textContent = `Tracing ${input.note}…`;
    performance.mark('trace-call');
    const { trace, predictions, timings } = await model.trace(input.data, input.shape, { includeData: true, histogramBins: 16 },
      { output: model.outputs[0]?.name, k: 5 });
    performance.mark('trace-reply');
    markWorker(timings);
    ui.progressRow.hidden = true;
    const elapsed = performance.now() - started;
    ui.inputNote.textContent = `Traced ${input.note} in ${formatMs(elapsed)}.`;
    state.predictions = predictions;
    renderPredictions(ui, predictions, currentLabels());
    await renderResults(ui, model.analyze(), trace, model.layers);
    state.trace = trace;
    $('compare-panel').hidden = false;
    $('compare-rows').replaceChildren();
    $('compare-summary').textContent = 'Drop a reference file to compare with this trace.';
    performance.mark('trace-shown');
    if (state.example && exampleOnOpen !== 'off' && !document.body.dataset.openToTraceMs) {
      // From navigation start to the example's trace on screen: the number the README reports.
      document.body.dataset.openToTraceMs = String(Math.round(performance.now()));
    }
    setPageState('traced');
    return true;
  } catch (error) {
    ui.inputNote.textContent = '';
    ui.progressRow.hidden = true;
    if (error?.name === 'AbortError') {
      state.model = null;
      state.trace = null;
      ui.inputNote.textContent = 'Trace cancelled; the worker was stopped, so load the model again.';
      setPageState('cancelled');
      return false;
    }
    showError(ui.inputError, error);
    setPageState('error');
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Predictions

function currentLabels() {
  return state.fileLabels ?? (state.example ? CIFAR10_LABELS : undefined);
}


ui.labelsFile.addEventListener('change', async () => {
  const file = ui.labelsFile.files?.[0];
  if (!file) return;
  try {
    state.fileLabels = parseLabels(await file.text(), file.name);
    if (state.predictions) renderPredictions(ui, state.predictions, currentLabels(), Number(ui.sample.value) - 1); // relabel, no re-trace
    ui.labelsNote.textContent = `${file.name}: ${state.fileLabels.length} class names`;
    clearError(ui.inputError);
  } catch (error) {
    state.fileLabels = null;
    showError(ui.inputError, error);
  }
});

// ---------------------------------------------------------------------------------------------
// The built-in example: loaded and traced on open (unless the URL says ?example=off).

async function exampleInput() {
  const bytes = (await exampleInputBytes) ?? (await fetch(EXAMPLE_INPUT_URL).then((r) => (r.ok ? r.arrayBuffer() : r.status)));
  if (!(bytes instanceof ArrayBuffer)) throw new Error(`${EXAMPLE_INPUT_URL}: ${typeof bytes === 'number' ? `HTTP ${bytes}` : bytes} (run "npm run build" to generate the examples)`);
  const array = readNpy(bytes.slice(0), 'cifar10_input.npy');
  return { data: array.data, shape: array.shape, note: 'the built-in CIFAR-like sample (build/examples/cifar10_input.npy)' };
}

async function openExample(which) {
  const example = EXAMPLES[which];
  await loadFrom(example.url, example.label, { example: which, makeInput: exampleInput });
}

/** Selects a layer's row (from the graph): scrolls to it and opens its details. */
function selectLayer(name) {
  const row = [...ui.rows.querySelectorAll('tr.layer')].find((r) => r.dataset.layer === name);
  if (!row) return;
  for (const r of ui.rows.querySelectorAll('tr.layer.selected')) r.classList.remove('selected');
  row.classList.add('selected');
  const button = /** @type {HTMLButtonElement} */ (row.querySelector('button.row-toggle'));
  if (button.getAttribute('aria-expanded') !== 'true') button.click();
  row.scrollIntoView({ block: 'center' });
  button.focus({ preventScroll: true });
}

// ---------------------------------------------------------------------------------------------
// Check against Python

$('python-snippet').textContent = PYTHON_SNIPPET;
$('copy-snippet').addEventListener('click', async () => {
  try {
    await navigator.clipboard.writeText(PYTHON_SNIPPET);
    $('copy-snippet').textContent = 'Copied';
  } catch {
    $('copy-snippet').textContent = 'Select and copy';
  }
});

const referenceFile = /** @type {HTMLInputElement} */ ($('reference-file'));
referenceFile.addEventListener('change', async () => {
  const file = referenceFile.files?.[0];
  if (!file || !state.trace || !state.model) return;
  clearError($('compare-error'));
  try {
    const { reference, note } = readReference(new Uint8Array(await file.arrayBuffer()), file.name, state.model.outputs[0].name);
    renderComparison(state.trace, reference, { rows: $('compare-rows'), summary: $('compare-summary') }, el);
    $('compare-summary').prepend(`${note}. `);
    setPageState('compared');
  } catch (error) {
    $('compare-rows').replaceChildren();
    $('compare-summary').textContent = '';
    showError($('compare-error'), error);
    setPageState('error');
  } finally {
    referenceFile.value = '';
  }
});

$('cancel').addEventListener('click', () => worker.cancel());
ui.sample.addEventListener('input', () => {
  const n = Number(ui.sample.value);
  if (state.predictions && Number.isInteger(n) && n >= 1) renderPredictions(ui, state.predictions, currentLabels(), n - 1);
});

for (const b of ui.exampleButtons) b.addEventListener('click', () => openExample(b.dataset.example));

setBusy(false);
setPageState('idle');
if (exampleOnOpen !== 'off') openExample(EXAMPLES[exampleOnOpen] ? exampleOnOpen : 'original');
