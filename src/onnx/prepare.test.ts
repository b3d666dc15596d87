import { describe, expect, it } from 'vitest';
import type { Model } from './ir.ts';
import { UnsupportedOpError, type OpDefinition, type OpRegistry, type RefTensor } from './ops/types.ts';
import { InputShapeError, modelInputDims, prepareModel } from './prepare.ts';
import { buildModel, f32, i64, node, valueInfo } from './testing.ts';

/** A deliberately small registry, so these tests do not depend on the real op set. */
function elementwise(fn: (a: number, b: number) => number): OpDefinition {
  const check = (a: { dims: number[] }, b: { dims: number[] }) => {
    // Same shape, or b broadcast along the last axis: enough for these tests.
    const ok = a.dims.join() === b.dims.join() || (b.dims.length === 1 && b.dims[0] === a.dims.at(-1));
    if (!ok) throw new Error(`cannot broadcast [${b.dims}] to [${a.dims}]`);
  };
  return {
    infer: ([a, b]) => (check(a!, b!), [{ dtype: a!.dtype, dims: [...a!.dims] }]),
    evaluate: ([a, b]) => {
      check(a!, b!);
      return [{ dtype: a!.dtype, dims: [...a!.dims], data: a!.data.map((v, i) => fn(v, b!.data[i % b!.data.length]!)) }];
    },
  };
}

const tinyOps: OpRegistry = {
  Add: elementwise((a, b) => a + b),
  Mul: elementwise((a, b) => a * b),
  Relu: {
    infer: ([x]) => [{ ...x! }],
    evaluate: ([x]) => [{ ...x!, data: x!.data.map((v) => Math.max(0, v)) }],
  },
  MatMul: {
    infer: ([a, b]) => [{ dtype: a!.dtype, dims: [...a!.dims.slice(0, -1), b!.dims[1]!] }],
    evaluate: ([a, b]) => {
      const [m, k] = [a!.dims[0]!, a!.dims[1]!];
      const n = b!.dims[1]!;
      const out = new Float64Array(m * n);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) out[i * n + j]! += a!.data[i * k + p]! * b!.data[p * n + j]!;
      return [{ dtype: a!.dtype, dims: [m, n], data: out }];
    },
  },
  Constant: {
    // Folded nodes are inferred first too: their size is checked before their values exist.
    infer: (_, ctx) => {
      const v = ctx.node.attrs['value'];
      if (v?.type !== 'tensor') throw new Error('needs a tensor');
      return [{ dtype: v.value.dtype, dims: v.value.dims }];
    },
    evaluate: (_, ctx) => {
      const v = ctx.node.attrs['value'];
      if (v?.type !== 'tensor') throw new Error('needs a tensor');
      return [{ dtype: v.value.dtype, dims: v.value.dims, data: Float64Array.from(v.value.data as ArrayLike<number>) }];
    },
  },
  Gather: {
    // axis 0 of a 1-D tensor with scalar indices: the exporter's "take dim i of a shape".
    infer: () => [{ dtype: 'int64', dims: [] }],
    evaluate: ([x, i]) => [{ dtype: x!.dtype, dims: [], data: Float64Array.of(x!.data[i!.data[0]!]!) }],
  },
  Unsqueeze: {
    infer: ([x]) => [{ dtype: x!.dtype, dims: [1, ...x!.dims] }],
    evaluate: ([x]) => [{ ...x!, dims: [1, ...x!.dims] }],
  },
  Concat: {
    infer: (xs) => [{ dtype: xs[0]!.dtype, dims: [xs.reduce((s, x) => s + x!.dims[0]!, 0)] }],
    evaluate: (xs) => [{ dtype: xs[0]!.dtype, dims: [xs.reduce((s, x) => s + x!.dims[0]!, 0)], data: Float64Array.from(xs.flatMap((x) => [...x!.data])) }],
  },
  Reshape: {
    infer: ([x], _ctx, [, shape]) => {
      if (!shape) throw new Error('Reshape needs a constant shape');
      const dims = [...shape.data];
      const known = dims.reduce((p, d) => (d === -1 ? p : p * d), 1);
      const total = x!.dims.reduce((a, b) => a * b, 1);
      return [{ dtype: x!.dtype, dims: dims.map((d) => (d === -1 ? total / known : d)) }];
    },
    evaluate: ([x, shape]) => {
      const [s] = tinyOps['Reshape']!.infer([x, shape], { node: node('Reshape', [], []), opset: 17 }, [x, shape]);
      return [{ ...x!, dims: s!.dims }];
    },
  },
};

