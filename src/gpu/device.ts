import { BufferPool } from './buffers.ts';
import { PipelineCache } from './pipelines.ts';
import type { TimestampProfiler } from './profiler.ts';

/** What the studio shows about the adapter it runs on. */
export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  features: string[];
  limits: Record<string, number>;
}

/** Limits the kernels rely on; we ask for the adapter's maximum of each, explicitly. */
const REQUESTED_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
] as const;

const OPTIONAL_FEATURES: GPUFeatureName[] = ['timestamp-query', 'subgroups', 'shader-f16'];

export class WebGpuUnavailableError extends Error {
  override name = 'WebGpuUnavailableError';
}

export class GpuDeviceLostError extends Error {
  override name = 'GpuDeviceLostError';
}

/** Everything a kernel needs to run: the device plus its caches. */
export interface GpuContext {
  readonly adapter: GPUAdapter;
  readonly device: GPUDevice;
  readonly summary: AdapterSummary;
  readonly hasTimestamps: boolean;
  readonly hasSubgroups: boolean;
  readonly pipelines: PipelineCache;
  readonly buffers: BufferPool;
  /** When set, every command batch without its own profiler is timed by this one (benchmarks). */
  profiler?: TimestampProfiler | null;
  /** Why the device was lost, once it is. */
  lostReason: string | null;
}

export function webGpuHelp(): string {
  return 'WebGPU is not available here. Use a recent Chrome, Edge or Chromium (on Linux start it with ' +
    '--enable-unsafe-webgpu), or Safari 26 / Firefox 141+, and open the studio from https:// or http://localhost.';
}

function getGpu(gpu?: GPU): GPU {
  const found = gpu ?? (typeof navigator !== 'undefined' ? navigator.gpu : undefined);
  if (!found) throw new WebGpuUnavailableError(webGpuHelp());
  return found;
}

export function summarizeAdapter(adapter: GPUAdapter): AdapterSummary {
  const info = adapter.info;
  const limits: Record<string, number> = {};
  for (const name of REQUESTED_LIMITS) limits[name] = Number(adapter.limits[name]);
  return {
    vendor: info?.vendor || 'unknown',
    architecture: info?.architecture || 'unknown',
    device: info?.device || '',
    description: info?.description || '',
    isFallbackAdapter: Boolean((info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter),
    features: [...adapter.features].sort(),
    limits,
  };
}

export async function createGpuContext(gpu?: GPU): Promise<GpuContext> {
  const adapter = await getGpu(gpu).requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new WebGpuUnavailableError('No WebGPU adapter was found. ' + webGpuHelp());
  const requiredLimits: Record<string, number> = {};
  for (const name of REQUESTED_LIMITS) requiredLimits[name] = Number(adapter.limits[name]);
  const requiredFeatures = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  const hasTimestamps = device.features.has('timestamp-query');
  const ctx: GpuContext = {
    adapter,
    device,
    summary: summarizeAdapter(adapter),
    hasTimestamps,
    hasSubgroups: device.features.has('subgroups'),
    pipelines: new PipelineCache(device),
    buffers: new BufferPool(device),
    lostReason: null,
  };
  void device.lost.then((info) => (ctx.lostReason = info.message || info.reason || 'unknown reason'));
  return ctx;
}

/**
 * `error` as a GpuDeviceLostError when the device is gone: then the loss is the real cause. A map
 * is aborted a moment before the loss is reported (seconds later on a loaded CPU adapter), so an
 * aborted operation waits a while for the report; other errors are not delayed.
 */
export async function explainGpuFailure(ctx: GpuContext, error: unknown): Promise<unknown> {
  if (error instanceof GpuDeviceLostError) return error;
  const name = (error as { name?: unknown } | null)?.name;
  const abortLike = name === 'AbortError' || name === 'OperationError';
  if (ctx.lostReason === null && abortLike) await Promise.race([ctx.device.lost, new Promise((r) => setTimeout(r, 20_000))]);
  if (ctx.lostReason === null) return error;
  return new GpuDeviceLostError(`The GPU device was lost (${ctx.lostReason}); the work in progress was abandoned.`);
}

export type DeviceLostListener = (message: string) => void;

/**
 * Owns the current GpuContext and replaces it after a device loss.
 * Work in flight when the device dies fails with GpuDeviceLostError; callers
 * then `recover()` and resume from their last finished stage.
 */
export class GpuSession {
  private current: GpuContext | null = null;
  private lostMessage: string | null = null;
  private closing = false;
  private readonly listeners = new Set<DeviceLostListener>();

  private constructor(private readonly gpu?: GPU) {}

  static async open(gpu?: GPU): Promise<GpuSession> {
    const session = new GpuSession(gpu);
    await session.recover();
    return session;
  }

  get context(): GpuContext {
    if (!this.current || this.lostMessage !== null) {
      throw new GpuDeviceLostError(`The GPU device was lost (${this.lostMessage ?? 'closed'}); recover() to continue.`);
    }
    return this.current;
  }

  get isLost(): boolean {
    return this.lostMessage !== null;
  }

  onLost(listener: DeviceLostListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async recover(): Promise<GpuContext> {
    const ctx = await createGpuContext(this.gpu);
    this.closing = false;
    this.current = ctx;
    this.lostMessage = null;
    void ctx.device.lost.then((info) => {
      if (this.current !== ctx || this.closing) return;
      this.lostMessage = info.message || info.reason || 'unknown reason';
      for (const listener of this.listeners) listener(this.lostMessage);
    });
    return ctx;
  }

  close(): void {
    this.closing = true;
    const ctx = this.current;
    this.current = null;
    ctx?.buffers.destroyAll();
    ctx?.device.destroy();
  }
}
