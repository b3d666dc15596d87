#!/usr/bin/python3
"""Make real-size detectors (random weights) for benchmarks and large-model tests; never committed.

How they are made
-----------------
* Interpreter: Debian's /usr/bin/python3 with python3-torch 1.13 and python3-onnx (as make_fixtures.py).
* The model classes are make_fixtures.py's plain-PyTorch copies of timm's layouts, built at the
  real sizes with seeded random weights (LayerNorm gammas around 1, betas around 0):
    vit_base   ViT-B/16 at 224 px: dim 768, depth 12, 12 heads, MLP 3072 (86 M parameters, ~343 MB)
    deit_base  the same with a distillation token and head (DeiT-B distilled)
    swin_tiny  Swin-T at 224 px: patch 4, embed 96, depths 2-2-6-2, heads 3-6-12-24, window 7 (28 M)
    swin_base  Swin-B at 224 px: embed 128, depths 2-2-18-2, heads 4-8-16-32, window 7 (88 M)
  or any ViT with --dim/--depth/--heads/--patch/--img (e.g. the 4-block d192 detector at 128 px:
  `--arch vit --dim 192 --depth 4 --heads 3 --patch 16 --img 128`).
* Exported with torch.onnx.export at --opset (default 17, LayerNormalization folded), input
  `pixel_values` [batch,3,img,img] with a dynamic batch, output `logits` [batch,2] (0 = real,
  1 = fake). Beside model.onnx go config.json (model_type, id2label) and preprocessor_config.json
  (mean = std = 0.5, the image size), as a Hugging Face export has them.

Usage (from the repository root):
    /usr/bin/python3 tools/make_large_models.py vit_base --out /tmp/defakeq-large/vit_base
    /usr/bin/python3 tools/make_large_models.py swin_tiny --out /tmp/defakeq-large/swin_tiny
"""

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as mf  # noqa: E402  (the model classes read mf.IMG when built)

PRESETS = {
    'vit_base': dict(arch='vit', dim=768, depth=12, heads=12, patch=16, img=224),
    'deit_base': dict(arch='deit', dim=768, depth=12, heads=12, patch=16, img=224),
    'swin_tiny': dict(arch='swin', dim=96, depths=(2, 2, 6, 2), heads=(3, 6, 12, 24), patch=4, img=224, window=7),
    'swin_base': dict(arch='swin', dim=128, depths=(2, 2, 18, 2), heads=(4, 8, 16, 32), patch=4, img=224, window=7),
}


def build(cfg):
    mf.IMG = cfg['img']
    torch.manual_seed(cfg.get('seed', 0))
    if cfg['arch'] == 'swin':
        model = mf.SwinTransformer(embed_dim=cfg['dim'], depths=cfg['depths'], num_heads=cfg['heads'],
                                   patch=cfg['patch'], window_size=cfg['window'], mlp_ratio=4.0)
    else:
        model = mf.VisionTransformer(cfg['dim'], cfg['depth'], cfg['heads'], 4.0, patch=cfg['patch'],
                                     distilled=cfg['arch'] == 'deit')
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() >= 2:
                torch.nn.init.trunc_normal_(p, std=0.02)
    mf.realistic_norms(model, torch.Generator().manual_seed(4321))
    return model.eval()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('preset', nargs='?', choices=sorted(PRESETS), help='a real-size model, or none with --arch')
    ap.add_argument('--arch', choices=['vit', 'deit', 'swin'])
    ap.add_argument('--dim', type=int)
    ap.add_argument('--depth', type=int)
    ap.add_argument('--heads', type=int)
    ap.add_argument('--patch', type=int)
    ap.add_argument('--img', type=int)
    ap.add_argument('--opset', type=int, default=17)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--out', required=True, help='folder to write model.onnx and its configs into')
    a = ap.parse_args()
    cfg = dict(PRESETS[a.preset]) if a.preset else {}
    for k in ('arch', 'dim', 'depth', 'heads', 'patch', 'img'):
        if getattr(a, k) is not None:
            cfg[k] = getattr(a, k)
    cfg['seed'] = a.seed
    missing = [k for k in ('arch', 'dim', 'patch', 'img') if k not in cfg]
    if missing:
        sys.exit(f'make_large_models: give a preset or --{" --".join(missing)}')
    model = build(cfg)
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, 'model.onnx')
    img = cfg['img']
    torch.onnx.export(model, torch.zeros(1, 3, img, img), path, opset_version=a.opset,
                      input_names=['pixel_values'], output_names=['logits'],
                      dynamic_axes={'pixel_values': {0: 'batch_size'}, 'logits': {0: 'batch_size'}},
                      do_constant_folding=a.opset >= 17)
    with open(os.path.join(a.out, 'config.json'), 'w') as f:
        json.dump({'model_type': 'swin' if cfg['arch'] == 'swin' else 'vit',
                   'id2label': {'0': 'real', '1': 'fake'}, 'label2id': {'real': 0, 'fake': 1}}, f, indent=2)
    with open(os.path.join(a.out, 'preprocessor_config.json'), 'w') as f:
        json.dump({'do_resize': True, 'size': {'height': img, 'width': img}, 'do_normalize': True,
                   'image_mean': [0.5, 0.5, 0.5], 'image_std': [0.5, 0.5, 0.5], 'do_rescale': True,
                   'rescale_factor': 1 / 255}, f, indent=2)
    params = sum(p.numel() for p in model.parameters())
    print(f'{path}: {params / 1e6:.1f} M parameters, {os.path.getsize(path) / 2**20:.0f} MiB')


if __name__ == '__main__':
    main()
