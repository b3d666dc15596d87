import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../onnx/decode.ts';
import { checkFits, memoryAllowance, memoryNeeds } from './limits.ts';

const model = decodeModel(new Uint8Array(readFileSync(new URL('../../tools/fixtures/vit_tiny_op17.onnx', import.meta.url))));

describe('model limits', () => {
  it('measures the weights, the largest tensor and a run\'s activations from the structure', () => {
    const one = memoryNeeds(model, 1);
    const eight = memoryNeeds(model, 8);
    const params = [...model.graph.initializers.values()].reduce((s, t) => s + t.dims.reduce((a, b) => a * b, 1), 0);
    expect(one.weightBytes).toBe(4 * params);
    expect(eight.activationBytes).toBe(8 * one.activationBytes);
    expect(eight.largest.bytes).toBeGreaterThanOrEqual(one.largest.bytes);
    expect(one.totalBytes).toBeGreaterThan(one.weightBytes);
  });

  it('names the buffer limit a tensor exceeds, and the memory a run exceeds', () => {
    const needs = memoryNeeds(model, 8);
    expect(checkFits('vit.onnx', needs, { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 30, memory: 2 ** 32 })).toBeNull();
    expect(checkFits('vit.onnx', needs, { maxStorageBufferBindingSize: needs.largest.bytes - 1 })).toBe(
      `vit.onnx is too big for this GPU adapter: tensor "${needs.largest.name}" needs ${(needs.largest.bytes / 2 ** 20).toFixed(1)} MiB in one buffer, but the adapter's maxStorageBufferBindingSize is ${((needs.largest.bytes - 1) / 2 ** 20).toFixed(1)} MiB.`,
    );
    expect(checkFits('vit.onnx', needs, { maxBufferSize: needs.largest.bytes - 1 })).toMatch(/maxBufferSize/);
    const message = checkFits('vit.onnx', needs, { memory: needs.totalBytes - 1 });
    expect(message).toMatch(/^vit\.onnx is too big for this tab: .* navigator\.deviceMemory reports\)\. Quantize it with the command-line tool/);
    expect(memoryAllowance(8)).toBe(4 * 2 ** 30);
    expect(memoryAllowance(undefined)).toBeUndefined();
  });
});
