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
        const blocks = fixture.model === 'swin_tiny' ? 4 : 2;
        expect(structure.blocks).toHaveLength(blocks);
        expect(structure.attention).toHaveLength(blocks);
        for (const block of structure.blocks) {
          expect(block.layers.length).toBeGreaterThanOrEqual(4);
          expect(block.attention).toHaveLength(1);
        }
        expect(structure.gelus).toHaveLength(blocks);
        expect(structure.gelus.every((g) => g.form === (fixture.model.includes('tanh') ? 'tanh' : 'erf'))).toBe(true);
        // Two per block, plus the final norm (and Swin's patch-embed and merge norms).
        expect(structure.layerNorms).toHaveLength(fixture.model === 'swin_tiny' ? 11 : 5);
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
