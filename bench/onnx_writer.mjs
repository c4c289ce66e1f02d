// A small ONNX graph builder: nodes, initializers and typed inputs/outputs, serialized with
// protobufjs against the hand-written schema in bench/onnx.proto.
import protobuf from 'protobufjs';
import { fileURLToPath } from 'node:url';

const DTYPE = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7 };
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 };

let root = null;
async function schema() {
  root ??= await new protobuf.Root().load(fileURLToPath(new URL('./onnx.proto', import.meta.url)), { keepCase: true });
  return root;
}

function attribute(name, value) {
  if (typeof value === 'string') return { name, type: ATTR.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) {
    return value.every(Number.isInteger) ? { name, type: ATTR.INTS, ints: value } : { name, type: ATTR.FLOATS, floats: value };
  }
  if (typeof value === 'object' && value.float !== undefined) return { name, type: ATTR.FLOAT, f: value.float };
  return Number.isInteger(value) ? { name, type: ATTR.INT, i: value } : { name, type: ATTR.FLOAT, f: value };
}

export class OnnxGraph {
  constructor(name) {
    this.name = name;
    this.nodes = [];
    this.initializers = [];
    this.inputs = [];
    this.outputs = [];
    this.count = 0;
  }

  /** A fresh value name with a readable prefix. */
  fresh(prefix) {
    return `${prefix}_${this.count++}`;
  }

  /** Adds a constant tensor; `type` is float32, uint8, int8, int32 or int64. Returns its name. */
  constant(prefix, type, dims, values) {
    const name = this.fresh(prefix);
    const Array_ = { float32: Float32Array, uint8: Uint8Array, int8: Int8Array, int32: Int32Array, int64: BigInt64Array }[type];
    const data = type === 'int64' ? Array_.from(values, (v) => BigInt(v)) : Array_.from(values);
    this.initializers.push({ name, dims, data_type: DTYPE[type], raw_data: new Uint8Array(data.buffer) });
    return name;
  }

  /** Adds a node; returns its output name (or names when `outputs` > 1). */
  node(opType, inputs, attributes = {}, { domain = '', outputs = 1, name = null } = {}) {
    const outs = Array.from({ length: outputs }, () => this.fresh(opType.toLowerCase()));
    this.nodes.push({
      op_type: opType,
      domain,
      name: name ?? this.fresh(opType),
      input: inputs,
      output: outs,
      attribute: Object.entries(attributes).map(([k, v]) => attribute(k, v)),
    });
    return outputs === 1 ? outs[0] : outs;
  }

  input(name, type, dims) {
    this.inputs.push({ name, type: { tensor_type: { elem_type: DTYPE[type], shape: { dim: dims.map((d) => ({ dim_value: d })) } } } });
    return name;
  }

  /** Marks `value` as a graph output named `name` (an Identity node renames it). */
  output(value, name, type, dims) {
    this.nodes.push({ op_type: 'Identity', name: this.fresh('Identity'), input: [value], output: [name] });
    this.outputs.push({ name, type: { tensor_type: { elem_type: DTYPE[type], shape: { dim: dims.map((d) => ({ dim_value: d })) } } } });
  }

  async serialize({ opset = 13 } = {}) {
    const Model = (await schema()).lookupType('onnx.ModelProto');
    const message = Model.fromObject({
      ir_version: 8,
      producer_name: 'qkeras-wasm bench',
      producer_version: '0.1.0',
      opset_import: [{ domain: '', version: opset }],
      graph: { name: this.name, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    });
    const problem = Model.verify(message);
    if (problem) throw new Error(`ONNX model '${this.name}': ${problem}`);
    return Model.encode(message).finish();
  }
}
