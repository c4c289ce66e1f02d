// Type declarations for the qkeras-wasm public API.

export type QuantizerSpec =
  | string
  | {
      class_name: string;
      config?: Record<string, unknown>;
      module?: string;
      registered_name?: string;
    };

export interface QuantizerOptions {
  /** The quantizer sits in a weight slot: alpha=None becomes "auto_po2" as in QKeras layers. */
  weight?: boolean;
  /** QKeras's set_internal_sigmoid(). Default 'hard'. */
  internalSigmoid?: 'hard' | 'smooth' | 'real';
  /** QKeras's update_qnoise_factor(). */
  qnoiseFactor?: number;
}

export interface QuantizeOptions extends QuantizerOptions {
  /** Also return the auto/auto_po2 scale (QKeras's quantizer.scale). */
  returnScale?: boolean;
}

export interface Grid {
  kind: 'uniform' | 'powerOfTwo' | 'custom';
  bits: number;
  integer: number;
  signed: boolean;
  /** Distance between neighbouring values; null for po2 / custom grids. */
  step: number | null;
  min: number;
  max: number;
}

export interface QuantizerDescription {
  className: string;
  /** Every constructor parameter, defaults filled in. */
  config: Record<string, unknown>;
  /** QKeras's str(quantizer). */
  str: string;
  /** QKeras's nominal min()/max(). */
  min: number;
  max: number;
  bits: number;
  signed: boolean;
  /** null where there is no fixed grid (auto alphas, po2, non-uniform). */
  step: number | null;
  grid: Grid | null;
}

/** Applies a QKeras quantizer to a row-major tensor in Keras layout. */
export function quantize(spec: QuantizerSpec, data: ArrayLike<number>, shape: number[], options?: QuantizerOptions & { returnScale?: false }): Promise<Float32Array>;
export function quantize(
  spec: QuantizerSpec,
  data: ArrayLike<number>,
  shape: number[],
  options: QuantizerOptions & { returnScale: true },
): Promise<{ data: Float32Array; scale: Float32Array | null; scaleShape: number[] | null }>;

/** Describes a quantizer as QKeras sees it. Async: it loads the WASM module on first use. */
export function describeQuantizer(spec: QuantizerSpec, options?: QuantizerOptions): Promise<QuantizerDescription>;

/** QKeras's quantizer.range(). */
export function quantizerRange(spec: QuantizerSpec, options?: QuantizerOptions): Promise<Float32Array>;

/**
 * Where qkeras_wasm.wasm is loaded from. Default: new URL('./wasm/qkeras_wasm.wasm', import.meta.url),
 * which Vite and webpack emit as an asset. Browsers: a URL (relative to the page); Node: a path or
 * file: URL. Call before first use.
 */
export function setWasmLocation(url: string | URL): void;

export interface LoadProgress {
  phase: 'read' | 'parse' | 'weights' | 'build';
  loaded: number;
  total: number;
}

export type ModelSource =
  | string
  | URL
  | ArrayBuffer
  | Uint8Array
  | Blob
  | { config: string | object; weights: string | URL | ArrayBuffer | Uint8Array | Blob };

/**
 * Limits for untrusted model files, checked before anything is allocated; the defaults fit any
 * real QKeras model. Crossing one is an Error naming the file part or layer, the field and the
 * limit. Each is a positive integer.
 */
export interface ModelLimits {
  /** Elements per batch sample of any layer output, and of any weight tensor. Default 2^28. */
  maxTensorElements?: number;
  /** Bytes of all activation buffers of one predict, batch included. Default 2^30 (1 GiB). */
  maxArenaBytes?: number;
  /** Bytes of all weights (float32). Default 2^30 (1 GiB). */
  maxWeightBytes?: number;
  /** Layers in the model. Default 100000. */
  maxLayers?: number;
  /** Nesting depth of the model's config JSON in the core. Default 64. */
  maxConfigDepth?: number;
  /** Bytes one .keras entry, and all together, may inflate to. Default 1 GiB. */
  maxDecompressedBytes?: number;
  /** Bytes of one JSON document: a model config, a .qkwm header. Default 64 MiB. */
  maxJsonBytes?: number;
  /** Nesting depth of JSON arrays and objects the readers accept. Default 128. */
  maxNestingDepth?: number;
}

/** @deprecated the same as ModelLimits */
export type ReadLimits = ModelLimits;

