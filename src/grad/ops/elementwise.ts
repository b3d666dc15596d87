import { attrFloat, attrString } from '../../onnx/ops/attrs.ts';
import { erf } from '../../onnx/ops/math.ts';
import type { RefTensor } from '../../onnx/ops/types.ts';
import { recordBinaryGrad, recordUnaryGrad, type BinaryGrad, type UnaryGrad } from '../kernels.ts';
import { type BackwardRule, gradOrZero, noSaves, refOf, type ReferenceBackward } from '../rule.ts';
import { broadcastBackward, broadcastReducePlan, operandStrides } from './broadcast.ts';

/**
 * Elementwise backward passes. Unary ops: dx = g · f'(v), with v the forward input or output
 * (whichever f' is cheaper from). Binary ops with numpy broadcasting: each operand's gradient is the
 * output gradient times the partial derivative, summed over the axes that operand was stretched
 * along. The float64 formulas here are the ones shaders/grad_unary.wgsl and grad_binary.wgsl use.
 */

const GELU_C = Math.sqrt(2 / Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

interface UnaryDef {
  grad: UnaryGrad;
  /** Which forward value the derivative reads: the input x, the output y, or neither. */
  from: 'x' | 'y' | null;
  derivative: (v: number, alpha: number, beta: number) => number;
}

const gelu = (x: number) => 0.5 * (1 + erf(x / Math.SQRT2)) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
function geluTanh(x: number): number {
  const t = Math.tanh(GELU_C * (x + 0.044715 * x ** 3));
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_C * (1 + 3 * 0.044715 * x * x);
}

const UNARY_DEFS: Record<string, UnaryDef> = {
  Sqrt: { grad: 'Sqrt', from: 'y', derivative: (y) => 0.5 / y },
  Erf: { grad: 'Erf', from: 'x', derivative: (x) => (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) },
  Tanh: { grad: 'Tanh', from: 'y', derivative: (y) => 1 - y * y },
  Exp: { grad: 'Exp', from: 'y', derivative: (y) => y },
  Log: { grad: 'Log', from: 'x', derivative: (x) => 1 / x },
  Neg: { grad: 'Neg', from: null, derivative: () => -1 },
  Abs: { grad: 'Abs', from: 'x', derivative: (x) => Math.sign(x) },
  Reciprocal: { grad: 'Reciprocal', from: 'y', derivative: (y) => -y * y },
  Relu: { grad: 'Relu', from: 'x', derivative: (x) => (x > 0 ? 1 : 0) },
  Sigmoid: { grad: 'Sigmoid', from: 'y', derivative: (y) => y * (1 - y) },
  Gelu: { grad: 'Gelu', from: 'x', derivative: gelu },
  GeluTanh: { grad: 'GeluTanh', from: 'x', derivative: geluTanh },
  Clip: { grad: 'Clip', from: 'x', derivative: (x, lo, hi) => (x >= lo && x <= hi ? 1 : 0) },
  LeakyRelu: { grad: 'LeakyRelu', from: 'x', derivative: (x, alpha) => (x >= 0 ? 1 : alpha) },
  Softplus: { grad: 'Softplus', from: 'x', derivative: (x) => 1 / (1 + Math.exp(-x)) },
};

interface UnaryOp {
  def: (node: ReferenceBackward['node']) => UnaryDef;
  /** alpha and beta of the derivative: Clip's bounds, LeakyRelu's slope. */
  params?: (op: { node: ReferenceBackward['node']; opset: number }, constants: (RefTensor | undefined)[]) => [number, number];
}

const fixed = (name: string): UnaryOp => ({ def: () => UNARY_DEFS[name] });

function clipBounds(op: { node: ReferenceBackward['node']; opset: number }, constants: (RefTensor | undefined)[]): [number, number] {
  if (op.opset < 11) return [attrFloat(op, 'min', -Infinity), attrFloat(op, 'max', Infinity)];
  const bound = (i: number, fallback: number) => {
    if (!op.node.inputs[i]) return fallback;
    const c = constants[i];
    if (!c) throw new Error(`Clip at node "${op.node.name}": the backward pass needs constant bounds`);
    return c.data[0];
  };
  return [bound(1, -Infinity), bound(2, Infinity)];
}

const UNARY_OPS: Record<string, UnaryOp> = {
  ...Object.fromEntries(['Sqrt', 'Erf', 'Tanh', 'Exp', 'Log', 'Neg', 'Abs', 'Reciprocal', 'Relu', 'Sigmoid', 'Softplus'].map((n) => [n, fixed(n)])),
  Gelu: { def: (node) => UNARY_DEFS[attrString({ node, opset: 20 }, 'approximate', 'none') === 'tanh' ? 'GeluTanh' : 'Gelu'] },
  LeakyRelu: { def: () => UNARY_DEFS.LeakyRelu, params: (op) => [attrFloat(op, 'alpha', 0.01), 0] },
  Clip: { def: () => UNARY_DEFS.Clip, params: clipBounds },
};

function unaryRule(op: UnaryOp): BackwardRule {
  return {
    saves: (node) => {
      const from = op.def(node).from;
      return from === 'x' ? { inputs: [0], outputs: [] } : from === 'y' ? { inputs: [], outputs: [0] } : noSaves();
    },
    reference(a) {
      if (!a.wants[0]) return [];
      const def = op.def(a.node);
      const [alpha, beta] = op.params?.(a, a.inputs) ?? [0, 0];
      const v = def.from === 'x' ? a.inputs[0] : a.outputs[0];
      const g = gradOrZero(a.grads[0], a.inputs[0]!.dims);
      return [refOf(g.dims, g.data.map((gi, i) => gi * def.derivative(v?.data[i] ?? 0, alpha, beta)))];
    },
    gpu(r) {
      const g = r.grad(0);
      if (!g || !r.wants[0]) return;
      const def = op.def(r.node);
      const [alpha, beta] = op.params?.(r.op, r.constants) ?? [0, 0];
      const v = def.from === 'x' ? r.input(0) : def.from === 'y' ? r.output(0) : null;
      recordUnaryGrad(r.ctx, r.cmd, def.grad, v, g, r.newGrad(0), clampF32(alpha), clampF32(beta));
    },
  };
}

/** Infinite Clip bounds as the largest float32, which a uniform can hold. */
const clampF32 = (v: number) => Math.max(-3.4028234663852886e38, Math.min(3.4028234663852886e38, v));

/** Identity, Cast (float to float), Dropout at inference: the gradient passes unchanged. */
export const identityRule: BackwardRule = {
  saves: noSaves,
  reference: (a) => {
    const dims = a.inputs[0]!.dims;
    return [a.wants[0] ? refOf(dims, Float64Array.from(gradOrZero(a.grads[0], dims).data)) : undefined];
  },
  gpu: (r) => {
    if (r.wants[0]) r.passThrough(0, 0);
  },
};

const BINARY_MODES: Record<string, [BinaryGrad, BinaryGrad]> = {
  Add: ['Ident', 'Ident'],
  Sub: ['Ident', 'Neg'],
  Mul: ['MulB', 'MulA'],
  Div: ['DivA', 'DivB'],
  Pow: ['PowA', 'PowB'],
};

/** What each mode reads besides g: [reads a, reads b]. */
const READS: Record<BinaryGrad, [boolean, boolean]> = {
  Ident: [false, false], Neg: [false, false], MulB: [false, true], MulA: [true, false],
  DivA: [false, true], DivB: [true, true], PowA: [true, true], PowB: [true, true],
};

const powBaseDerivative = (x: number, y: number) => (y === 2 ? 2 * x : y === 1 ? 1 : y * x ** (y - 1));

const TERMS: Record<BinaryGrad, (g: number, a: number, b: number) => number> = {
  Ident: (g) => g,
  Neg: (g) => -g,
  MulB: (g, _a, b) => g * b,
  MulA: (g, a) => g * a,
  DivA: (g, _a, b) => g / b,
  DivB: (g, a, b) => (-g * a) / (b * b),
  PowA: (g, a, b) => g * powBaseDerivative(a, b),
  PowB: (g, a, b) => g * a ** b * Math.log(a),
};

function binaryRule(modes: [BinaryGrad, BinaryGrad]): BackwardRule {
  return {
    saves: () => {
      const reads = [0, 1].filter((i) => READS[modes[0]][i] || READS[modes[1]][i]);
      return { inputs: reads, outputs: [] };
    },
    reference(a) {
      const [x, y] = [a.inputs[0]!, a.inputs[1]!];
      const out = a.outputs[0]?.dims ?? a.grads[0]?.dims;
      if (!out) throw new Error(`${a.node.opType} at node "${a.node.name}": no output shape`);
      const g = gradOrZero(a.grads[0], out);
      const strides = operandStrides(x.dims, y.dims, out);
      return [x, y].map((operand, i) => {
        if (!a.wants[i]) return undefined;
        const term = TERMS[modes[i]];
        const data = broadcastBackward(broadcastReducePlan(operand.dims, out), strides, (o, ia, ib) => term(g.data[o], x.data[ia], y.data[ib]));
        return refOf(operand.dims, data);
      });
    },
    gpu(r) {
      const g = r.grad(0);
      if (!g) return;
      for (const i of [0, 1]) {
        if (!r.wants[i]) continue;
        const [readsA, readsB] = READS[modes[i]];
        const operands = readsA || readsB ? { a: readsA ? r.input(0) : g, b: readsB ? r.input(1) : g } : null;
        recordBinaryGrad(r.ctx, r.cmd, modes[i], operands, g, r.newGrad(i));
      }
    },
  };
}

export const elementwiseRules: Record<string, BackwardRule> = {
  ...Object.fromEntries(Object.entries(UNARY_OPS).map(([name, op]) => [name, unaryRule(op)])),
  ...Object.fromEntries(Object.entries(BINARY_MODES).map(([op, modes]) => [op, binaryRule(modes)])),
  Identity: identityRule,
  Dropout: identityRule,
  Cast: identityRule,
};

/** The float64 derivative of a unary op by its grad code (tests compare the WGSL with these). */
export function unaryDerivative(grad: UnaryGrad): UnaryDef['derivative'] {
  const def = Object.values(UNARY_DEFS).find((d) => d.grad === grad);
  if (!def) throw new RangeError(`no unary derivative ${grad}`);
  return def.derivative;
}
