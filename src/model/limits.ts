import { elementCount, type Model } from '../onnx/ir.ts';
import { onnxOps } from '../onnx/ops/index.ts';
import { modelInputDims, prepareModel } from '../onnx/prepare.ts';

/**
 * Whether a model fits the GPU adapter and the memory the studio may use, decided from its
 * structure before any weight is read: the largest tensor that must sit in one GPU buffer against
 * the adapter's maxStorageBufferBindingSize and maxBufferSize, and the memory a run needs against
 * what the device reports. A model that does not fit gets one message naming the limit.
 */
export interface MemoryNeeds {
  /** Weights as the GPU holds them (4 bytes a value). */
  weightBytes: number;
  /** The largest single tensor, a weight or an activation of `batch` images, and its name. */
  largest: { name: string; bytes: number };
  /** Activations a run of `batch` images holds at its peak (an estimate: the largest tensors' sum). */
  activationBytes: number;
  /** weightBytes, a byte a weight for the quantized copy, and the activations. */
  totalBytes: number;
}

export interface Limits {
  maxBufferSize?: number;
  maxStorageBufferBindingSize?: number;
  /** Bytes the studio may use for a model: a share of the device's memory (see memoryAllowance). */
  memory?: number;
}

/** What a run holds at once: the float weights, a byte per quantized weight, and a batch's activations. */
export function memoryNeeds(model: Model, batch: number): MemoryNeeds {
  let weightBytes = 0;
  let largest = { name: '', bytes: 0 };
  for (const [name, t] of model.graph.initializers) {
    const bytes = 4 * elementCount(t.dims);
    weightBytes += bytes;
    if (bytes > largest.bytes) largest = { name, bytes };
  }
  let activations: number[] = [];
  try {
    const plan = prepareModel(model, modelInputDims(model, 1), onnxOps);
    activations = plan.nodes.flatMap((n) => n.outputs.map((o) => ({ o, s: plan.shapes.get(o) }))).filter((x) => x.s).map(({ o, s }) => {
      const bytes = 4 * elementCount(s!.dims);
      if (batch * bytes > largest.bytes) largest = { name: o, bytes: batch * bytes };
      return bytes;
    });
  } catch {
    // Dims the input does not fix (or an op without a reference): only the weights are known.
  }
  // A run holds a few values at a time; the four largest bound a block's working set.
  const activationBytes = batch * activations.sort((a, b) => b - a).slice(0, 4).reduce((s, b) => s + b, 0);
  return { weightBytes, largest, activationBytes, totalBytes: weightBytes * 1.25 + activationBytes };
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(bytes < 10 * 2 ** 20 ? 1 : 0)} MiB`;
const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

/** Null when the model fits; else one sentence naming the tensor or the need and the limit it exceeds. */
export function checkFits(fileName: string, needs: MemoryNeeds, limits: Limits): string | null {
  for (const limit of ['maxStorageBufferBindingSize', 'maxBufferSize'] as const) {
    const max = limits[limit];
    if (max !== undefined && needs.largest.bytes > max) {
      return `${fileName} is too big for this GPU adapter: tensor "${needs.largest.name}" needs ${mib(needs.largest.bytes)} in one buffer, but the adapter's ${limit} is ${mib(max)}.`;
    }
  }
  if (limits.memory !== undefined && needs.totalBytes > limits.memory) {
    return `${fileName} is too big for this tab: a run needs about ${gib(needs.totalBytes)} (weights ${gib(needs.weightBytes)} and activations), more than the ${gib(limits.memory)} the studio allows itself (half of the ${gib(limits.memory * 2)} navigator.deviceMemory reports). Quantize it with the command-line tool (npm run cli) instead.`;
  }
  return null;
}

/**
 * Bytes the studio may use: half the device memory the browser reports (navigator.deviceMemory, in
 * GiB, which Chrome rounds down and caps at 8). Undefined where the browser does not say.
 */
export function memoryAllowance(deviceMemoryGiB: number | undefined): number | undefined {
  return deviceMemoryGiB && deviceMemoryGiB > 0 ? (deviceMemoryGiB * 2 ** 30) / 2 : undefined;
}
