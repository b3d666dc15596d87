/**
 * ONNX ModelProto bytes → Graph IR. Field numbers follow onnx.proto (IR version 10).
 * Every problem becomes one OnnxFormatError line that names the file.
 */
import { OnnxFormatError, elementCount, type AttrValue, type Dim, type Graph, type Model, type Node, type OpsetImport, type Tensor, type TensorValues, type ValueInfo } from './ir.ts';
import { attributeValue, readStringEntry, readTensorFields, readTypeProto } from './decode-fields.ts';
import { dtypeCodeName, dtypeFromCode } from './dtypes.ts';
import { fromRaw, fromTyped, rawByteLength, typedLength } from './tensor-data.ts';
import { WireError, WireReader, WireType } from './wire.ts';

export interface DecodeOptions {
  /** Returns the bytes of an external data file (e.g. "model.onnx_data"), or undefined when absent. */
  externalData?: (location: string) => Uint8Array | undefined;
  /** Used in error messages; defaults to "model.onnx". */
  fileName?: string;
}

/** Subgraphs (If/Loop bodies) nest; deeper than this is garbage, not a model. */
const MAX_GRAPH_DEPTH = 32;
/** Larger tensors cannot be held in a browser anyway; guards allocation from garbage dims. */
const MAX_ELEMENTS = 2 ** 34;

const { VARINT, BYTES, FIXED32 } = WireType;

export function decodeModel(bytes: Uint8Array, options: DecodeOptions = {}): Model {
  const file = options.fileName ?? 'model.onnx';
  if (bytes.length === 0) throw new OnnxFormatError(`${file} is empty (0 bytes), not an ONNX model`);
  try {
    const model = new ModelDecoder(bytes, file, options.externalData).model();
    if (!model) throw new OnnxFormatError(notOnnx(file, bytes, 'it holds no graph'));
    return model;
  } catch (e) {
    if (e instanceof WireError) throw new OnnxFormatError(notOnnx(file, bytes, e.message));
    // Garbage sizes that slip past the guards fail as allocation errors, not as bugs to hide.
    if (e instanceof RangeError && /allocation|invalid (typed )?array length/i.test(e.message)) {
      throw new OnnxFormatError(notOnnx(file, bytes, e.message));
    }
    throw e;
  }
}

function notOnnx(file: string, bytes: Uint8Array, reason: string): string {
  if (looksLikeText(bytes)) {
    const start = new TextDecoder().decode(bytes.subarray(0, 24)).replace(/\s+/g, ' ').trim();
    return `${file} is not an ONNX model: it is a text file (starts with "${start}")`;
  }
  return `${file} is not an ONNX model: ${reason}`;
}

function looksLikeText(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 512);
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    if (b < 0x09 || (b > 0x0d && b < 0x20) || b === 0x7f) return false;
  }
  return true;
}

class ModelDecoder {
  private depth = 0;

  constructor(
    private readonly buf: Uint8Array,
    private readonly file: string,
    private readonly externalData: DecodeOptions['externalData'],
  ) {}

  private bad(message: string): never {
    // Names come from the file; garbage ones must not break the one-line message.
    throw new OnnxFormatError(`${this.file}: ${message.replace(/[\x00-\x1f\x7f]/g, '?')}`);
  }

  model(): Model | undefined {
    const r = new WireReader(this.buf);
    const model: Model = { irVersion: 0, opsets: [], producerName: '', producerVersion: '', metadata: {}, graph: emptyGraph() };
    let graph: Graph | undefined;
    while (!r.done) {
      const { field, wireType } = r.readTag();
      switch (field) {
        case 1:
          r.expect(wireType, VARINT, 'ir_version');
          model.irVersion = r.readInt64();
          break;
        case 2:
          r.expect(wireType, BYTES, 'producer_name');
          model.producerName = r.readString();
          break;
        case 3:
          r.expect(wireType, BYTES, 'producer_version');
          model.producerVersion = r.readString();
          break;
        case 7:
          r.expect(wireType, BYTES, 'graph');
          graph = this.graph(r.readMessage());
          break;
        case 8:
          r.expect(wireType, BYTES, 'opset_import');
          model.opsets.push(this.opset(r.readMessage()));
          break;
        case 14: {
          r.expect(wireType, BYTES, 'metadata_props');
          const [k, v] = readStringEntry(r.readMessage());
          model.metadata[k] = v;
          break;
        }
        default:
          r.skip(wireType);
      }
    }
    if (!graph) return undefined;
    model.graph = graph;
    return model;
  }