/**
 * The plumbing torch.onnx emits for `x.reshape(x.shape[0], -1) @ W + b` with a dynamic batch,
 * with its nodes deliberately out of order.
 */
function exporterStyleModel(): Model {
  return buildModel({
    nodes: [
      node('Reshape', ['x', 'target'], ['flat']),
      node('Shape', ['x'], ['shape']),
      node('Constant', [], ['zero'], { value: { type: 'tensor', value: i64('zero', [], [0]) } }),
      node('Gather', ['shape', 'zero'], ['batch']),
      node('Unsqueeze', ['batch'], ['batch1']),
      node('Concat', ['batch1', 'minus1'], ['target']),
      node('MatMul', ['flat', 'w'], ['proj']),
      node('Mul', ['b', 'two'], ['b2']), // depends only on initializers: folded
      node('Add', ['proj', 'b2'], ['pre']),
      node('Relu', ['pre'], ['y']),
      node('Relu', ['proj'], ['dead']), // reaches no output
    ],
    initializers: [
      i64('minus1', [1], [-1]),
      f32('w', [8, 3], Array.from({ length: 24 }, (_, i) => (i % 5) - 2)),
      f32('b', [3], [0.5, -1, 2]),
      f32('two', [3], [2, 2, 2]),
    ],
    inputs: [valueInfo('x', ['batch', 2, 4])],
    outputs: [valueInfo('y', ['batch', 3])],
  });
}

