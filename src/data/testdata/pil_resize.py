"""Reference outputs of Pillow's bilinear resize (what Hugging Face image processors call) for
resize.test.ts. Run from the repository root: /usr/bin/python3 src/data/testdata/pil_resize.py
Inputs are pseudo-random RGB bytes from a fixed-seed LCG that resize.test.ts regenerates."""
import json
from PIL import Image

def lcg_bytes(n, seed):
    out, state = [], seed
    for _ in range(n):
        state = (state * 1103515245 + 12345) % 2**31
        out.append(state >> 23)  # 8 high bits
    return out

CASES = [  # (in_w, in_h, out_w, out_h, seed)
    (7, 5, 3, 4, 1), (5, 3, 11, 8, 2), (48, 40, 32, 32, 3), (10, 10, 10, 10, 4),
    (9, 13, 4, 13, 5), (6, 6, 6, 17, 6), (64, 64, 7, 7, 7),
]
cases = []
for w, h, ow, oh, seed in CASES:
    data = lcg_bytes(w * h * 3, seed)
    img = Image.frombytes('RGB', (w, h), bytes(data))
    out = img.resize((ow, oh), resample=Image.BILINEAR, reducing_gap=None)
    cases.append({'in': [w, h], 'out': [ow, oh], 'seed': seed, 'pixels': list(out.tobytes())})
with open('src/data/testdata/pil_resize.json', 'w') as f:
    json.dump({'pillow': Image.__version__, 'cases': cases}, f, separators=(',', ':'))
