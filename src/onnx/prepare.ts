/**
 * Fixes the input shapes of a model and, in one topological pass, infers every value's shape
 * and folds every value that does not depend on the inputs (the Shape/Gather/Concat plumbing
 * exporters emit, Constant nodes, and anything computed only from initializers).
 */
import { checkValueDims, MAX_FOLDED_ELEMENTS, MAX_FOLDED_GROWTH, MAX_VALUE_ELEMENTS } from './budgets.ts';
import { elementCount, GraphError, type Dim, type Graph, type Model, type Node, type Tensor, type ValueInfo } from './ir.ts';
import { deferConstantNodes } from './defer-constants.ts';
import { printableName } from './names.ts';
import { outerReferences } from './subgraphs.ts';
import { lazyRef, tensorToRef } from './ops/ref-tensor.ts';
import { opKey, UnsupportedOpError, type OpContext, type OpRegistry, type RefTensor, type ValueShape } from './ops/types.ts';

export interface PreparedGraph {
  /** Only nodes that must run at runtime (they depend on a graph input), topologically ordered. */
  nodes: Node[];
  /** Every constant value read by a runtime node or returned as a graph output. */
  constants: Map<string, RefTensor>;
  /** The concrete shape of every value, constant or not. */
  shapes: Map<string, ValueShape>;
  /** Graph inputs with the concrete dims they were prepared for. */
  inputs: ValueInfo[];
  /** Graph outputs with their inferred concrete dims. */
  outputs: ValueInfo[];
  /** Opset of the default domain. */
  opset: number;
}

/** Given input dims that contradict the model (rank, a fixed dim, or a missing/unknown input). */
export class InputShapeError extends Error {
  override name = 'InputShapeError';
}

/** Constants up to this many elements (shapes, axes, indices) are converted to float64 eagerly; weights lazily. */
const SMALL_CONSTANT = 4096;

/** Ops whose results differ per run, so they are never folded. */
const NON_DETERMINISTIC = new Set(['RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Multinomial', 'Bernoulli']);

/** The model's input dims with `batch` for a symbolic or unknown first dim. */
export function modelInputDims(model: Model, batch: number): Record<string, number[]> {
  if (!Number.isInteger(batch) || batch < 1) throw new InputShapeError(`batch size must be a positive integer, got ${batch}`);
  const out: Record<string, number[]> = {};
  for (const input of model.graph.inputs) {
    if (!input.shape) throw new InputShapeError(`model input "${input.name}" has no declared shape; give its dims explicitly`);
    out[input.name] = input.shape.map((d, i) => {
      if (typeof d === 'number' && d > 0) {
        if (i === 0 && d !== batch) {
          throw new InputShapeError(`model input "${input.name}" has a fixed batch size of ${d} (shape ${formatDims(input.shape!)}); cannot run batch ${batch}`);
        }
        return d;
      }
      if (i === 0) return batch;
      throw new InputShapeError(`model input "${input.name}" has an unknown dimension ${i} (${d === null ? '?' : d}) in shape ${formatDims(input.shape!)}; give its dims explicitly`);
    });
  }
  return out;
}

export interface PrepareOptions {
  /**
   * Shares the float64 copies of initializers between calls (e.g. one plan per batch size), so
   * each weight is converted once. Keyed by the Tensor object: replace a Tensor to change a
   * weight; do not mutate its data in place while the cache lives.
   */
  initializerCache?: WeakMap<Tensor, RefTensor>;
  /**
   * Fold only nodes whose constant inputs each hold at most this many values; nodes reading a
   * larger one stay runtime nodes. For callers after shape plumbing alone (export/compact.ts), so
   * an exported model's weights are not dequantized to float64 just to be looked at.
   */
  foldUpTo?: number;
  /** Size budgets (budgets.ts by default; smaller ones let tests reach them cheaply). */
  budgets?: Partial<Budgets>;
}

export interface Budgets {
  folded: number;
  growth: number;
  value: number;
}

export function prepareModel(model: Model, inputDims: Record<string, number[]>, ops: OpRegistry, options: PrepareOptions = {}): PreparedGraph {
  const budgets = { folded: MAX_FOLDED_ELEMENTS, growth: MAX_FOLDED_GROWTH, value: MAX_VALUE_ELEMENTS, ...options.budgets };
  return new Preparer(model, ops, options.initializerCache, budgets, options.foldUpTo ?? Infinity).run(inputDims);
}

function formatDims(dims: readonly Dim[]): string {
  return `[${dims.map((d) => (d === null ? '?' : d)).join(', ')}]`;
}

