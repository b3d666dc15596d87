import type { ChartConfiguration } from 'chart.js';
import { useEffect, useMemo, useState } from 'react';
import { difference, meanMap, type BlockAttention } from '../../model/attention-maps.ts';
import { useResults } from '../../store/results.ts';
import { barLabels, ChartView } from './chart.tsx';
import { AttentionCanvas, ScaleBar } from './AttentionCanvas.tsx';

const maxOf = (...maps: Float32Array[]) => Math.max(1e-12, ...maps.map((m) => m.reduce((a, v) => Math.max(a, Math.abs(v)), 0)));

function similarityConfig(blocks: BlockAttention[], head: number | null, chosen: number): ChartConfiguration<'bar'> {
  const values = blocks.map((b) => (head === null ? b.meanSimilarity : b.similarity[head]));
  const low = Math.min(...values);
  return {
    type: 'bar',
    data: {
      labels: blocks.map((b) => b.block),
      datasets: [{
        label: head === null ? 'Similarity of the head-mean maps' : `Similarity, head ${head}`, data: values, maxBarThickness: 90,
        backgroundColor: blocks.map((_, i) => (i === chosen ? '#1e3a8a' : '#93b0ea')), hoverBackgroundColor: blocks.map((_, i) => (i === chosen ? '#1e3a8a' : '#93b0ea')),
      }],
    },
    options: {
      layout: { padding: { top: 16 } },
      plugins: { legend: { display: false }, tooltip: { callbacks: { label: (i) => `cosine similarity ${(i.raw as number).toFixed(4)}` } } },
      scales: { y: { min: Math.max(0, Math.floor((low - 0.05) * 20) / 20), max: 1, title: { display: true, text: 'cosine similarity' } } },
    },
    plugins: [barLabels(0, (i) => values[i].toFixed(3))],
  };
}

export function AttentionView() {
  const { attention, mapAttention, listAttentionImages } = useResults();
  const names = attention.names;
  const [block, setBlock] = useState(0);
  const [chosenHead, setHead] = useState<number | null>(null);
  const first = names?.[0] ?? null;
  useEffect(() => {
    if (names === null) void listAttentionImages();
  }, [names, listAttentionImages]);
  useEffect(() => {
    if (first && attention.image === null) void mapAttention(first);
  }, [first, attention.image, mapAttention]);
  const status = attention.status;
  const ok = status?.ok ? status : null;
  const b = ok?.blocks[Math.min(block, ok.blocks.length - 1)];
  // A head the current model lacks (after switching models) falls back to the mean.
  const head = ok && chosenHead !== null && chosenHead < ok.heads ? chosenHead : null;
  const maps = useMemo(() => {
    if (!b) return null;
    const fp = head === null ? meanMap(b.fp.maps) : b.fp.maps[head];
    const q = head === null ? meanMap(b.quantized.maps) : b.quantized.maps[head];
    const diff = difference(q, fp);
    return { fp, q, diff, max: maxOf(fp, q), diffMax: maxOf(diff) };
  }, [b, head]);
  const shown = ok ? Math.min(block, ok.blocks.length - 1) : 0;
  const chart = useMemo(() => ok && similarityConfig(ok.blocks, head, shown), [ok, head, shown]);

  if (names === null) return <p className="hint" role="status">Listing the images…</p>;
  if (names.length === 0) return <p className="hint">Add calibration or evaluation images (step 2) to draw attention maps for one of them.</p>;
  return (
    <div data-testid="results-attention">
      <div className="results-controls">
        <label htmlFor="r-image">Image</label>
        <select id="r-image" value={attention.image ?? ''} onChange={(e) => void mapAttention(e.target.value)}>
          {names.map((n) => <option key={n} value={n}>{n}</option>)}
        </select>
        {ok && (
          <>
            <label htmlFor="r-block">Block</label>
            <select id="r-block" value={block} onChange={(e) => setBlock(Number(e.target.value))}>
              {ok.blocks.map((x, i) => <option key={x.block} value={i}>{x.block}</option>)}
            </select>
            <label htmlFor="r-head">Head</label>
            <select id="r-head" value={head ?? 'mean'} onChange={(e) => setHead(e.target.value === 'mean' ? null : Number(e.target.value))}>
              <option value="mean">mean of {ok.heads} heads</option>
              {Array.from({ length: ok.heads }, (_, h) => <option key={h} value={h}>head {h}</option>)}
            </select>
          </>
        )}
        {attention.loading && <span className="hint" role="status">Running both models on the image…</span>}
      </div>
      {status && !status.ok && <p className="error" role="alert" data-testid="attention-error">{status.message}</p>}
      {ok && b && maps && chart && (
        <>
          <p className="results-lead">
            Where the CLS token looks in {b.block}{head === null ? ', averaged over heads' : `, head ${head}`}: its attention to each of the
            {' '}{b.fp.rows}×{b.fp.cols} patches{ok.prefixTokens > 1 ? ' (the distillation token left out)' : ''}, drawn over {ok.imageName} as the model saw it.
            {' '}Cosine similarity FP vs quantized: <strong data-testid="attention-similarity">{(head === null ? b.meanSimilarity : b.similarity[head]).toFixed(4)}</strong>.
          </p>
          <div className="attention-row">
            <figure>
              <AttentionCanvas image={ok.image} map={null} rows={b.fp.rows} cols={b.fp.cols} scale={{ kind: 'attention', max: 1 }} label={`${ok.imageName} as the model saw it`} />
              <figcaption>Input ({ok.image.width}×{ok.image.height})</figcaption>
            </figure>
            <figure>
              <AttentionCanvas image={ok.image} map={maps.fp} rows={b.fp.rows} cols={b.fp.cols} scale={{ kind: 'attention', max: maps.max }} label={`FP attention map of ${b.block}`} />
              <figcaption>FP model</figcaption>
              <ScaleBar scale={{ kind: 'attention', max: maps.max }} />
            </figure>
            <figure>
              <AttentionCanvas image={ok.image} map={maps.q} rows={b.fp.rows} cols={b.fp.cols} scale={{ kind: 'attention', max: maps.max }} label={`Quantized attention map of ${b.block}`} />
              <figcaption>Quantized model</figcaption>
              <ScaleBar scale={{ kind: 'attention', max: maps.max }} />
            </figure>
            <figure>
              <AttentionCanvas image={ok.image} map={maps.diff} rows={b.fp.rows} cols={b.fp.cols} scale={{ kind: 'difference', max: maps.diffMax }} label={`Quantized minus FP attention of ${b.block}`} />
              <figcaption>Quantized − FP</figcaption>
              <ScaleBar scale={{ kind: 'difference', max: maps.diffMax }} />
            </figure>
          </div>
          <h3>Similarity per block{head === null ? ' (head mean)' : `, head ${head}`}; the dark bar is the block shown above</h3>
          <ChartView config={chart} height={200} label="Cosine similarity of FP and quantized CLS attention, per block" testId="attention-similarity-chart" />
        </>
      )}
    </div>
  );
}
