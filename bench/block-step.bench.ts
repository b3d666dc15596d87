/**
 * One step of block reconstruction (soft weights, forward, loss, backward, Adam on every layer's V)
 * on a block of each small fixture, on this machine's WebGPU adapter. Per block: the dispatches of
 * a step, the ms per step (the difference between runs of `long` and `short` iterations, so
 * compiling and the before/after measurements cancel), and the ms of a forward pass alone.
 * Query parameters: images=8 short=10 long=40
 */
import { createGpuContext } from '../src/gpu/device.ts';
import { CommandBatch } from '../src/gpu/encoder.ts';
import { readFloat32 } from '../src/gpu/readback.ts';
import { randomFloats } from '../src/gpu/testing.ts';
import { GpuModel } from '../src/engine/session.ts';
import { blockBoundary } from '../src/grad/blocks.ts';
import { GradProgram } from '../src/grad/program.ts';
import { analyzeModel } from '../src/model/summary.ts';
import { decodeModel } from '../src/onnx/decode.ts';
import { reconstructBlock } from '../src/quant/reconstruction/block/reconstruct-block.ts';
import { medianMs, pad } from './timing.ts';

const params = new URLSearchParams(location.search);
const images = Number(params.get('images') ?? 8);
const short = Number(params.get('short') ?? 10);
const long = Number(params.get('long') ?? 40);

const BLOCKS = [
  ['vit_tiny_op13.onnx', 'blocks.1'],
  ['vit_tiny_op17.onnx', 'blocks.1'],
  ['hf_vit_tiny_op17.onnx', 'vit.encoder.layer.1'],
  ['swin_tiny_op17.onnx', 'layers.0.blocks.1'],
  ['hf_swin_tiny_op17.onnx', 'swin.encoder.layers.0.blocks.1'],
] as const;

async function main() {
  const ctx = await createGpuContext();
  console.log(`adapter: ${ctx.summary.vendor} ${ctx.summary.architecture}; ${images} images per step, 3-bit weights`);
  console.log(`${pad('block', 48)} ${pad('tokens', 7)} ${pad('dispatches', 10)} ${pad('ms/step', 8)} ${pad('fwd ms', 7)}`);
  for (const [file, block] of BLOCKS) {
    const model = decodeModel(new Uint8Array(await (await fetch(`/tools/fixtures/${file}`)).arrayBuffer()));
    const s = analyzeModel(model);
    const layers = s.layers.filter((l) => s.blocks.find((b) => b.name === block)!.layers.includes(l.name));
    const boundary = blockBoundary(model, block);
    const pixels = randomFloats(images * 3 * 32 * 32, 1);
    const whole = new GpuModel(ctx, model);
    const taps = (await whole.run({ [model.graph.inputs[0].name]: pixels }, images, { taps: [...boundary.inputs, ...boundary.outputs] })).taps;
    whole.dispose();
    const data = (name: string) => ({ dims: taps.get(name)!.dims, data: taps.get(name)!.data as Float32Array });
    const options = {
      model, boundary, batchImages: images, seed: 1,
      layers: layers.map((l) => ({ layer: l, weight: model.graph.initializers.get(l.weight)!.data as Float32Array, bits: 3 })),
      inputs: Object.fromEntries(boundary.inputs.map((n) => [n, data(n)])), targets: Object.fromEntries(boundary.outputs.map((n) => [n, data(n)])),
    };
    await reconstructBlock(ctx, { ...options, iterations: 2 });
    const a = await reconstructBlock(ctx, { ...options, iterations: short });
    const b = await reconstructBlock(ctx, { ...options, iterations: long });
    const perStep = (b.ms - a.ms) / (long - short);
    // A forward pass alone, and the dispatches of one step (forward + backward; the step adds 2 per layer and the loss).
    const spec = { inputs: boundary.inputs.map((n) => ({ name: n, dims: data(n).dims })), outputs: boundary.outputs, parameters: layers };
    const program = new GradProgram(ctx, model, spec);
    const feeds = Object.fromEntries(spec.inputs.map(({ name, dims }) => [name, { buffer: ctx.buffers.upload(data(name).data), dims, dtype: 'f32' as const }]));
    const weights = new Map(layers.map((l) => [l.name, { buffer: ctx.buffers.upload(randomFloats(l.inFeatures * l.outFeatures, 2)), dims: [l.outFeatures, l.inFeatures], dtype: 'f32' as const }]));
    const cmd = new CommandBatch(ctx);
    const fwd = program.recordForward(cmd, feeds, weights);
    const out = fwd.value(boundary.outputs[0]);
    const seed = { ...out, buffer: ctx.buffers.acquire(out.buffer.size) };
    cmd.copy(out.buffer, seed.buffer, out.buffer.size);
    const grads = program.recordBackward(cmd, fwd, new Map([[boundary.outputs[0], seed]]));
    // The step adds the gathers, soft weights, Adam and the loss seed to the forward and backward passes.
    const dispatches = cmd.length + 2 * layers.length + 1 + boundary.inputs.length + boundary.outputs.length;
    fwd.release();
    cmd.submit();
    for (const g of grads.parameters.values()) ctx.buffers.release(g.buffer);
    const forwardMs = await medianMs(async () => {
      const c = new CommandBatch(ctx);
      const f = program.recordForward(c, feeds, weights);
      const y = f.value(boundary.outputs[0]);
      c.submit();
      await readFloat32(ctx, y.buffer, 1);
      f.release();
    }, 1, 5);
    program.dispose();
    const tokens = taps.get(boundary.inputs[0])!.dims.slice(1, -1).reduce((x, y) => x * y, 1);
    console.log(`${pad(`${file} ${block}`, 48)} ${pad(tokens, 7)} ${pad(dispatches, 10)} ${pad(perStep.toFixed(1), 8)} ${pad(forwardMs.toFixed(1), 7)}`);
  }
}

main().then(() => console.log('bench:done'), (e) => console.log(`bench:failed ${e instanceof Error ? e.message : e}`));
