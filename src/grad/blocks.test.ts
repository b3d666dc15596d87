import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../onnx/decode.ts';
import { blockBoundary } from './blocks.ts';
import { fixtureBlock } from './fixture-blocks.ts';
import { checkRegionGradients, regionFor } from './testing.ts';

const fixtures = join(import.meta.dirname, '../../tools/fixtures');
const load = (file: string) => decodeModel(new Uint8Array(readFileSync(join(fixtures, file))), { fileName: file });
const pixels = (file: string) => {
  const ref = JSON.parse(readFileSync(join(fixtures, file.replace(/\.onnx$/, '.ref.json')), 'utf8')) as { input_shape: number[]; inputs: Record<string, number[]> };
  return { data: ref.inputs['1'], dims: [1, ...ref.input_shape] };
};

/** ViT blocks (LayerNorm fused and decomposed, GELU erf and tanh, fused and separate qkv) and shifted Swin blocks. */
const BLOCKS = [
  ['vit_tiny_op13.onnx', 'blocks.1'],
  ['vit_tiny_gelu_tanh_op17.onnx', 'blocks.0'],
  ['hf_vit_tiny_op17.onnx', 'vit.encoder.layer.1'],
  ['swin_tiny_op13.onnx', 'layers.0.blocks.1'],
  ['hf_swin_tiny_op17.onnx', 'swin.encoder.layers.1.blocks.1'],
] as const;

describe('whole blocks: gradients of the float64 reference against central differences', () => {
  for (const [file, block] of BLOCKS) {
    it(`${file} ${block}: input and every layer's weight`, () => {
      const model = load(file);
      const b = fixtureBlock(model, block, pixels(file));
      expect(b.layers.length).toBeGreaterThanOrEqual(4);
      const region = regionFor(model, b.spec);
      const check = checkRegionGradients(region, { [b.spec.inputs[0].name]: b.input }, { weights: b.weights, coordinates: 2, directions: 1 });
      expect(check.checked).toBe(3 * (1 + b.layers.length));
      expect(check.nonZero).toBeGreaterThan(0.8 * check.checked);
      expect(check.worst).toBeLessThan(1e-6);
    });
  }

  it('a shifted Swin block keeps its shift mask and relative position bias as constants of the region', () => {
    const model = load('swin_tiny_op13.onnx');
    const b = fixtureBlock(model, 'layers.0.blocks.1', pixels('swin_tiny_op13.onnx'));
    const region = regionFor(model, b.spec);
    const ops = region.nodes.map((n) => n.opType);
    // The roll is Slice + Concat at run time; the bias table's Gather folded into a constant added to the scores.
    expect(ops.filter((o) => o === 'Slice').length).toBeGreaterThanOrEqual(4);
    expect(ops.filter((o) => o === 'Concat').length).toBeGreaterThanOrEqual(2);
    const softmax = region.nodes.find((n) => n.opType === 'Softmax')!;
    const adds = region.nodes.filter((n) => n.opType === 'Add' && n.inputs.some((i) => region.plan.constants.has(i) && region.plan.constants.get(i)!.dims.length >= 3));
    expect(adds.length).toBeGreaterThanOrEqual(2);
    expect(region.backward.some((e) => e.node === softmax)).toBe(true);
  });

  it('a block reads one value from outside and gives one back', () => {
    const { inputs, outputs, nodes } = blockBoundary(load('hf_swin_tiny_op13.onnx'), 'swin.encoder.layers.1.blocks.1');
    expect(inputs).toEqual(['/swin/encoder/layers.1/blocks.0/Add_1_output_0']);
    expect(outputs).toEqual(['/swin/encoder/layers.1/blocks.1/Add_28_output_0']);
    expect(nodes.some((n) => n.opType === 'ScatterND' || n.opType === 'Range')).toBe(true);
  });
});
