import type { AnalysisApi } from './analysis-api.ts';

/** Worker side of AnalysisApi; reads the open model and the last result from workerState. */
export const analysisService: AnalysisApi = {};
