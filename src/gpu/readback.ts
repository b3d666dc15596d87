import { explainGpuFailure, type GpuContext } from './device.ts';

// GPUBufferUsage.MAP_READ | COPY_DST
const STAGING = 0x01 | 0x08;

/**
 * Copy `byteLength` bytes of a storage buffer to the CPU. One submit and one map:
 * call it once per result, never inside a loop of kernel launches.
 */
export async function readBuffer(ctx: GpuContext, buffer: GPUBuffer, byteLength: number, offset = 0): Promise<ArrayBuffer> {
  const size = Math.ceil(byteLength / 4) * 4;
  const staging = ctx.device.createBuffer({ size, usage: STAGING, label: 'readback' });
  try {
    const encoder = ctx.device.createCommandEncoder({ label: 'readback' });
    encoder.copyBufferToBuffer(buffer, offset, staging, 0, size);
    ctx.device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    return staging.getMappedRange(0, size).slice(0, byteLength);
  } catch (error) {
    throw await explainGpuFailure(ctx, error);
  } finally {
    staging.destroy();
  }
}

export async function readFloat32(ctx: GpuContext, buffer: GPUBuffer, count: number, offset = 0): Promise<Float32Array> {
  return new Float32Array(await readBuffer(ctx, buffer, count * 4, offset));
}
