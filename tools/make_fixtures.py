#!/usr/bin/python3
"""Make the tiny ONNX test fixtures in tools/fixtures/ with the real PyTorch exporter.

How these fixtures were made
----------------------------
* Interpreter: Debian's /usr/bin/python3 with python3-torch 1.13 and python3-onnx 1.12 (no pip, no
  timm, no transformers). Pillow (python3-pil) writes the test images.
* Models are written out below in plain PyTorch, copying the layouts of the real libraries:
    vit_tiny              timm VisionTransformer: Conv patch embed, cls token, learned pos embed,
                          pre-LN blocks with fused qkv (reshape/permute/unbind), GELU (erf) MLP.
    vit_tiny_gelu_tanh    the same weights as vit_tiny, GELU with approximate='tanh'.
    deit_tiny_distilled   timm DeiT distilled: cls + dist tokens, head and head_dist averaged.
    hf_vit_tiny           Hugging Face ViTForImageClassification: separate query/key/value,
                          ViTSelfOutput, ViTIntermediate, ViTOutput, LayerNorm eps 1e-12.
    swin_tiny             timm SwinTransformer: patch embed (Conv stride 4) + LN, 2 stages of 2
                          blocks, window attention with relative position bias (table indexed by
                          a relative_position_index buffer), torch.roll shifts + attention mask
                          buffer, patch merging, final LN, mean pool, head.
    hf_swin_tiny          Hugging Face SwinForImageClassification: patch 3 on 32x32 (pixels padded
                          to 33, an 11x11 grid), separate query/key/value, padding, shift mask and
                          window size computed while tracing (Pad, ScatterND, Range in the graph),
                          patch merging that pads odd sizes, 3 stages, AdaptiveAvgPool1d pooler.
  Image 32x32 RGB, 2 classes (index 0 = real, 1 = fake). Weights: seeded random init, with
  LayerNorm gammas/betas around 1/0 (not identity) and a few planted outlier channels: the
  LayerNorm gamma and beta of some channels are multiplied by 20-50 and the matching input
  columns of the following Linear divided by the same factor (the function is unchanged; large
  pretrained ViTs have such channels, see /work/shared/DESIGN.md).
* Each model is exported with torch.onnx.export at opset 13 (do_constant_folding=False, so the
  Shape/Gather/Unsqueeze/Concat plumbing and Transpose-of-weight nodes stay, LayerNorm is the
  ReduceMean/Sub/Pow/Sqrt decomposition) and opset 17 (do_constant_folding=True, LayerNorm is
  LayerNormalization), input `pixel_values` [batch,3,32,32], output `logits` [batch,2], batch
  axis dynamic. Files: tools/fixtures/<model>_op<opset>.onnx, checked with onnx.checker.
* tools/fixtures/<model>_op<opset>.ref.json holds seeded inputs (values rounded to 3 decimals so
  float32 parses identically everywhere) at batch 1 and batch 3 and the torch logits for them
  (7 significant digits). `npx tsx tools/ort_reference.ts` then adds onnxruntime-web's logits
  ("ort"), the references the engine is tested against.
* tools/fixtures/manifest.json lists every fixture with its linear layers (from the PyTorch
  modules, i.e. the ground truth for `inspect`), planted outlier channels and an op histogram.
* tools/fixtures/images/ and tools/fixtures/labelled/{real,fake}/ hold small synthetic images,
  and tools/fixtures/preprocessor_config.json an HF-style preprocessing config.

Rerun (from the repository root; everything is seeded and deterministic on one machine):
    /usr/bin/python3 tools/make_fixtures.py
    npx tsx tools/ort_reference.ts
"""

import io
import json
import math
import os
import sys
from collections import Counter

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'fixtures')
IMG = 32
NUM_CLASSES = 2
OPSETS = (13, 17)
MAX_BYTES = 2 * 1024 * 1024


# ----------------------------------------------------------------------------------------------
# timm-style ViT / DeiT
# ----------------------------------------------------------------------------------------------

class Mlp(nn.Module):
    def __init__(self, dim, hidden, approximate='none'):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU(approximate=approximate)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Attention(nn.Module):
    def __init__(self, dim, num_heads):
        super().__init__()
        self.num_heads = num_heads
        self.scale = (dim // num_heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        attn = (q @ k.transpose(-2, -1)) * self.scale
        attn = attn.softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(B, N, C)
        return self.proj(x)


class Block(nn.Module):
    def __init__(self, dim, num_heads, mlp_ratio, approximate='none'):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, num_heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), approximate)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        x = x + self.mlp(self.norm2(x))
        return x


class PatchEmbed(nn.Module):
    def __init__(self, patch, dim, norm=False):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, kernel_size=patch, stride=patch)
        self.norm = nn.LayerNorm(dim, eps=1e-5) if norm else nn.Identity()

    def forward(self, x):
        return self.norm(self.proj(x).flatten(2).transpose(1, 2))


