/**
 * Scores an ONNX file in onnxruntime-node on the CPU, with the same metrics as the pipeline's
 * GPU evaluation (src/quant/evaluation/evaluate.ts score). Graph optimisations are off: with them the CPU EP
 * rewrites DequantizeLinear + MatMul into a dynamically quantized matmul and the numbers drift from
 * the file's own definition (DESIGN.md, Export). One image per run, so batch-1 files run too.
 */
import { accuracy, fakeScore, rocAuc } from '../src/data/metrics.ts';
import type { LabelledBatch, Scores } from '../src/quant/evaluation/evaluate.ts';

interface OrtNode {
  InferenceSession: { create(bytes: Uint8Array, options?: Record<string, unknown>): Promise<OrtSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => unknown;
}
interface OrtSession {
  inputNames: readonly string[];
  outputNames: readonly string[];
  run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown }>>;
  release(): Promise<void>;
}

export const ORT_EVALUATION = 'onnxruntime-node CPU EP, graph optimisations disabled, one image per run';

let ort: OrtNode | null = null;

export async function ortScores(bytes: Uint8Array, batches: readonly LabelledBatch[], dims: readonly number[], fakeIndex = 1): Promise<Scores> {
  ort ??= (await import('onnxruntime-node')) as unknown as OrtNode;
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ['cpu'], graphOptimizationLevel: 'disabled', intraOpNumThreads: 1, interOpNumThreads: 1,
  });
  const logits: number[][] = [];
  const labels: boolean[] = [];
  try {
    for (const batch of batches) {
      const per = batch.pixels.length / batch.count;
      for (let i = 0; i < batch.count; i++) {
        const feed = new ort.Tensor('float32', batch.pixels.slice(i * per, (i + 1) * per), [1, ...dims]);
        const out = await session.run({ [session.inputNames[0]]: feed });
        const data = out[session.outputNames[0]].data;
        if (!(data instanceof Float32Array)) throw new Error('onnxruntime: the output is not float32');
        logits.push(Array.from(data));
      }
      labels.push(...batch.isFake);
    }
  } finally {
    await session.release();
  }
  return {
    n: logits.length,
    accuracy: accuracy(logits, labels, fakeIndex),
    auc: rocAuc(logits.map((l) => fakeScore(l, fakeIndex)), labels),
    logits,
  };
}
