/** The export half of the studio API: writing, verifying and bundling the low-bit ONNX (issue: export). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ExportApi {}
