/**
 * L_ver (paper eq. 9) as a loss term of the VEFT tuning: anchors are the float block's outputs, the
 * positive blends the mixed-precision block's output (P2, the tuned region's value) with the
 * all-integer block's (P1, computed once before tuning: HAQ's reconstructed model), w(t) = t/T;
 * negatives are the other images' blends in the step's batch. P1 is data, so only P2 carries a
 * gradient (docs/veft.md).
 */
import type { GpuContext } from '../../gpu/device.ts';
import type { CommandBatch } from '../../gpu/encoder.ts';
import { recordContrastive } from '../../grad/contrastive.ts';
import type { ImageData, LossTerm } from '../../grad/losses.ts';

export interface VerticalTermOptions {
  /** The mixed-precision block output (a region value). */
  value: string;
  anchors: ImageData;
  /** The all-integer block's outputs on the same inputs. */
  pos1: ImageData;
  tau: number;
  /** gamma2 (eq. 10). */
  weight: number;
}

export function verticalTerm(o: VerticalTermOptions): LossTerm {
  return {
    name: 'contrastive', values: [o.value], data: [o.anchors, o.pos1], weight: o.weight,
    record(ctx: GpuContext, cmd: CommandBatch, step) {
      const [pos2] = step.values;
      const [anchors, pos1] = step.data;
      const B = pos2.dims[0];
      const scratch = ctx.buffers.acquire((3 * B * B + 2 * B) * 4, 'vertical scratch');
      const d1 = { ...pos1, buffer: ctx.buffers.acquire(pos1.buffer.size, 'vertical d(P1)') };
      const sink = step.loss ? null : ctx.buffers.acquire(4, 'vertical loss');
      recordContrastive(ctx, cmd, {
        anchors, pos1, pos2, d1, d2: step.grads[0], scratch, loss: step.loss?.buffer ?? sink!, slot: step.loss?.slot ?? 0,
      }, { tau: o.tau, w: step.total > 0 ? step.t / step.total : 1, scale: o.weight });
      for (const b of [scratch, d1.buffer, ...(sink ? [sink] : [])]) ctx.buffers.release(b);
    },
  };
}
