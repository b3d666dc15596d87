/** Which preprocessing a `run` uses: flags over preprocessor_config.json over the model's input shape. */
import { ImageSizeError, VIT_DEFAULTS, type PreprocessOptions } from '../src/data/preprocess.ts';
import type { Model } from '../src/onnx/ir.ts';
import { modelImageSize } from '../src/model/input.ts';
import type { PreprocessFlags } from './args.ts';
import { CliUsageError } from './errors.ts';

type RunCommand = PreprocessFlags;

export interface ResolvedPreprocess {
  options: PreprocessOptions;
  /** Where the settings came from, for a note on stderr. */
  source: string;
}

export function resolvePreprocess(cmd: RunCommand, fileName: string, model: Model, config: { path: string; options: PreprocessOptions } | null): ResolvedPreprocess {
  const modelSize = modelImageSize(model);
  let options: PreprocessOptions;
  let source: string;
  if (config) {
    options = { ...config.options };
    source = config.path;
  } else {
    const size = cmd.size ?? modelSize;
    if (!size) {
      throw new CliUsageError(`cannot tell the image size: ${fileName} has no fixed input height and width and there is no preprocessor_config.json beside it; pass --size`);
    }
    options = { size, mean: VIT_DEFAULTS.mean, std: VIT_DEFAULTS.std, rescale: VIT_DEFAULTS.rescale, resize: true };
    source = 'defaults (no preprocessor_config.json beside the model): mean 0.5, std 0.5, size from the model';
  }
  if (cmd.size) {
    options.size = cmd.size;
    options.resize = true;
    delete options.resizeTo;
  }
  if (!cmd.resize) {
    options.resize = false;
    delete options.resizeTo;
  }
  if (cmd.mean) options.mean = cmd.mean;
  if (cmd.std) options.std = cmd.std;
  if (modelSize && (modelSize[0] !== options.size[0] || modelSize[1] !== options.size[1])) {
    const [h, w] = options.size;
    throw new ImageSizeError(`images would be prepared at ${w}x${h} (${cmd.size ? '--size' : source}) but ${fileName} takes ${modelSize[1]}x${modelSize[0]}; pass --size ${modelSize[0] === modelSize[1] ? modelSize[0] : `${modelSize[0]}x${modelSize[1]}`}`);
  }
  return { options, source };
}
