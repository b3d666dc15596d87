/** bench:export's table and its verdict on the webgpu target. */
import type { WeightFormat } from '../src/storage/layout.ts';
import type { ExportTarget } from '../src/export/targets.ts';
import { speedRatio, type Verification } from '../src/export/verify.ts';

export interface BenchFile {
  /** e.g. "webgpu_qdq": the file's name in the bench folder. */
  key: string;
  target: ExportTarget;
  format: WeightFormat;
  /** Which run's simulation it is compared with: "A8" or "weights only". */
  sim: string;
}

export interface BenchRow {
  file: BenchFile;
  bytes: number;
  v: Verification;
}

const HEAD = ['file', 'runtime', 'bytes', 'of FP32', 'max|Δlogit|', 'agree', 'AUC', 'sim AUC', 'ms/image', 'FP ms', 'vs FP', 'images', 'off-EP nodes (FP file)'];

export function offEpCell(v: Verification): string {
  if (!v.runtime.includes('webgpu')) return '-';
  if (!v.placement.length) return 'not reported';
  const ops = [...new Set(v.fellBack.map((n) => n.split(' ')[0]))].join(' ');
  return `${v.fellBack.length} on CPU${ops ? ` (${ops})` : ''}${v.fpFellBack ? ` (FP: ${v.fpFellBack.length})` : ''}`;
}

export function formatRows(rows: BenchRow[], fpBytes: number): string {
  const table = [HEAD, ...rows.map(({ file, bytes, v }) => {
    const ratio = speedRatio(v);
    return [
      file.key, v.runtime, String(bytes), `${((100 * bytes) / fpBytes).toFixed(1)}%`,
      v.ok ? v.maxAbsDeltaLogit!.toExponential(2) : `failed: ${v.error?.slice(0, 50)}`, v.ok ? v.agreement!.toFixed(3) : '',
      v.ok && v.auc !== null ? v.auc.toFixed(4) : '', v.simulatedAuc?.toFixed(4) ?? '',
      v.ok ? v.msPerImage!.toFixed(1) : '', v.fpMsPerImage?.toFixed(1) ?? (v.fpError ? 'failed' : ''), ratio === null ? '' : ratio.toFixed(2),
      String(v.images), offEpCell(v),
    ];
  })];
  const widths = HEAD.map((_, i) => Math.max(...table.map((r) => r[i].length)));
  return table.map((r) => r.map((c, i) => (i < 2 || i === HEAD.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n');
}

/** One line per WebGPU EP row of the webgpu target: nodes off the EP and the speed against the FP file. */
export function verdict(rows: BenchRow[]): string[] {
  return rows.filter((r) => r.file.target === 'webgpu' && r.v.runtime.includes('webgpu')).map(({ file, v }) => {
    const ratio = speedRatio(v);
    const off = v.placement.length ? `${v.fellBack.length} nodes off the WebGPU EP` : 'placement not reported';
    const speed = ratio === null ? 'no speed ratio' : `quantized/FP time per image ${ratio.toFixed(2)} (${ratio <= 1 ? 'no slower' : 'SLOWER'} than the FP file)`;
    return `webgpu target, ${file.format}: ${v.ok ? `${off}; ${speed}; max |Δlogit| ${v.maxAbsDeltaLogit!.toExponential(2)} from the simulation` : `failed: ${v.error}`}`;
  });
}
