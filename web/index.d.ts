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

/** Where the browser loads qkeras_wasm.wasm from (default: next to the JS glue). Call before first use. */
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

export interface LoadOptions {
  onProgress?: (progress: LoadProgress) => void;
  internalSigmoid?: 'hard' | 'smooth' | 'real';
  qnoiseFactor?: number;
  /** Run conv/dense/depthwise layers on integer kernels where the analysis proves the result
   *  bit-identical to float32 (default true); false keeps every float kernel (for comparisons). */
  integerKernels?: boolean;
  /** Run the elementwise layers that follow a conv/dense layer (BN, ReLU, QActivation, Activation)
   *  in place on its output in predict(), bit-identical (default true); trace() always runs them
   *  separately. false: every layer separately (for comparisons). */
  fuse?: boolean;
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
   *  'f32_conv2d_simd'); null for layers without a kernel of their own. */
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
  /** Every value lies on the declared grid (null when there is no fixed grid). */
  onGrid: boolean | null;
  offGridCount: number;
  offGridExamples: number[];
  count: number;
  nanCount: number;
  infCount: number;
}

export interface TraceEntry {
  name: string;
  className: string;
  inputs: string[];
  shape: number[];
  /** null with includeData: false. */
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
}

export interface TraceOptions {
  /** Only these layers (by name). Default: all. */
  layers?: string[];
  /** Copy every layer's output into the result (default true). */
  includeData?: boolean;
  histogramBins?: number;
}

export type PredictInput = ArrayLike<number> | (ArrayLike<number> | TensorData)[] | Record<string, ArrayLike<number> | TensorData>;

export class Model {
  readonly name: string;
  readonly inputs: TensorSpec[];
  readonly outputs: TensorSpec[];
  readonly layers: LayerDescription[];
  readonly converted: boolean;
  readonly provenance: { source: string | null; kerasVersion: string | null; [key: string]: unknown };
  readonly disposed: boolean;
  /** The normalized graph the model was built from (every layer's Keras config). */
  readonly graph: { name?: string; layers: { name: string; className: string; config: Record<string, unknown>; inbound: [string, number, number][] }[]; [key: string]: unknown };
  /**
   * QKeras's model.predict. A bare TensorData for single-output models, an array for
   * multi-output ones (pass TensorData[] as the type argument there).
   */
  predict<T extends TensorData | TensorData[] = TensorData>(data: PredictInput, shape?: number[] | number[][]): Promise<T>;
  /** Every layer's output in execution order, with its quantization status and statistics. */
  trace(data: PredictInput, shape?: number[] | number[][], options?: TraceOptions): Promise<TraceEntry[]>;
  /** The static quantization analysis (no input needed). */
  analyze(): TensorAnalysis[];
  /** A Keras-like text table with each layer's quantizers. */
  summary(): string;
  /** Frees the WASM memory now (a FinalizationRegistry frees it eventually otherwise). */
  dispose(): void;
}

export function loadModel(source: ModelSource, options?: LoadOptions): Promise<Model>;

/** Converts any supported model file into the compact .qkwm format. Deterministic. */
export function convert(source: ModelSource, options?: LoadOptions & { sourceName?: string }): Promise<Uint8Array>;

export function readNpy(bytes: ArrayBuffer | ArrayBufferView, part?: string): TensorData;
export function writeNpy(data: ArrayLike<number>, shape: number[]): Uint8Array;

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
