import { GpuModel } from '../engine/session.ts';
import { explainImages, gpuScorer, type ExplainModel } from '../explain/explain.ts';
import { faithfulness } from '../explain/faithfulness.ts';
import type { ExplainLayout } from '../explain/layout.ts';
import { gpuAttentionGradients } from '../explain/gradients.ts';
import { MAP_METHODS, type ExplainCapabilities, type MapMethod } from '../explain/methods.ts';
import { analyzeModel } from '../model/summary.ts';
import type { Model } from '../onnx/ir.ts';
import { quantGpuOps, quantReferenceOps } from '../quant/simulation/fake-quant-op.ts';
import { lastQuantized, openModelWithOptions } from './analysis-service.ts';
import type { RgbaImage } from './analysis-api.ts';
import type { NamedFile } from './api.ts';
import type { ExplainApi, ExplainStatus, FaithfulnessStatus } from './explain-api.ts';
import { liveSession } from './gpu-context.ts';
import { modelImage } from './image-batches.ts';
import { sourcesOf } from './inputs.ts';
import { errorMessage } from './state.ts';

const OPS = { reference: quantReferenceOps, gpu: quantGpuOps };

function readoutText(layout: ExplainLayout): string {
  if (layout.kind === 'windows') return "the tokens (all of them, averaged like the classifier's mean pooling)";
  return layout.readout.length > 1 ? 'the CLS and distillation tokens, averaged as the two classifier heads are' : 'the CLS token';
}

interface Chosen {
  name: string;
  pixels: Float32Array;
  picture: RgbaImage;
}

/** The open model and the last quantized one on the GPU, with one image; both models are freed when `use` ends. */
async function withModels<T>(files: NamedFile[], image: string, use: (fp: ExplainModel, q: ExplainModel, chosen: Chosen, capabilities: ExplainCapabilities) => Promise<T>): Promise<T> {
  const { model, options } = openModelWithOptions();
  const result = lastQuantized();
  const file = (await sourcesOf(files)).find((f) => f.name === image);
  if (!file) throw new Error(`${image} is no longer among the chosen images`);
  const { pixels, picture } = await modelImage(file, options);
  const { ctx } = await liveSession();
  const onGpu = (m: Model, quantized: boolean): ExplainModel => ({ gpu: new GpuModel(ctx, m, quantized ? OPS : undefined), structure: analyzeModel(m) });
  const fp = onGpu(model, false);
  const q = onGpu(result.simulated, true);
  try {
    return await use(fp, q, { name: file.name, pixels, picture }, { gradients: gpuAttentionGradients(ctx) });
  } finally {
    fp.gpu.dispose();
    q.gpu.dispose();
  }
}

export const explainService: ExplainApi = {
  async mapMethods() {
    // The worker's GPU runs the backward pass, so every method is offered; a model the backward
    // pass cannot go through is refused when its map is asked for, naming the op.
    return MAP_METHODS.map((m) => ({ ...m, unavailable: null }));
  },

  async explainMaps(files, image, method: MapMethod): Promise<ExplainStatus> {
    try {
      const { fakeIndex } = openModelWithOptions();
      return await withModels(files, image, async (fp, q, { name, pixels, picture }, capabilities) => {
        const [e] = await explainImages(fp, q, pixels, 1, { method, fakeIndex, capabilities });
        const maps = (m: NonNullable<typeof e.quantized>) => ({ blocks: m.explanation.blocks, model: m.explanation.model, score: m.score });
        return {
          ok: true, image: picture, imageName: name, method, kind: e.fp.layout.kind, readout: readoutText(e.fp.layout), grid: e.fp.layout.stages[0],
          fp: maps(e.fp), quantized: maps(e.quantized!), comparison: e.comparison!,
        };
      });
    } catch (error) {
      return { ok: false, message: errorMessage(error) };
    }
  },

  async explainFaithfulness(files, image, method: MapMethod): Promise<FaithfulnessStatus> {
    try {
      const { fakeIndex } = openModelWithOptions();
      return await withModels(files, image, async (fp, q, { name, pixels }, capabilities) => {
        const [e] = await explainImages(fp, q, pixels, 1, { method, fakeIndex, capabilities });
        const { stages, input } = e.fp.layout;
        const curves = (m: ExplainModel, map: typeof e.fp) => faithfulness(map.explanation.model, stages[0], pixels, input, gpuScorer(m.gpu, fakeIndex));
        return { ok: true, method, imageName: name, fp: await curves(fp, e.fp), quantized: await curves(q, e.quantized!) };
      });
    } catch (error) {
      return { ok: false, message: errorMessage(error) };
    }
  },
};
