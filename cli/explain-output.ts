/** What `explain` writes: the heatmap PNGs and maps.json's entries. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pngjs from 'pngjs';
import type { DecodedImage } from '../src/data/decode.ts';
import type { FitGeometry } from '../src/data/preprocess.ts';
import type { ExplainedImage, ModelExplanation } from '../src/explain/explain.ts';
import type { Faithfulness, FaithfulnessCurve } from '../src/explain/faithfulness.ts';
import { differenceMap, type MapAgreement } from '../src/explain/compare.ts';
import { differenceScale, relevanceScale, renderHeatmap } from '../src/explain/heatmap.ts';
import type { RelevanceMap } from '../src/explain/maps.ts';

const { PNG } = pngjs;

/** Six significant digits: maps.json stays readable and small. */
const round = (v: number) => Number(v.toPrecision(6));

export function mapJson(m: RelevanceMap) {
  return { rows: m.rows, cols: m.cols, cellHeight: m.cellHeight, cellWidth: m.cellWidth, values: Array.from(m.values, round) };
}

const curveJson = (c: FaithfulnessCurve) => ({ fractions: c.fractions.map(round), scores: c.scores.map(round), auc: round(c.auc) });
const faithfulnessJson = (f: Faithfulness) => ({ deletion: curveJson(f.deletion), insertion: curveJson(f.insertion) });
export const agreementJson = (a: MapAgreement) => ({ spearman: a.spearman === null ? null : round(a.spearman), topK: a.topK, topKOverlap: round(a.topKOverlap) });

export function modelJson(m: ModelExplanation, faithfulness: Faithfulness | null) {
  return {
    score: round(m.score),
    logits: m.logits.map(round),
    map: mapJson(m.explanation.model),
    blocks: m.explanation.blocks.map((b) => ({ label: b.label, map: mapJson(b.map) })),
    ...(faithfulness ? { faithfulness: faithfulnessJson(faithfulness) } : {}),
  };
}

/** PNG file names for the images: their name without its extension, or with it when two would clash. */
export function heatmapStems(names: readonly string[]): string[] {
  const stem = (n: string) => n.replace(/\.[^./]+$/, '');
  const counts = new Map<string, number>();
  for (const n of names) counts.set(stem(n), (counts.get(stem(n)) ?? 0) + 1);
  return names.map((n) => (counts.get(stem(n))! > 1 ? n.replace(/\./g, '_') : stem(n)).replace(/[/\\]/g, '_'));
}

async function writePng(path: string, rgba: Uint8Array, width: number, height: number): Promise<void> {
  const png = new PNG({ width, height });
  png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  await writeFile(path, PNG.sync.write(png));
}

/**
 * The image's heatmaps in `out`: STEM.png (FP); with a quantized model STEM.quantized.png on the
 * same colour scale and STEM.difference.png (quantized − FP). Returns the file names written.
 */
export async function writeHeatmaps(out: string, stem: string, image: DecodedImage, explained: ExplainedImage, geometry: FitGeometry): Promise<Record<string, string>> {
  const { fp, quantized } = explained;
  const input = fp.layout.input;
  const scale = relevanceScale(fp.explanation.model, ...(quantized ? [quantized.explanation.model] : []));
  const files: Record<string, string> = { heatmap: `${stem}.png` };
  await writePng(join(out, files.heatmap), renderHeatmap(image, fp.explanation.model, geometry, input, scale), image.width, image.height);
  if (quantized) {
    const diff = differenceMap(fp.explanation.model, quantized.explanation.model);
    files.quantizedHeatmap = `${stem}.quantized.png`;
    files.differenceHeatmap = `${stem}.difference.png`;
    await writePng(join(out, files.quantizedHeatmap), renderHeatmap(image, quantized.explanation.model, geometry, input, scale), image.width, image.height);
    await writePng(join(out, files.differenceHeatmap), renderHeatmap(image, diff, geometry, input, differenceScale(diff)), image.width, image.height);
  }
  return files;
}