function describe(node: Node, index: number): string {
  return node.name ? `"${printableName(node.name)}"` : `#${index} (${printableName(node.opType)} → ${printableName(node.outputs[0] ?? '')})`;
}

/** Inputs whose constant value an op checks at plan time whatever its size (indices). */
const INDEX_INPUTS: Record<string, number> = { Gather: 1 };

class Preparer {
  private readonly graph: Graph;
  /** Folded values and initializers converted so far. */
  private readonly values = new Map<string, RefTensor>();
  private readonly shapes = new Map<string, ValueShape>();
  private foldedGrowth = 0;

  constructor(
    private readonly model: Model,
    private readonly ops: OpRegistry,
    private readonly cache: WeakMap<Tensor, RefTensor> | undefined,
    private readonly budgets: Budgets,
    private readonly foldUpTo: number,
  ) {
    this.graph = model.graph;
  }

  run(inputDims: Record<string, number[]>): PreparedGraph {
    const inputs = this.bindInputs(inputDims);
    for (const [name, t] of this.graph.initializers) this.shapes.set(name, { dtype: t.dtype, dims: [...t.dims] });

    const order = this.topologicalOrder();
    const runtime: Node[] = [];
    for (const index of order) {
      const node = this.graph.nodes[index]!;
      if (this.visit(node, index)) runtime.push(node);
    }

    const outputs = this.graph.outputs.map((o) => this.checkedOutput(o, inputs));
    const live = this.liveNodes(runtime);
    const constants = new Map<string, RefTensor>();
    const needConst = (name: string) => {
      if (name && this.isConstant(name) && !constants.has(name)) constants.set(name, this.constant(name)!);
    };
    for (const node of live) for (const name of [...node.inputs, ...outerReferences(node)]) needConst(name);
    for (const o of this.graph.outputs) needConst(o.name);
    return { nodes: live, constants, shapes: this.shapes, inputs, outputs, opset: this.opsetFor('') };
  }

  private bindInputs(inputDims: Record<string, number[]>): ValueInfo[] {
    const names = this.graph.inputs.map((i) => i.name);
    for (const key of Object.keys(inputDims)) {
      if (!names.includes(key)) throw new InputShapeError(`"${key}" is not an input of the model (its inputs: ${names.join(', ')})`);
    }
    const symbols = new Map<string, { value: number; input: string }>();
    return this.graph.inputs.map((input) => {
      const given = inputDims[input.name];
      const expected = input.shape ? formatDims(input.shape) : 'unknown';
      if (!given) throw new InputShapeError(`no dims given for model input "${input.name}" (shape ${expected})`);
      const mismatch = () =>
        new InputShapeError(`input "${input.name}" expects shape ${expected} but was given [${given.join(', ')}]`);
      if (given.some((d) => !Number.isInteger(d) || d < 1)) {
        throw new InputShapeError(`input "${input.name}" was given invalid dims [${given.join(', ')}]`);
      }
      if (input.shape) {
        if (input.shape.length !== given.length) throw mismatch();
        input.shape.forEach((d, i) => {
          if (typeof d === 'number' && d > 0 && d !== given[i]) throw mismatch();
          if (typeof d === 'string' && d) {
            const seen = symbols.get(d);
            if (seen && seen.value !== given[i]) {
              throw new InputShapeError(`dimension "${d}" is ${seen.value} in input "${seen.input}" but ${given[i]} in input "${input.name}"`);
            }
            symbols.set(d, { value: given[i]!, input: input.name });
          }
        });
      }
      this.shapes.set(input.name, { dtype: input.dtype, dims: [...given] });
      return { name: input.name, dtype: input.dtype, shape: [...given] };
    });
  }

  /** Kahn's algorithm (file order among ready nodes); also catches references to undefined values. */
  private topologicalOrder(): number[] {
    const nodes = this.graph.nodes;
    const producer = new Map<string, number>();
    nodes.forEach((n, i) => n.outputs.forEach((o) => o && producer.set(o, i)));
    const available = (name: string) => !name || this.graph.initializers.has(name) || this.shapes.has(name);
    const waiting = new Array<number>(nodes.length).fill(0);
    const consumers: number[][] = nodes.map(() => []);
    nodes.forEach((n, i) => {
      for (const name of new Set([...n.inputs, ...outerReferences(n)])) {
        const p = producer.get(name);
        if (p !== undefined) {
          waiting[i]!++;
          consumers[p]!.push(i);
        } else if (!available(name)) {
          throw new GraphError(`node ${describe(n, i)} (${printableName(n.opType)}) reads "${printableName(name)}", which no node, input or initializer provides`, n.name, name);
        }
      }
    });
    const ready = nodes.map((_, i) => i).filter((i) => waiting[i] === 0);
    const order: number[] = [];
    for (let k = 0; k < ready.length; k++) {
      const i = ready[k]!;
      order.push(i);
      for (const c of consumers[i]!) if (--waiting[c]! === 0) ready.push(c);
    }
    if (order.length !== nodes.length) {
      const stuck = nodes.findIndex((_, i) => waiting[i]! > 0);
      throw new GraphError(`the graph has a cycle through node ${describe(nodes[stuck]!, stuck)} (${printableName(nodes[stuck]!.opType)})`, nodes[stuck]!.name);
    }
    return order;
  }

