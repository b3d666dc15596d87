import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../onnx/decode.ts';
import { modelCost } from './flops.ts';
import { analyzeModel } from './summary.ts';

const fixture = (name: string) => decodeModel(new Uint8Array(readFileSync(new URL(`../../tools/fixtures/${name}`, import.meta.url))));

describe('model cost', () => {
  it('counts each layer as 2·rows·K·N and everything downstream of it, for a ViT and a Swin', () => {
    for (const name of ['vit_tiny_op17.onnx', 'swin_tiny_op17.onnx']) {
      const model = fixture(name);
      const layers = analyzeModel(model).layers;
      const cost = modelCost(model, layers);
      const tokens = (l: (typeof layers)[number]) => cost.layers.get(l.name)!.rows;
      for (const l of layers) {
        const c = cost.layers.get(l.name)!;
        expect(c.flops, `${name} ${l.name}`).toBe(2 * tokens(l) * l.inFeatures * l.outFeatures);
        expect(c.downstream, `${name} ${l.name}`).toBeGreaterThanOrEqual(c.flops);
        expect(c.downstream, `${name} ${l.name}`).toBeLessThanOrEqual(cost.perImage);
      }
      // The first layer reaches everything after the pixels; each later layer reaches less.
      const first = cost.layers.get(layers[0].name)!;
      expect(first.downstream).toBeGreaterThan(0.9 * cost.perImage);
      const head = cost.layers.get(layers[layers.length - 1].name)!;
      expect(head.downstream).toBeLessThan(2 * head.flops + 100);
      // Products dominate: the layers' own sum is most of a forward pass.
      const products = [...cost.layers.values()].reduce((s, c) => s + c.flops, 0);
      expect(products / cost.perImage, name).toBeGreaterThan(0.5);
    }
    const vit = fixture('vit_tiny_op17.onnx');
    const patch = analyzeModel(vit).layers.find((l) => l.kind === 'conv')!;
    // A 32 px image in 8 px patches: 16 patch rows.
    expect(modelCost(vit, [patch]).layers.get(patch.name)!.rows).toBe(16);
  });
});
