import { broadcastStrides, stridesOf } from '../../engine/kernels/dispatch.ts';

/**
 * How one operand T of a broadcasting op sits in the output: its gradient sums the output's
 * gradient over the axes T was stretched along. Shared by the float64 reference (below) and
 * shaders/grad_binary.wgsl, which walk it the same way.
 */
export interface BroadcastReducePlan {
  /** T's dims aligned to the output's rank: 1 where T was broadcast or had no axis. */
  tDims: number[];
  /** The stretched axes' lengths (1 on every other axis). */
  rDims: number[];
  outStrides: number[];
  /** Output elements summed into each element of T. */
  reduceCount: number;
}

export function broadcastReducePlan(target: readonly number[], out: readonly number[]): BroadcastReducePlan {
  if (target.length > out.length) throw new RangeError(`cannot reduce [${out.join(', ')}] to the larger rank of [${target.join(', ')}]`);
  const tDims = out.map((_, d) => target[d - (out.length - target.length)] ?? 1);
  tDims.forEach((t, d) => {
    if (t !== 1 && t !== out[d]) throw new RangeError(`[${target.join(', ')}] does not broadcast to [${out.join(', ')}]`);
  });
  const rDims = out.map((n, d) => (tDims[d] === 1 ? n : 1));
  return { tDims, rDims, outStrides: stridesOf(out), reduceCount: rDims.reduce((a, b) => a * b, 1) };
}

/** Where each operand of a binary op is read for every output element. */
export function operandStrides(aDims: readonly number[], bDims: readonly number[], out: readonly number[]): { aStrides: number[]; bStrides: number[] } {
  return { aStrides: broadcastStrides(aDims, out), bStrides: broadcastStrides(bDims, out) };
}

/**
 * dT[t] = Σ term(o, ia, ib) over the output elements o that read T's element t, where ia and ib
 * are the elements of a and b that o reads: the float64 walk of shaders/grad_binary.wgsl.
 */
export function broadcastBackward(
  plan: BroadcastReducePlan, strides: { aStrides: number[]; bStrides: number[] },
  term: (o: number, ia: number, ib: number) => number,
): Float64Array {
  const rank = plan.tDims.length;
  const count = plan.tDims.reduce((a, b) => a * b, 1);
  const out = new Float64Array(count);
  const tc = new Array<number>(rank).fill(0);
  for (let t = 0; t < count; t++) {
    let rest = t;
    for (let d = rank - 1; d >= 0; d--) {
      tc[d] = rest % plan.tDims[d];
      rest = Math.floor(rest / plan.tDims[d]);
    }
    let sum = 0;
    for (let j = 0; j < plan.reduceCount; j++) {
      let r = j;
      let o = 0;
      let ia = 0;
      let ib = 0;
      for (let d = rank - 1; d >= 0; d--) {
        const c = tc[d] + (r % plan.rDims[d]);
        r = Math.floor(r / plan.rDims[d]);
        o += c * plan.outStrides[d];
        ia += c * strides.aStrides[d];
        ib += c * strides.bStrides[d];
      }
      sum += term(o, ia, ib);
    }
    out[t] = sum;
  }
  return out;
}