  private isConstant(name: string): boolean {
    return this.values.has(name) || this.graph.initializers.has(name);
  }

  private constant(name: string): RefTensor | undefined {
    let v = this.values.get(name);
    if (!v) {
      const t = this.graph.initializers.get(name);
      if (!t) return undefined;
      v = this.cache?.get(t) ?? (elementCount(t.dims) > SMALL_CONSTANT ? lazyRef(t) : tensorToRef(t));
      this.cache?.set(t, v);
      this.values.set(name, v);
    }
    return v;
  }

  private opsetFor(domain: string): number {
    const isDefault = (d: string) => d === '' || d === 'ai.onnx';
    const found = this.model.opsets.find((o) => o.domain === domain || (isDefault(domain) && isDefault(o.domain)));
    return found?.version ?? (isDefault(domain) ? 0 : 1);
  }

  /** Folds or infers one node; returns true when it must run at runtime. */
  private visit(node: Node, index: number): boolean {
    const where = `node ${describe(node, index)} (${printableName(node.opType)})`;
    const ctx: OpContext = { node, opset: this.opsetFor(node.domain) };
    const inputShapes = node.inputs.map((name) => {
      if (!name) return undefined;
      const s = this.shapes.get(name);
      if (!s) throw new GraphError(`${where} reads "${printableName(name)}", whose shape could not be inferred (an output its producer does not define)`, node.name, name);
      return s;
    });

    if (isDefaultDomain(node) && (node.opType === 'Shape' || node.opType === 'Size')) {
      const x = inputShapes[0];
      if (!x) throw new GraphError(`${where} has no input`, node.name);
      this.setConstant(node.outputs[0], node.opType === 'Shape' ? shapeOf(x.dims, node) : scalarInt64(elementCount(x.dims)));
      return false;
    }

    const key = opKey(node);
    const op = Object.prototype.hasOwnProperty.call(this.ops, key) ? this.ops[key] : undefined;
    if (!op) throw new UnsupportedOpError(key, node.name || `#${index}`);

    const foldable =
      !NON_DETERMINISTIC.has(node.opType) &&
      op.runtimeOnly !== true &&
      node.inputs.every((name) => !name || (this.shapes.has(name) && elementCount(this.shapes.get(name)!.dims) <= this.foldUpTo)) &&
      node.inputs.every((name) => !name || this.isConstant(name)) &&
      outerReferences(node).every((name) => this.isConstant(name));
    try {
      const constants = foldable
        ? node.inputs.map((name) => (name ? this.constant(name) : undefined))
        : node.inputs.map((name, i) => (name && (this.isSmallConstant(name) || INDEX_INPUTS[key] === i) ? this.constant(name) : undefined));
      // Shapes first, within budget, before anything is allocated for the values.
      const shapes = op.infer(inputShapes, ctx, constants);
      const limit = foldable ? this.budgets.folded : this.budgets.value;
      let created = 0;
      node.outputs.forEach((name, i) => {
        if (name && shapes[i]) created += checkValueDims(shapes[i]!.dims, limit, where, name);
      });
      if (!foldable) {
        node.outputs.forEach((name, i) => {
          const s = shapes[i];
          if (name && s) this.shapes.set(name, { dtype: s.dtype, dims: [...s.dims] });
        });
        return true;
      }
      this.chargeFolding(created, constants, where, node);
      const results = op.evaluate(constants, ctx);
      node.outputs.forEach((name, i) => {
        const r = results[i];
        if (name && r) this.setConstant(name, r);
      });
      return false;
    } catch (e) {
      throw asGraphError(e, where, node);
    }
  }

  /** Folding may create at most budgets.growth elements beyond what its inputs held, in all. */
  private chargeFolding(created: number, inputs: (RefTensor | undefined)[], where: string, node: Node): void {
    const held = inputs.reduce((n, t) => n + (t ? elementCount(t.dims) : 0), 0);
    this.foldedGrowth += Math.max(0, created - held);
    if (this.foldedGrowth > this.budgets.growth) {
      throw new GraphError(`${where}: constant folding would create more than ${this.budgets.growth} elements beyond the model's own weights`, node.name);
    }
  }

