import { describe, expect, it } from 'vitest';
import { lowerForEngine } from '../lower.ts';
import { packNibbles } from '../tensor-data.ts';
import { int, run, t, values } from './test-helpers.ts';

describe('QuantizeLinear / DequantizeLinear', () => {
  it('quantizes per tensor to uint8, rounding half to even and saturating', () => {
    expect(values('QuantizeLinear', [t([6], [0, 0.5, 1.5, 2.5, -100, 1000]), t([], [1]), t([], [10], 'uint8')], { opset: 21 })).toEqual([10, 10, 12, 12, 0, 255]);
  });

  it('quantizes to int8 with its signed range', () => {
    const [q] = run('QuantizeLinear', [t([3], [-1000, 0.26, 1000]), t([], [0.5]), t([], [-3], 'int8')], { opset: 13 });
    expect(q.dtype).toBe('int8');
    expect([...q.data]).toEqual([-128, -2, 127]);
  });

  it('dequantizes per axis (uint4 codes, one scale and zero point per row)', () => {
    const y = values('DequantizeLinear', [t([2, 3], [0, 1, 15, 8, 8, 9], 'uint4'), t([2], [0.5, 2]), t([2], [1, 8], 'uint4')], { attrs: { axis: int(0) }, opset: 21 });
    expect(y).toEqual([-0.5, 0, 7, 0, 0, 2]);
  });

  it('dequantizes blocked (opset 21 block_size) along an axis', () => {
    const y = values('DequantizeLinear', [t([1, 4], [2, 2, 2, 2], 'uint8'), t([1, 2], [1, 10]), t([1, 2], [0, 1], 'uint8')], { attrs: { axis: int(1), block_size: int(2) }, opset: 21 });
    expect(y).toEqual([2, 2, 10, 10]);
  });

  it('refuses a per-axis scale that does not fit the axis', () => {
    expect(() => run('DequantizeLinear', [t([2, 3], [0, 0, 0, 0, 0, 0], 'uint8'), t([3], [1, 1, 1])], { attrs: { axis: int(0) }, opset: 21 })).toThrow(/does not match axis 0/);
  });
});

describe('com.microsoft MatMulNBits', () => {
  // W (N=2 x K=3) = (q - zp) * s with 4-bit codes; block 16 pads K to 16 codes.
  const codes = [[1, 2, 3], [15, 0, 8]];
  const B = Uint8Array.from([...packNibbles([...codes[0], ...new Array(13).fill(0)]), ...packNibbles([...codes[1], ...new Array(13).fill(0)])]);
  const attrs = { K: int(3), N: int(2), bits: int(4), block_size: int(16) };
  const node = (inputs: string[]) => ({ name: 'mm', opType: 'MatMulNBits', domain: 'com.microsoft', inputs, outputs: ['y'], attrs });

  it('matches A · ((q - zp) s)ᵀ, with packed zero points and a bias, and with the default zero point 8', async () => {
    const { onnxOps } = await import('./index.ts');
    const def = onnxOps['com.microsoft:MatMulNBits'];
    const a = t([1, 3], [1, 10, 100]);
    const b = t([2, 1, 8], [...B], 'uint8');
    const s = t([2], [0.5, 2]);
    const zp = t([2], [1, 8], 'uint8');
    const bias = t([2], [1000, 2000]);
    const ctx = { node: node(['a', 'b', 's', 'zp', '', 'bias']), opset: 1 };
    const [y] = def.evaluate([a, b, s, zp, undefined, bias], ctx);
    // row 0: (0, 1, 2) * 0.5 → 0 + 5 + 100; row 1: (7, -8, 0) * 2 → 14 - 160
    expect([...y.data]).toEqual([1105, 2000 - 146]);
    const [y8] = def.evaluate([a, b, s], { node: node(['a', 'b', 's']), opset: 1 });
    expect([...y8.data]).toEqual([(1 - 8 + (2 - 8) * 10 + (3 - 8) * 100) * 0.5, (7 - 8 * 10 + 0) * 2]);
    expect(def.infer([a, b, s], { node: node(['a', 'b', 's']), opset: 1 }, [])).toEqual([{ dtype: 'float32', dims: [1, 2] }]);
  });

  it('refuses 3-bit and g_idx, and the engine lowers it to a foldable weight and a MatMul', async () => {
    const { onnxOps } = await import('./index.ts');
    const def = onnxOps['com.microsoft:MatMulNBits'];
    const bad = { ...node(['a', 'b', 's']), attrs: { ...attrs, bits: int(3) } };
    expect(() => def.infer([t([1, 3], [0, 0, 0])], { node: bad, opset: 1 }, [])).toThrow(/bits=3/);
    expect(() => def.infer([t([1, 3], [0, 0, 0])], { node: node(['a', 'b', 's', '', 'g']), opset: 1 }, [])).toThrow(/g_idx/);
    const lowered = lowerForEngine({
      irVersion: 10, opsets: [{ domain: '', version: 21 }], producerName: '', producerVersion: '', metadata: {},
      graph: { name: 'g', nodes: [node(['a', 'b', 's', 'zp', '', 'bias'])], initializers: new Map(), inputs: [], outputs: [], valueInfo: new Map() },
    });
    expect(lowered.graph.nodes.map((n) => n.opType)).toEqual(['DequantizeNBits', 'MatMul', 'Add']);
    expect(lowered.graph.nodes[2].outputs).toEqual(['y']);
  });
});