describe('prepareModel', () => {
  it('folds shape plumbing and initializer-only nodes, keeping only real compute', () => {
    const model = exporterStyleModel();
    for (const batch of [1, 3]) {
      const p = prepareModel(model, { x: [batch, 2, 4] }, tinyOps);
      expect(p.nodes.map((n) => n.opType)).toEqual(['Reshape', 'MatMul', 'Add', 'Relu']);
      expect([...p.constants.get('target')!.data]).toEqual([batch, -1]);
      expect([...p.constants.get('b2')!.data]).toEqual([1, -2, 4]);
      expect(p.constants.has('w')).toBe(true);
      expect([...p.constants.keys()].sort()).toEqual(['b2', 'target', 'w']);
      expect(p.shapes.get('flat')).toEqual({ dtype: 'float32', dims: [batch, 8] });
      expect(p.shapes.get('y')).toEqual({ dtype: 'float32', dims: [batch, 3] });
      expect(p.shapes.get('shape')).toEqual({ dtype: 'int64', dims: [3] });
      expect(p.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: [batch, 2, 4] }]);
      expect(p.outputs).toEqual([{ name: 'y', dtype: 'float32', shape: [batch, 3] }]);
      expect(p.opset).toBe(17);
    }
  });

  it('does not modify the model', () => {
    const model = exporterStyleModel();
    const before = structuredClone(model);
    prepareModel(model, { x: [2, 2, 4] }, tinyOps);
    expect(model).toEqual(before);
  });

  it('honours Shape start/end and folds Size', () => {
    const model = buildModel({
      nodes: [
        node('Shape', ['x'], ['tail'], { start: { type: 'int', value: -2 } }),
        node('Shape', ['x'], ['mid'], { start: { type: 'int', value: 1 }, end: { type: 'int', value: 2 } }),
        node('Size', ['x'], ['n']),
      ],
      inputs: [valueInfo('x', ['batch', 5, 7])],
      outputs: [valueInfo('tail', [2], 'int64'), valueInfo('mid', [1], 'int64'), valueInfo('n', [], 'int64')],
    });
    const p = prepareModel(model, { x: [3, 5, 7] }, tinyOps);
    expect(p.nodes).toEqual([]);
    expect([...p.constants.get('tail')!.data]).toEqual([5, 7]);
    expect([...p.constants.get('mid')!.data]).toEqual([5]);
    expect(p.constants.get('n')).toEqual({ dtype: 'int64', dims: [], data: Float64Array.of(105) });
  });

  it('names the op and the node for an unsupported operator', () => {
    const model = buildModel({
      nodes: [node('Relu', ['x'], ['r']), node('GridSample', ['r', 'r'], ['y'], {}, 'sampler_7')],
      inputs: [valueInfo('x', [1, 4])],
      outputs: [valueInfo('y', [1, 4])],
    });
    const call = () => prepareModel(model, { x: [1, 4] }, tinyOps);
    expect(call).toThrow(UnsupportedOpError);
    expect(call).toThrow('Unsupported operator GridSample at node "sampler_7"');
  });

  it('names the node when shape inference fails inside an op', () => {
    const model = buildModel({
      nodes: [node('Add', ['x', 'b'], ['y'], {}, 'bias_add')],
      initializers: [f32('b', [5], [1, 2, 3, 4, 5])],
      inputs: [valueInfo('x', [1, 4])],
      outputs: [valueInfo('y', [1, 4])],
    });
    expect(() => prepareModel(model, { x: [1, 4] }, tinyOps)).toThrow('node "bias_add" (Add): cannot broadcast [5] to [1,4]');
  });

  it('rejects input dims that contradict the model, naming input, expected and given shape', () => {
    const model = exporterStyleModel();
    const call = (dims: Record<string, number[]>) => () => prepareModel(model, dims, tinyOps);
    expect(call({ x: [1, 2, 5] })).toThrow(InputShapeError);
    expect(call({ x: [1, 2, 5] })).toThrow('input "x" expects shape [batch, 2, 4] but was given [1, 2, 5]');
    expect(call({ x: [1, 8] })).toThrow('input "x" expects shape [batch, 2, 4] but was given [1, 8]');
    expect(call({})).toThrow('no dims given for model input "x" (shape [batch, 2, 4])');
    expect(call({ x: [1, 2, 4], image: [1] })).toThrow('"image" is not an input of the model (its inputs: x)');
    expect(call({ x: [0, 2, 4] })).toThrow('input "x" was given invalid dims [0, 2, 4]');
  });

  it('requires one value per symbolic dimension across inputs', () => {
    const model = buildModel({
      nodes: [node('Add', ['a', 'b'], ['y'])],
      inputs: [valueInfo('a', ['n', 4]), valueInfo('b', ['n', 4])],
      outputs: [valueInfo('y', ['n', 4])],
    });
    expect(() => prepareModel(model, { a: [2, 4], b: [3, 4] }, tinyOps)).toThrow('dimension "n" is 2 in input "a" but 3 in input "b"');
    expect(prepareModel(model, { a: [3, 4], b: [3, 4] }, tinyOps).outputs[0]!.shape).toEqual([3, 4]);
  });

  it('checks inferred output shapes against the model\'s declaration', () => {
    const model = exporterStyleModel();
    model.graph.outputs = [valueInfo('y', ['batch', 7])];
    expect(() => prepareModel(model, { x: [2, 2, 4] }, tinyOps)).toThrow('shape inference gives output "y" shape [2, 3], but the model declares [batch, 7]');
  });

  it('reports values nothing defines, and cycles', () => {
    const missing = buildModel({ nodes: [node('Relu', ['ghost'], ['y'], {}, 'r')], inputs: [], outputs: [valueInfo('y', null)] });
    expect(() => prepareModel(missing, {}, tinyOps)).toThrow('node "r" (Relu) reads "ghost", which no node, input or initializer provides');
    const cyclic = buildModel({
      nodes: [node('Add', ['x', 'b'], ['a'], {}, 'first'), node('Relu', ['a'], ['b'], {}, 'second')],
      inputs: [valueInfo('x', [2])],
      outputs: [valueInfo('b', [2])],
    });
    expect(() => prepareModel(cyclic, { x: [2] }, tinyOps)).toThrow(/the graph has a cycle through node "(first|second)"/);
  });

  it('returns a folded graph output among the constants', () => {
    const model = buildModel({
      nodes: [node('Mul', ['a', 'a'], ['sq']), node('Relu', ['x'], ['y'])],
      initializers: [f32('a', [2], [3, -4])],
      inputs: [valueInfo('x', [2])],
      outputs: [valueInfo('sq', [2]), valueInfo('y', [2])],
    });
    const p = prepareModel(model, { x: [2] }, tinyOps);
    expect(p.nodes.map((n) => n.opType)).toEqual(['Relu']);
    expect([...p.constants.get('sq')!.data]).toEqual([9, 16]);
    expect(p.constants.has('a')).toBe(false);
  });

  it('does not convert weights to float64 just to infer shapes', () => {
    // A weight too large for the "small constant" rule must still reach the constants map once.
    const big = f32('w', [100, 100], new Array<number>(10000).fill(0.5));
    const model = buildModel({
      nodes: [node('MatMul', ['x', 'w'], ['y'])],
      initializers: [big],
      inputs: [valueInfo('x', [1, 100])],
      outputs: [valueInfo('y', [1, 100])],
    });
    const seen: (RefTensor | undefined)[] = [];
    const ops: OpRegistry = { MatMul: { ...tinyOps['MatMul']!, infer: (inputs, ctx, constants) => (seen.push(constants[1]), tinyOps['MatMul']!.infer(inputs, ctx, constants)) } };
    const p = prepareModel(model, { x: [1, 100] }, ops);
    expect(seen).toEqual([undefined]);
    expect(p.constants.get('w')!.data.length).toBe(10000);
  });

  it('shares converted initializers between calls through an explicit cache only', () => {
    const model = exporterStyleModel();
    const cache = new WeakMap();
    const a = prepareModel(model, { x: [1, 2, 4] }, tinyOps, { initializerCache: cache });
    const b = prepareModel(model, { x: [3, 2, 4] }, tinyOps, { initializerCache: cache });
    expect(b.constants.get('w')).toBe(a.constants.get('w'));
    expect(b.constants.get('target')).not.toBe(a.constants.get('target'));
    const c = prepareModel(model, { x: [3, 2, 4] }, tinyOps);
    expect(c.constants.get('w')).not.toBe(a.constants.get('w'));
    expect(c.constants.get('w')).toEqual(a.constants.get('w'));
  });
});

