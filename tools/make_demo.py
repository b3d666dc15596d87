#!/usr/bin/python3
"""Make the studio's one-click demo in public/demo/: a tiny trained detector and sample images.

How the demo was made
---------------------
* Data: procedurally drawn 32x32 synthetic "faces" (skin-toned ellipse on a random background,
  two eyes, brows, a nose and a mouth, with random position, size, colours, lighting and noise).
  "real" faces are drawn as they are. "fake" faces are the same drawings with one artefact that
  generators are known for: a checkerboard pattern as left by transposed-convolution upsampling
  (period 2, random phase and strength), a 2x nearest-neighbour upsampled (blocky) image, or
  eyes that do not match (different colour and size). Nothing is downloaded; every picture comes
  from the seeded generator below.
* Model: the timm VisionTransformer layout of tools/make_fixtures.py (patch 8, hidden 32,
  2 blocks, 2 heads, MLP ratio 2, 2 classes: 0 = real, 1 = fake), trained from scratch with
  AdamW on freshly generated batches, then checked on a held-out set.
* Export: torch.onnx.export at opset 17 (constant folding on, LayerNormalization), input
  `pixel_values` [batch,3,32,32], output `logits`, dynamic batch; checked with onnx.checker.
  Beside it: config.json (model_type "vit", id2label) and preprocessor_config.json
  (ViTImageProcessor, mean = std = 0.5, 32x32).
* Images: 32 calibration images (half real, half fake, unlabelled) in calib/ and 32 labelled
  evaluation images in eval/real/ and eval/fake/, PNG, drawn with seeds the training never saw.
* public/demo/manifest.json lists every file so the studio can fetch them from its own origin.

Rerun from the repository root (Debian's python3-torch 1.13, python3-onnx, python3-pil; seeded):
    /usr/bin/python3 tools/make_demo.py
(DEMO_STEPS=N trains for N steps instead of 6000, DEMO_OUT=DIR writes elsewhere, for trying changes.)
"""

import io
import json
import os
import shutil
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import VisionTransformer  # noqa: E402  (IMG = 32 there)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.environ.get('DEMO_OUT', os.path.join(HERE, '..', 'public', 'demo'))
IMG = 32
MEAN = STD = 0.5


def draw_face(rng):
    """One synthetic face, float RGB in [0, 255], HxWx3."""
    yy, xx = np.mgrid[0:IMG, 0:IMG].astype(np.float64)
    bg = rng.uniform(20, 235, 3)
    grad = rng.uniform(-40, 40, 3)
    img = bg + grad * (xx[..., None] / IMG - 0.5) + rng.uniform(-30, 30, 3) * (yy[..., None] / IMG - 0.5)
    cx, cy = IMG / 2 + rng.uniform(-3, 3), IMG / 2 + rng.uniform(-2, 3)
    rx, ry = rng.uniform(8, 11), rng.uniform(10, 13)
    skin = np.array([rng.uniform(120, 245), rng.uniform(80, 200), rng.uniform(60, 170)])
    face = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1
    light = 1 + 0.25 * ((xx - cx) / rx) * rng.uniform(-1, 1)
    img[face] = (skin * light[..., None])[face]
    return img, (cx, cy, rx, ry, skin)


def draw_eye(img, x, y, r, colour):
    yy, xx = np.mgrid[0:IMG, 0:IMG].astype(np.float64)
    white = ((xx - x) / (r * 1.5)) ** 2 + ((yy - y) / r) ** 2 <= 1
    img[white] = [235, 235, 230]
    iris = (xx - x) ** 2 + (yy - y) ** 2 <= (r * 0.7) ** 2
    img[iris] = colour


def draw_features(img, geom, rng, mismatched_eyes):
    cx, cy, rx, ry, skin = geom
    eye_y = cy - ry * rng.uniform(0.2, 0.35)
    dx = rx * rng.uniform(0.38, 0.5)
    r = rng.uniform(1.3, 2.0)
    colour = rng.uniform(10, 120, 3)
    draw_eye(img, cx - dx, eye_y, r, colour)
    if mismatched_eyes:
        other = np.clip(colour + rng.choice([-1, 1], 3) * rng.uniform(70, 130, 3), 0, 255)
        draw_eye(img, cx + dx, eye_y + rng.uniform(-1.5, 1.5), r * rng.uniform(0.55, 0.75), other)
    else:
        draw_eye(img, cx + dx, eye_y, r, colour)
    yy, xx = np.mgrid[0:IMG, 0:IMG].astype(np.float64)
    dark = skin * 0.45
    brow = (np.abs(yy - (eye_y - r - 1.2)) < 0.6) & (np.abs(np.abs(xx - cx) - dx) < r * 1.4)
    img[brow] = dark
    nose = (np.abs(xx - cx) < 0.7) & (yy > eye_y + 1) & (yy < cy + ry * 0.2)
    img[nose] = skin * 0.75
    mouth_y = cy + ry * rng.uniform(0.4, 0.55)
    mouth = (np.abs(yy - mouth_y - 0.03 * (xx - cx) ** 2 * rng.uniform(-1, 1)) < 0.8) & (np.abs(xx - cx) < rx * 0.45)
    img[mouth] = [rng.uniform(120, 200), 40, 50]