export interface LoadOptions {
  onProgress?: (progress: LoadProgress) => void;
  internalSigmoid?: 'hard' | 'smooth' | 'real';
  /** QKeras's qnoise_factor, a finite number from 0 to 1 */
  qnoiseFactor?: number;
  /**
   * Which TensorFlow CPU kernels the float softmax reproduces bit for bit: 'eigen' (stock
   * TensorFlow, default) or 'onednn' (TensorFlow with oneDNN optimizations, the Linux x86
   * default on AVX512-VNNI/BF16/AMX CPUs since TF 2.9).
   */
  tfKernels?: 'eigen' | 'onednn';
  /** Run conv/dense/depthwise layers on integer kernels where the analysis proves the result
   *  bit-identical to float32 (default true); false keeps every float kernel (for comparisons). */
  integerKernels?: boolean;
  /** Run the elementwise layers that follow a conv/dense layer (BN, ReLU, QActivation, Activation)
   *  in place on its output in predict(), bit-identical (default true); trace() always runs them
   *  separately. false: every layer separately (for comparisons). */
  fuse?: boolean;
  /** name of the file in error messages, for byte sources */
  name?: string;
  limits?: ModelLimits;
  /** accept duplicate weights and a bias the config does not use (use_bias: false); they are ignored */
  ignoreExtraWeights?: boolean;
  /**
   * QAdaptiveActivation's integer bits. 'after-load' (default): each predict() call is computed as
   * QKeras's model.predict right after loading: samples with batch index < predictBatchSize use
   * integer=0 (the unsaved variable's build() value), the rest the bits derived from the saved
   * ema_min/ema_max. predict() is stateless: every call starts again at sample 0. 'ema': every
   * sample uses the EMA-derived bits (QKeras after training, or after an earlier predict call).
   */
  adaptiveActivation?: 'after-load' | 'ema';
  /** Keras's model.predict batch_size for adaptiveActivation 'after-load' (default 32) */
  predictBatchSize?: number;
}

/** Something QKeras silently does with the model that the library follows to stay exact. */
export interface ModelWarning {
  /** The layer it concerns. */
  layer: string;
  /** 'quantizer-string' | 'ignored-setting' | 'non-finite-weights' | 'dropout-rate' | 'call-history' */
  code: string;
  /** Plain words, e.g. "QKeras reads '...' as quantized_bits() with all defaults ...". */
  message: string;
}

export interface TensorData {
  data: Float32Array;
  shape: number[];
}

export interface TensorSpec {
  name: string;
  /** null for the batch axis. */
  shape: (number | null)[];
}

export interface LayerDescription {
  name: string;
  className: string;
  inbound: string[];
  outputShape: (number | null)[];
  /** Slot name -> QKeras str() of the quantizer (null where the slot is empty). */
  quantizers: Record<string, string | null>;
  /** The quantizer applied to the layer's output, or null when the output is float. */
  outputQuantizer: string | null;
  paramCount: number | null;
  /** The kernel prepare() chose (datatype_op_tile_isa, e.g. 'qs8_conv2d_igemm_4x8c2_wasmsimd_dot16x2',
   *  'f32_conv2d_igemm_4x8_wasmsimd'); null for layers without a kernel of their own. */
  kernel: string | null;
  /** Why the float kernel was kept (e.g. "input 'x' is float", "accumulator needs 26 bits > 24"), or null. */
  kernelReason: string | null;
}

export type TensorStatus = 'quantized' | 'exact' | 'float';

export interface TensorGrid {
  kind: 'uniform' | 'powerOfTwo' | 'custom';
  bits: number;
  integer: number;
  signed: boolean;
  /** Uniform grids: the (finest) distance between values; null otherwise. */
  step: number | null;
  /** Per last-axis channel, when the steps differ by channel (e.g. auto_po2 kernels). */
  steps?: number[];
  min: number;
  max: number;
  /** Custom grids: the value set. */
  values?: number[];
}

export interface TensorAnalysis {
  name: string;
  className: string;
  inputs: string[];
  outputShape: (number | null)[] | null;
  /** quantized: an output quantizer ran; exact: provably on a finer dyadic grid; float: neither. */
  status: TensorStatus;
  quantized: boolean;
  quantizer: string | null;
  grid: TensorGrid | null;
  /** Dense/Conv family on grid inputs: signed bits of the integer accumulator. */
  accumulatorBits: number | null;
  /** Plain-words explanation; for float tensors, why and how to fix it. */
  reason: string;
  /** The layer whose quantizer defines a propagated grid. */
  source: string | null;
}