class VisionTransformer(nn.Module):
    def __init__(self, dim, depth, heads, mlp_ratio, patch=8, distilled=False, approximate='none'):
        super().__init__()
        self.distilled = distilled
        num_patches = (IMG // patch) ** 2
        self.patch_embed = PatchEmbed(patch, dim)
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim) * 0.5)
        self.dist_token = nn.Parameter(torch.randn(1, 1, dim) * 0.5) if distilled else None
        self.pos_embed = nn.Parameter(torch.randn(1, num_patches + (2 if distilled else 1), dim) * 0.5)
        self.blocks = nn.Sequential(*[Block(dim, heads, mlp_ratio, approximate) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, NUM_CLASSES)
        self.head_dist = nn.Linear(dim, NUM_CLASSES) if distilled else None

    def forward(self, x):
        x = self.patch_embed(x)
        if self.distilled:
            x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1),
                           self.dist_token.expand(x.shape[0], -1, -1), x), dim=1)
        else:
            x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x), dim=1)
        x = x + self.pos_embed
        x = self.blocks(x)
        x = self.norm(x)
        if self.distilled:
            return (self.head(x[:, 0]) + self.head_dist(x[:, 1])) / 2
        return self.head(x[:, 0])


# ----------------------------------------------------------------------------------------------
# Hugging Face ViTForImageClassification layout
# ----------------------------------------------------------------------------------------------

class ViTPatchEmbeddings(nn.Module):
    def __init__(self, patch, dim):
        super().__init__()
        self.projection = nn.Conv2d(3, dim, kernel_size=patch, stride=patch)

    def forward(self, pixel_values):
        return self.projection(pixel_values).flatten(2).transpose(1, 2)


