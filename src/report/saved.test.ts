import { describe, expect, it } from 'vitest';
import { readSavedReport } from './saved.ts';
import { knownQuantizeReport, knownReportInput } from './testing.ts';

describe('readSavedReport', () => {
  const report = knownQuantizeReport();
  const model = { fileName: 'm.onnx', sha256: 'ab'.repeat(32), bytes: 1234 };

  it("reads the CLI's R.json: the report, the model's hash from its export data, the environment and the exported file", () => {
    const { environment } = knownReportInput();
    const exported = knownReportInput().export;
    const saved = readSavedReport({ ...report, export: { format: 'defakeq-export-source/1', model }, environment, exported }, 'r.json');
    expect(saved.quantization.layers.map((l) => l.bits)).toEqual([8, 2, 4]);
    expect(saved.modelFiles).toEqual([{ name: 'm.onnx', bytes: 1234, sha256: 'ab'.repeat(32) }]);
    expect(saved.environment).toEqual(environment);
    expect(saved.export).toEqual(exported);
    expect(saved.quantization).not.toHaveProperty('export');
  });

  it('reads quant_report.json, naming the export by its hash; one without a hash has no export part', () => {
    const exportReport = { tool: 'defakeq-studio', model, target: 'wasm', weightFormat: 'qdq', activations: 'none', method: 'rtn', quantization: report, size: { fpBytes: 1234, exportedBytes: 321, ratio: 0.26, sha256: 'cd'.repeat(32) }, layers: [], floatLayers: [], verification: [] };
    const saved = readSavedReport(exportReport, 'q.json');
    expect(saved.export?.file).toEqual({ name: 'm_quantized.onnx', bytes: 321, sha256: 'cd'.repeat(32) });
    expect(saved.environment).toBeNull();
    expect(readSavedReport({ ...exportReport, size: { fpBytes: 1, exportedBytes: 1, ratio: 1 } }, 'q.json').export).toBeNull();
    expect(() => readSavedReport({ ...exportReport, quantization: null }, 'q.json')).toThrow('q.json is an export report without its quantization report');
  });

  it('names what is wrong with anything else', () => {
    expect(() => readSavedReport([], 'x.json')).toThrow('x.json is not a report: expected a JSON object');
    expect(() => readSavedReport({ images: [] }, 'x.json')).toThrow('x.json is neither a quantization report');
    expect(() => readSavedReport({ ...report, timings: undefined }, 'x.json')).toThrow('x.json: the quantization report\'s "timings" is missing or malformed');
    expect(() => readSavedReport({ ...report, layers: [{ name: 'a', bits: 'four' }] }, 'x.json')).toThrow('x.json: layer entry 0 (a) is malformed');
  });
});
