/**
 * The map methods the studio and the CLI offer, and what each needs. Attention rollout and raw
 * attention need only the attention probabilities a forward run taps. Gradient-weighted
 * attribution (Chefer et al.) also needs the gradient of the fake logit with respect to every
 * attention's probabilities, which a backward pass through the blocks gives (gradients.ts): it is
 * available when an AttentionGradientSource is supplied.
 */
import type { Model } from '../onnx/ir.ts';
import type { TensorLike } from './windows.ts';

export type MapMethod = 'rollout' | 'attention' | 'gradient';

export interface MethodInfo {
  id: MapMethod;
  title: string;
  summary: string;
}

export const MAP_METHODS: readonly MethodInfo[] = [
  { id: 'rollout', title: 'Attention rollout', summary: 'attention of every block, heads averaged, with the residual path, multiplied from the input to the readout (Abnar & Zuidema)' },
  { id: 'attention', title: 'Raw attention', summary: "one block's attention from the readout token(s) to each patch, per head or averaged" },
  { id: 'gradient', title: 'Gradient × attention', summary: 'attention weighted by the gradient of the fake score, positive part, accumulated over the blocks (Chefer et al.)' },
];

export function isMapMethod(text: string): text is MapMethod {
  return MAP_METHODS.some((m) => m.id === text);
}

/**
 * What the backward layer is to provide: for one batch of images, the gradient of the fake
 * class's logit with respect to each named attention-probabilities value, with that value's dims.
 */
export interface AttentionGradientSource {
  attentionGradients(model: Model, pixels: Float32Array, batch: number, probs: readonly string[], target: { output: string; index: number }): Promise<Map<string, TensorLike>>;
}

export interface ExplainCapabilities {
  gradients: AttentionGradientSource | null;
}

/** Forward runs only: no backward pass was supplied. */
export const FORWARD_ONLY: ExplainCapabilities = { gradients: null };

export const GRADIENTS_MISSING =
  'gradient × attention needs the gradients of the fake logit through the attention blocks (a backward pass), and none was supplied here; use rollout or attention';

/** Null when the method can run with these capabilities, else why it cannot. */
export function unavailableReason(method: MapMethod, capabilities: ExplainCapabilities): string | null {
  return method === 'gradient' && !capabilities.gradients ? GRADIENTS_MISSING : null;
}

export class MethodUnavailableError extends Error {
  override name = 'MethodUnavailableError';
}

export function assertAvailable(method: MapMethod, capabilities: ExplainCapabilities): void {
  const reason = unavailableReason(method, capabilities);
  if (reason) throw new MethodUnavailableError(reason);
}
