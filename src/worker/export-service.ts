import type { ExportApi } from './export-api.ts';

/** Worker side of ExportApi; reads the open model and the last result from workerState. */
export const exportService: ExportApi = {};
