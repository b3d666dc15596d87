/**
 * The gradients gradient × attention needs: d(fake logit)/d(every attention's probabilities),
 * from src/grad's reverse-mode pass over the whole model (pixels to logits), on the GPU or in
 * float64. Quantized models are differentiated through their quantizers by the straight-through
 * estimator: the simulator's FakeQuantize nodes as they are, an export's QuantizeLinear →
 * DequantizeLinear pairs once rewritten as such (straight-through.ts).
 */
import type { GpuContext } from '../gpu/device.ts';
import { runProgram } from '../grad/gradients.ts';
import { backwardRules } from '../grad/ops/index.ts';
import { GradProgram, type GradExtensions } from '../grad/program.ts';
import { referenceBackward, referenceForward } from '../grad/reference.ts';
import { buildRegion, type RegionSpec } from '../grad/region.ts';
import { refOf } from '../grad/rule.ts';
import { fixedBatch } from '../model/input.ts';
import type { Model } from '../onnx/ir.ts';
import { onnxOps } from '../onnx/ops/index.ts';
import { UnsupportedOpError } from '../onnx/ops/types.ts';
import { modelInputDims } from '../onnx/prepare.ts';
import { quantGradExtensions } from '../quant/simulation/fake-quant-grad.ts';
import { MethodUnavailableError, type AttentionGradientSource } from './methods.ts';
import { withStraightThroughQuantizers } from './straight-through.ts';
import type { TensorLike } from './windows.ts';

/** The ops a quantized model may hold beyond ONNX's: the simulator's FakeQuantize, forward and backward. */
const EXTENSIONS: GradExtensions = quantGradExtensions;

interface GradientProblem {
  model: Model;
  spec: RegionSpec;
  output: string;
  /** One-hot on the target logit of every image: the images are independent, so each gets its own gradient. */
  seed(classes: number): Float32Array;
}

function problemFor(model: Model, batch: number, probs: readonly string[], target: { output: string; index: number }): GradientProblem {
  const differentiable = withStraightThroughQuantizers(model);
  const input = differentiable.graph.inputs[0].name;
  const spec: RegionSpec = { inputs: [{ name: input, dims: modelInputDims(differentiable, batch)[input] }], outputs: [target.output], wrt: probs };
  return {
    model: differentiable, spec, output: target.output,
    seed(classes) {
      if (target.index < 0 || target.index >= classes) throw new RangeError(`class ${target.index} is not an output of the model (it has ${classes})`);
      const seed = new Float32Array(batch * classes);
      for (let b = 0; b < batch; b++) seed[b * classes + target.index] = 1;
      return seed;
    },
  };
}

/** A model the backward pass cannot go through is the method's limit, said in one line. */
function unavailableFor(e: unknown): unknown {
  if (e instanceof UnsupportedOpError) return new MethodUnavailableError(`gradient × attention is not available for this model: ${e.message}`);
  return e;
}

/** Gradients on the GPU, one forward and backward pass per batch of images. */
export function gpuAttentionGradients(ctx: GpuContext): AttentionGradientSource {
  return {
    async attentionGradients(model, pixels, batch, probs, target) {
      try {
        const problem = problemFor(model, batch, probs, target);
        const program = new GradProgram(ctx, problem.model, problem.spec, EXTENSIONS);
        try {
          const { shapes } = program.region.plan;
          const outDims = shapes.get(problem.output)!.dims;
          const seeds = { [problem.output]: problem.seed(outDims[outDims.length - 1]) };
          const result = await runProgram(ctx, program, { feeds: { [problem.spec.inputs[0].name]: pixels }, seeds });
          return new Map(probs.map((name) => [name, { dims: shapes.get(name)!.dims, data: result.values.get(name)! }]));
        } finally {
          program.dispose();
        }
      } catch (e) {
        throw unavailableFor(e);
      }
    },
  };
}

/** Gradients in float64 on the CPU (src/grad's reference): what the GPU's are tested against. */
export const referenceAttentionGradients: AttentionGradientSource = {
  async attentionGradients(model, pixels, batch, probs, target) {
    try {
      const problem = problemFor(model, batch, probs, target);
      const region = regionOf(problem);
      const input = problem.spec.inputs[0];
      const values = referenceForward(region, { ...onnxOps, ...EXTENSIONS.forward?.reference }, { [input.name]: refOf(input.dims, Float64Array.from(pixels)) });
      const outDims = region.plan.shapes.get(problem.output)!.dims;
      const seed = refOf(outDims, Float64Array.from(problem.seed(outDims[outDims.length - 1])));
      const grads = referenceBackward(region, values, new Map([[problem.output, seed]]));
      return new Map<string, TensorLike>(probs.map((name) => [name, grads.values.get(name)!]));
    } catch (e) {
      throw unavailableFor(e);
    }
  },
};

/**
 * Refuses, before anything runs, a model the backward pass cannot go through (an op on the
 * gradient's path without a backward rule), naming the op and node.
 */
export function assertDifferentiable(model: Model, probs: readonly string[], target: { output: string; index: number }): void {
  try {
    regionOf(problemFor(model, fixedBatch(model) ?? 1, probs, target));
  } catch (e) {
    throw unavailableFor(e);
  }
}

function regionOf(problem: GradientProblem) {
  return buildRegion(problem.model, problem.spec, { ...onnxOps, ...EXTENSIONS.forward?.reference }, { ...backwardRules, ...EXTENSIONS.backward });
}
