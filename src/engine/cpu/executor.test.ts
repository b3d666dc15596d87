import { describe, expect, it } from 'vitest';
import type { AttrValue, Graph, Model, Node, Tensor } from '../../onnx/ir.ts';
import { UnsupportedOpError, type RefTensor } from '../../onnx/ops/types.ts';
import { runReference, topologicalOrder } from './executor.ts';

const f32 = (name: string, dims: number[], data: number[]): Tensor => ({ name, dtype: 'float32', dims, data: Float32Array.from(data) });
const i64 = (name: string, data: number[]): Tensor => ({ name, dtype: 'int64', dims: [data.length], data: Float64Array.from(data) });
const ref = (dims: number[], data: number[]): RefTensor => ({ dtype: 'float32', dims, data: Float64Array.from(data) });

function n(opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}): Node {
  return { name: `${opType}_${outputs[0]}`, opType, domain: '', inputs, outputs, attrs };
}

function model(nodes: Node[], inits: Tensor[], inputs: [string, (number | string)[]][], outputs: string[], opset = 17): Model {
  const graph: Graph = {
    name: 'g',
    nodes,
    initializers: new Map(inits.map((t) => [t.name, t])),
    inputs: inputs.map(([name, shape]) => ({ name, dtype: 'float32', shape })),
    outputs: outputs.map((name) => ({ name, dtype: 'float32', shape: null })),
    valueInfo: new Map(),
  };
  return { irVersion: 8, opsets: [{ domain: '', version: opset }], producerName: 'test', producerVersion: '', metadata: {}, graph };
}

/** Small deterministic pseudo-random numbers in [-1, 1), exact in float32 so initializers hold them unchanged. */
function rand(count: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: count }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return Math.fround((s / 2 ** 31) * 2 - 1);
  });
}

/** Plain nested-array helpers for the independent computations. */
const matmul = (a: number[][], b: number[][]) => a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
const rows = (flat: number[], cols: number) => Array.from({ length: flat.length / cols }, (_, i) => flat.slice(i * cols, (i + 1) * cols));
const transpose = (a: number[][]) => a[0].map((_, j) => a.map((r) => r[j]));