export interface TensorStats {
  min: number | string;
  max: number | string;
  mean: number | string;
  distinct: number;
  histogram: { min: number; max: number; counts: number[] };
  /** Every value lies on the declared grid (null when there is no fixed grid). Model inputs: true when observedGrid was found. */
  onGrid: boolean | null;
  offGridCount: number;
  offGridExamples: number[];
  count: number;
  nanCount: number;
  infCount: number;
  /**
   * Model inputs only: the grid the data fed lies on (the finest power-of-two step dividing every
   * value, at most 16 bits), or null when it lies on none (e.g. pixels/255).
   */
  observedGrid?: TensorGrid | null;
}

export interface TraceEntry {
  name: string;
  className: string;
  inputs: string[];
  shape: number[];
  /**
   * The layer's output; null with includeData: false. Copied out of the WASM heap when first
   * read (a trace that is never read copies nothing); whatever is still unread when the model is
   * traced again or disposed is copied then, so it stays valid for as long as the trace is kept.
   */
  data: Float32Array | null;
  status: TensorStatus;
  quantized: boolean;
  quantizer: string | null;
  grid: TensorGrid | null;
  accumulatorBits: number | null;
  reason: string;
  stats: TensorStats;
  timeMs: number;
  /** The layer's kernel and why a float kernel was kept (as in LayerDescription). */
  kernel: string | null;
  kernelReason: string | null;
  /** Recurrent layers with trace option steps: true (Bidirectional: one record per direction). */
  steps?: RecurrentSteps | BidirectionalSteps;
}

/** A (Q)Bidirectional layer's per-step states: each direction in its own processing order (backward outputs before the time reversal). */
export interface BidirectionalSteps {
  forward: RecurrentSteps;
  backward: RecurrentSteps;
}

/** Per-time-step states of a recurrent layer (processing order); arrays hold batch * units values. */
export interface RecurrentSteps {
  batch: number;
  units: number;
  goBackwards: boolean;
  /** str() of the layer's state_quantizer, null without one. */
  stateQuantizer: string | null;
  steps: {
    t: number;
    output: Float32Array;
    h: Float32Array;
    c?: Float32Array;
    /** The previous states after the state quantizer, as the step used them. */
    hPrevQuantized?: Float32Array;
    cPrevQuantized?: Float32Array;
  }[];
}

export interface TraceOptions {
  /** Only these layers (by name). Default: all. */
  layers?: string[];
  /** Keep every layer's output for entry.data (default true; copied to JS when first read). */
  includeData?: boolean;
  histogramBins?: number;
  /** Trace the batch in pieces of this many samples (less WASM memory); results cover the whole batch. */
  batchSize?: number;
  /** Recurrent layers also return their states at every time step (entry.steps). */
  steps?: boolean;
  /** Split the batch across this many workers (1 to 64, default 1); see PredictOptions.threads. Not with steps. */
  threads?: number;
}

export interface PredictOptions {
  /**
   * Split the batch across this many workers (Web Workers; worker_threads in Node), 1 to 64,
   * default 1. Each worker holds its own WASM instance with the model (about 32 MiB of WASM
   * memory plus the activations of its piece); started on first use, kept until dispose().
   * Pieces are whole multiples of 32 samples (Keras's predict batch), so batches of 32 or
   * fewer run on one thread. Results are bit-identical to one thread: each piece runs knowing
   * where its samples sit in the whole call.
   */
  threads?: number;
}

/** Numbers nested to any depth: [[1, 2], [3, 4]] has shape [2, 2]. */
export type NestedArray = ReadonlyArray<number | NestedArray | Float32Array>;

/** One input: a typed array or flat array (with a shape, or the batch inferred), nested arrays (shape inferred), or {data, shape} (e.g. readNpy's result). */
export type InputTensor = ArrayLike<number> | NestedArray | { data: ArrayLike<number>; shape?: (number | null)[] };

export type PredictInput = InputTensor | InputTensor[] | Record<string, InputTensor>;

/** An array in model order that can also be read by name. */
export type Keyed<T> = T[] & {
  /** The entry of that name; throws, listing the names, when there is none. */
  get(name: string): T;
  /** Also readable as properties, for names that are not Array members. */
  readonly [name: string]: T | unknown;
};

export interface TopKEntry {
  index: number;
  value: number;
  /** labels[index], when labels were given. */
  label?: string;
}

