/** The graph validator: each hostile graph found by hand or by the fuzz harness, one clear GraphError. */
import { describe, expect, it } from 'vitest';
import { MAX_FOLDED_ELEMENTS, MAX_FOLDED_GROWTH, MAX_VALUE_ELEMENTS } from './budgets.ts';
import { onnxOps } from './ops/index.ts';
import { prepareModel } from './prepare.ts';
import { GraphError, type AttrValue, type Model } from './ir.ts';
import { encodeModel } from './encode.ts';
import { validateModel } from './validate.ts';
import { buildModel, f32, i64, node, tensor, valueInfo, type ModelSpec } from './testing.ts';

const ints = (value: number[]): AttrValue => ({ type: 'ints', value });
const image = valueInfo('pixels', [1, 3, 4, 4]);
const out = valueInfo('y', null);

function refusal(spec: Partial<ModelSpec> & Pick<ModelSpec, 'nodes'>): string {
  const model = buildModel({ inputs: [image], outputs: [out], ...spec });
  try {
    validateModel(model, 'm.onnx');
  } catch (e) {
    expect(e).toBeInstanceOf(GraphError);
    const message = (e as Error).message;
    expect(message.startsWith('m.onnx: ')).toBe(true);
    expect(message).not.toMatch(/\n/);
    return message;
  }
  throw new Error('the model was accepted');
}

describe('graph structure', () => {
  it('refuses a graph without inputs or outputs', () => {
    expect(refusal({ inputs: [], nodes: [] })).toBe('m.onnx: the graph has no inputs (every name it declares as an input is an initializer)');
    expect(refusal({ outputs: [], nodes: [node('Relu', ['pixels'], ['y'])] })).toBe('m.onnx: the graph has no outputs');
  });

  it('refuses two producers of one value, naming both', () => {
    expect(refusal({ nodes: [node('Relu', ['pixels'], ['y'], {}, 'a'), node('Neg', ['pixels'], ['y'], {}, 'b')] }))
      .toBe('m.onnx: value "y" is produced twice: by node "a" (Relu) and by node "b" (Neg)');
    expect(refusal({ nodes: [node('Relu', ['y'], ['pixels'], {}, 'c'), node('Relu', ['pixels'], ['y'], {}, 'd')] })).toMatch(/value "pixels" is produced twice: by graph input "pixels" and by node "c"/);
  });

  it('refuses a reference nothing provides, and an output nothing produces', () => {
    expect(refusal({ nodes: [node('Add', ['pixels', 'weight'], ['y'], {}, 'add')] })).toBe('m.onnx: node "add" (Add) reads "weight", which no node, input or initializer provides');
    expect(refusal({ nodes: [node('Relu', ['pixels'], ['z'])] })).toBe('m.onnx: graph output "y" is not produced by any node, input or initializer');
  });

  it('refuses a cycle, naming a node on it and the value it waits for', () => {
    const nodes = [node('Add', ['pixels', 'b'], ['a'], {}, 'first'), node('Relu', ['a'], ['b'], {}, 'second'), node('Relu', ['a'], ['y'], {}, 'last')];
    expect(refusal({ nodes })).toBe('m.onnx: the graph has a cycle: node "first" (Add) depends on its own output through "b"');
  });

  it('refuses negative declared dims', () => {
    expect(refusal({ inputs: [valueInfo('pixels', [1, 3, -4, 4])], nodes: [node('Relu', ['pixels'], ['y'])] })).toMatch(/graph input "pixels" declares dimension 2 as -4/);
  });
});

describe('the image input', () => {
  it('must be float', () => {
    expect(refusal({ inputs: [valueInfo('pixels', [1, 3, 4, 4], 'int64')], nodes: [node('Relu', ['pixels'], ['y'])] }))
      .toBe('m.onnx: model input "pixels" is int64; an image input must be float (float32)');
  });

  it('must hold at least one image', () => {
    expect(refusal({ inputs: [valueInfo('pixels', [0, 3, 4, 4])], nodes: [node('Relu', ['pixels'], ['y'])] })).toMatch(/model input "pixels" declares dimension 0 as 0 \(a batch of no images\)/);
  });
});

