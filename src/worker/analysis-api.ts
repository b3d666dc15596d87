/** The analysis half of the studio API: what the results views draw (attention maps, histograms, sweeps). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface AnalysisApi {}
