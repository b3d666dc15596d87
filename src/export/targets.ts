import type { WeightFormat } from '../storage/layout.ts';
import { ExportError } from './errors.ts';

/**
 * Where an exported file is meant to run, and what that allows in it (docs/deploy.md has the
 * measurements behind these rules):
 * - wasm: onnxruntime-web's CPU build. Weights per layer the smaller of DequantizeLinear and
 *   MatMulNBits; activations as uint8 QuantizeLinear/DequantizeLinear pairs.
 * - webgpu: onnxruntime's native WebGPU EP, with only ops it runs on the GPU: weights as
 *   DequantizeLinear per channel by default (as fast as the float model there; MatMulNBits,
 *   allowed when asked for, was slower on the adapter measured), activations in float. The EP
 *   has no QuantizeLinear kernel (activation Q/DQ runs on the CPU), and MatMulNBits'
 *   accuracy_level 4 quantizes activations per row in blocks of 128, symmetric int8, only on
 *   adapters with subgroups that are not Apple's and only for some shapes: no one simulation
 *   equals that on every device, so activation quantization is refused rather than silently
 *   differing from the studio's simulation.
 * - any: the most portable file: standard ONNX only (DequantizeLinear per channel feeding the
 *   original MatMul/Gemm/Conv, no com.microsoft op), float activations. It runs natively on
 *   onnxruntime's CPU, wasm and WebGPU EPs, and in any ONNX runtime with opset 21.
 */
export type ExportTarget = 'wasm' | 'webgpu' | 'any';

export const TARGETS: readonly ExportTarget[] = ['wasm', 'webgpu', 'any'];

export interface TargetRules {
  /** The weight format when none is asked for. */
  format: WeightFormat;
  /** The weight formats the target accepts. */
  formats: readonly WeightFormat[];
  /** Whether activations may be written as QuantizeLinear/DequantizeLinear pairs. */
  activations: boolean;
  /** One line for menus and help. */
  summary: string;
}

export const TARGET_RULES: Record<ExportTarget, TargetRules> = {
  wasm: { format: 'auto', formats: ['auto', 'qdq', 'nbits'], activations: true, summary: 'onnxruntime-web wasm (CPU): low-bit weights, 8-bit activations' },
  webgpu: { format: 'qdq', formats: ['qdq', 'auto', 'nbits'], activations: false, summary: 'onnxruntime WebGPU EP: low-bit weights, float activations, every node on the GPU' },
  any: { format: 'qdq', formats: ['qdq'], activations: false, summary: 'any runtime: standard ONNX DequantizeLinear weights, float activations' },
};

/** The weight format each target uses by default. */
export const TARGET_FORMAT: Record<ExportTarget, WeightFormat> = { wasm: TARGET_RULES.wasm.format, webgpu: TARGET_RULES.webgpu.format, any: TARGET_RULES.any.format };

/**
 * Why a run cannot be exported for `target` (one line naming the setting), or null. `activationBits`
 * is the run's activation width, null when activations stayed in float.
 */
export function targetObstacle(target: ExportTarget, format: WeightFormat, activationBits: number | null): string | null {
  const rules = TARGET_RULES[target];
  if (!rules.formats.includes(format)) {
    return `the ${target} target stores weights as ${rules.formats.join(' or ')} only (MatMulNBits is an onnxruntime contrib op); got weight format ${format}`;
  }
  if (!rules.activations && activationBits !== null) {
    const why = target === 'webgpu'
      ? "onnxruntime's WebGPU EP has no QuantizeLinear kernel and would run activation quantization on the CPU"
      : 'activation Q/DQ is not computed alike by every runtime';
    return `the ${target} target keeps activations in float (${why}), but this run quantized them to ${activationBits} bits: quantize again with activation bits none, or export for wasm`;
  }
  return null;
}

export function checkTarget(target: ExportTarget, format: WeightFormat, activationBits: number | null): void {
  const obstacle = targetObstacle(target, format, activationBits);
  if (obstacle) throw new ExportError(obstacle);
}
