/**
 * The leaf messages of an ONNX model read off the wire for decode.ts: a TensorProto's fields
 * (checked there), an attribute's value by its type, TypeProto with its shape, and string
 * entries. Field numbers follow onnx.proto (IR version 10).
 */
import type { AttrValue, Dim, Graph, Tensor } from './ir.ts';
import { type WireReader, WireType } from './wire.ts';

const { VARINT, BYTES } = WireType;

/** A StringStringEntryProto (metadata_props, external_data) as [key, value]. */
export function readStringEntry(r: WireReader): [string, string] {
  let key = '';
  let value = '';
  while (!r.done) {
    const { field, wireType } = r.readTag();
    if (field === 1 && wireType === BYTES) key = r.readString();
    else if (field === 2 && wireType === BYTES) value = r.readString();
    else r.skip(wireType);
  }
  return [key, value];
}

/** A TensorProto's fields as they are on the wire, before any check. */
export interface TensorFields {
  name: string;
  /** The element type's code (TensorProto.DataType). */
  code: number;
  dims: number[];
  raw?: Uint8Array;
  /** data_location is EXTERNAL. */
  external: boolean;
  externalEntries: Record<string, string>;
  floats: number[];
  /** int32_data, int64_data, uint64_data (only one is used per dtype). */
  ints: number[];
  doubles: number[];
  strings: string[];
  /** Where the message starts, for errors about it. */
  start: number;
}

export function readTensorFields(r: WireReader): TensorFields {
  const f: TensorFields = { name: '', code: 0, dims: [], external: false, externalEntries: {}, floats: [], ints: [], doubles: [], strings: [], start: r.pos };
  while (!r.done) {
    const { field, wireType } = r.readTag();
    switch (field) {
      case 1:
        r.readRepeatedInt64(wireType, f.dims);
        break;
      case 2:
        r.expect(wireType, VARINT, 'tensor.data_type');
        f.code = r.readInt64();
        break;
      case 4:
        r.readRepeatedFloat(wireType, f.floats);
        break;
      case 5:
      case 7:
        r.readRepeatedInt64(wireType, f.ints);
        break;
      case 11:
        r.readRepeatedInt64(wireType, f.ints, true);
        break;
      case 6:
        r.expect(wireType, BYTES, 'tensor.string_data');
        f.strings.push(r.readString());
        break;
      case 8:
        r.expect(wireType, BYTES, 'tensor.name');
        f.name = r.readString();
        break;
      case 9:
        r.expect(wireType, BYTES, 'tensor.raw_data');
        f.raw = r.readBytes();
        break;
      case 10:
        r.readRepeatedDouble(wireType, f.doubles);
        break;
      case 13: {
        r.expect(wireType, BYTES, 'tensor.external_data');
        const [k, v] = readStringEntry(r.readMessage());
        f.externalEntries[k] = v;
        break;
      }
      case 14:
        r.expect(wireType, VARINT, 'tensor.data_location');
        f.external = r.readVarint() === 1;
        break;
      default:
        r.skip(wireType);
    }
  }
  return f;
}

/** An AttributeProto's value fields as read; its type says which one holds the value. */
export interface AttributeFields {
  f?: number;
  i?: number;
  s?: string;
  t?: Tensor;
  g?: Graph;
  floats: number[];
  ints: number[];
  strings: string[];
}

/** An attribute's value by its type; undefined for kinds the IR does not represent (tensor/graph lists, sparse, types). */
export function attributeValue(name: string, type: number, v: AttributeFields, bad: (message: string) => never): [string, AttrValue | undefined] {
  // Old files may omit `type`; infer it from the field that is present.
  if (type === 0) {
    type = v.f !== undefined ? 1 : v.i !== undefined ? 2 : v.s !== undefined ? 3 : v.t ? 4 : v.g ? 5 : v.floats.length ? 6 : v.ints.length ? 7 : v.strings.length ? 8 : 0;
  }
  switch (type) {
    case 1:
      return [name, { type: 'float', value: v.f ?? 0 }];
    case 2:
      return [name, { type: 'int', value: v.i ?? 0 }];
    case 3:
      return [name, { type: 'string', value: v.s ?? '' }];
    case 4:
      if (!v.t) return bad(`attribute "${name}" says TENSOR but holds no tensor`);
      return [name, { type: 'tensor', value: v.t }];
    case 5:
      if (!v.g) return bad(`attribute "${name}" says GRAPH but holds no graph`);
      return [name, { type: 'graph', value: v.g }];
    case 6:
      return [name, { type: 'floats', value: v.floats }];
    case 7:
      return [name, { type: 'ints', value: v.ints }];
    case 8:
      return [name, { type: 'strings', value: v.strings }];
    default:
      return [name, undefined];
  }
}

/** A TypeProto's element type code and shape; only tensor types, other kinds return undefined. */
export function readTypeProto(r: WireReader): { code: number; shape: Dim[] | null } | undefined {
  let result: { code: number; shape: Dim[] | null } | undefined;
  while (!r.done) {
    const { field, wireType } = r.readTag();
    if (field === 1 && wireType === BYTES) {
      const t = r.readMessage();
      result = { code: 0, shape: null };
      while (!t.done) {
        const tag = t.readTag();
        if (tag.field === 1 && tag.wireType === VARINT) result.code = t.readInt64();
        else if (tag.field === 2 && tag.wireType === BYTES) result.shape = readShape(t.readMessage());
        else t.skip(tag.wireType);
      }
    } else r.skip(wireType);
  }
  return result;
}

function readShape(r: WireReader): Dim[] {
  const dims: Dim[] = [];
  while (!r.done) {
    const { field, wireType } = r.readTag();
    if (field !== 1 || wireType !== BYTES) {
      r.skip(wireType);
      continue;
    }
    const d = r.readMessage();
    let dim: Dim = null;
    while (!d.done) {
      const tag = d.readTag();
      if (tag.field === 1 && tag.wireType === VARINT) dim = d.readInt64();
      else if (tag.field === 2 && tag.wireType === BYTES) dim = d.readString();
      else d.skip(tag.wireType);
    }
    dims.push(dim);
  }
  return dims;
}
