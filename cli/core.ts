/**
 * The seam between the command-line front end (arguments, files, images) and the studio's engine.
 * The CLI does everything up to these calls and prints what they return.
 */
import type { GpuContext } from '../src/gpu/device.ts';
import { NotWiredError } from './errors.ts';
import type { LoadedModel } from './model-files.ts';

/** Preprocessed images for one engine run. */
export interface InputBatch {
  /** File names, in order (sorted by name across batches). */
  images: string[];
  /** float32 NCHW, normalised. */
  pixels: Float32Array;
  dims: [number, number, number, number];
}

export interface InspectOutput {
  /** Printed with --json (JSON.stringify). */
  json: unknown;
  /** Printed otherwise. */
  text: string;
}

export interface CliCore {
  /** Structure of a decoded model: layers, blocks, attention cores, op histogram. */
  inspect(model: LoadedModel): Promise<InspectOutput>;
  /** Logits for every image of every batch, in order: one row per image. */
  run(ctx: GpuContext, model: LoadedModel, batches: InputBatch[]): Promise<number[][]>;
}

export const core: CliCore = {
  async inspect() {
    throw new NotWiredError('inspect is not wired to the model summary yet (cli/core.ts)');
  },
  async run() {
    throw new NotWiredError('run is not wired to the WebGPU executor yet (cli/core.ts)');
  },
};
