import type { ChartConfiguration } from 'chart.js';
import { useMemo } from 'react';
import type { ExplanationComparison } from '../../explain/compare.ts';
import { barLabels, ChartView } from './chart.tsx';

/** Spearman's rank correlation and the top-k overlap of FP and quantized maps, per block and for the whole model. */
function agreementConfig(comparison: ExplanationComparison, chosen: number): ChartConfiguration<'bar'> {
  const rows = [...comparison.blocks, { ...comparison.model, label: 'whole model' }];
  const at = chosen < 0 ? rows.length - 1 : chosen;
  const rho = rows.map((r) => r.spearman ?? 0);
  const shade = (dark: string, light: string) => rows.map((_, i) => (i === at ? dark : light));
  return {
    type: 'bar',
    data: {
      labels: rows.map((r) => r.label),
      datasets: [
        { label: 'rank correlation (Spearman)', data: rho, backgroundColor: shade('#1e3a8a', '#93b0ea'), maxBarThickness: 60 },
        { label: 'top-k patch overlap (k: a tenth of the patches, at least 3)', data: rows.map((r) => r.topKOverlap), backgroundColor: shade('#92400e', '#f2c38b'), maxBarThickness: 60 },
      ],
    },
    options: {
      layout: { padding: { top: 16 } },
      plugins: { legend: { position: 'top' }, tooltip: { callbacks: { label: (i) => `${i.dataset.label}: ${(i.raw as number).toFixed(4)}` } } },
      scales: { y: { min: Math.min(0, ...rho), max: 1, title: { display: true, text: 'FP vs quantized' } } },
    },
    plugins: [barLabels(0, (i) => (rows[i].spearman === null ? 'n/a' : rows[i].spearman!.toFixed(2)))],
  };
}

export function MapAgreementChart({ comparison, chosen }: { comparison: ExplanationComparison; chosen: number }) {
  const config = useMemo(() => agreementConfig(comparison, chosen), [comparison, chosen]);
  return <ChartView config={config} height={220} label="Rank correlation and top-k overlap of FP and quantized maps, per block and for the whole model" testId="map-agreement-chart" />;
}
