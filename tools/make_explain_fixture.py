#!/usr/bin/python3
"""Make tools/fixtures/explain/one_patch_vit.onnx: a ViT whose decision depends on one patch.

How this fixture is made
------------------------
* Interpreter: Debian's /usr/bin/python3 with python3-torch 1.13 and python3-onnx (as
  make_fixtures.py, whose timm-layout VisionTransformer it reuses). No training: every weight is
  set by hand below, so what the model looks at is known exactly.
* Model: timm ViT layout, 32x32 input, patch 8 (a 4x4 grid of 16 patches), dim 8, 2 blocks of 1
  head, MLPs zeroed. The patch embedding writes a patch's mean brightness c (in normalised pixel
  space, -1 black ... 1 white) as the channels (c, -c, 1, -1); the cls token is (-4, 4, 1, -1).
  In both blocks every query is the same constant and every key is the first LayerNorm channel,
  which grows with c, so all tokens (the cls token first) attend to the brightest patch, more
  sharply the larger its lead. Block 0 copies that channel of the attended value into channel 4
  of the cls token; block 1 attends the same way but writes nothing. The head reads channel 4
  after the final LayerNorm: "fake" (class 1) when the brightest patch is bright.
* So on a black image with one white patch, the fake logit depends on that patch alone: turning
  it grey (the mean, 0 in normalised space) drops the fake score, turning any other patch grey
  changes nothing. tests in src/explain/ check that rollout, raw attention and the deletion and
  insertion curves all rank that patch first, wherever it is put.
* Exported with torch.onnx.export at opset 17 (constant folding on), input pixel_values
  [batch,3,32,32], output logits [batch,2], dynamic batch. one_patch_vit.json records the
  torch logits for the probe inputs the tests rebuild (a black image with a white patch at
  (row, col), and an all-grey image).

Rerun from the repository root: /usr/bin/python3 tools/make_explain_fixture.py
"""

import io
import json
import os
import sys

import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import IMG, VisionTransformer  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures', 'explain')
DIM = 8
PATCH = 8
GRID = IMG // PATCH
SHARPNESS = 30.0  # query size: how sharply attention picks the brightest patch
WRITE = 5.0       # how strongly block 0 writes the attended brightness into the cls token


def build():
    torch.manual_seed(0)
    model = VisionTransformer(DIM, 2, 1, 1.0, patch=PATCH).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        for m in model.modules():
            if isinstance(m, torch.nn.LayerNorm):
                m.weight.fill_(1.0)
        # Patch embedding: channel 0 = mean of the patch's 3x8x8 values, channel 1 its negative.
        conv = model.patch_embed.proj
        conv.weight[0].fill_(1.0 / (3 * PATCH * PATCH))
        conv.weight[1].fill_(-1.0 / (3 * PATCH * PATCH))
        conv.bias[2] = 1.0
        conv.bias[3] = -1.0
        model.cls_token[0, 0, :4] = torch.tensor([-4.0, 4.0, 1.0, -1.0])
        for i, block in enumerate(model.blocks):
            qkv = block.attn.qkv
            qkv.bias[0] = SHARPNESS          # q: one constant query for every token
            qkv.weight[DIM + 0, 0] = 1.0     # k_0 = LayerNorm channel 0 (grows with brightness)
            qkv.weight[2 * DIM + 0, 0] = 1.0  # v_0 = the same channel
            if i == 0:
                block.attn.proj.weight[4, 0] = WRITE  # the attended brightness into channel 4
        model.head.weight[1, 4] = 4.0
        model.head.bias[1] = -2.0
    return model


def probe(row, col):
    """Black image (normalised -1) with one white patch (1) at (row, col); None: all grey (0)."""
    if row is None:
        return torch.zeros(1, 3, IMG, IMG)
    x = -torch.ones(1, 3, IMG, IMG)
    x[:, :, row * PATCH:(row + 1) * PATCH, col * PATCH:(col + 1) * PATCH] = 1.0
    return x


def main():
    os.makedirs(OUT, exist_ok=True)
    model = build()
    probes = [(2, 1), (0, 3), (None, None)]
    logits = {}
    with torch.no_grad():
        for r, c in probes:
            out = model(probe(r, c))[0].tolist()
            logits['grey' if r is None else f'{r},{c}'] = [float(f'{v:.7g}') for v in out]
            # The white patch must decide: grey it out and the fake logit falls below the real one.
            if r is not None:
                greyed = probe(r, c)
                greyed[:, :, r * PATCH:(r + 1) * PATCH, c * PATCH:(c + 1) * PATCH] = 0.0
                assert out[1] > out[0] and model(greyed)[0, 1] < model(greyed)[0, 0], (r, c)
    buf = io.BytesIO()
    torch.onnx.export(model, probe(0, 0), buf, opset_version=17, input_names=['pixel_values'], output_names=['logits'],
                      dynamic_axes={'pixel_values': {0: 'batch_size'}, 'logits': {0: 'batch_size'}}, do_constant_folding=True)
    onnx.checker.check_model(onnx.load_from_string(buf.getvalue()), full_check=True)
    path = os.path.join(OUT, 'one_patch_vit.onnx')
    with open(path, 'wb') as f:
        f.write(buf.getvalue())
    meta = {'generator': 'tools/make_explain_fixture.py', 'patch': PATCH, 'grid': [GRID, GRID], 'fakeIndex': 1,
            'probe': 'black image (-1) with one white (1) patch at row,col; grey: all 0', 'logits': logits}
    with open(os.path.join(OUT, 'one_patch_vit.json'), 'w') as f:
        json.dump(meta, f, indent=1)
        f.write('\n')
    print(f'{path}: {os.path.getsize(path)} bytes; logits {logits}')


if __name__ == '__main__':
    main()
