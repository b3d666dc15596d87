#!/usr/bin/python3
"""Train detectors the project has not been tuned on, for bench:fidelity's unseen-model check.

The fidelity targets must hold on detectors other than ../shared/data/models/vit_faces.onnx. This
trains such detectors on the benchmark faces and writes them OUTSIDE the repository (they are
derived from ../shared/data, which is never committed): by default to /tmp/defakeq-detectors/.

How they are made
-----------------
* Interpreter: Debian's /usr/bin/python3 with python3-torch 1.13, python3-onnx and python3-pil.
* Architecture: timm's VisionTransformer as written in tools/make_fixtures.py (Conv patch embed,
  cls token, learned position embedding, pre-LN blocks with one fused qkv Linear, GELU MLP), so
  its layout differs from vit_faces (Hugging Face, separate query/key/value):
    deit_faces   patch 16, dim 128, depth 6, 4 heads, MLP 3x, 128x128 input
  and a Swin as written there too (patch embed with LayerNorm, shifted windows with their mask,
  patch merging, mean-pooled head):
    swin_faces   patch 8, embed dim 48, depths 2-2-2, heads 2-4-8, window 4, MLP 2x, 128x128 input
* Data: ../shared/data/faces/{real,fake} (index 0 real, 1 fake), every face except each 10th,
  which is the validation split printed at the end. Pixels scaled to [0,1] and normalised with
  mean 0.5, std 0.5, as ../shared/data/models/preprocessor_config.json says; random horizontal
  flips. AdamW (lr 1e-3, weight decay 0.05, cosine schedule), batch 64, 12 epochs by default
  (30 gives deit_faces a validation accuracy of 0.725, 12 gives 0.64; swin_faces reaches
  0.90 at 30), seeded (torch 0).
* Export: torch.onnx.export at opset 17 with constant folding, input `pixel_values`
  [batch,3,128,128], output `logits` [batch,2], batch axis dynamic.

Run, then benchmark:
    /usr/bin/python3 tools/train_detectors.py [--out DIR] [--epochs 12] [--arch deit|swin]
    npm run bench:fidelity -- --model /tmp/defakeq-detectors/deit_faces.onnx
"""

import argparse
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_fixtures as mf  # noqa: E402  (the timm-style modules)

DATA = os.path.join(HERE, '..', '..', 'shared', 'data')
SIZE = 128


def load_faces(data):
    images, labels = [], []
    for label, folder in ((0, 'real'), (1, 'fake')):
        root = os.path.join(data, 'faces', folder)
        for name in sorted(os.listdir(root)):
            with Image.open(os.path.join(root, name)) as im:
                im = im.convert('RGB').resize((SIZE, SIZE), Image.BILINEAR)
                images.append(np.asarray(im, dtype=np.float32) / 255.0)
            labels.append(label)
    x = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2)
    return (x - 0.5) / 0.5, torch.tensor(labels)


def train(model, x, y, epochs, batch=64):
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    steps = epochs * math.ceil(len(x) / batch)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)))
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(x))
        total = 0.0
        for s in range(0, len(x), batch):
            idx = order[s:s + batch]
            xb = x[idx]
            flip = torch.rand(len(idx)) < 0.5
            xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
            loss = loss_fn(model(xb), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        print(f'epoch {epoch + 1}/{epochs}: loss {total / len(x):.4f}', flush=True)


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        return (torch.cat([model(x[s:s + 128]) for s in range(0, len(x), 128)]).argmax(1) == y).float().mean().item()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--out', default='/tmp/defakeq-detectors')
    parser.add_argument('--epochs', type=int, default=12)
    parser.add_argument('--data', default=DATA)
    parser.add_argument('--arch', choices=('deit', 'swin'), default='deit')
    args = parser.parse_args()
    if not os.path.isdir(os.path.join(args.data, 'faces')):
        print(f'{args.data}/faces is not here: nothing to train on')
        return
    out = os.path.abspath(args.out)
    if out.startswith(os.path.abspath(os.path.join(HERE, '..')) + os.sep):
        sys.exit('refusing to write a model trained on ../shared/data inside the repository')
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(max(1, (os.cpu_count() or 2) // 2))
    x, y = load_faces(args.data)
    val = torch.arange(len(x)) % 10 == 0
    mf.IMG = SIZE  # make_fixtures' modules size their position embedding from it
    if args.arch == 'deit':
        model = mf.VisionTransformer(dim=128, depth=6, heads=4, mlp_ratio=3, patch=16)
    else:
        model = mf.SwinTransformer(embed_dim=48, depths=(2, 2, 2), num_heads=(2, 4, 8), patch=8, window_size=4, mlp_ratio=2.0)
    name = f'{args.arch}_faces'
    train(model, x[~val], y[~val], args.epochs)
    model.eval()
    print(f'{name}: validation accuracy {accuracy(model, x[val], y[val]):.4f} on {int(val.sum())} faces')
    mf.export(model, os.path.join(out, f'{name}.onnx'), 17)
    print(f'wrote {os.path.join(out, name + ".onnx")}')


if __name__ == '__main__':
    main()
