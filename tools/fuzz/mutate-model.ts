/**
 * Mutations of ONNX fixture models: raw byte flips and truncation, and field-aware edits of the
 * protobuf tree (dims, attributes, initializer data and types, edges, nodes, names). Each case
 * applies one to three, chosen by a seeded generator, and records what it did.
 */
import { bytesField, parse, serialize, setVarints, text, varints, walk, type Field, type Message } from './proto.ts';

export type Rng = () => number;

/** mulberry32: small, fast, seeded. */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(r: Rng, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;
const chance = (r: Rng, p: number) => r() < p;

const EXTREMES = [0n, -1n, 1n, 2n, 3n, -2n, 7n, 255n, 65536n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n, 2n ** 40n, 2n ** 62n, -(2n ** 63n), 100000n, 60000n];
const NAMES = ['', 'x\u001b[31mred\u001b[0m', 'a'.repeat(3000), '\u202eevil', 'zz_dangling', '../../etc/passwd', 'line\nbreak'];

function extreme(r: Rng, old: bigint): bigint {
  return chance(r, 0.7) ? pick(r, EXTREMES) : old * BigInt(pick(r, [2, 3, 10, 1000])) + BigInt(pick(r, [-1, 0, 1]));
}

interface Tree {
  root: Message;
  nodes: Message[];
  tensors: Message[];
  attrs: Message[];
  dims: Message[];
  graphs: Message[];
  valueNames: string[];
}

function index(root: Message): Tree {
  const t: Tree = { root, nodes: [], tensors: [], attrs: [], dims: [], graphs: [], valueNames: [] };
  walk(root, (m) => {
    if (m.kind === 'Node') {
      t.nodes.push(m);
      for (const f of m.fields) if (f.field === 1 || f.field === 2) t.valueNames.push(text(f));
    } else if (m.kind === 'Tensor') t.tensors.push(m);
    else if (m.kind === 'Attribute') t.attrs.push(m);
    else if (m.kind === 'Dim') t.dims.push(m);
    else if (m.kind === 'Graph') t.graphs.push(m);
  });
  return t;
}

type Mutation = (t: Tree, r: Rng) => string | null;

const tensorDims: Mutation = (t, r) => {
  const m = pick(r, t.tensors);
  const dims = varints(m, 1);
  if (dims.length === 0 || chance(r, 0.1)) dims.push(pick(r, EXTREMES));
  else {
    const i = Math.floor(r() * dims.length);
    dims[i] = extreme(r, dims[i]!);
  }
  setVarints(m, 1, dims);
  // Keep the data length consistent when it is small, so the decoder lets the graph through.
  const raw = m.fields.find((f) => f.field === 9 && f.wire === 2);
  const count = dims.reduce((a, b) => a * b, 1n);
  const width = raw && raw.wire === 2 ? raw.value.length / Math.max(1, Number(varints(m, 1).length ? count : 1n)) : 0;
  if (raw && raw.wire === 2 && count >= 0n && count <= 4096n && chance(r, 0.7)) raw.value = new Uint8Array(Number(count) * Math.max(1, Math.round(width) || 4));
  return `tensor ${text(m.fields.find((f) => f.field === 8))} dims → [${dims.join(',')}]`;
};

const tensorType: Mutation = (t, r) => {
  const m = pick(r, t.tensors);
  const f = m.fields.find((x) => x.field === 2);
  const code = BigInt(pick(r, [0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 16, 21, 22, 23, 99]));
  if (f && f.wire === 0) f.value = code;
  else m.fields.push({ field: 2, wire: 0, value: code });
  return `tensor data_type → ${code}`;
};

const tensorData: Mutation = (t, r) => {
  const m = pick(r, t.tensors);
  const f = m.fields.find((x) => x.field === 9 && x.wire === 2);
  if (!f || f.wire !== 2) return null;
  const v = f.value;
  const small = f.value.length <= 64 && f.value.length % 8 === 0;
  const mode = small && chance(r, 0.7) ? 2 : Math.floor(r() * 3);
  if (mode === 0) f.value = v.slice(0, Math.floor(r() * v.length));
  else if (mode === 1) f.value = Uint8Array.from([...v, ...new Array(1 + Math.floor(r() * 16)).fill(0)]);
  else if (v.length <= 64 && v.length % 8 === 0) {
    // A small int64 tensor (a shape, axes, indices): plant an extreme value.
    f.value = f.value.slice();
    const view = new DataView(f.value.buffer, f.value.byteOffset);
    view.setBigInt64(8 * Math.floor((r() * v.length) / 8), extreme(r, 1n), true);
  } else return null;
  return `tensor raw_data edit ${mode}`;
};

const attrValue: Mutation = (t, r) => {
  const m = pick(r, t.attrs);
  const ints = varints(m, 8);
  if (ints.length) {
    const i = Math.floor(r() * ints.length);
    ints[i] = extreme(r, ints[i]!);
    setVarints(m, 8, ints);
    return `attribute ${text(m.fields.find((f) => f.field === 1))} ints → [${ints.join(',')}]`;
  }
  const i = m.fields.find((f) => f.field === 3 && f.wire === 0);
  if (i && i.wire === 0) {
    i.value = extreme(r, i.value);
    return `attribute ${text(m.fields.find((f) => f.field === 1))} i → ${i.value}`;
  }
  const type = m.fields.find((f) => f.field === 20);
  if (type && type.wire === 0) {
    type.value = BigInt(Math.floor(r() * 14));
    return `attribute type → ${type.value}`;
  }
  return null;
};

const declaredDim: Mutation = (t, r) => {
  const m = pick(r, t.dims);
  const v = m.fields.find((f) => f.field === 1 && f.wire === 0);
  if (chance(r, 0.2)) {
    m.fields = [bytesField(2, pick(r, ['N', '', 'batch_size', 'height']))];
    return 'declared dim → symbol';
  }
  const value = v && v.wire === 0 ? extreme(r, v.value) : pick(r, EXTREMES);
  m.fields = [{ field: 1, wire: 0, value }];
  return `declared dim → ${value}`;
};

/** Rewires, adds or drops an edge: dangling names, two producers, cycles. */
const edge: Mutation = (t, r) => {
  const m = pick(r, t.nodes);
  const slots = m.fields.filter((f) => f.field === 1 || f.field === 2);
  if (slots.length === 0) return null;
  const f = pick(r, slots);
  const mode = Math.floor(r() * 4);
  const name = mode === 0 ? pick(r, t.valueNames) : mode === 1 ? pick(r, NAMES) : mode === 2 ? text(pick(r, slots)) : '';
  if (mode === 3) m.fields.splice(m.fields.indexOf(f), 1);
  else m.fields[m.fields.indexOf(f)] = bytesField(f.field, name);
  return `node ${f.field === 1 ? 'input' : 'output'} → ${mode === 3 ? 'removed' : JSON.stringify(name.slice(0, 20))}`;
};

const nodeEdit: Mutation = (t, r) => {
  const graph = pick(r, t.graphs);
  const nodes = graph.fields.filter((f) => f.field === 1);
  if (nodes.length === 0) return null;
  const f = pick(r, nodes);
  const mode = Math.floor(r() * 4);
  if (mode === 0) graph.fields.splice(graph.fields.indexOf(f), 1);
  else if (mode === 1) graph.fields.splice(graph.fields.indexOf(f), 0, { ...f, message: f.wire === 2 && f.message ? parse(serialize(f.message), 'Node') : undefined } as Field);
  else if (mode === 2 && f.wire === 2 && f.message) {
    const ops = t.nodes.map((n) => text(n.fields.find((x) => x.field === 4)));
    const op = pick(r, [...ops, 'ConstantOfShape', 'Expand', 'Tile', 'Range', 'Loop', 'NoSuchOp', 'Resize', 'Pad']);
    f.message.fields = f.message.fields.filter((x) => x.field !== 4).concat(bytesField(4, op));
    return `node op_type → ${op}`;
  } else {
    const others = nodes.filter((x) => x !== f);
    if (!others.length) return null;
    const o = pick(r, others);
    const [i, j] = [graph.fields.indexOf(f), graph.fields.indexOf(o)];
    [graph.fields[i], graph.fields[j]] = [o, f];
  }
  return `node ${['removed', 'duplicated', '', 'swapped'][mode]}`;
};

const graphIo: Mutation = (t, r) => {
  const graph = t.graphs[0]!;
  const io = graph.fields.filter((f) => f.field === 11 || f.field === 12 || f.field === 5);
  if (!io.length) return null;
  const f = pick(r, io);
  if (chance(r, 0.5)) graph.fields.splice(graph.fields.indexOf(f), 1);
  else if (f.wire === 2 && f.message) {
    const nameField = f.field === 5 ? 8 : 1;
    f.message.fields = f.message.fields.filter((x) => x.field !== nameField).concat(bytesField(nameField, pick(r, [...NAMES, ...t.valueNames])));
    return `graph ${f.field} renamed`;
  }
  return `graph field ${f.field} removed`;
};

const MUTATIONS: [Mutation, number][] = [[tensorDims, 1], [tensorType, 1], [tensorData, 5], [attrValue, 4], [declaredDim, 2], [edge, 3], [nodeEdit, 2], [graphIo, 1]];

function weighted(r: Rng): Mutation {
  const total = MUTATIONS.reduce((s, [, w]) => s + w, 0);
  let x = r() * total;
  for (const [m, w] of MUTATIONS) if ((x -= w) < 0) return m;
  return MUTATIONS[0]![0];
}

/** One mutated model and what was done to it. */
export function mutateModel(bytes: Uint8Array, r: Rng): { bytes: Uint8Array; steps: string[] } {
  const steps: string[] = [];
  // A fifth of the cases are blind byte edits, which the decoder must survive too.
  if (chance(r, 0.2)) {
    const out = bytes.slice();
    const n = 1 + Math.floor(r() * 8);
    for (let i = 0; i < n; i++) out[Math.floor(r() * out.length)] = Math.floor(r() * 256);
    steps.push(`${n} byte flips`);
    if (chance(r, 0.3)) return { bytes: out.subarray(0, Math.floor(r() * out.length)), steps: [...steps, 'truncated'] };
    return { bytes: out, steps };
  }
  const tree = index(parse(bytes, 'Model'));
  const count = 1 + Math.floor(r() * 3);
  for (let i = 0; i < count; i++) {
    const step = weighted(r)(tree, r);
    if (step) steps.push(step);
  }
  return { bytes: serialize(tree.root), steps };
}
