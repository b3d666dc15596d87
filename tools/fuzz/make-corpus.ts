/**
 * The regression corpus (tools/fuzz/corpus): minimal reproducers of each class the fuzz harness
 * and the hand tests found, rebuilt from builders so each file is a few hundred bytes.
 * `node --import tsx tools/fuzz/make-corpus.ts`. Each FILE.txt holds the expected error (a regular
 * expression) on its first line, then the command, with MODEL and DIR for the copied file's places.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { zlibSync } from 'fflate';
import { bmpFile, gifFile, ihdrChunk, pngChunk, pngFile } from '../../src/data/testing.ts';
import { encodeModel } from '../../src/onnx/encode.ts';
import type { AttrValue } from '../../src/onnx/ir.ts';
import { buildModel, f32, i64, node, valueInfo, type ModelSpec } from '../../src/onnx/testing.ts';

const DIR = 'tools/fuzz/corpus';
const image = valueInfo('pixels', ['N', 3, 32, 32]);
const out = valueInfo('y', null);
const RUN = 'run MODEL --images tools/fixtures/images --json';
const RUN_IMAGE = 'run tools/fixtures/vit_tiny_op17.onnx --images DIR --json';

function model(name: string, spec: Partial<ModelSpec> & Pick<ModelSpec, 'nodes'>, expected: string, command = RUN): void {
  writeFileSync(`${DIR}/${name}.onnx`, encodeModel(buildModel({ inputs: [image], outputs: [out], ...spec })));
  writeFileSync(`${DIR}/${name}.onnx.txt`, `${expected}\n${command}\n`);
}

function picture(name: string, bytes: Uint8Array, expected: string): void {
  writeFileSync(`${DIR}/${name}`, bytes);
  writeFileSync(`${DIR}/${name}.txt`, `${expected}\n${RUN_IMAGE}\n`);
}

const ints = (value: number[]): AttrValue => ({ type: 'ints', value });
mkdirSync(DIR, { recursive: true });

// Graphs.
model('no_outputs', { outputs: [], nodes: [node('Relu', ['pixels'], ['y'])] }, 'model\\.onnx: the graph has no outputs');
model('two_producers', { nodes: [node('Relu', ['pixels'], ['y'], {}, 'a'), node('Neg', ['pixels'], ['y'], {}, 'b')] }, 'value "y" is produced twice');
model('cycle', { nodes: [node('Add', ['pixels', 'b'], ['a'], {}, 'first'), node('Relu', ['a'], ['b'], {}, 'second'), node('Relu', ['a'], ['y'])] }, 'the graph has a cycle', 'inspect MODEL');
model('dangling', { nodes: [node('Add', ['pixels', 'missing_weight'], ['y'], {}, 'add')] }, 'reads "missing_weight", which no node, input or initializer provides', 'inspect MODEL');
model('constant_of_shape_bomb', { initializers: [i64('s', [2], [60_000, 30_000])], nodes: [node('ConstantOfShape', ['s'], ['big'], {}, 'bomb'), node('Relu', ['pixels'], ['y'])], outputs: [out, valueInfo('big', null)] }, 'gives "big" 1800000000 elements');
model('expand_negative', { initializers: [i64('s', [4], [-2, 3, 32, 32])], nodes: [node('Expand', ['pixels', 's'], ['y'], {}, 'grow')] }, 'dims must be whole numbers, not negative');
model('conv_zero_stride', { initializers: [f32('w', [2, 3, 1, 1], [1, 1, 1, 1, 1, 1])], nodes: [node('Conv', ['pixels', 'w'], ['y'], { strides: ints([0, 1]) }, 'conv')] }, 'strides \\[0, 1\\] and dilations \\[1, 1\\] must be at least 1');
model('gather_out_of_range', { initializers: [i64('idx', [1], [9])], nodes: [node('Gather', ['pixels', 'idx'], ['y'], { axis: { type: 'int', value: 1 } }, 'pick')] }, 'hold index 9, which is out of range for axis 1 of size 3');
model('int64_input', { inputs: [valueInfo('pixels', ['N', 3, 32, 32], 'int64')], nodes: [node('Relu', ['pixels'], ['y'])] }, 'is int64; an image input must be float');
model('empty_batch', { inputs: [valueInfo('pixels', [0, 3, 32, 32])], nodes: [node('Relu', ['pixels'], ['y'])] }, 'a batch of no images');
model('fixed_batch_255', { inputs: [valueInfo('pixels', [255, 3, 32, 32])], nodes: [node('Relu', ['pixels'], ['y'])] }, 'the model takes exactly 255 images at a time');
model('control_names', { nodes: [node('Add', ['pixels', 'w\u001b[2J\u202e'], ['y'], {}, 'n')] }, 'reads "w\\\\x1b\\[2J\\\\u202e"', 'inspect MODEL');

// Images.
const tiny = zlibSync(new Uint8Array(4));
picture('png_bomb.png', pngFile(ihdrChunk(10_000, 10_000), pngChunk('IDAT', tiny), pngChunk('IEND')), 'declares 10000x10000 pixels, more than the limit');
picture('png_thin.png', pngFile(ihdrChunk(1, 100_000_000), pngChunk('IDAT', tiny), pngChunk('IEND')), 'declares 1x100000000 pixels');
picture('png_short_data.png', pngFile(ihdrChunk(100, 100), pngChunk('IDAT', tiny), pngChunk('IEND')), 'truncated PNG data \\(4 bytes of pixel data');
picture('png_two_ihdr.png', pngFile(ihdrChunk(2, 2), ihdrChunk(2, 2), pngChunk('IDAT', zlibSync(new Uint8Array(14))), pngChunk('IEND')), 'a second IHDR header');
picture('png_zip_bomb.png', pngFile(ihdrChunk(8, 8, 8, 2, 1), pngChunk('IDAT', zlibSync(new Uint8Array(1 << 20), { level: 9 })), pngChunk('IEND')), 'more pixel data than its 8x8 header declares');
picture('gif_huge_frame.gif', gifFile([10, 10], [{ x: 0, y: 0, w: 65535, h: 65535 }]), 'GIF frame 1 declares 65535x65535 pixels');
picture('gif_short.gif', gifFile([8, 8], [{ x: 0, y: 0, w: 8, h: 8 }]), 'corrupt GIF data \\(gif stream shorter than expected\\)');
picture('bmp_huge.bmp', bmpFile({ width: 100_000, height: 100_000, bits: 24, rows: [] }), 'declares 100000x100000 pixels');
