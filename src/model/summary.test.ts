import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../onnx/decode.ts';
import { analyzeModel, blockOf } from './summary.ts';

interface FixtureEntry {
  file: string;
  model: string;
  opset: number;
  linearLayers: { module: string; kind: string; inFeatures: number; outFeatures: number; params: number }[];
  opHistogram: Record<string, number>;
}

const dir = new URL('../../tools/fixtures/', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8')) as { fixtures: FixtureEntry[] };

const expectedArchitecture: Record<string, string> = {
  vit_tiny: 'vit',
  vit_tiny_gelu_tanh: 'vit',
  hf_vit_tiny: 'vit',
  deit_tiny_distilled: 'deit-distilled',
  swin_tiny: 'swin',
  hf_swin_tiny: 'swin',
};

// Blocks and layer norms (two per block, the final one, and Swin's patch-embed and merge norms).
const expectedCounts: Record<string, { blocks: number; layerNorms: number }> = {
  swin_tiny: { blocks: 4, layerNorms: 11 },
  hf_swin_tiny: { blocks: 6, layerNorms: 16 },
};

describe('model structure of the exported fixtures', () => {
  for (const fixture of manifest.fixtures) {
    describe(fixture.file, () => {
      const model = decodeModel(new Uint8Array(readFileSync(new URL(fixture.file, dir))));
      const structure = analyzeModel(model);

      it('finds exactly the linear layers PyTorch had', () => {
        expect(structure.layers.map((l) => ({ module: l.name, inFeatures: l.inFeatures, outFeatures: l.outFeatures, params: l.params })))
          .toEqual(fixture.linearLayers.map(({ module, inFeatures, outFeatures, params }) => ({ module, inFeatures, outFeatures, params })));
      });

      it('recognises the architecture, blocks and attention cores', () => {
        expect(structure.architecture).toBe(expectedArchitecture[fixture.model]);
        const { blocks, layerNorms } = expectedCounts[fixture.model] ?? { blocks: 2, layerNorms: 5 };
        expect(structure.blocks).toHaveLength(blocks);
        expect(structure.attention).toHaveLength(blocks);
        for (const block of structure.blocks) {
          expect(block.layers.length).toBeGreaterThanOrEqual(4);
          expect(block.attention).toHaveLength(1);
        }
        expect(structure.gelus).toHaveLength(blocks);
        expect(structure.gelus.every((g) => g.form === (fixture.model.includes('tanh') ? 'tanh' : 'erf'))).toBe(true);
        expect(structure.layerNorms).toHaveLength(layerNorms);
        expect(structure.layerNorms.every((n) => n.form === (fixture.opset >= 17 ? 'fused' : 'decomposed'))).toBe(true);
      });

      it('counts ops like the exporter did', () => {
        expect(structure.opHistogram).toEqual(fixture.opHistogram);
      });

      if (fixture.model === 'swin_tiny') {
        it('sees windows, the shifted block, and patch merging', () => {
          expect(structure.swin).toMatchObject({ windowSize: 4, windowedAttention: 4, shiftedAttention: 1, patchMerges: 1 });
          expect(structure.swin!.relativeBiasTables).toHaveLength(fixture.opset === 13 ? 4 : 0);
        });
      } else if (fixture.model === 'hf_swin_tiny') {
        // Hugging Face drops the shift where the window covers the whole map (the last stage).
        it('sees windows, the shifted blocks of the first two stages, and patch merging', () => {
          expect(structure.swin).toMatchObject({ windowSize: 3, windowedAttention: 6, shiftedAttention: 2, patchMerges: 2 });
        });
      } else {
        it('finds the prepended tokens', () => {
          expect(structure.tokens).toHaveLength(fixture.model === 'deit_tiny_distilled' ? 2 : 1);
          expect(structure.swin).toBeNull();
        });
      }
    });
  }
});

describe('blockOf', () => {
  it('cuts a module path at its last index', () => {
    expect(blockOf('blocks.3.attn.qkv')).toBe('blocks.3');
    expect(blockOf('vit.encoder.layer.11.output.dense')).toBe('vit.encoder.layer.11');
    expect(blockOf('layers.1.blocks.0.mlp.fc1')).toBe('layers.1.blocks.0');
    expect(blockOf('head')).toBe('');
  });
});