describe('shapes and constant folding', () => {
  it('refuses a ConstantOfShape bomb before allocating, in a file of a few hundred bytes', () => {
    const shape = i64('shape', [2], [60_000, 30_000]);
    const spec = { initializers: [shape], nodes: [node('ConstantOfShape', ['shape'], ['big'], {}, 'bomb'), node('Relu', ['pixels'], ['y'])], outputs: [out, valueInfo('big', null)] };
    expect(encodeModel(buildModel({ inputs: [image], ...spec })).length).toBeLessThan(300);
    const before = process.memoryUsage().arrayBuffers;
    expect(refusal(spec)).toBe(`m.onnx: node "bomb" (ConstantOfShape) gives "big" 1800000000 elements ([60000, 30000]), more than the limit of ${MAX_FOLDED_ELEMENTS}`);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 << 20);
  });

  it('bounds what folding creates in all, not only per value (small budgets, same rule)', () => {
    const shape = i64('shape', [1], [1000]);
    const nodes = Array.from({ length: 4 }, (_, i) => node('ConstantOfShape', ['shape'], [`c${i}`], {}, `c${i}`));
    const model = buildModel({ inputs: [image], initializers: [shape], nodes: [...nodes, node('Relu', ['pixels'], ['y'])], outputs: [out, ...nodes.map((n) => valueInfo(n.outputs[0]!, null))] });
    const prepare = () => prepareModel(model, { pixels: [1, 3, 4, 4] }, onnxOps, { budgets: { folded: 1000, growth: 2500 } });
    expect(prepare).toThrow(/node "c2" \(ConstantOfShape\): constant folding would create more than 2500 elements beyond the model's own weights/);
    expect(() => prepareModel(model, { pixels: [1, 3, 4, 4] }, onnxOps, { budgets: { folded: 999 } })).toThrow(/gives "c0" 1000 elements \(\[1000\]\), more than the limit of 999/);
    expect([MAX_FOLDED_ELEMENTS, MAX_FOLDED_GROWTH, MAX_VALUE_ELEMENTS]).toEqual([2 ** 24, 2 ** 25, 2 ** 27]);
  });

  it('refuses negative Expand dims and zero Conv strides at plan time', () => {
    const shape = i64('shape', [4], [-2, 3, 4, 4]);
    expect(refusal({ initializers: [shape], nodes: [node('Expand', ['pixels', 'shape'], ['y'], {}, 'grow')] })).toMatch(/node "grow" \(Expand\) gives "y" the shape \[-2, 3, 4, 4\]: dims must be whole numbers, not negative/);
    const w = f32('w', [2, 3, 1, 1], new Array(6).fill(1));
    expect(refusal({ initializers: [w], nodes: [node('Conv', ['pixels', 'w'], ['y'], { strides: ints([0, 1]) }, 'conv')] })).toMatch(/Conv at node "conv": strides \[0, 1\] and dilations \[1, 1\] must be at least 1/);
  });

  it('refuses constant Gather indices out of range, naming the indices', () => {
    const spec = { initializers: [i64('idx', [2], [1, 7])], nodes: [node('Gather', ['pixels', 'idx'], ['y'], { axis: { type: 'int', value: 1 } }, 'pick')] };
    expect(refusal(spec)).toMatch(/Gather at node "pick": indices "idx" hold index 7, which is out of range for axis 1 of size 3/);
  });

  it('accepts the same graphs with sane values', () => {
    const model: Model = buildModel({ inputs: [image], outputs: [out], initializers: [i64('idx', [2], [0, 2])], nodes: [node('Gather', ['pixels', 'idx'], ['y'], { axis: { type: 'int', value: 1 } })] });
    expect(() => validateModel(model, 'ok.onnx')).not.toThrow();
  });
});

describe('names from the file', () => {
  it('are printed with control characters escaped and long ones cut', () => {
    const evil = 'x\u001b[2J\u001b]0;pwned\u0007\u202e';
    const message = refusal({ nodes: [node('Add', ['pixels', evil], ['y'], {}, 'n'.repeat(5000))] });
    expect(message).toContain('reads "x\\x1b[2J\\x1b]0;pwned\\x07\\u202e"');
    expect(message).not.toMatch(/[\u0000-\u001f\u202e]/);
    expect(message.length).toBeLessThan(400);
    expect(message).toContain('…(5000 characters)…');
  });

  it('keep raw names on the error for programs', () => {
    const model = buildModel({ inputs: [image], outputs: [out], nodes: [node('Add', ['pixels', 'w\u0007'], ['y'], {}, 'add')] });
    const e = (() => { try { validateModel(model, 'm.onnx'); } catch (x) { return x as GraphError; } })();
    expect([e?.node, e?.value]).toEqual(['add', 'w\u0007']);
    expect(tensor('t', 'float32', [1], Float32Array.of(1)).name).toBe('t');
  });
});
