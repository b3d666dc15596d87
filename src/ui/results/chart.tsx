import {
  BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement,
  LogarithmicScale, PointElement, ScatterController, Tooltip, type ChartConfiguration, type ChartType, type Plugin,
} from 'chart.js';
import { useEffect, useRef } from 'react';

Chart.register(BarController, BarElement, CategoryScale, Legend, LinearScale, LineController, LineElement, LogarithmicScale, PointElement, ScatterController, Tooltip);
Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', sans-serif";
Chart.defaults.color = '#3a4256';
Chart.defaults.animation = false;

/**
 * A Chart.js chart in a canvas. `config` should be memoised by the caller: a new object rebuilds
 * the chart. `label` describes the chart for screen readers (the data is also in a table nearby).
 */
export function ChartView<T extends ChartType>({ config, label, height, testId }: { config: ChartConfiguration<T>; label: string; height: number; testId?: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const chart = new Chart(canvas.current!, { ...config, options: { responsive: true, maintainAspectRatio: false, ...config.options } } as ChartConfiguration<T>);
    return () => chart.destroy();
  }, [config]);
  return (
    <div className="results-chart" style={{ height }} data-testid={testId}>
      <canvas ref={canvas} role="img" aria-label={label} />
    </div>
  );
}

/** Writes each bar's label above it (e.g. its bit width), so the value is never carried by colour alone. */
export function barLabels(datasetIndex: number, text: (index: number) => string): Plugin<'bar'> {
  return {
    id: `bar-labels-${datasetIndex}`,
    afterDatasetsDraw(chart) {
      const meta = chart.getDatasetMeta(datasetIndex);
      if (meta.hidden) return;
      const { ctx } = chart;
      ctx.save();
      ctx.font = `600 11px ${Chart.defaults.font.family}`;
      ctx.fillStyle = '#1d2330';
      ctx.textAlign = 'center';
      ctx.textBaseline = 'bottom';
      meta.data.forEach((bar, i) => ctx.fillText(text(i), bar.x, bar.y - 2));
      ctx.restore();
    },
  };
}