export interface WeightStats {
  min: number;
  max: number;
  distinct: number;
  histogram: { min: number; max: number; counts: number[] };
  zeros: number;
  /** Float weights the quantizer clipped (beyond the grid's ends by more than half a step); null when unknown (converted files keep no float weights). */
  clipped: number | null;
}

export interface WeightEntry {
  layer: string;
  /** kernel, bias, depthwise_kernel, pointwise_kernel, ...; for *Batchnorm layers the folded kernel and bias. */
  name: string;
  /** The batch norm is folded into this weight (QConv2DBatchnorm, QDenseBatchnorm, ...). */
  folded: boolean;
  shape: number[];
  /** QKeras's str() of the quantizer, after the weight-slot alpha rule; null for float weights. */
  quantizer: string | null;
  /** The quantizer's bits (32 for float weights). */
  bits: number;
  signed: boolean;
  /** Integer codes with value = integer * scale; null for float weights. */
  integers: Int8Array | Int16Array | Int32Array | null;
  /** One scale, or one per output channel (last axis); null for float weights. */
  scale: number | Float32Array | null;
  /** How the scale was found: the quantizer's grid step, QKeras's auto/auto_po2 scale, a fitted or dyadic scale. */
  scaleMethod: 'grid' | 'qkeras-scale' | 'fitted' | 'dyadic' | 'float';
  /** The dequantized values QKeras multiplies with. */
  values: Float32Array;
  stats: WeightStats;
}

export interface FixedPointType {
  W: number;
  I: number;
  signed: boolean;
  step: number;
  text: string;
}

export interface Hls4mlReportEntry {
  /** The hls4ml layer name (a layer, or <layer>_<activation> for a split-off activation). */
  node: string;
  /** depthwise / pointwise: the two kernels of a separable layer. */
  slot: 'weight' | 'bias' | 'result' | 'accum' | 'depthwise' | 'pointwise';
  /** ap_fixed<W,I> / ap_ufixed<W,I>. */
  type: string;
  typeInfo: FixedPointType;
  /** The type holds every value QKeras computes for this tensor. */
  exact: boolean;
  reason: string;
  /** Lossy types: the largest |value - value cast to the type| (AP_TRN, saturating) on the traced data; null without a trace. */
  worstError?: number | null;
  observed?: { min: number; max: number } | null;
  /** The model layer whose traced output this type holds. */
  observedLayer?: string;
}

export interface Hls4mlConfig {
  Model: { Precision: string; ReuseFactor: number; Strategy: string };
  LayerName: Record<string, { Precision: Partial<Record<'weight' | 'bias' | 'result' | 'accum' | 'depthwise' | 'pointwise', string>> }>;
}

export class Model {
  readonly name: string;
  readonly inputs: TensorSpec[];
  readonly outputs: TensorSpec[];
  readonly layers: LayerDescription[];
  readonly converted: boolean;
  readonly provenance: { source: string | null; kerasVersion: string | null; [key: string]: unknown };
  readonly disposed: boolean;
  /** QKeras's silent surprises in this model (see ModelWarning); empty when there are none. */
  readonly warnings: readonly ModelWarning[];
  /** The normalized graph the model was built from (every layer's Keras config). */
  readonly graph: { name?: string; layers: { name: string; className: string; config: Record<string, unknown>; inbound: [string, number, number][] }[]; [key: string]: unknown };
  /**
   * QKeras's model.predict. A bare TensorData for single-output models, an array for
   * multi-output ones, also readable by output name (pass TensorData[] or Keyed<TensorData> as
   * the type argument there). A null batch in the shape is taken from the data.
   */
  predict<T extends TensorData | TensorData[] = TensorData>(data: PredictInput, shape?: (number | null)[] | (number | null)[][], options?: PredictOptions): Promise<T>;
  predict<T extends TensorData | TensorData[] = TensorData>(data: PredictInput, options: PredictOptions): Promise<T>;
  /** Every layer's output in execution order, with its quantization status and statistics; trace.get('layer') reads one by name. */
  trace(data: PredictInput, shape?: (number | null)[] | (number | null)[][], options?: TraceOptions): Promise<Keyed<TraceEntry>>;
  trace(data: PredictInput, options: TraceOptions): Promise<Keyed<TraceEntry>>;
  /** The k highest values of each sample of one output, best first: one list for a rank-1 output or plain array, else one list per sample. */
  topK(output: TensorData, k?: number, labels?: string[]): TopKEntry[][];
  topK(output: ArrayLike<number> | { data: ArrayLike<number>; shape: [number] }, k?: number, labels?: string[]): TopKEntry[];
  /** The static quantization analysis (no input needed). */
  analyze(): TensorAnalysis[];
  /** Every weight as the hardware sees it: integer codes, scale, dequantized values, statistics. */
  weights(layerName?: string): Promise<WeightEntry[]>;
  /** An hls4ml config ('name' granularity) with exact ap_fixed types where the analysis proves a grid, and a report of which types are exact. */
  hls4mlConfig(options?: { input?: PredictInput; inputShape?: number[]; bits?: number; reuseFactor?: number; strategy?: string }): Promise<{ config: Hls4mlConfig; report: Hls4mlReportEntry[] }>;
  /** A Keras-like text table with each layer's quantizers. */
  summary(): string;
  /** Frees the WASM memory now (a FinalizationRegistry frees it eventually otherwise) and ends the model's workers (options.threads). */
  dispose(): void;
}

