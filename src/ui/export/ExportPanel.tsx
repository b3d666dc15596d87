import { useState } from 'react';
import { TARGET_FORMAT, TARGET_RULES, TARGETS, targetObstacle } from '../../export/targets.ts';

const FORMAT_NAMES = { auto: 'per layer the smaller of DequantizeLinear and MatMulNBits', qdq: 'DequantizeLinear', nbits: 'MatMulNBits' } as const;
import { useExport } from '../../store/export.ts';
import { useModel } from '../../store/model.ts';
import { useQuantize } from '../../store/quantize.ts';
import { useReport } from '../../store/report.ts';
import { VerificationTable } from './VerificationTable.tsx';

/** Export: the low-bit ONNX per target, verified in onnxruntime-web in this page, then downloads. */
export function ExportPanel() {
  const opened = useModel((s) => s.opened);
  const quantized = useQuantize((s) => s.result?.ok === true);
  const actBits = useQuantize((s) => (s.result?.ok ? s.result.report.settings.actBits : null));
  const { target, format, running, status, configure, run, download } = useExport();
  const { writing, failed, downloadHtml } = useReport();
  const [images, setImages] = useState<File[]>([]);
  if (!opened || !quantized) return null;
  const report = status?.ok ? status.report : null;
  // Said before the export is tried: the target refuses what it cannot run natively.
  const obstacle = targetObstacle(target, format ?? TARGET_FORMAT[target], actBits);
  return (
    <section className="panel" aria-labelledby="export-title">
      <h2 id="export-title">Export</h2>
      <div className="settings">
        <label htmlFor="x-target">Runtime</label>
        <select id="x-target" value={target} onChange={(e) => configure({ target: e.target.value as typeof target, format: null })}>
          {TARGETS.map((t) => <option key={t} value={t}>{TARGET_RULES[t].summary}</option>)}
        </select>
        <span className={obstacle ? 'hint error' : 'hint'} data-testid="target-note">
          {obstacle ?? 'Both runtimes are checked; this one picks what the file may hold.'}
        </span>

        <label htmlFor="x-format">Weight storage</label>
        <select id="x-format" value={format ?? ''} onChange={(e) => configure({ format: e.target.value === '' ? null : (e.target.value as 'auto' | 'qdq' | 'nbits') })}>
          <option value="">{`the runtime's default (${FORMAT_NAMES[TARGET_FORMAT[target]]})`}</option>
          {TARGET_RULES[target].formats.includes('auto') && <option value="auto">{FORMAT_NAMES.auto}</option>}
          <option value="qdq">DequantizeLinear, per channel (uint4 / uint8)</option>
          {TARGET_RULES[target].formats.includes('nbits') && <option value="nbits">MatMulNBits (com.microsoft, 2/4/8-bit blocks)</option>}
        </select>
        <span className="hint">3, 5 and 6 bits go in the next container; the true width is recorded.</span>

        <label htmlFor="x-images">Verification images</label>
        <input id="x-images" type="file" accept="image/*" multiple onChange={(e) => setImages([...(e.target.files ?? [])])} />
        <span className="hint">Run through onnxruntime-web and compared with the studio’s simulation, and timed against the FP model.</span>
      </div>
      <p>
        <button type="button" disabled={running || obstacle !== null} onClick={() => void run(images)}>
          {images.length ? `Export and verify on ${images.length} images` : 'Export'}
        </button>
      </p>
      {running && <p aria-live="polite">Writing the file and running it in onnxruntime-web…</p>}
      {status && !status.ok && (
        <p className="error" role="alert" data-testid="export-error">{status.message}</p>
      )}
      {report && status?.ok && (
        <div data-testid="export-report">
          <p>
            {(report.size.exportedBytes / 1024).toFixed(1)} KiB, {(100 * report.size.ratio).toFixed(1)}% of the FP32 file;
            for {report.target}; weights as {FORMAT_NAMES[report.weightFormat]}; activations: {report.activations}.
          </p>
          {report.verification.length > 0 && <VerificationTable rows={report.verification} />}
          <p>
            <button type="button" onClick={() => download('onnx')}>Download ONNX</button>{' '}
            <button type="button" onClick={() => download('report')}>Download report</button>{' '}
            <button type="button" onClick={() => download('zip')}>Download bundle (zip)</button>{' '}
            <button type="button" disabled={writing !== null} onClick={() => void downloadHtml()}>{writing ? 'Writing the report…' : 'Download report (HTML)'}</button>
          </p>
          {failed?.key === 'current' && <p className="error" role="alert" data-testid="report-error">{failed.message}</p>}
        </div>
      )}
    </section>
  );
}