class ViTEmbeddings(nn.Module):
    def __init__(self, patch, dim):
        super().__init__()
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim) * 0.5)
        self.patch_embeddings = ViTPatchEmbeddings(patch, dim)
        self.position_embeddings = nn.Parameter(torch.randn(1, (IMG // patch) ** 2 + 1, dim) * 0.5)

    def forward(self, pixel_values):
        batch_size = pixel_values.shape[0]
        embeddings = self.patch_embeddings(pixel_values)
        cls_tokens = self.cls_token.expand(batch_size, -1, -1)
        embeddings = torch.cat((cls_tokens, embeddings), dim=1)
        return embeddings + self.position_embeddings


class ViTSelfAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.num_attention_heads = heads
        self.attention_head_size = dim // heads
        self.all_head_size = dim
        self.query = nn.Linear(dim, dim)
        self.key = nn.Linear(dim, dim)
        self.value = nn.Linear(dim, dim)

    def transpose_for_scores(self, x):
        new_x_shape = x.size()[:-1] + (self.num_attention_heads, self.attention_head_size)
        x = x.view(new_x_shape)
        return x.permute(0, 2, 1, 3)

    def forward(self, hidden_states):
        mixed_query_layer = self.query(hidden_states)
        key_layer = self.transpose_for_scores(self.key(hidden_states))
        value_layer = self.transpose_for_scores(self.value(hidden_states))
        query_layer = self.transpose_for_scores(mixed_query_layer)
        attention_scores = torch.matmul(query_layer, key_layer.transpose(-1, -2))
        attention_scores = attention_scores / math.sqrt(self.attention_head_size)
        attention_probs = F.softmax(attention_scores, dim=-1)
        context_layer = torch.matmul(attention_probs, value_layer)
        context_layer = context_layer.permute(0, 2, 1, 3).contiguous()
        new_context_layer_shape = context_layer.size()[:-2] + (self.all_head_size,)
        return context_layer.view(new_context_layer_shape)


class ViTSelfOutput(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dense = nn.Linear(dim, dim)

    def forward(self, hidden_states, input_tensor):
        return self.dense(hidden_states)


class ViTAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.attention = ViTSelfAttention(dim, heads)
        self.output = ViTSelfOutput(dim)

    def forward(self, hidden_states):
        return self.output(self.attention(hidden_states), hidden_states)


class ViTIntermediate(nn.Module):
    def __init__(self, dim, inter):
        super().__init__()
        self.dense = nn.Linear(dim, inter)
        self.intermediate_act_fn = nn.GELU()

    def forward(self, hidden_states):
        return self.intermediate_act_fn(self.dense(hidden_states))


class ViTOutput(nn.Module):
    def __init__(self, dim, inter):
        super().__init__()
        self.dense = nn.Linear(inter, dim)

    def forward(self, hidden_states, input_tensor):
        return self.dense(hidden_states) + input_tensor


class ViTLayer(nn.Module):
    def __init__(self, dim, heads, inter):
        super().__init__()
        self.attention = ViTAttention(dim, heads)
        self.intermediate = ViTIntermediate(dim, inter)
        self.output = ViTOutput(dim, inter)
        self.layernorm_before = nn.LayerNorm(dim, eps=1e-12)
        self.layernorm_after = nn.LayerNorm(dim, eps=1e-12)

    def forward(self, hidden_states):
        attention_output = self.attention(self.layernorm_before(hidden_states))
        hidden_states = attention_output + hidden_states
        layer_output = self.layernorm_after(hidden_states)
        layer_output = self.intermediate(layer_output)
        return self.output(layer_output, hidden_states)


class ViTEncoder(nn.Module):
    def __init__(self, dim, depth, heads, inter):
        super().__init__()
        self.layer = nn.ModuleList([ViTLayer(dim, heads, inter) for _ in range(depth)])

    def forward(self, hidden_states):
        for layer_module in self.layer:
            hidden_states = layer_module(hidden_states)
        return hidden_states


class ViTModel(nn.Module):
    def __init__(self, dim, depth, heads, inter, patch):
        super().__init__()
        self.embeddings = ViTEmbeddings(patch, dim)
        self.encoder = ViTEncoder(dim, depth, heads, inter)
        self.layernorm = nn.LayerNorm(dim, eps=1e-12)

    def forward(self, pixel_values):
        return self.layernorm(self.encoder(self.embeddings(pixel_values)))


class ViTForImageClassification(nn.Module):
    def __init__(self, dim, depth, heads, inter, patch=8):
        super().__init__()
        self.vit = ViTModel(dim, depth, heads, inter, patch)
        self.classifier = nn.Linear(dim, NUM_CLASSES)

    def forward(self, pixel_values):
        sequence_output = self.vit(pixel_values)
        return self.classifier(sequence_output[:, 0, :])


# ----------------------------------------------------------------------------------------------
# timm-style Swin Transformer
# ----------------------------------------------------------------------------------------------

def window_partition(x, window_size):
    B, H, W, C = x.shape
    x = x.view(B, H // window_size, window_size, W // window_size, window_size, C)
    return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, window_size, window_size, C)


def window_reverse(windows, window_size, H, W):
    C = windows.shape[-1]
    x = windows.view(-1, H // window_size, W // window_size, window_size, window_size, C)
    return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, H, W, C)


class WindowAttention(nn.Module):
    def __init__(self, dim, window_size, num_heads):
        super().__init__()
        self.window_size = window_size
        self.num_heads = num_heads
        self.scale = (dim // num_heads) ** -0.5
        ws = window_size
        self.relative_position_bias_table = nn.Parameter(torch.randn((2 * ws - 1) ** 2, num_heads) * 0.5)
        coords = torch.stack(torch.meshgrid(torch.arange(ws), torch.arange(ws), indexing='ij'))
        coords_flatten = torch.flatten(coords, 1)
        relative_coords = (coords_flatten[:, :, None] - coords_flatten[:, None, :]).permute(1, 2, 0).contiguous()
        relative_coords[:, :, 0] += ws - 1
        relative_coords[:, :, 1] += ws - 1
        relative_coords[:, :, 0] *= 2 * ws - 1
        self.register_buffer('relative_position_index', relative_coords.sum(-1))
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def _get_rel_pos_bias(self):
        n = self.window_size * self.window_size
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)].view(n, n, -1)
        return bias.permute(2, 0, 1).contiguous().unsqueeze(0)

    def forward(self, x, mask=None):
        B_, N, C = x.shape
        qkv = self.qkv(x).reshape(B_, N, 3, self.num_heads, -1).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        q = q * self.scale
        attn = q @ k.transpose(-2, -1)
        attn = attn + self._get_rel_pos_bias()
        if mask is not None:
            num_win = mask.shape[0]
            attn = attn.view(-1, num_win, self.num_heads, N, N) + mask.unsqueeze(1).unsqueeze(0)
            attn = attn.view(-1, self.num_heads, N, N)
        attn = attn.softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(B_, N, -1)
        return self.proj(x)


class SwinTransformerBlock(nn.Module):
    def __init__(self, dim, input_resolution, num_heads, window_size, shift_size, mlp_ratio):
        super().__init__()
        self.input_resolution = input_resolution
        self.window_size = window_size
        self.shift_size = shift_size
        if min(input_resolution) <= window_size:
            # timm: a window covering the whole map cannot shift
            self.shift_size = 0
            self.window_size = min(input_resolution)
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention(dim, self.window_size, num_heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))
        if self.shift_size > 0:
            H, W = input_resolution
            ws, s = self.window_size, self.shift_size
            img_mask = torch.zeros((1, H, W, 1))
            cnt = 0
            for h in (slice(0, -ws), slice(-ws, -s), slice(-s, None)):
                for w in (slice(0, -ws), slice(-ws, -s), slice(-s, None)):
                    img_mask[:, h, w, :] = cnt
                    cnt += 1
            mask_windows = window_partition(img_mask, ws).view(-1, ws * ws)
            attn_mask = mask_windows.unsqueeze(1) - mask_windows.unsqueeze(2)
            attn_mask = attn_mask.masked_fill(attn_mask != 0, float(-100.0)).masked_fill(attn_mask == 0, float(0.0))
        else:
            attn_mask = None
        self.register_buffer('attn_mask', attn_mask)

    def forward(self, x):
        H, W = self.input_resolution
        B, L, C = x.shape
        shortcut = x
        x = self.norm1(x).view(B, H, W, C)
        if self.shift_size > 0:
            shifted_x = torch.roll(x, shifts=(-self.shift_size, -self.shift_size), dims=(1, 2))
        else:
            shifted_x = x
        ws = self.window_size
        x_windows = window_partition(shifted_x, ws).view(-1, ws * ws, C)
        attn_windows = self.attn(x_windows, mask=self.attn_mask).view(-1, ws, ws, C)
        shifted_x = window_reverse(attn_windows, ws, H, W)
        if self.shift_size > 0:
            x = torch.roll(shifted_x, shifts=(self.shift_size, self.shift_size), dims=(1, 2))
        else:
            x = shifted_x
        x = shortcut + x.view(B, H * W, C)
        return x + self.mlp(self.norm2(x))


class PatchMerging(nn.Module):
    def __init__(self, input_resolution, dim):
        super().__init__()
        self.input_resolution = input_resolution
        self.norm = nn.LayerNorm(4 * dim)
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)

    def forward(self, x):
        H, W = self.input_resolution
        B, L, C = x.shape
        x = x.view(B, H, W, C)
        x0 = x[:, 0::2, 0::2, :]
        x1 = x[:, 1::2, 0::2, :]
        x2 = x[:, 0::2, 1::2, :]
        x3 = x[:, 1::2, 1::2, :]
        x = torch.cat([x0, x1, x2, x3], -1).view(B, -1, 4 * C)
        return self.reduction(self.norm(x))


class BasicLayer(nn.Module):
    def __init__(self, dim, input_resolution, depth, num_heads, window_size, mlp_ratio, downsample):
        super().__init__()
        self.blocks = nn.Sequential(*[
            SwinTransformerBlock(dim, input_resolution, num_heads, window_size,
                                 0 if i % 2 == 0 else window_size // 2, mlp_ratio)
            for i in range(depth)])
        self.downsample = PatchMerging(input_resolution, dim) if downsample else None

    def forward(self, x):
        x = self.blocks(x)
        return self.downsample(x) if self.downsample is not None else x


class SwinTransformer(nn.Module):
    def __init__(self, embed_dim=24, depths=(2, 2), num_heads=(2, 4), patch=4, window_size=4, mlp_ratio=2.0):
        super().__init__()
        self.patch_embed = PatchEmbed(patch, embed_dim, norm=True)
        res = IMG // patch
        layers = []
        for i, (depth, heads) in enumerate(zip(depths, num_heads)):
            r = res // (2 ** i)
            layers.append(BasicLayer(embed_dim * 2 ** i, (r, r), depth, heads, window_size, mlp_ratio,
                                     downsample=i < len(depths) - 1))
        self.layers = nn.Sequential(*layers)
        self.num_features = embed_dim * 2 ** (len(depths) - 1)
        self.norm = nn.LayerNorm(self.num_features)
        self.head = nn.Linear(self.num_features, NUM_CLASSES)

    def forward(self, x):
        x = self.layers(self.patch_embed(x))
        x = self.norm(x)
        return self.head(x.mean(dim=1))


# ----------------------------------------------------------------------------------------------
# Hugging Face SwinForImageClassification layout
# ----------------------------------------------------------------------------------------------
# Unlike the timm Swin above, Hugging Face computes its padding, shift mask and (in the last stage)
# window size from traced shapes inside forward, so the export carries Pad, ScatterND and
# shape arithmetic, as the Swin detectors on the Hub do.

def traced_int(x):
    """A Python int, or an int64 tensor while tracing (as transformers' torch_int)."""
    return torch.tensor(x, dtype=torch.int64) if torch.jit.is_tracing() else int(x)


class SwinPatchEmbeddings(nn.Module):
    def __init__(self, patch, dim):
        super().__init__()
        self.patch = patch
        self.projection = nn.Conv2d(3, dim, kernel_size=patch, stride=patch)

    def forward(self, pixel_values):
        _, _, height, width = pixel_values.shape
        if width % self.patch != 0:
            pixel_values = F.pad(pixel_values, (0, self.patch - width % self.patch))
        if height % self.patch != 0:
            pixel_values = F.pad(pixel_values, (0, 0, 0, self.patch - height % self.patch))
        embeddings = self.projection(pixel_values)
        _, _, height, width = embeddings.shape
        return embeddings.flatten(2).transpose(1, 2), (height, width)


class SwinEmbeddings(nn.Module):
    def __init__(self, patch, dim):
        super().__init__()
        self.patch_embeddings = SwinPatchEmbeddings(patch, dim)
        self.norm = nn.LayerNorm(dim)

    def forward(self, pixel_values):
        embeddings, dims = self.patch_embeddings(pixel_values)
        return self.norm(embeddings), dims


class SwinSelfAttention(nn.Module):
    def __init__(self, dim, heads, window):
        super().__init__()
        self.heads = heads
        self.head_size = dim // heads
        self.window = window
        self.relative_position_bias_table = nn.Parameter(torch.randn((2 * window - 1) ** 2, heads) * 0.5)
        coords = torch.stack(torch.meshgrid(torch.arange(window), torch.arange(window), indexing='ij'))
        flat = torch.flatten(coords, 1)
        rel = (flat[:, :, None] - flat[:, None, :]).permute(1, 2, 0).contiguous()
        rel[:, :, 0] += window - 1
        rel[:, :, 1] += window - 1
        rel[:, :, 0] *= 2 * window - 1
        self.register_buffer('relative_position_index', rel.sum(-1))
        self.query = nn.Linear(dim, dim)
        self.key = nn.Linear(dim, dim)
        self.value = nn.Linear(dim, dim)

    def split_heads(self, x):
        return x.view(x.size()[:-1] + (self.heads, self.head_size)).permute(0, 2, 1, 3)

    def forward(self, hidden_states, attention_mask=None):
        batch_size, dim, _ = hidden_states.shape
        query = self.split_heads(self.query(hidden_states))
        key = self.split_heads(self.key(hidden_states))
        value = self.split_heads(self.value(hidden_states))
        scores = torch.matmul(query, key.transpose(-1, -2)) / math.sqrt(self.head_size)
        n = self.window * self.window
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)].view(n, n, -1)
        scores = scores + bias.permute(2, 0, 1).contiguous().unsqueeze(0)
        if attention_mask is not None:
            windows = attention_mask.shape[0]
            scores = scores.view(batch_size // windows, windows, self.heads, dim, dim)
            scores = scores + attention_mask.unsqueeze(1).unsqueeze(0)
            scores = scores.view(-1, self.heads, dim, dim)
        context = torch.matmul(F.softmax(scores, dim=-1), value).permute(0, 2, 1, 3).contiguous()
        return context.view(context.size()[:-2] + (self.heads * self.head_size,))


class SwinSelfOutput(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dense = nn.Linear(dim, dim)

    def forward(self, hidden_states):
        return self.dense(hidden_states)


class SwinAttention(nn.Module):
    def __init__(self, dim, heads, window):
        super().__init__()
        self.self = SwinSelfAttention(dim, heads, window)
        self.output = SwinSelfOutput(dim)

    def forward(self, hidden_states, attention_mask=None):
        return self.output(self.self(hidden_states, attention_mask))


class SwinIntermediate(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.dense = nn.Linear(dim, hidden)
        self.act = nn.GELU()

    def forward(self, hidden_states):
        return self.act(self.dense(hidden_states))


class SwinOutput(nn.Module):
    def __init__(self, hidden, dim):
        super().__init__()
        self.dense = nn.Linear(hidden, dim)

    def forward(self, hidden_states):
        return self.dense(hidden_states)


class SwinLayer(nn.Module):
    def __init__(self, dim, heads, window, shift, mlp_ratio):
        super().__init__()
        self.window_size = window
        self.shift_size = shift
        self.layernorm_before = nn.LayerNorm(dim)
        self.attention = SwinAttention(dim, heads, window)
        self.layernorm_after = nn.LayerNorm(dim)
        self.intermediate = SwinIntermediate(dim, int(dim * mlp_ratio))
        self.output = SwinOutput(int(dim * mlp_ratio), dim)

    def set_shift_and_window_size(self, input_resolution):
        if min(input_resolution) <= self.window_size:
            # the window covers the whole map: no shift, and while tracing the size is a tensor
            self.shift_size = traced_int(0)
            self.window_size = (torch.min(torch.tensor(input_resolution)) if torch.jit.is_tracing()
                                else min(input_resolution))

    def attention_mask(self, height, width):
        if not self.shift_size > 0:
            return None
        ws, s = self.window_size, self.shift_size
        img_mask = torch.zeros((1, height, width, 1))
        count = 0
        for hs in (slice(0, -ws), slice(-ws, -s), slice(-s, None)):
            for wsl in (slice(0, -ws), slice(-ws, -s), slice(-s, None)):
                img_mask[:, hs, wsl, :] = count
                count += 1
        mask_windows = window_partition(img_mask, ws).view(-1, ws * ws)
        mask = mask_windows.unsqueeze(1) - mask_windows.unsqueeze(2)
        return mask.masked_fill(mask != 0, float(-100.0)).masked_fill(mask == 0, float(0.0))

    def forward(self, hidden_states, input_dimensions):
        self.set_shift_and_window_size(input_dimensions)
        height, width = input_dimensions
        batch_size, _, channels = hidden_states.size()
        shortcut = hidden_states
        hidden_states = self.layernorm_before(hidden_states).view(batch_size, height, width, channels)
        ws = self.window_size
        pad_right = (ws - width % ws) % ws
        pad_bottom = (ws - height % ws) % ws
        pad_values = (0, 0, 0, pad_right, 0, pad_bottom)
        hidden_states = F.pad(hidden_states, pad_values)
        _, height_pad, width_pad, _ = hidden_states.shape
        if self.shift_size > 0:
            hidden_states = torch.roll(hidden_states, shifts=(-self.shift_size, -self.shift_size), dims=(1, 2))
        windows = window_partition(hidden_states, ws).view(-1, ws * ws, channels)
        attention = self.attention(windows, self.attention_mask(height_pad, width_pad))
        shifted = window_reverse(attention.view(-1, ws, ws, channels), ws, height_pad, width_pad)
        if self.shift_size > 0:
            shifted = torch.roll(shifted, shifts=(self.shift_size, self.shift_size), dims=(1, 2))
        if pad_values[3] > 0 or pad_values[5] > 0:
            shifted = shifted[:, :height, :width, :].contiguous()
        hidden_states = shortcut + shifted.view(batch_size, height * width, channels)
        return hidden_states + self.output(self.intermediate(self.layernorm_after(hidden_states)))


class SwinPatchMerging(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = nn.LayerNorm(4 * dim)

    def forward(self, x, input_dimensions):
        height, width = input_dimensions
        batch_size, _, channels = x.shape
        x = x.view(batch_size, height, width, channels)
        if (height % 2 == 1) or (width % 2 == 1):
            x = F.pad(x, (0, 0, 0, width % 2, 0, height % 2))
        x = torch.cat([x[:, 0::2, 0::2, :], x[:, 1::2, 0::2, :], x[:, 0::2, 1::2, :], x[:, 1::2, 1::2, :]], -1)
        return self.reduction(self.norm(x.view(batch_size, -1, 4 * channels)))


class SwinStage(nn.Module):
    def __init__(self, dim, depth, heads, window, mlp_ratio, downsample):
        super().__init__()
        self.blocks = nn.ModuleList([SwinLayer(dim, heads, window, 0 if i % 2 == 0 else window // 2, mlp_ratio)
                                     for i in range(depth)])
        self.downsample = SwinPatchMerging(dim) if downsample else None

    def forward(self, hidden_states, input_dimensions):
        height, width = input_dimensions
        for block in self.blocks:
            hidden_states = block(hidden_states, input_dimensions)
        if self.downsample is None:
            return hidden_states, (height, width)
        return self.downsample(hidden_states, input_dimensions), ((height + 1) // 2, (width + 1) // 2)


class SwinEncoder(nn.Module):
    def __init__(self, dim, depths, heads, window, mlp_ratio):
        super().__init__()
        self.layers = nn.ModuleList([SwinStage(dim * 2 ** i, d, h, window, mlp_ratio, i < len(depths) - 1)
                                     for i, (d, h) in enumerate(zip(depths, heads))])

    def forward(self, hidden_states, input_dimensions):
        for stage in self.layers:
            hidden_states, input_dimensions = stage(hidden_states, input_dimensions)
        return hidden_states


class SwinModel(nn.Module):
    def __init__(self, patch, dim, depths, heads, window, mlp_ratio):
        super().__init__()
        self.embeddings = SwinEmbeddings(patch, dim)
        self.encoder = SwinEncoder(dim, depths, heads, window, mlp_ratio)
        self.layernorm = nn.LayerNorm(dim * 2 ** (len(depths) - 1))
        self.pooler = nn.AdaptiveAvgPool1d(1)

    def forward(self, pixel_values):
        embeddings, dims = self.embeddings(pixel_values)
        sequence = self.layernorm(self.encoder(embeddings, dims))
        return torch.flatten(self.pooler(sequence.transpose(1, 2)), 1)


class SwinForImageClassification(nn.Module):
    def __init__(self, patch=3, dim=16, depths=(2, 2, 2), heads=(2, 2, 4), window=3, mlp_ratio=2.0):
        super().__init__()
        self.swin = SwinModel(patch, dim, depths, heads, window, mlp_ratio)
        self.classifier = nn.Linear(dim * 2 ** (len(depths) - 1), NUM_CLASSES)

    def forward(self, pixel_values):
        return self.classifier(self.swin(pixel_values))


# ----------------------------------------------------------------------------------------------
# Weights
# ----------------------------------------------------------------------------------------------

def realistic_norms(model, gen):
    """LayerNorm gamma ~ 1 +- 0.2, beta ~ +-0.1, so a swapped or dropped affine shows in the output."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.LayerNorm):
                m.weight.copy_(1 + 0.2 * torch.randn(m.weight.shape, generator=gen))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=gen))


def plant_outliers(model, norm_name, linear_names, channels, factors):
    """Scale LayerNorm channels by F and the next Linear's input columns by 1/F (same function)."""
    mods = dict(model.named_modules())
    norm = mods[norm_name]
    with torch.no_grad():
        for c, f in zip(channels, factors):
            norm.weight[c] *= f
            norm.bias[c] *= f
            for lin in linear_names:
                mods[lin].weight[:, c] /= f
    return {'norm': norm_name, 'linears': linear_names, 'channels': channels, 'factors': factors}


def build(name):
    torch.manual_seed(1234)
    gen = torch.Generator().manual_seed(4321)
    outliers = []
    if name in ('vit_tiny', 'vit_tiny_gelu_tanh'):
        model = VisionTransformer(32, 2, 2, 4.0, approximate='tanh' if name.endswith('tanh') else 'none')
        realistic_norms(model, gen)
        outliers.append(plant_outliers(model, 'blocks.0.norm1', ['blocks.0.attn.qkv'], [3, 17], [30.0, 45.0]))
        outliers.append(plant_outliers(model, 'blocks.1.norm2', ['blocks.1.mlp.fc1'], [5, 20, 29], [25.0, 50.0, 20.0]))
    elif name == 'deit_tiny_distilled':
        model = VisionTransformer(32, 2, 4, 4.0, distilled=True)
        realistic_norms(model, gen)
        outliers.append(plant_outliers(model, 'blocks.1.norm1', ['blocks.1.attn.qkv'], [7, 11], [40.0, 25.0]))
    elif name == 'hf_vit_tiny':
        model = ViTForImageClassification(48, 2, 4, 96)
        realistic_norms(model, gen)
        outliers.append(plant_outliers(model, 'vit.encoder.layer.0.layernorm_before',
                                       ['vit.encoder.layer.0.attention.attention.query',
                                        'vit.encoder.layer.0.attention.attention.key',
                                        'vit.encoder.layer.0.attention.attention.value'], [2, 40], [35.0, 20.0]))
        outliers.append(plant_outliers(model, 'vit.encoder.layer.1.layernorm_after',
                                       ['vit.encoder.layer.1.intermediate.dense'], [9], [50.0]))
    elif name == 'swin_tiny':
        model = SwinTransformer()
        realistic_norms(model, gen)
        outliers.append(plant_outliers(model, 'layers.0.blocks.1.norm2', ['layers.0.blocks.1.mlp.fc1'], [4, 13], [30.0, 40.0]))
    elif name == 'hf_swin_tiny':
        model = SwinForImageClassification()
        realistic_norms(model, gen)
        outliers.append(plant_outliers(model, 'swin.encoder.layers.0.blocks.1.layernorm_before',
                                       ['swin.encoder.layers.0.blocks.1.attention.self.query',
                                        'swin.encoder.layers.0.blocks.1.attention.self.key',
                                        'swin.encoder.layers.0.blocks.1.attention.self.value'], [3, 11], [30.0, 40.0]))
    else:
        raise ValueError(name)
    return model.eval(), outliers


def linear_layers(model):
    """Ground truth for `inspect`: every nn.Linear and the patch-embedding Conv, in module order."""
    rows = []
    for mname, m in model.named_modules():
        if isinstance(m, nn.Linear):
            rows.append({'module': mname, 'kind': 'Linear', 'inFeatures': m.in_features,
                         'outFeatures': m.out_features, 'params': sum(p.numel() for p in m.parameters())})
        elif isinstance(m, nn.Conv2d):
            rows.append({'module': mname, 'kind': 'Conv', 'inFeatures': m.in_channels * m.kernel_size[0] * m.kernel_size[1],
                         'outFeatures': m.out_channels, 'params': sum(p.numel() for p in m.parameters())})
    return rows


# ----------------------------------------------------------------------------------------------
# Export and references
# ----------------------------------------------------------------------------------------------

def sig7(values):
    return [float(f'{v:.7g}') for v in values]


def seeded_input(batch, seed):
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand((batch, 3, IMG, IMG), generator=gen, dtype=torch.float64) * 2 - 1
    # 3 decimals: JSON text -> float32 gives the very same tensor in Python and JavaScript
    return torch.round(x * 1000) / 1000


def export(model, path, opset):
    buf = io.BytesIO()
    torch.onnx.export(model, torch.zeros(1, 3, IMG, IMG), buf, opset_version=opset,
                      input_names=['pixel_values'], output_names=['logits'],
                      dynamic_axes={'pixel_values': {0: 'batch_size'}, 'logits': {0: 'batch_size'}},
                      do_constant_folding=(opset >= 17))
    proto = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(proto, full_check=True)
    with open(path, 'wb') as f:
        f.write(buf.getvalue())
    return proto


def op_histogram(proto):
    return dict(sorted(Counter(n.op_type for n in proto.graph.node).items()))


MODELS = ['vit_tiny', 'vit_tiny_gelu_tanh', 'deit_tiny_distilled', 'hf_vit_tiny', 'swin_tiny', 'hf_swin_tiny']


def make_models():
    fixtures = []
    for mi, name in enumerate(MODELS):
        model, outliers = build(name)
        inputs = {b: seeded_input(b, 100 * mi + b) for b in (1, 3)}
        with torch.no_grad():
            logits = {b: model(inputs[b].float()).double() for b in (1, 3)}
        for opset in OPSETS:
            stem = f'{name}_op{opset}'
            path = os.path.join(OUT, stem + '.onnx')
            proto = export(model, path, opset)
            size = os.path.getsize(path)
            if size >= MAX_BYTES:
                sys.exit(f'{stem}.onnx is {size} bytes, over the 2 MB limit')
            ref = {'input_shape': [3, IMG, IMG],
                   'inputs': {str(b): [float(v) for v in inputs[b].flatten().tolist()] for b in (1, 3)},
                   'torch': {str(b): sig7(logits[b].flatten().tolist()) for b in (1, 3)}}
            with open(os.path.join(OUT, stem + '.ref.json'), 'w') as f:
                json.dump(ref, f, separators=(',', ':'))
            hist = op_histogram(proto)
            fixtures.append({'file': stem + '.onnx', 'ref': stem + '.ref.json', 'model': name, 'opset': opset,
                             'constantFolding': opset >= 17, 'bytes': size,
                             'input': 'pixel_values', 'output': 'logits', 'numClasses': NUM_CLASSES,
                             'linearLayers': linear_layers(model), 'outlierChannels': outliers,
                             'opHistogram': hist})
            print(f'{stem:28s} {size:8d} B  nodes={sum(hist.values()):4d}  {hist}')
    return fixtures


# ----------------------------------------------------------------------------------------------
# Images
# ----------------------------------------------------------------------------------------------

def pattern(kind, w, h, seed):
    """Deterministic synthetic RGB pictures (uint8 HxWx3)."""
    rng = np.random.RandomState(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    if kind == 'gradient':
        img = np.stack([xx / max(w - 1, 1), yy / max(h - 1, 1), 1 - xx / max(w - 1, 1)], -1) * 255
    elif kind == 'checker':
        c = ((xx // 4 + yy // 4) % 2)[..., None]
        img = c * np.array([230, 40, 60]) + (1 - c) * np.array([20, 200, 90])
    elif kind == 'rings':
        r = np.hypot(xx - w / 2, yy - h / 2)
        img = np.stack([128 + 127 * np.sin(r), 128 + 127 * np.cos(r / 2), 255 * r / r.max()], -1)
    elif kind == 'noise':
        img = rng.randint(0, 256, (h, w, 3))
    elif kind == 'blobs':
        img = np.zeros((h, w, 3))
        for _ in range(4):
            cx, cy, s = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(3, 8)
            img += np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * s * s))[..., None] * rng.uniform(60, 200, 3)
    else:
        raise ValueError(kind)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def make_images():
    from PIL import Image
    img_dir = os.path.join(OUT, 'images')
    os.makedirs(img_dir, exist_ok=True)
    written = []

    def save(arr, path, mode=None, **kw):
        im = Image.fromarray(arr, 'RGB')
        if mode is not None:
            im = im.convert(mode)
        im.save(path, **kw)
        written.append(os.path.relpath(path, OUT))

    save(pattern('gradient', IMG, IMG, 1), os.path.join(img_dir, 'a_gradient.png'))
    save(pattern('checker', IMG, IMG, 2), os.path.join(img_dir, 'b_checker.png'))
    save(pattern('rings', IMG, IMG, 3), os.path.join(img_dir, 'c_rings_gray.png'), mode='L')
    save(pattern('noise', IMG, IMG, 4), os.path.join(img_dir, 'd_noise_rgba.png'), mode='RGBA')
    save(pattern('blobs', IMG, IMG, 5), os.path.join(img_dir, 'e_blobs.jpg'), quality=90)
    save(pattern('rings', IMG, IMG, 6), os.path.join(img_dir, 'f_rings.jpg'), quality=75)

    # wrong size for resize tests (width 48, height 40), kept out of images/ so `run --images` on
    # images/ sees only model-sized pictures
    odd_dir = os.path.join(OUT, 'images_odd')
    os.makedirs(odd_dir, exist_ok=True)
    save(pattern('gradient', 48, 40, 7), os.path.join(odd_dir, 'wide_48x40.png'))
    # The same pixels as WebP: lossless (must decode exactly to the PNG's) and lossy (close to it)
    save(pattern('gradient', 48, 40, 7), os.path.join(odd_dir, 'wide_48x40_lossless.webp'), lossless=True)
    save(pattern('gradient', 48, 40, 7), os.path.join(odd_dir, 'wide_48x40_lossy.webp'), quality=90)
    good = io.BytesIO()
    Image.fromarray(pattern('blobs', IMG, IMG, 8), 'RGB').save(good, format='JPEG', quality=90)
    with open(os.path.join(odd_dir, 'broken.jpg'), 'wb') as f:
        f.write(good.getvalue()[: len(good.getvalue()) // 2])
    written.append('images_odd/broken.jpg')

    for label, kinds in (('real', ('gradient', 'rings', 'blobs')), ('fake', ('checker', 'noise', 'checker'))):
        d = os.path.join(OUT, 'labelled', label)
        os.makedirs(d, exist_ok=True)
        for i, kind in enumerate(kinds):
            ext = 'jpg' if i == 2 else 'png'
            save(pattern(kind, IMG, IMG, 20 + i + (10 if label == 'fake' else 0)),
                 os.path.join(d, f'{label}_{i}.{ext}'), **({'quality': 90} if ext == 'jpg' else {}))
    return written


def write_preprocessor_config():
    cfg = {'do_normalize': True, 'do_rescale': True, 'do_resize': True,
           'image_mean': [0.5, 0.5, 0.5], 'image_processor_type': 'ViTImageProcessor',
           'image_std': [0.5, 0.5, 0.5], 'resample': 2, 'rescale_factor': 1 / 255,
           'size': {'height': IMG, 'width': IMG}}
    with open(os.path.join(OUT, 'preprocessor_config.json'), 'w') as f:
        json.dump(cfg, f, indent=2)
        f.write('\n')


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    fixtures = make_models()
    images = make_images()
    write_preprocessor_config()
    manifest = {'generator': 'tools/make_fixtures.py', 'torch': torch.__version__, 'onnx': onnx.__version__,
                'imageSize': IMG, 'classes': ['real', 'fake'], 'fixtures': fixtures, 'images': images}
    with open(os.path.join(OUT, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1)
        f.write('\n')
    print(f'wrote {len(fixtures)} models and {len(images)} images to {OUT}')


if __name__ == '__main__':
    main()
