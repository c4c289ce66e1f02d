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
  /** QKeras's model.predict. One result per output (a bare TensorData for single-output models). */
  predict(data: PredictInput, shape?: number[] | number[][]): Promise<TensorData | TensorData[]>;
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