  private opset(r: WireReader): OpsetImport {
    const o: OpsetImport = { domain: '', version: 0 };
    while (!r.done) {
      const { field, wireType } = r.readTag();
      if (field === 1 && wireType === BYTES) o.domain = r.readString();
      else if (field === 2 && wireType === VARINT) o.version = r.readInt64();
      else r.skip(wireType);
    }
    return o;
  }

  private graph(r: WireReader): Graph {
    if (++this.depth > MAX_GRAPH_DEPTH) r.fail(`subgraphs nested deeper than ${MAX_GRAPH_DEPTH}`);
    const g = emptyGraph();
    const declaredInputs: ValueInfo[] = [];
    while (!r.done) {
      const { field, wireType } = r.readTag();
      switch (field) {
        case 1:
          r.expect(wireType, BYTES, 'graph.node');
          g.nodes.push(this.node(r.readMessage()));
          break;
        case 2:
          r.expect(wireType, BYTES, 'graph.name');
          g.name = r.readString();
          break;
        case 5: {
          r.expect(wireType, BYTES, 'graph.initializer');
          const t = this.tensor(r.readMessage());
          g.initializers.set(t.name, t);
          break;
        }
        case 11:
          r.expect(wireType, BYTES, 'graph.input');
          declaredInputs.push(this.valueInfo(r.readMessage(), 'input'));
          break;
        case 12:
          r.expect(wireType, BYTES, 'graph.output');
          g.outputs.push(this.valueInfo(r.readMessage(), 'output'));
          break;
        case 13: {
          r.expect(wireType, BYTES, 'graph.value_info');
          const vi = this.valueInfo(r.readMessage(), 'value_info');
          if (vi) g.valueInfo.set(vi.name, vi);
          break;
        }
        case 15:
          return this.bad(`graph "${g.name}" uses sparse initializers, which are not supported`);
        default:
          r.skip(wireType);
      }
    }
    g.inputs = declaredInputs.filter((v) => !g.initializers.has(v.name));
    this.depth--;
    return g;
  }

  private node(r: WireReader): Node {
    const n: Node = { name: '', opType: '', domain: '', inputs: [], outputs: [], attrs: {} };
    while (!r.done) {
      const { field, wireType } = r.readTag();
      switch (field) {
        case 1:
          r.expect(wireType, BYTES, 'node.input');
          n.inputs.push(r.readString());
          break;
        case 2:
          r.expect(wireType, BYTES, 'node.output');
          n.outputs.push(r.readString());
          break;
        case 3:
          r.expect(wireType, BYTES, 'node.name');
          n.name = r.readString();
          break;
        case 4:
          r.expect(wireType, BYTES, 'node.op_type');
          n.opType = r.readString();
          break;
        case 7:
          r.expect(wireType, BYTES, 'node.domain');
          n.domain = r.readString();
          break;
        case 5: {
          r.expect(wireType, BYTES, 'node.attribute');
          const [name, value] = this.attribute(r.readMessage());
          if (value) n.attrs[name] = value;
          break;
        }
        default:
          r.skip(wireType);
      }
    }
    if (!n.opType) r.fail('a node without op_type');
    return n;
  }

  /** Returns undefined for attribute kinds the IR does not represent (tensor/graph lists, sparse, types). */
  private attribute(r: WireReader): [string, AttrValue | undefined] {
    let name = '';
    let type = 0;
    let f: number | undefined;
    let i: number | undefined;
    let s: string | undefined;
    let t: Tensor | undefined;
    let g: Graph | undefined;
    const floats: number[] = [];
    const ints: number[] = [];
    const strings: string[] = [];
    while (!r.done) {
      const { field, wireType } = r.readTag();
      switch (field) {
        case 1:
          r.expect(wireType, BYTES, 'attribute.name');
          name = r.readString();
          break;
        case 20:
          r.expect(wireType, VARINT, 'attribute.type');
          type = r.readVarint();
          break;
        case 2:
          r.expect(wireType, FIXED32, 'attribute.f');
          f = r.readFixed32Float();
          break;
        case 3:
          r.expect(wireType, VARINT, 'attribute.i');
          i = r.readInt64();
          break;
        case 4:
          r.expect(wireType, BYTES, 'attribute.s');
          s = r.readString();
          break;
        case 5:
          r.expect(wireType, BYTES, 'attribute.t');
          t = this.tensor(r.readMessage());
          break;
        case 6:
          r.expect(wireType, BYTES, 'attribute.g');
          g = this.graph(r.readMessage());
          break;
        case 7:
          r.readRepeatedFloat(wireType, floats);
          break;
        case 8:
          r.readRepeatedInt64(wireType, ints);
          break;
        case 9:
          r.expect(wireType, BYTES, 'attribute.strings');
          strings.push(r.readString());
          break;
        default:
          r.skip(wireType);
      }
    }
    return attributeValue(name, type, { f, i, s, t, g, floats, ints, strings }, (message) => this.bad(message));
  }

