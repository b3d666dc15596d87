/**
 * Graph IR → ONNX ModelProto bytes. Tensors are written as little-endian raw_data
 * (4-bit types packed two per byte, low nibble first; strings as string_data).
 */
import type { AttrValue, Graph, Model, Node, Tensor, ValueInfo } from './ir.ts';
import { dtypeToCode } from './dtypes.ts';
import { toRaw } from './tensor-data.ts';
import { WireWriter } from './wire.ts';

export interface ExternalDataOptions {
  /** File name recorded in the model, e.g. "model.onnx_data"; the data file must sit beside the model. */
  location: string;
  /** Tensors with fewer raw bytes stay inside the model (default 1024). */
  minBytes?: number;
}

export function encodeModel(model: Model): Uint8Array {
  return new ModelEncoder(undefined).model(model).finish();
}

/** Writes large initializers to a separate data file, the layout onnx.save_model(..., save_as_external_data=True) uses. */
export function encodeModelWithExternalData(model: Model, options: ExternalDataOptions): { model: Uint8Array; data: Uint8Array } {
  const enc = new ModelEncoder({ location: options.location, minBytes: options.minBytes ?? 1024 });
  const bytes = enc.model(model).finish();
  return { model: bytes, data: enc.externalBytes() };
}

interface ExternalSink {
  location: string;
  minBytes: number;
}

class ModelEncoder {
  private dataChunks: Uint8Array[] = [];
  private dataLength = 0;

  constructor(readonly external: ExternalSink | undefined) {}

  model(m: Model): WireWriter {
    const w = new WireWriter();
    w.int(1, m.irVersion);
    w.string(2, m.producerName);
    if (m.producerVersion) w.string(3, m.producerVersion);
    w.message(7, this.graph(m.graph, true, m.irVersion < 4));
    for (const o of m.opsets) {
      const ow = new WireWriter();
      if (o.domain) ow.string(1, o.domain);
      ow.int(2, o.version);
      w.message(8, ow);
    }
    for (const [k, v] of Object.entries(m.metadata)) w.message(14, stringEntry(k, v));
    return w;
  }

  /** Before IR version 4 every initializer also had to be declared as a graph input. */
  private graph(g: Graph, topLevel: boolean, initializersAsInputs = false): WireWriter {
    const w = new WireWriter();
    for (const n of g.nodes) w.message(1, this.node(n));
    w.string(2, g.name);
    for (const t of g.initializers.values()) w.message(5, this.tensor(t, topLevel));
    for (const v of g.inputs) w.message(11, valueInfo(v));
    if (initializersAsInputs) {
      for (const t of g.initializers.values()) w.message(11, valueInfo({ name: t.name, dtype: t.dtype, shape: t.dims }));
    }
    for (const v of g.outputs) w.message(12, valueInfo(v));
    for (const v of g.valueInfo.values()) w.message(13, valueInfo(v));
    return w;
  }

  private node(n: Node): WireWriter {
    const w = new WireWriter();
    for (const i of n.inputs) w.string(1, i);
    for (const o of n.outputs) w.string(2, o);
    if (n.name) w.string(3, n.name);
    w.string(4, n.opType);
    for (const [name, a] of Object.entries(n.attrs)) w.message(5, this.attribute(name, a));
    if (n.domain) w.string(7, n.domain);
    return w;
  }

  private attribute(name: string, a: AttrValue): WireWriter {
    const w = new WireWriter();
    w.string(1, name);
    switch (a.type) {
      case 'float':
        w.float(2, a.value).int(20, 1);
        break;
      case 'int':
        w.int(3, a.value).int(20, 2);
        break;
      case 'string':
        w.string(4, a.value).int(20, 3);
        break;
      case 'tensor':
        w.message(5, this.tensor(a.value, false)).int(20, 4);
        break;
      case 'graph':
        w.message(6, this.graph(a.value, false)).int(20, 5);
        break;
      case 'floats':
        w.packedFloats(7, a.value).int(20, 6);
        break;
      case 'ints':
        w.packedInts(8, a.value).int(20, 7);
        break;
      case 'strings':
        for (const s of a.value) w.string(9, s);
        w.int(20, 8);
        break;
    }
    return w;
  }

  private tensor(t: Tensor, mayBeExternal: boolean): WireWriter {
    const w = new WireWriter();
    if (t.dims.length) w.packedInts(1, t.dims);
    w.int(2, dtypeToCode(t.dtype));
    w.string(8, t.name);
    if (Array.isArray(t.data)) {
      for (const s of t.data) w.string(6, s);
      return w;
    }
    const raw = toRaw(t.dtype, t.data);
    if (mayBeExternal && this.external && raw.length >= this.external.minBytes) {
      // Align each tensor to 64 bytes so the data file can be memory-mapped as typed arrays.
      const pad = (64 - (this.dataLength % 64)) % 64;
      if (pad) this.appendData(new Uint8Array(pad));
      const offset = this.dataLength;
      this.appendData(raw);
      w.message(13, stringEntry('location', this.external.location));
      w.message(13, stringEntry('offset', String(offset)));
      w.message(13, stringEntry('length', String(raw.length)));
      w.int(14, 1);
    } else {
      w.bytes(9, raw);
    }
    return w;
  }

  externalBytes(): Uint8Array {
    const out = new Uint8Array(this.dataLength);
    let at = 0;
    for (const c of this.dataChunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  private appendData(bytes: Uint8Array): void {
    this.dataChunks.push(bytes);
    this.dataLength += bytes.length;
  }
}

function stringEntry(key: string, value: string): WireWriter {
  return new WireWriter().string(1, key).string(2, value);
}

function valueInfo(v: ValueInfo): WireWriter {
  const tensorType = new WireWriter().int(1, dtypeToCode(v.dtype));
  if (v.shape) {
    const shape = new WireWriter();
    for (const d of v.shape) {
      const dim = new WireWriter();
      if (typeof d === 'number') dim.int(1, d);
      else if (typeof d === 'string') dim.string(2, d);
      shape.message(1, dim);
    }
    tensorType.message(2, shape);
  }
  const type = new WireWriter().message(1, tensorType);
  return new WireWriter().string(1, v.name).message(2, type);
}
