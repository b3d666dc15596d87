import { attrFloat, attrInts, attrString } from '../../onnx/ops/attrs.ts';
import { normalizeAxis } from '../../onnx/ops/util.ts';
import { recordIndexMap } from '../kernels/index-map.ts';
import type { OpRecording } from './context.ts';

type Impl = (r: OpRecording) => void;

const pad: Impl = (r) => {
  const x = r.input(0);
  const rank = x.dims.length;
  const mode = attrString(r.op, 'mode', 'constant');
  if (mode !== 'constant' && mode !== 'edge' && mode !== 'reflect') throw r.unsupported(`mode="${mode}"`);
  let pads: number[];
  let value = 0;
  let axes = [...x.dims.keys()];
  if (r.opset < 11) {
    pads = attrInts(r.op, 'pads') ?? [];
    value = attrFloat(r.op, 'value', 0);
  } else {
    pads = Array.from(r.constant(1).data);
    if (r.node.inputs[2]) value = r.constant(2).data[0] ?? 0;
    if (r.node.inputs[3]) axes = Array.from(r.constant(3).data, (a) => normalizeAxis(a, rank, r.op));
  }
  if (pads.length !== 2 * axes.length) throw r.unsupported(`${pads.length} pads for ${axes.length} axes`);
  const begin = new Array<number>(rank).fill(0);
  axes.forEach((a, i) => (begin[a] = pads[i]));
  if (mode === 'reflect' && x.dims.some((d, i) => d < 2 && r.outputs[0].dims[i] !== d)) {
    throw r.unsupported('reflect padding needs at least 2 elements per padded axis');
  }
  // Negative pads crop: the begin offset simply goes negative.
  recordIndexMap(r.ctx, r.batch, x, r.outputs[0], { mode, begin, value });
};

/** Tile: every output coordinate wraps around the input's extent. */
const tile: Impl = (r) => {
  const x = r.input(0);
  recordIndexMap(r.ctx, r.batch, x, r.outputs[0], { mode: 'wrap', begin: x.dims.map(() => 0) });
};

export const paddingImpls: Record<string, Impl> = { Pad: pad, Tile: tile };