describe('runReference', () => {
  const w1 = rand(4 * 3, 1), b1 = rand(3, 2), w2 = rand(3 * 2, 3), b2 = rand(2, 4);
  const mlp = () =>
    model(
      [
        n('MatMul', ['x', 'w1'], ['h0']),
        n('Add', ['h0', 'b1'], ['h1']),
        n('Relu', ['h1'], ['h']),
        n('Gemm', ['h', 'w2t', 'b2'], ['y'], { transB: { type: 'int', value: 1 } }),
      ],
      [f32('w1', [4, 3], w1), f32('b1', [3], b1), f32('w2t', [2, 3], transpose(rows(w2, 2)).flat()), f32('b2', [2], b2)],
      [['x', ['batch', 4]]],
      ['y'],
    );

  it('runs a 2-layer MLP like a direct computation', () => {
    const x = rand(2 * 4, 5);
    const { outputs } = runReference(mlp(), { x: ref([2, 4], x) });
    const h = matmul(rows(x, 4), rows(w1, 3)).map((r) => r.map((v, j) => Math.max(0, v + b1[j])));
    const y = matmul(h, rows(w2, 2)).map((r) => r.map((v, j) => v + b2[j]));
    expect(outputs.y.dims).toEqual([2, 2]);
    [...outputs.y.data].forEach((v, i) => expect(v).toBeCloseTo(y.flat()[i], 12));
  });

  it('returns taps and frees the rest', () => {
    const { taps } = runReference(mlp(), { x: ref([1, 4], rand(4, 6)) }, { taps: ['h', 'w1'] });
    expect([...taps.keys()].sort()).toEqual(['h', 'w1']);
    expect(taps.get('h')!.dims).toEqual([1, 3]);
    expect(taps.get('h')!.data.every((v) => v >= 0)).toBe(true);
    expect(() => runReference(mlp(), { x: ref([1, 4], rand(4, 6)) }, { taps: ['nope'] })).toThrow(/tap "nope"/);
  });

  it('does not rely on the node order in the file', () => {
    const m = mlp();
    m.graph.nodes.reverse();
    expect(topologicalOrder(m.graph).map((x) => x.opType)).toEqual(['MatMul', 'Add', 'Relu', 'Gemm']);
    const x = ref([1, 4], rand(4, 7));
    expect(runReference(m, { x }).outputs.y.data).toEqual(runReference(mlp(), { x }).outputs.y.data);
  });

  it('runs a tiny single-head attention block with shape plumbing, against a direct computation', () => {
    const T = 3, D = 4;
    const wq = rand(D * D, 11), wk = rand(D * D, 12), wv = rand(D * D, 13);
    const scale = 1 / Math.sqrt(D);
    const nodes = [
      n('Shape', ['x'], ['shape']),
      n('Gather', ['shape', 'zero'], ['batch'], { axis: { type: 'int', value: 0 } }),
      n('MatMul', ['x', 'wq'], ['q']),
      n('MatMul', ['x', 'wk'], ['k']),
      n('MatMul', ['x', 'wv'], ['v']),
      n('Transpose', ['k'], ['kt'], { perm: { type: 'ints', value: [0, 2, 1] } }),
      n('MatMul', ['q', 'kt'], ['scores']),
      n('Mul', ['scores', 'scale'], ['scaled']),
      n('Softmax', ['scaled'], ['probs'], { axis: { type: 'int', value: -1 } }),
      n('MatMul', ['probs', 'v'], ['ctx']),
      n('Unsqueeze', ['batch', 'axes0'], ['batch1']),
      n('Concat', ['batch1', 'minus1'], ['flat_shape'], { axis: { type: 'int', value: 0 } }),
      n('Reshape', ['ctx', 'flat_shape'], ['y']),
    ];
    const inits = [
      f32('wq', [D, D], wq), f32('wk', [D, D], wk), f32('wv', [D, D], wv), f32('scale', [], [scale]),
      { name: 'zero', dtype: 'int64' as const, dims: [], data: Float64Array.of(0) },
      i64('axes0', [0]), i64('minus1', [-1]),
    ];
    const m = model(nodes, inits, [['x', ['batch', T, D]]], ['y']);
    const xs = rand(2 * T * D, 21);
    const { outputs, taps } = runReference(m, { x: ref([2, T, D], xs) }, { taps: ['probs'] });
    expect(outputs.y.dims).toEqual([2, T * D]);
    for (let b = 0; b < 2; b++) {
      const x = rows(xs.slice(b * T * D, (b + 1) * T * D), D);
      const [q, k, v] = [wq, wk, wv].map((w) => matmul(x, rows(w, D)));
      const probs = matmul(q, transpose(k)).map((r) => {
        const e = r.map((s) => Math.exp(s * scale));
        const sum = e.reduce((a, c) => a + c, 0);
        return e.map((c) => c / sum);
      });
      const y = matmul(probs, v).flat();
      y.forEach((val, i) => expect(outputs.y.data[b * T * D + i]).toBeCloseTo(val, 12));
      probs.flat().forEach((p, i) => expect(taps.get('probs')!.data[b * T * T + i]).toBeCloseTo(p, 12));
    }
  });

  it('names an unsupported op and its node', () => {
    const m = model([n('FancyOp', ['x'], ['y'])], [], [['x', [1]]], ['y']);
    expect(() => runReference(m, { x: ref([1], [1]) })).toThrow(UnsupportedOpError);
    expect(() => runReference(m, { x: ref([1], [1]) })).toThrow('Unsupported operator FancyOp at node "FancyOp_y"');
  });

  it('reports missing feeds, wrong shapes, dangling inputs and cycles', () => {
    expect(() => runReference(mlp(), {})).toThrow(/graph input "x" was not fed/);
    expect(() => runReference(mlp(), { x: ref([1, 5], rand(5, 1)) })).toThrow(/graph input "x" expects shape \[batch, 4\], got \[1, 5\]/);
    expect(() => runReference(mlp(), { x: ref([1, 4], rand(4, 1)), z: ref([1], [1]) })).toThrow(/feed "z" is not a graph input/);
    const dangling = model([n('Relu', ['ghost'], ['y'])], [], [], ['y']);
    expect(() => runReference(dangling, {})).toThrow(/input "ghost" of node "Relu_y"/);
    const cycle = model([n('Relu', ['b'], ['a']), n('Relu', ['a'], ['b'])], [], [], ['a']);
    expect(() => runReference(cycle, {})).toThrow(/cycle/);
  });

  it('uses the model opset for op semantics (Softmax before and after 13)', () => {
    const x = ref([1, 2, 2], [1, 2, 3, 4]);
    const g = (opset: number) => model([n('Softmax', ['x'], ['y'])], [], [['x', [1, 2, 2]]], ['y'], opset);
    const newer = runReference(g(13), { x }).outputs.y.data;
    const older = runReference(g(11), { x }).outputs.y.data;
    expect(newer[0] + newer[1]).toBeCloseTo(1, 14); // per last axis
    expect(older[0] + older[1] + older[2] + older[3]).toBeCloseTo(1, 14); // over the flattened tail
  });
});