  /**
   * Shape inference only needs small constants (shapes, axes, indices); passing weights would
   * convert every one of them to float64 before it is known to be needed.
   */
  private isSmallConstant(name: string): boolean {
    if (this.values.has(name)) return true;
    const t = this.graph.initializers.get(name);
    return !!t && elementCount(t.dims) <= SMALL_CONSTANT;
  }

  private setConstant(name: string | undefined, value: RefTensor): void {
    if (!name) return;
    this.values.set(name, value);
    this.shapes.set(name, { dtype: value.dtype, dims: [...value.dims] });
  }

  /** Checks an output's inferred dims against the model's declaration and returns the concrete info. */
  private checkedOutput(o: ValueInfo, inputs: ValueInfo[]): ValueInfo {
    const s = this.shapes.get(o.name);
    if (!s) throw new GraphError(`graph output "${printableName(o.name)}" is not produced by any node`, undefined, o.name);
    if (o.shape) {
      const symbols = symbolValues(this.graph.inputs, inputs);
      const ok =
        o.shape.length === s.dims.length &&
        o.shape.every((d, i) => {
          if (typeof d === 'number' && d > 0) return d === s.dims[i];
          if (typeof d === 'string' && symbols.has(d)) return symbols.get(d) === s.dims[i];
          return true;
        });
      if (!ok) {
        throw new GraphError(`shape inference gives output "${printableName(o.name)}" shape [${s.dims.join(', ')}], but the model declares ${formatDims(o.shape)}`, undefined, o.name);
      }
    }
    return { name: o.name, dtype: s.dtype, shape: [...s.dims] };
  }

  /** Runtime nodes that contribute to a graph output, in order. */
  private liveNodes(runtime: Node[]): Node[] {
    const needed = new Set(this.graph.outputs.map((o) => o.name));
    const keep: boolean[] = new Array<boolean>(runtime.length).fill(false);
    for (let i = runtime.length - 1; i >= 0; i--) {
      const n = runtime[i]!;
      if (!n.outputs.some((o) => o && needed.has(o))) continue;
      keep[i] = true;
      for (const name of [...n.inputs, ...outerReferences(n)]) if (name) needed.add(name);
    }
    return deferConstantNodes(runtime.filter((_, i) => keep[i]), (name) => this.isConstant(name));
  }
}

/**
 * Errors an op raises about a node of the file become GraphErrors that name the node. Faults of
 * our own code (TypeError and the like) pass through, to be reported as unexpected.
 */
function asGraphError(e: unknown, where: string, node: Node): unknown {
  if (e instanceof UnsupportedOpError) return e;
  if (e instanceof GraphError) return node.name && e.message.includes(printableName(node.name)) ? e : new GraphError(`${where}: ${e.message}`, node.name, e.value);
  if (e instanceof RangeError && /allocation|array length|Array buffer/i.test(e.message)) return new GraphError(`${where}: its values do not fit in memory (${e.message})`, node.name);
  // Ops report a node's problems as plain Errors or GraphErrors; other classes are our faults.
  if (e instanceof Error && e.constructor === Error) return new GraphError(`${where}: ${e.message}`, node.name);
  return e;
}

function isDefaultDomain(node: Node): boolean {
  return node.domain === '' || node.domain === 'ai.onnx';
}

function scalarInt64(v: number): RefTensor {
  return { dtype: 'int64', dims: [], data: Float64Array.of(v) };
}

/** Shape's output, honouring the start/end attributes of opset 15. */
function shapeOf(dims: number[], node: Node): RefTensor {
  const rank = dims.length;
  const attr = (name: string, fallback: number) => {
    const a = node.attrs[name];
    return a && a.type === 'int' ? a.value : fallback;
  };
  const clamp = (v: number) => Math.min(rank, Math.max(0, v < 0 ? v + rank : v));
  const start = clamp(attr('start', 0));
  const end = clamp(attr('end', rank));
  const out = dims.slice(start, Math.max(start, end));
  return { dtype: 'int64', dims: [out.length], data: Float64Array.from(out) };
}

function symbolValues(declared: ValueInfo[], bound: ValueInfo[]): Map<string, number> {
  const out = new Map<string, number>();
  declared.forEach((d, i) => {
    d.shape?.forEach((dim, k) => {
      const v = bound[i]?.shape?.[k];
      if (typeof dim === 'string' && dim && typeof v === 'number') out.set(dim, v);
    });
  });
  return out;
}