export function loadModel(source: ModelSource, options?: LoadOptions): Promise<Model>;

/** Converts any supported model file into the compact .qkwm format. Deterministic. */
export function convert(source: ModelSource, options?: LoadOptions & { sourceName?: string }): Promise<Uint8Array>;

export function readNpy(bytes: ArrayBuffer | ArrayBufferView, part?: string): TensorData;
/** Reads a NumPy .npz (np.savez / np.savez_compressed): the arrays by key, in archive order. */
export function readNpz(bytes: ArrayBuffer | Uint8Array, part?: string): Record<string, TensorData>;
export function writeNpy(data: ArrayLike<number>, shape: number[]): Uint8Array;

/** A model input read from a file (the CLI's --input and the demo page share it). */
export interface InputFile {
  data: Float32Array;
  /** [n, ...the model input's dims] */
  shape: number[];
  /** What was read, e.g. "cat.jpg: 640×480 image resized (bilinear) to 32×32, pixels p/255". */
  note: string;
  /** The image's own size, or null for an array file. */
  image: { width: number; height: number } | null;
}
/**
 * Reads a model input from a file's bytes: .npy, a JSON nested list or whitespace text (one sample
 * per line), fitted to the model input; or an image, resized (bilinear) and scaled (p/255, p/256,
 * or p/127.5 - 1). Browsers decode any image they can (createImageBitmap); Node decodes PNG.
 */
export function readInput(
  source: ArrayBuffer | ArrayBufferView | Blob,
  name: string,
  inputShape: (number | null)[],
  options?: { scale?: '255' | '256' | 'signed' | 255 | 256; sample?: number | string },
): Promise<InputFile>;
/** Decodes an image file to RGB bytes (createImageBitmap where available, else PNG only). */
export function decodeImage(source: ArrayBuffer | ArrayBufferView, name?: string): Promise<{ width: number; height: number; rgb: Uint8Array }>;

export interface LayerDifference {
  name: string;
  maxAbsDiff: number;
  differing: number;
  count: number;
  missing?: boolean;
}

/** Per-layer max |a − b| and number of differing elements, against another trace or reference arrays keyed by layer name. */
export function compareTraces(a: TraceEntry[], b: TraceEntry[] | Record<string, ArrayLike<number> | { data: ArrayLike<number> }>): LayerDifference[];

/** QKeras's _get_scale: the least-squares (auto) or power-of-two (auto_po2) scale of x against integer levels q. */
export function getScale(
  alpha: 'auto' | 'auto_po2' | number | number[] | null,
  x: ArrayLike<number>,
  q: ArrayLike<number>,
  shape: number[],
  options?: { scale_axis?: number | number[] | null; per_channel_scale?: boolean; elements_per_scale?: number | number[] | null; min_po2_exponent?: number | null; max_po2_exponent?: number | null },
): Promise<{ scale: number[]; shape: number[] }>;
export function getIntegerBits(
  minValue: ArrayLike<number>,
  maxValue: ArrayLike<number>,
  options: { bits: number; symmetric?: boolean; keep_negative?: boolean; is_clipping?: boolean },
): Promise<number[]>;
export function getUnrolledShape(inputShape: number[], unrollFactor: number | number[], unrollAxis: number | number[]): Promise<[number[], number | number[]]>;
export function getRolledBackShape(inputShape: number[], rollAxis: number | number[]): Promise<number[]>;