  private tensor(r: WireReader): Tensor {
    const { dims, code, name, raw, external, externalEntries: external_, floats, ints, doubles, strings, start } = readTensorFields(r);
    const label = `tensor "${name}"`;
    const dtype = dtypeFromCode(code);
    if (!dtype) return this.bad(`${label} has unsupported type ${dtypeCodeName(code)}`);
    if (dims.some((d) => d < 0 || !Number.isInteger(d))) r.fail(`${label} has invalid dims [${dims.join(', ')}]`, start);
    const count = elementCount(dims);
    if (count > MAX_ELEMENTS) r.fail(`${label} has implausible dims [${dims.join(', ')}]`, start);

    let data: TensorValues;
    if (dtype === 'string') {
      if (strings.length !== count) this.bad(`${label} has ${strings.length} strings but dims [${dims.join(', ')}] need ${count}`);
      data = strings;
    } else if (external) {
      data = fromRaw(dtype, this.externalBytes(label, external_, rawByteLength(dtype, count)), count);
    } else if (raw) {
      const need = rawByteLength(dtype, count);
      if (raw.length !== need) this.bad(`${label} has ${raw.length} bytes of raw_data but ${dtype} dims [${dims.join(', ')}] need ${need}`);
      data = fromRaw(dtype, raw, count);
    } else {
      const values = dtype === 'float32' ? floats : dtype === 'float64' ? doubles : ints;
      const need = typedLength(dtype, count);
      if (values.length !== need) this.bad(`${label} has ${values.length} values but ${dtype} dims [${dims.join(', ')}] need ${need}`);
      data = fromTyped(dtype, values, count);
    }
    return { name, dtype, dims, data };
  }

  private externalBytes(label: string, entries: Record<string, string>, need: number): Uint8Array {
    const location = entries['location'];
    if (!location) return this.bad(`${label} is marked as external data but names no location`);
    const file = this.externalData?.(location);
    if (!file) return this.bad(`${label} is stored in the external data file "${location}", which was not provided; add ${location} next to the model`);
    const offset = Number(entries['offset'] ?? 0);
    const length = entries['length'] !== undefined ? Number(entries['length']) : need;
    if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(length)) this.bad(`${label} has invalid external offset/length`);
    if (length !== need) this.bad(`${label} has external length ${length} but its dims need ${need} bytes`);
    if (offset + length > file.length) {
      this.bad(`${label} needs bytes ${offset}..${offset + length} of "${location}", which has only ${file.length} bytes`);
    }
    return file.subarray(offset, offset + length);
  }

  private valueInfo(r: WireReader, role: string): ValueInfo;
  private valueInfo(r: WireReader, role: 'value_info'): ValueInfo | undefined;
  private valueInfo(r: WireReader, role: string): ValueInfo | undefined {
    let name = '';
    let type: { code: number; shape: Dim[] | null } | undefined;
    while (!r.done) {
      const { field, wireType } = r.readTag();
      if (field === 1 && wireType === BYTES) name = r.readString();
      else if (field === 2 && wireType === BYTES) type = readTypeProto(r.readMessage());
      else r.skip(wireType);
    }
    if (!type) {
      // Sequences, maps and optionals: only the graph's own inputs/outputs must be tensors.
      if (role === 'value_info') return undefined;
      return this.bad(`graph ${role} "${name}" is not a tensor`);
    }
    const dtype = dtypeFromCode(type.code);
    if (!dtype) {
      if (role === 'value_info') return undefined;
      return this.bad(`graph ${role} "${name}" has unsupported type ${dtypeCodeName(type.code)}`);
    }
    return { name, dtype, shape: type.shape };
  }
}

function emptyGraph(): Graph {
  return { name: '', nodes: [], initializers: new Map(), inputs: [], outputs: [], valueInfo: new Map() };
}
