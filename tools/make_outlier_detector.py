#!/usr/bin/python3
"""Plant LayerNorm outlier channels in a ViT detector, leaving its function unchanged.

Large pretrained ViTs carry a few LayerNorm output channels far wider than the rest, which one
per-tensor 4-bit activation range cannot hold (docs/veft.md). Small detectors trained from scratch
do not, so this makes one that does, for VEFT's acceptance run and benchmarks:

* Every LayerNormalization whose output is read only by MatMul nodes with a constant weight (and
  Shape nodes) (a
  block's pre-attention and pre-MLP norms; not the final norm, read by a Gather or Slice) gets
  `--channels` output channels (seeded random choice, distinct per norm) scaled by `--factor`:
  scale[c] and bias[c] times the factor, and row c of each reading MatMul's weight (K x N)
  divided by it. The float function is unchanged up to float32 rounding.
* Interpreter: Debian's /usr/bin/python3 with python3-onnx and numpy. Input: any ViT exported at
  opset >= 17 with LayerNormalization folded (tools/make_large_models.py, tools/train_detectors.py,
  or a trained detector kept outside the repository). The output is never committed.

Usage:
    /usr/bin/python3 tools/make_outlier_detector.py IN.onnx OUT.onnx [--channels 2] [--factor 20] [--seed 0]
config.json and preprocessor_config.json beside IN are copied beside OUT when present.
"""

import argparse
import os
import shutil

import numpy as np
import onnx
from onnx import numpy_helper


def plant(model, channels, factor, seed):
    graph = model.graph
    inits = {t.name: t for t in graph.initializer}
    readers = {}
    for node in graph.node:
        for name in node.input:
            readers.setdefault(name, []).append(node)
    rng = np.random.default_rng(seed)
    planted = []
    for node in graph.node:
        if node.op_type != 'LayerNormalization' or len(node.input) < 3:
            continue
        users = [u for u in readers.get(node.output[0], []) if u.op_type != 'Shape']
        if not users or any(u.op_type != 'MatMul' or u.input[1] not in inits for u in users):
            continue
        scale = numpy_helper.to_array(inits[node.input[1]]).copy()
        bias = numpy_helper.to_array(inits[node.input[2]]).copy()
        picked = np.sort(rng.choice(scale.shape[0], size=channels, replace=False))
        scale[picked] *= factor
        bias[picked] *= factor
        inits[node.input[1]].CopyFrom(numpy_helper.from_array(scale, node.input[1]))
        inits[node.input[2]].CopyFrom(numpy_helper.from_array(bias, node.input[2]))
        for user in users:
            w = numpy_helper.to_array(inits[user.input[1]]).copy()
            w[picked, :] /= factor
            inits[user.input[1]].CopyFrom(numpy_helper.from_array(w, user.input[1]))
        planted.append((node.name, picked.tolist(), [u.name for u in users]))
    return planted


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('input')
    parser.add_argument('output')
    parser.add_argument('--channels', type=int, default=2)
    parser.add_argument('--factor', type=float, default=20.0)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    model = onnx.load(args.input)
    planted = plant(model, args.channels, args.factor, args.seed)
    if not planted:
        raise SystemExit(f'{args.input}: no LayerNormalization read only by constant-weight MatMuls')
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    onnx.save(model, args.output)
    for name in ('config.json', 'preprocessor_config.json'):
        src = os.path.join(os.path.dirname(os.path.abspath(args.input)), name)
        if os.path.exists(src):
            shutil.copy(src, os.path.join(os.path.dirname(os.path.abspath(args.output)), name))
    for norm, picked, users in planted:
        print(f'{norm}: channels {picked} x{args.factor:g}, read by {", ".join(users)}')


if __name__ == '__main__':
    main()
