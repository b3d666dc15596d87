/** Attention maps (src/model/attention-maps.ts) from real runs: the engine executes them, so the test lives here. */
import { describe, expect, it } from 'vitest';
import { runReference } from './cpu/executor.ts';
import { GpuModel } from './session.ts';
import { gpuForTests } from '../gpu/testing.ts';
import { decodeModel } from '../onnx/decode.ts';
import { clsAttention, compareBlocks } from '../model/attention-maps.ts';
import { analyzeModel } from '../model/summary.ts';

const model = decodeModel(new Uint8Array(await (await fetch('/tools/fixtures/vit_tiny_op17.onnx')).arrayBuffer()));
const ref = (await (await fetch('/tools/fixtures/vit_tiny_op17.ref.json')).json()) as { inputs: Record<string, number[]> };
const pixels = Float32Array.from(ref.inputs['3']);
const structure = analyzeModel(model);
const blocks = structure.blocks.map((b) => ({ name: b.name, probs: b.attention[0] }));
const taps = blocks.map((b) => b.probs);

describe('CLS attention maps of a fixture ViT on the GPU', () => {
  it('match the float64 CPU executor for every block, head and image', async () => {
    expect(blocks).toHaveLength(2);
    expect(structure.tokens).toHaveLength(1);
    const gpu = new GpuModel(await gpuForTests(), model);
    let gpuTaps;
    try {
      gpuTaps = (await gpu.run({ pixel_values: pixels }, 3, { taps })).taps;
    } finally {
      gpu.dispose();
    }
    const cpuTaps = runReference(model, { pixel_values: { dtype: 'float32', dims: [3, 3, 32, 32], data: Float64Array.from(pixels) } }, { taps }).taps;
    for (let image = 0; image < 3; image++) {
      const compared = compareBlocks(blocks, gpuTaps, cpuTaps, image, structure.tokens.length);
      for (const block of compared) {
        expect(block.fp.rows * block.fp.cols).toBe(16);
        expect(block.fp.heads).toBeGreaterThan(1);
        block.fp.maps.forEach((map, h) => {
          const cpu = block.quantized.maps[h];
          let sum = 0;
          map.forEach((v, i) => {
            expect(Math.abs(v - cpu[i])).toBeLessThan(1e-4);
            sum += cpu[i];
          });
          // The CLS row is a softmax over all tokens, so its patch part sums to at most 1.
          expect(sum).toBeGreaterThan(0);
          expect(sum).toBeLessThanOrEqual(1 + 1e-6);
        });
        expect(block.meanSimilarity).toBeGreaterThan(0.99999);
      }
      // Different images get different maps: the extraction reads the right batch entry.
      const a = clsAttention(gpuTaps.get(taps[0])!, 0, 1).maps[0];
      const b = clsAttention(gpuTaps.get(taps[0])!, image, 1).maps[0];
      if (image > 0) expect(a.some((v, i) => Math.abs(v - b[i]) > 1e-4)).toBe(true);
    }
  });
});

describe('CLS attention maps of a distilled DeiT', () => {
  it('leave out the distillation token and match the CPU executor', async () => {
    const deit = decodeModel(new Uint8Array(await (await fetch('/tools/fixtures/deit_tiny_distilled_op17.onnx')).arrayBuffer()));
    const s = analyzeModel(deit);
    expect(s.tokens).toHaveLength(2);
    const one = Float32Array.from(ref.inputs['1']);
    const deitBlocks = s.blocks.map((b) => ({ name: b.name, probs: b.attention[0] }));
    const deitTaps = deitBlocks.map((b) => b.probs);
    const gpu = new GpuModel(await gpuForTests(), deit);
    let gpuTaps;
    try {
      gpuTaps = (await gpu.run({ [deit.graph.inputs[0].name]: one }, 1, { taps: deitTaps })).taps;
    } finally {
      gpu.dispose();
    }
    const cpuTaps = runReference(deit, { [deit.graph.inputs[0].name]: { dtype: 'float32', dims: [1, 3, 32, 32], data: Float64Array.from(one) } }, { taps: deitTaps }).taps;
    for (const block of compareBlocks(deitBlocks, gpuTaps, cpuTaps, 0, 2)) {
      expect(block.fp.rows * block.fp.cols).toBe(16);
      block.fp.maps.forEach((map, h) => map.forEach((v, i) => expect(Math.abs(v - block.quantized.maps[h][i])).toBeLessThan(1e-4)));
      // The CLS row over the patches only: its sum leaves out what went to the cls and dist tokens.
      const full = cpuTaps.get(deitBlocks.find((b) => b.name === block.block)!.probs)!;
      const keys = full.dims[3];
      const toTokens = full.data[0] + full.data[1];
      const patches = block.quantized.maps[0].reduce((a, v) => a + v, 0);
      expect(keys).toBe(18);
      expect(patches + toTokens).toBeCloseTo(1, 5);
    }
  });
});
