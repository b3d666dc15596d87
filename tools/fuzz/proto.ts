/**
 * A protobuf wire-format tree for mutating ONNX files field by field: messages parsed where the
 * ONNX schema says a field is a message, everything else kept as raw values, written back exactly.
 */

export type Field =
  | { field: number; wire: 0; value: bigint }
  | { field: number; wire: 1 | 5; value: Uint8Array }
  | { field: number; wire: 2; value: Uint8Array; message?: Message; kind?: string };

export interface Message {
  kind: string;
  fields: Field[];
}

/** Which length-delimited fields hold which messages, per message kind (onnx.proto). */
const SCHEMA: Record<string, Record<number, string>> = {
  Model: { 7: 'Graph', 8: 'Opset', 14: 'Entry' },
  Graph: { 1: 'Node', 5: 'Tensor', 11: 'ValueInfo', 12: 'ValueInfo', 13: 'ValueInfo' },
  Node: { 5: 'Attribute' },
  Attribute: { 5: 'Tensor', 6: 'Graph' },
  ValueInfo: { 2: 'Type' },
  Type: { 1: 'TensorType' },
  TensorType: { 2: 'Shape' },
  Shape: { 1: 'Dim' },
  Tensor: { 13: 'Entry' },
};

function readVarint(b: Uint8Array, at: { p: number }): bigint {
  // Most varints are short: read up to 4 bytes as a number, the rest as a bigint.
  let small = 0;
  for (let k = 0; k < 4; k++) {
    if (at.p >= b.length) throw new Error('bad varint');
    const byte = b[at.p++]!;
    small |= (byte & 0x7f) << (7 * k);
    if (!(byte & 0x80)) return BigInt(small >>> 0);
  }
  let v = BigInt(small >>> 0);
  let shift = 28n;
  for (;;) {
    if (at.p >= b.length || shift > 63n) throw new Error('bad varint');
    const byte = b[at.p++]!;
    v |= BigInt(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return v;
    shift += 7n;
  }
}

export function parse(b: Uint8Array, kind: string): Message {
  const fields: Field[] = [];
  const at = { p: 0 };
  while (at.p < b.length) {
    const tag = Number(readVarint(b, at));
    const field = tag >>> 3;
    const wire = tag & 7;
    if (wire === 0) fields.push({ field, wire, value: readVarint(b, at) });
    else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      if (at.p + n > b.length) throw new Error('short fixed');
      fields.push({ field, wire, value: b.subarray(at.p, at.p + n) });
      at.p += n;
    } else if (wire === 2) {
      const n = Number(readVarint(b, at));
      if (at.p + n > b.length) throw new Error('short bytes');
      // Views, not copies: mutations replace a field's value, never write into it.
      const value = b.subarray(at.p, at.p + n);
      at.p += n;
      const sub = SCHEMA[kind]?.[field];
      fields.push(sub ? { field, wire, value, message: parse(value, sub), kind: sub } : { field, wire, value });
    } else throw new Error(`wire type ${wire}`);
  }
  return { kind, fields };
}

function varint(v: bigint): number[] {
  if (v >= 0n && v < 0x10000000n) {
    let x = Number(v);
    const out: number[] = [];
    while (x >= 0x80) {
      out.push((x & 0x7f) | 0x80);
      x >>>= 7;
    }
    out.push(x);
    return out;
  }
  let x = BigInt.asUintN(64, v);
  const out: number[] = [];
  do {
    const byte = Number(x & 0x7fn);
    x >>= 7n;
    out.push(x ? byte | 0x80 : byte);
  } while (x);
  return out;
}

export function serialize(m: Message): Uint8Array {
  const parts: number[] = [];
  const chunks: Uint8Array[] = [];
  const flush = () => {
    if (parts.length) chunks.push(Uint8Array.from(parts.splice(0)));
  };
  for (const f of m.fields) {
    parts.push(...varint(BigInt((f.field << 3) | f.wire)));
    if (f.wire === 0) parts.push(...varint(f.value));
    else if (f.wire === 2) {
      const body = f.message ? serialize(f.message) : f.value;
      parts.push(...varint(BigInt(body.length)));
      flush();
      chunks.push(body);
    } else {
      flush();
      chunks.push(f.value);
    }
  }
  flush();
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let p = 0;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}

/** Every message in the tree with its parent field, depth first. */
export function walk(m: Message, visit: (m: Message, parent: Field | null) => void, parent: Field | null = null): void {
  visit(m, parent);
  for (const f of m.fields) if (f.wire === 2 && f.message) walk(f.message, visit, f);
}

export const text = (f: Field | undefined) => (f && f.wire === 2 ? new TextDecoder().decode(f.value) : '');
export const bytesField = (field: number, s: string | Uint8Array): Field => ({ field, wire: 2, value: typeof s === 'string' ? new TextEncoder().encode(s) : s });

/** Packed repeated varints (dims, ints) as one list, whichever way they were written. */
export function varints(m: Message, field: number): bigint[] {
  const out: bigint[] = [];
  for (const f of m.fields) {
    if (f.field !== field) continue;
    if (f.wire === 0) out.push(f.value);
    else if (f.wire === 2) {
      const at = { p: 0 };
      while (at.p < f.value.length) out.push(readVarint(f.value, at));
    }
  }
  return out;
}

export function setVarints(m: Message, field: number, values: bigint[]): void {
  const first = m.fields.findIndex((f) => f.field === field);
  const rest = m.fields.filter((f) => f.field !== field);
  const packed: Field = { field, wire: 2, value: Uint8Array.from(values.flatMap(varint)) };
  rest.splice(first < 0 ? rest.length : first, 0, packed);
  m.fields = rest;
}
