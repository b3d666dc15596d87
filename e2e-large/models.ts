import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real-size detector made by tools/make_large_models.py (random weights, seeded) in a temp folder,
 * never in the repository; made once and reused while the folder lasts (DEFAKEQ_LARGE_DIR moves it).
 */
export function largeModel(preset: 'vit_base' | 'swin_tiny'): { dir: string; files: string[] } {
  const dir = join(process.env.DEFAKEQ_LARGE_DIR ?? join(tmpdir(), 'defakeq-large'), preset);
  const files = ['model.onnx', 'config.json', 'preprocessor_config.json'].map((f) => join(dir, f));
  if (!files.every(existsSync)) {
    execFileSync('/usr/bin/python3', ['tools/make_large_models.py', preset, '--out', dir], { stdio: 'inherit' });
  }
  return { dir, files };
}
