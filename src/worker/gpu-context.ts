import type { GpuContext, GpuSession } from '../gpu/device.ts';
import { openSession } from './state.ts';

/** The worker's GPU, with a fresh device if the last one was lost since (a lost device never comes back). */
export async function liveSession(): Promise<{ session: GpuSession; ctx: GpuContext }> {
  const session = await openSession();
  if (session.isLost) await session.recover();
  return { session, ctx: session.context };
}