describe('modelInputDims', () => {
  it('puts the batch in a symbolic or unknown first dim', () => {
    const model = buildModel({ nodes: [], inputs: [valueInfo('x', ['batch', 3, 32, 32]), valueInfo('m', [null, 5])], outputs: [] });
    expect(modelInputDims(model, 3)).toEqual({ x: [3, 3, 32, 32], m: [3, 5] });
  });

  it('explains fixed batch sizes, unknown inner dims and missing shapes', () => {
    const fixed = buildModel({ nodes: [], inputs: [valueInfo('x', [1, 3, 32, 32])], outputs: [] });
    expect(modelInputDims(fixed, 1)).toEqual({ x: [1, 3, 32, 32] });
    expect(() => modelInputDims(fixed, 4)).toThrow('model input "x" has a fixed batch size of 1 (shape [1, 3, 32, 32]); cannot run batch 4');
    const unknown = buildModel({ nodes: [], inputs: [valueInfo('x', ['batch', 3, 'height', 'width'])], outputs: [] });
    expect(() => modelInputDims(unknown, 1)).toThrow('model input "x" has an unknown dimension 2 (height) in shape [batch, 3, height, width]; give its dims explicitly');
    const noShape = buildModel({ nodes: [], inputs: [valueInfo('x', null)], outputs: [] });
    expect(() => modelInputDims(noShape, 1)).toThrow(InputShapeError);
    expect(() => modelInputDims(fixed, 0)).toThrow('batch size must be a positive integer, got 0');
  });
});
