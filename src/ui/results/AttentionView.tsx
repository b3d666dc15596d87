import { useEffect, useMemo, useState } from 'react';
import { compareMaps, differenceMap } from '../../explain/compare.ts';
import { differenceScale, relevanceScale, type HeatScale } from '../../explain/heatmap.ts';
import type { RelevanceMap } from '../../explain/maps.ts';
import type { MapMethod } from '../../explain/methods.ts';
import { useExplain } from '../../store/explain.ts';
import type { ExplainStatus } from '../../worker/explain-api.ts';
import { AttentionCanvas, ScaleBar } from './AttentionCanvas.tsx';
import { FaithfulnessView } from './FaithfulnessView.tsx';
import { MapAgreementChart } from './MapAgreementChart.tsx';

type Shown = Extract<ExplainStatus, { ok: true }>;

/** The maps on screen: the chosen block (−1: the whole model) and head (raw attention only). */
function chosenMaps(s: Shown, block: number, head: number | null): { fp: RelevanceMap; q: RelevanceMap; where: string } {
  if (block < 0) return { fp: s.fp.model, q: s.quantized.model, where: s.method === 'attention' ? `the last block, ${s.fp.blocks[s.fp.blocks.length - 1].label}` : 'the whole model' };
  const [f, q] = [s.fp.blocks[block], s.quantized.blocks[block]];
  if (head !== null && f.heads[head]) return { fp: f.heads[head], q: q.heads[head], where: `${f.label}, head ${head}` };
  return { fp: f.map, q: q.map, where: f.label };
}

function lead(s: Shown, where: string, map: RelevanceMap): string {
  const grid = `${map.rows}×${map.cols}`;
  if (s.method === 'rollout') {
    return `Attention rollout through ${where}: how much of what reaches ${s.readout} comes from each patch of the ${grid} grid, through every block's attention (heads averaged) and its residual path${s.kind === 'windows' ? '; a merged patch hands its share to its four children equally' : ''}.`;
  }
  if (s.method === 'gradient') {
    return `Gradient × attention through ${where} (Chefer et al.): each block's attention weighted by the gradient of the fake logit, positive part, heads averaged, accumulated from ${s.readout} back to each patch of the ${grid} grid${s.kind === 'windows' ? '; a merged patch hands its share to its four children equally' : ''}.`;
  }
  return `Raw attention in ${where}: the attention from ${s.readout} to each patch of the ${grid} grid${s.kind === 'windows' ? ', every window placed back on the image and the shifted windows rolled back' : ''}.`;
}

type ShownMaps = { fp: RelevanceMap; q: RelevanceMap; diff: RelevanceMap; where: string; scale: HeatScale; diffScale: HeatScale };

/** The input, FP and quantized maps on one scale, and their difference. */
function MapsRow({ shown, maps }: { shown: Shown; maps: ShownMaps }) {
  return (
    <div className="attention-row">
      <figure>
        <AttentionCanvas image={shown.image} map={null} scale={maps.scale} label={`${shown.imageName} as the model saw it`} />
        <figcaption>Input ({shown.image.width}×{shown.image.height})</figcaption>
      </figure>
      <figure>
        <AttentionCanvas image={shown.image} map={maps.fp} scale={maps.scale} label={`FP map of ${maps.where}`} />
        <figcaption>FP model</figcaption>
        <ScaleBar scale={maps.scale} />
      </figure>
      <figure>
        <AttentionCanvas image={shown.image} map={maps.q} scale={maps.scale} label={`Quantized map of ${maps.where}`} />
        <figcaption>Quantized model</figcaption>
        <ScaleBar scale={maps.scale} />
      </figure>
      <figure>
        <AttentionCanvas image={shown.image} map={maps.diff} scale={maps.diffScale} label={`Quantized minus FP map of ${maps.where}`} />
        <figcaption>Quantized − FP</figcaption>
        <ScaleBar scale={maps.diffScale} />
      </figure>
    </div>
  );
}