def sample(rng, fake):
    """(uint8 image, kind): kind names the artefact of a fake, 'real' otherwise."""
    img, geom = draw_face(rng)
    kind = rng.choice(['checker', 'upsample', 'eyes']) if fake else 'real'
    draw_features(img, geom, rng, mismatched_eyes=(kind == 'eyes'))
    img += rng.normal(0, rng.uniform(2, 6), img.shape)
    if kind == 'checker':
        yy, xx = np.mgrid[0:IMG, 0:IMG]
        phase = rng.randint(2)
        sign = np.where((xx + yy + phase) % 2 == 0, 1.0, -1.0)
        img += sign[..., None] * rng.uniform(10, 22) * rng.choice([-1, 1], 3)
    elif kind == 'upsample':
        small = img[rng.randint(2)::2, rng.randint(2)::2]
        img = np.repeat(np.repeat(small, 2, 0), 2, 1)
    return np.clip(np.round(img), 0, 255).astype(np.uint8), kind


def batch(rng, n):
    labels = rng.randint(0, 2, n)
    imgs = np.stack([sample(rng, bool(l))[0] for l in labels])
    x = torch.from_numpy(imgs).float().permute(0, 3, 1, 2) / 255
    return (x - MEAN) / STD, torch.from_numpy(labels).long()


def accuracy(model, x, y):
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def train():
    torch.manual_seed(0)
    model = VisionTransformer(dim=32, depth=2, heads=2, mlp_ratio=2, patch=8)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.02)
    steps = int(os.environ.get('DEMO_STEPS', 6000))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps, pct_start=0.1)
    rng = np.random.RandomState(1)
    held_x, held_y = batch(np.random.RandomState(999), 1000)
    for step in range(steps):
        x, y = batch(rng, 64)
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 250 == 0 or step == steps - 1:
            model.eval()
            print(f'step {step:5d}  loss {loss.item():.3f}  held-out accuracy {accuracy(model, held_x, held_y):.3f}', flush=True)
            model.train()
    model.eval()
    return model, accuracy(model, held_x, held_y)


def export(model, path):
    buf = io.BytesIO()
    torch.onnx.export(model, torch.zeros(1, 3, IMG, IMG), buf, opset_version=17,
                      input_names=['pixel_values'], output_names=['logits'],
                      dynamic_axes={'pixel_values': {0: 'batch_size'}, 'logits': {0: 'batch_size'}},
                      do_constant_folding=True)
    proto = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(proto, full_check=True)
    with open(path, 'wb') as f:
        f.write(buf.getvalue())


def write_json(path, obj):
    with open(path, 'w') as f:
        json.dump(obj, f, indent=2)
        f.write('\n')


def main():
    torch.set_num_threads(1)
    from PIL import Image
    model, held_out = train()
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    export(model, os.path.join(OUT, 'demo_vit.onnx'))
    write_json(os.path.join(OUT, 'config.json'), {
        'model_type': 'vit', 'architectures': ['ViTForImageClassification'], 'image_size': IMG, 'patch_size': 8,
        'hidden_size': 32, 'num_hidden_layers': 2, 'num_attention_heads': 2, 'intermediate_size': 64,
        'id2label': {'0': 'real', '1': 'fake'}, 'label2id': {'real': 0, 'fake': 1}})
    write_json(os.path.join(OUT, 'preprocessor_config.json'), {
        'do_normalize': True, 'do_rescale': True, 'do_resize': True, 'image_mean': [MEAN] * 3,
        'image_processor_type': 'ViTImageProcessor', 'image_std': [STD] * 3, 'resample': 2,
        'rescale_factor': 1 / 255, 'size': {'height': IMG, 'width': IMG}})

    files = {'model': 'demo_vit.onnx', 'config': ['config.json', 'preprocessor_config.json'], 'calibration': [], 'evaluation': []}
    rng = np.random.RandomState(2024)  # seeds the training never drew from
    for split, n, folder in (('calibration', 32, 'calib'), ('evaluation', 32, 'eval')):
        correct = 0
        for i in range(n):
            fake = i % 2 == 1
            img, kind = sample(rng, fake)
            label = 'fake' if fake else 'real'
            rel = f'{folder}/{label}_{i:02d}_{kind}.png' if split == 'calibration' else f'{folder}/{label}/{i:02d}_{kind}.png'
            os.makedirs(os.path.dirname(os.path.join(OUT, rel)), exist_ok=True)
            Image.fromarray(img, 'RGB').save(os.path.join(OUT, rel), optimize=True)
            files[split].append(rel)
            x = (torch.from_numpy(img).float().permute(2, 0, 1)[None] / 255 - MEAN) / STD
            with torch.no_grad():
                correct += int(model(x).argmax(1).item() == int(fake))
        print(f'{split}: {correct}/{n} classified correctly by the float model')
    files['heldOutAccuracy'] = round(held_out, 4)
    files['generator'] = 'tools/make_demo.py'
    write_json(os.path.join(OUT, 'manifest.json'), files)
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(OUT) for f in fs)
    print(f'held-out accuracy {held_out:.3f}; wrote {total / 1024:.0f} KiB to public/demo/')


if __name__ == '__main__':
    main()
