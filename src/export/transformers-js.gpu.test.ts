/**
 * The export bundle in transformers.js: `pipeline('image-classification', ...)` loads it from this
 * page's own origin (a local model path, remote models off, onnxruntime-web's wasm served by us,
 * no browser cache) and scores the images as the studio's simulation of the quantized model does.
 * The bundle is written under tmp/ in the work tree (git-ignored), where the test server serves it.
 */
import { env, pipeline } from '@huggingface/transformers';
import { commands } from 'vitest/browser';
import { describe, expect, it } from 'vitest';
import { decodeImageBrowser } from '../data/decode-browser.ts';
import { preprocess, preprocessorFromConfig } from '../data/preprocess.ts';
import { decodeModel } from '../onnx/decode.ts';
import { DEFAULT_SETTINGS } from '../quant/settings.ts';
import { bundleFiles } from './bundle.ts';
import { exportOnnx } from './export.ts';
import { simulatedFixture } from './testing.ts';

const BUNDLE = 'tmp/transformers-bundle';
// transformers.js pins its own onnxruntime-web; its wasm must come from that same build.
const ORT_DIST = '/node_modules/@huggingface/transformers/node_modules/onnxruntime-web/dist/';
const IMAGES = ['images/a_gradient.png', 'images/b_checker.png', 'labelled/real/real_0.png', 'labelled/fake/fake_0.png'];

const fetchBytes = async (path: string) => new Uint8Array(await (await fetch(path)).arrayBuffer());

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

const softmax = (row: number[]) => {
  const top = Math.max(...row);
  const e = row.map((v) => Math.exp(v - top));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
};

describe('the export bundle in transformers.js', () => {
  it("pipeline('image-classification') loads it from this origin only and scores like the studio's simulation", async () => {
    const model = decodeModel(await fetchBytes('/tools/fixtures/vit_tiny_op17.onnx'));
    const preprocessorConfig = await (await fetch('/tools/fixtures/preprocessor_config.json')).json() as Record<string, unknown>;
    const options = preprocessorFromConfig(preprocessorConfig);
    const decoded = await Promise.all(IMAGES.map(async (name) => decodeImageBrowser(await fetchBytes(`/tools/fixtures/${name}`), name)));
    const pixels = preprocess(decoded, options);
    // The studio's simulation of a W2-8/A8 quantization on these very images, and the file it exports (wasm target).
    const { q, rows } = simulatedFixture(model, pixels, [IMAGES.length, 3, 32, 32]);
    const { bytes } = exportOnnx(model, { layers: q.codes, activations: q.activations, method: 'rtn', settings: { ...DEFAULT_SETTINGS, floatParams: 'fp32' } }, { target: 'wasm' });
    const files = bundleFiles({ onnx: bytes, report: {}, preprocessorConfig, preprocess: options, architecture: 'vit', numClasses: 2, fakeIndex: 1 });
    for (const [path, content] of Object.entries(files)) await commands.writeFile(`${BUNDLE}/${path}`, base64(content), 'base64');

    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = '/tmp/';
    env.useBrowserCache = false;
    env.backends.onnx.wasm!.wasmPaths = { mjs: `${ORT_DIST}ort-wasm-simd-threaded.asyncify.mjs`, wasm: `${ORT_DIST}ort-wasm-simd-threaded.asyncify.wasm` };
    env.backends.onnx.wasm!.numThreads = 1;
    performance.clearResourceTimings();
    const classify = await pipeline('image-classification', 'transformers-bundle');
    try {
      for (let i = 0; i < IMAGES.length; i++) {
        const scores = (await classify(`/tools/fixtures/${IMAGES[i]}`, { top_k: 2 })) as { label: string; score: number }[];
        const want = softmax(rows[i]);
        expect(scores.map((s) => s.label).sort()).toEqual(['fake', 'real']);
        for (const s of scores) expect(Math.abs(s.score - want[s.label === 'fake' ? 1 : 0]), `${IMAGES[i]} ${s.label}`).toBeLessThan(1e-4);
      }
    } finally {
      await classify.dispose();
    }
    // Privacy: every request went to this origin, the quantized file among them.
    const requested = performance.getEntriesByType('resource').map((e) => e.name);
    expect(requested.some((url) => url.endsWith(`/${BUNDLE}/onnx/model_quantized.onnx`))).toBe(true);
    expect(requested.some((url) => url.endsWith('.wasm'))).toBe(true);
    expect(requested.filter((url) => new URL(url).origin !== location.origin)).toEqual([]);
  });
});
