/**
 * buildOnnxModel: a single-node ONNX model (ModelProto) encoded in code, so that each bench
 * config gets its own Conv / ConvTranspose / DeformConv model with the weights as
 * initializers. Field numbers follow onnx/onnx.proto (IR version 9, opset 19, where
 * DeformConv first appears): https://github.com/onnx/onnx/blob/main/onnx/onnx.proto
 */
import { ProtobufWriter } from './protobuf-writer';

/** ONNX IR version 9 goes with opsets up to 20. */
export const ONNX_IR_VERSION = 9;
export const ONNX_OPSET = 19;

/** TensorProto.DataType.FLOAT */
const FLOAT = 1;
/** AttributeProto.AttributeType */
const ATTRIBUTE_INT = 2;
const ATTRIBUTE_INTS = 7;

export interface OnnxValueSpec {
  name: string;
  shape: readonly number[];
}

export interface OnnxInitializer extends OnnxValueSpec {
  data: Float32Array;
}

/** A number becomes an INT attribute, a list an INTS attribute. */
export type OnnxAttribute = number | readonly number[];

export interface OnnxNodeModelSpec {
  /** 'Conv', 'ConvTranspose', 'DeformConv'... */
  opType: string;
  /** The node's inputs in operator order; '' skips an optional input. */
  nodeInputs: readonly string[];
  /** Float32 graph inputs fed at run time. */
  graphInputs: readonly OnnxValueSpec[];
  /** Constant float32 tensors (weights), stored as raw little-endian bytes. */
  initializers: readonly OnnxInitializer[];
  output: OnnxValueSpec;
  attributes: Readonly<Record<string, OnnxAttribute>>;
  opset?: number;
}

function valueInfo(spec: OnnxValueSpec): ProtobufWriter {
  const shape = new ProtobufWriter();
  for (const size of spec.shape) shape.message(1, new ProtobufWriter().varint(1, size)); // Dimension.dim_value
  const tensorType = new ProtobufWriter().varint(1, FLOAT).message(2, shape); // elem_type, shape
  const type = new ProtobufWriter().message(1, tensorType); // TypeProto.tensor_type
  return new ProtobufWriter().string(1, spec.name).message(2, type); // ValueInfoProto name, type
}

function initializer(spec: OnnxInitializer): ProtobufWriter {
  const expected = spec.shape.reduce((a, b) => a * b, 1);
  if (spec.data.length !== expected) {
    throw new RangeError(
      `buildOnnxModel: initializer '${spec.name}' has ${spec.data.length} values for shape [${spec.shape.join(', ')}]`,
    );
  }
  const raw = new Uint8Array(spec.data.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < spec.data.length; i++) view.setFloat32(i * 4, spec.data[i]!, true);
  return new ProtobufWriter()
    .packedVarints(1, spec.shape) // dims
    .varint(2, FLOAT) // data_type
    .string(8, spec.name) // name
    .bytes(9, raw); // raw_data
}

function attribute(name: string, value: OnnxAttribute): ProtobufWriter {
  const writer = new ProtobufWriter().string(1, name);
  if (typeof value === 'number') return writer.varint(3, value).varint(20, ATTRIBUTE_INT); // i, type
  return writer.packedVarints(8, value).varint(20, ATTRIBUTE_INTS); // ints, type
}

/** The serialized ModelProto of a graph with one node. */
export function buildOnnxModel(spec: OnnxNodeModelSpec): Uint8Array {
  const node = new ProtobufWriter();
  for (const input of spec.nodeInputs) node.string(1, input);
  node.string(2, spec.output.name).string(3, `${spec.opType.toLowerCase()}0`).string(4, spec.opType);
  for (const [name, value] of Object.entries(spec.attributes)) node.message(5, attribute(name, value));

  const graph = new ProtobufWriter().message(1, node).string(2, `convkit-bench-${spec.opType}`);
  for (const init of spec.initializers) graph.message(5, initializer(init));
  for (const input of spec.graphInputs) graph.message(11, valueInfo(input));
  graph.message(12, valueInfo(spec.output));

  const opsetImport = new ProtobufWriter().string(1, '').varint(2, spec.opset ?? ONNX_OPSET); // default domain
  return new ProtobufWriter()
    .varint(1, ONNX_IR_VERSION) // ir_version
    .string(2, 'convkit-bench') // producer_name
    .message(7, graph) // graph
    .message(8, opsetImport) // opset_import
    .finish();
}