function MethodControls({ status }: { status: Shown | null }) {
  const { names, image, method, methods, explain } = useExplain();
  const unavailable = methods?.filter((m) => m.unavailable) ?? [];
  return (
    <>
      <label htmlFor="r-image">Image</label>
      <select id="r-image" value={image ?? ''} onChange={(e) => void explain(e.target.value)}>
        {names?.map((n) => <option key={n} value={n}>{n}</option>)}
      </select>
      <label htmlFor="r-method">Map</label>
      <select id="r-method" value={method} onChange={(e) => image && void explain(image, e.target.value as MapMethod)}>
        {(methods ?? []).map((m) => <option key={m.id} value={m.id} disabled={m.unavailable !== null} title={m.unavailable ?? m.summary}>{m.title}{m.unavailable ? ' (not available)' : ''}</option>)}
      </select>
      {unavailable.length > 0 && status && (
        <span className="hint" data-testid="method-unavailable">{unavailable.map((m) => `${m.title}: ${m.unavailable}`).join(' ')}</span>
      )}
    </>
  );
}

export function AttentionView() {
  const { names, image, status, loading, listImages, explain } = useExplain();
  const [block, setBlock] = useState(-1);
  const [chosenHead, setHead] = useState<number | null>(null);
  useEffect(() => {
    if (names === null) void listImages();
  }, [names, listImages]);
  useEffect(() => {
    if (names?.[0] && image === null) void explain(names[0]);
  }, [names, image, explain]);
  const ok = status?.ok ? status : null;
  const shownBlock = ok && block < ok.fp.blocks.length ? block : -1;
  // Heads exist for raw attention only; a head the block lacks falls back to the mean.
  const head = ok && shownBlock >= 0 && chosenHead !== null && chosenHead < ok.fp.blocks[shownBlock].heads.length ? chosenHead : null;
  const maps = useMemo(() => {
    if (!ok) return null;
    const { fp, q, where } = chosenMaps(ok, shownBlock, head);
    const diff = differenceMap(fp, q);
    return { fp, q, where, diff, scale: relevanceScale(fp, q), diffScale: differenceScale(diff), agreement: compareMaps(fp, q) };
  }, [ok, shownBlock, head]);

  if (names === null) return <p className="hint" role="status">Listing the images…</p>;
  if (names.length === 0) return <p className="hint">Add calibration or evaluation images (step 2) to draw maps for one of them.</p>;
  const heads = ok && shownBlock >= 0 ? ok.fp.blocks[shownBlock].heads.length : 0;
  return (
    <div data-testid="results-attention">
      <div className="results-controls">
        <MethodControls status={ok} />
        {ok && (
          <>
            <label htmlFor="r-block">Block</label>
            <select id="r-block" value={shownBlock} onChange={(e) => setBlock(Number(e.target.value))}>
              <option value={-1}>whole model</option>
              {ok.fp.blocks.map((x, i) => <option key={x.label} value={i}>{x.label}</option>)}
            </select>
            {heads > 0 && (
              <>
                <label htmlFor="r-head">Head</label>
                <select id="r-head" value={head ?? 'mean'} onChange={(e) => setHead(e.target.value === 'mean' ? null : Number(e.target.value))}>
                  <option value="mean">mean of {heads} heads</option>
                  {Array.from({ length: heads }, (_, h) => <option key={h} value={h}>head {h}</option>)}
                </select>
              </>
            )}
          </>
        )}
        {loading && <span className="hint" role="status">Running both models on the image…</span>}
      </div>
      {status && !status.ok && <p className="error" role="alert" data-testid="attention-error">{status.message}</p>}
      {ok && maps && (
        <>
          <p className="results-lead" data-testid="map-lead">
            {lead(ok, maps.where, maps.fp)} Fake probability {ok.fp.score.toFixed(3)} (FP), {ok.quantized.score.toFixed(3)} (quantized).
            {' '}FP vs quantized: rank correlation <strong data-testid="map-spearman">{maps.agreement.spearman === null ? 'n/a (a constant map)' : maps.agreement.spearman.toFixed(4)}</strong>,
            {' '}top-{maps.agreement.topK} patches shared <strong data-testid="map-topk">{Math.round(maps.agreement.topKOverlap * maps.agreement.topK)} of {maps.agreement.topK}</strong>.
          </p>
          <MapsRow shown={ok} maps={maps} />
          <h3>FP vs quantized per block and for the whole model; the dark bars are the map shown above</h3>
          <MapAgreementChart comparison={ok.comparison} chosen={shownBlock} />
          <FaithfulnessView patches={ok.grid.rows * ok.grid.cols} />
        </>
      )}
    </div>
  );
}
