/** Test helpers: fixtures, and the float64 reference executor's taps with the layout of its plan. */
import { runReference } from '../engine/cpu/executor.ts';
import { analyzeModel, type ModelStructure } from '../model/summary.ts';
import type { Model } from '../onnx/ir.ts';
import { lowerForEngine } from '../onnx/lower.ts';
import { onnxOps } from '../onnx/ops/index.ts';
import { modelInputDims, prepareModel } from '../onnx/prepare.ts';
import { additiveTaps, explainLayout, type ExplainLayout } from './layout.ts';
import { planLookup, tapReader } from './capture.ts';
import type { TapReader } from './maps.ts';
import type { DenseModel } from './dense-reference.ts';

export interface ReferenceCapture {
  structure: ModelStructure;
  layout: ExplainLayout;
  taps: TapReader;
  logits: number[][];
}

/** Runs `model` in float64 on `count` images (NCHW) with its attention tapped. */
export function referenceCapture(model: Model, pixels: ArrayLike<number>, count: number): ReferenceCapture {
  const runnable = lowerForEngine(model);
  const structure = analyzeModel(runnable);
  const plan = prepareModel(runnable, modelInputDims(runnable, count), onnxOps);
  const names = [...structure.attention.map((c) => c.probs), ...additiveTaps(structure, (n) => plan.constants.has(n))];
  const input = runnable.graph.inputs[0].name;
  const dims = plan.shapes.get(input)!.dims;
  const result = runReference(runnable, { [input]: { dtype: 'float32', dims, data: Float64Array.from(pixels) } }, { taps: names });
  const layout = explainLayout(runnable, structure, count, planLookup(plan, result.taps));
  const out = result.outputs[runnable.graph.outputs[0].name];
  const classes = out.data.length / count;
  const logits = Array.from({ length: count }, (_, i) => Array.from(out.data.subarray(i * classes, (i + 1) * classes)));
  return { structure, layout, taps: tapReader(result.taps), logits };
}

export type FixtureSpec = Omit<DenseModel, 'cores'> & { windows?: { stage: number; window: number; shift: number }[] };

/** The fixture families as tools/make_fixtures.py defines them: grids, windows and shifts (timm and HF shift every other block by window/2). */
export const FIXTURE_SPECS: Record<string, FixtureSpec> = {
  vit_tiny: { stages: [{ rows: 4, cols: 4 }], prefix: 1, readout: [0] },
  deit_tiny_distilled: { stages: [{ rows: 4, cols: 4 }], prefix: 2, readout: [0, 1] },
  hf_vit_tiny: { stages: [{ rows: 4, cols: 4 }], prefix: 1, readout: [0] },
  swin_tiny: {
    stages: [{ rows: 8, cols: 8 }, { rows: 4, cols: 4 }], prefix: 0, readout: [],
    windows: [{ stage: 0, window: 4, shift: 0 }, { stage: 0, window: 4, shift: 2 }, { stage: 1, window: 4, shift: 0 }, { stage: 1, window: 4, shift: 0 }],
  },
  hf_swin_tiny: {
    stages: [{ rows: 11, cols: 11 }, { rows: 6, cols: 6 }, { rows: 3, cols: 3 }], prefix: 0, readout: [],
    windows: [0, 1, 0, 1, 0, 0].map((shift, i) => ({ stage: Math.floor(i / 2), window: 3, shift })),
  },
};

/** The dense reference model of a fixture: its definition's geometry, with the taps' probabilities. */
export function denseModelFor(spec: FixtureSpec, capture: Pick<ReferenceCapture, 'layout' | 'taps'>): DenseModel {
  return { ...spec, cores: capture.layout.cores.map((c, i) => ({ probs: capture.taps(c.probs), kind: capture.layout.kind, ...(spec.windows?.[i] ?? { stage: 0 }) })) };
}
