import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DAWN_OPTIONS } from './node-gpu.ts';

const SHADERS = join(import.meta.dirname, '..', 'shaders');

/**
 * The workgroup arrays of every kernel, each checked by hand to be written in full before any read:
 * the Node device skips Dawn's zero-fill of workgroup memory, so an array read before it is written
 * would hold garbage there (and zeros in the browser). A new entry needs that check.
 */
const REVIEWED: Record<string, string[]> = {
  'activation_stats.wgsl': ['lo', 'hi'],
  'adaround_grad_w.wgsl': ['tileD', 'tileX'],
  'adaround_loss.wgsl': ['partRec', 'partReg'],
  'grad_contrastive.wgsl': ['partial'],
  'grad_matmul_tn.wgsl': ['tileA', 'tileB'],
  'grad_mse.wgsl': ['partial'],
  'grad_rows.wgsl': ['partial'],
  'matmul_quant.wgsl': ['tileA', 'tileB', 'colScale', 'colZero'],
  'matmul_ragged.wgsl': ['tileA', 'tileB'],
  'matmul_vec4.wgsl': ['tileA', 'tileB'],
  'rows.wgsl': ['partial'],
  'squared_error.wgsl': ['signal', 'noise'],
};

function workgroupVariables(): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  for (const file of readdirSync(SHADERS).filter((f) => f.endsWith('.wgsl')).sort()) {
    const names = [...readFileSync(join(SHADERS, file), 'utf8').matchAll(/var<workgroup>\s+(\w+)/g)].map((m) => m[1]);
    if (names.length > 0) found[file] = names;
  }
  return found;
}

describe('the Node device', () => {
  it('skips the zero-fill of workgroup memory', () => {
    expect(DAWN_OPTIONS).toContain('enable-dawn-features=disable_workgroup_init');
  });

  it('runs only kernels whose workgroup arrays were reviewed for writes before reads', () => {
    expect(workgroupVariables()).toEqual(REVIEWED);
  });
});
