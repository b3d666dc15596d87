import { strToU8, zipSync } from 'fflate';
import type { PreprocessOptions } from '../data/preprocess.ts';
import type { Architecture } from '../model/summary.ts';

/**
 * The export bundle, laid out the way transformers.js loads a model folder:
 *   model.onnx, quant_report.json                    the file and its report, at the top
 *   config.json, preprocessor_config.json            model_type and id2label; the image processor
 *   onnx/model_quantized.onnx                         transformers.js's q8 suffix, its default dtype on wasm
 *   onnx/model.onnx                                   its fp32 name, the default on WebGPU and in Node
 * so `pipeline('image-classification', folder)` picks the quantized model with any default dtype.
 */
export const QUANTIZED_SUFFIX = '_quantized';

export interface BundleInput {
  onnx: Uint8Array;
  report: unknown;
  /** config.json beside the source model, when there was one; id2label and model_type are filled in when missing. */
  config?: Record<string, unknown> | null;
  /** preprocessor_config.json beside the source model, verbatim, when there was one. */
  preprocessorConfig?: Record<string, unknown> | null;
  preprocess: PreprocessOptions | null;
  architecture: Architecture;
  numClasses: number;
  fakeIndex: number;
}

const MODEL_TYPES: Record<Architecture, { type: string; arch: string }> = {
  vit: { type: 'vit', arch: 'ViTForImageClassification' },
  'deit-distilled': { type: 'deit', arch: 'DeiTForImageClassificationWithTeacher' },
  swin: { type: 'swin', arch: 'SwinForImageClassification' },
  unknown: { type: 'vit', arch: 'ViTForImageClassification' },
};

export function bundleConfig(input: Pick<BundleInput, 'config' | 'architecture' | 'numClasses' | 'fakeIndex'>): Record<string, unknown> {
  const base = { ...(input.config ?? {}) };
  const model = MODEL_TYPES[input.architecture];
  const id2label = (base.id2label as Record<string, string> | undefined)
    ?? Object.fromEntries(Array.from({ length: input.numClasses }, (_, i) => [String(i), input.numClasses === 2 ? (i === input.fakeIndex ? 'fake' : 'real') : `LABEL_${i}`]));
  return {
    ...base,
    model_type: base.model_type ?? model.type,
    architectures: base.architectures ?? [model.arch],
    id2label,
    label2id: base.label2id ?? Object.fromEntries(Object.entries(id2label).map(([k, v]) => [v, Number(k)])),
  };
}

export function bundlePreprocessorConfig(input: Pick<BundleInput, 'preprocessorConfig' | 'preprocess'>): Record<string, unknown> {
  if (input.preprocessorConfig) return input.preprocessorConfig;
  const p = input.preprocess ?? { size: [224, 224] as [number, number], mean: [0.5, 0.5, 0.5] as [number, number, number], std: [0.5, 0.5, 0.5] as [number, number, number] };
  return {
    image_processor_type: 'ViTImageProcessor',
    do_resize: p.resize ?? true,
    size: { height: p.size[0], width: p.size[1] },
    do_rescale: true,
    rescale_factor: p.rescale ?? 1 / 255,
    do_normalize: true,
    image_mean: p.mean,
    image_std: p.std,
  };
}

/** Every file of the bundle by path. */
export function bundleFiles(input: BundleInput): Record<string, Uint8Array> {
  const json = (v: unknown) => strToU8(JSON.stringify(v, null, 2) + '\n');
  return {
    'model.onnx': input.onnx,
    'quant_report.json': json(input.report),
    'config.json': json(bundleConfig(input)),
    'preprocessor_config.json': json(bundlePreprocessorConfig(input)),
    [`onnx/model${QUANTIZED_SUFFIX}.onnx`]: input.onnx,
    'onnx/model.onnx': input.onnx,
  };
}

export function bundleZip(input: BundleInput): Uint8Array {
  // ONNX initializers are mostly packed codes: deflate gains little, so level 6 is plenty.
  return zipSync(bundleFiles(input), { level: 6 });
}
