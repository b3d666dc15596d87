import { useState, type FormEvent } from 'react';
import { useModel } from '../store/model.ts';
import type { PreprocessEdit } from '../worker/api.ts';

type Triple = [string, string, string];
const CHANNELS = ['R', 'G', 'B'] as const;

interface Draft {
  height: string;
  width: string;
  mean: Triple;
  std: Triple;
}

function draftOf(p: PreprocessEdit | null): Draft {
  const t = (v: number[] | undefined, d: string): Triple => [0, 1, 2].map((i) => (v ? String(v[i]) : d)) as Triple;
  return { height: p ? String(p.size[0]) : '224', width: p ? String(p.size[1]) : '224', mean: t(p?.mean, '0.5'), std: t(p?.std, '0.5') };
}

function parse(d: Draft): PreprocessEdit {
  const n = (s: string) => Number(s.trim());
  return { size: [n(d.height), n(d.width)], mean: d.mean.map(n) as PreprocessEdit['mean'], std: d.std.map(n) as PreprocessEdit['std'] };
}

/** Image size and normalisation, prefilled from the model's config; the worker uses what is applied here. */
export function PreprocessPanel() {
  const opened = useModel((s) => s.opened)!;
  const error = useModel((s) => s.preprocessError);
  const setPreprocess = useModel((s) => s.setPreprocess);
  const pre = opened.preprocess;
  const key = `${opened.fileName}|${pre?.source}|${pre?.size.join('x')}|${pre?.mean.join()}|${pre?.std.join()}`;
  const [state, setState] = useState<{ key: string; draft: Draft }>({ key, draft: draftOf(pre) });
  const draft = state.key === key ? state.draft : draftOf(pre);
  const edit = (patch: Partial<Draft>) => setState({ key, draft: { ...draft, ...patch } });
  const dirty = !pre || JSON.stringify(draft) !== JSON.stringify(draftOf(pre));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void setPreprocess(parse(draft));
  };

  const triple = (name: 'mean' | 'std') => (
    <fieldset className="triple">
      <legend>{name === 'mean' ? 'Mean' : 'Std'}</legend>
      {CHANNELS.map((c, i) => (
        <label key={c}>
          <span className="sr-only">{name} </span>
          {c}
          <input
            type="number"
            step="any"
            aria-label={`${name} ${c}`}
            value={draft[name][i]}
            onChange={(e) => {
              const next = [...draft[name]] as Triple;
              next[i] = e.target.value;
              edit({ [name]: next });
            }}
          />
        </label>
      ))}
    </fieldset>
  );

  return (
    <form className="preprocess" aria-labelledby="pre-title" onSubmit={submit} data-testid="preprocess">
      <h3 id="pre-title">Preprocessing</h3>
      <p className="hint" data-testid="preprocess-source">
        {pre
          ? `From ${pre.source}. Images are resized to ${pre.size[1]}×${pre.size[0]}, scaled to 0–1, then (x − mean) / std per channel.`
          : 'The model does not say its image size: set it here or add its preprocessor_config.json.'}
      </p>
      <div className="preprocess-fields">
        <fieldset className="triple">
          <legend>Size (pixels)</legend>
          <label>
            Height
            <input type="number" min={1} max={4096} aria-label="Image height" value={draft.height} onChange={(e) => edit({ height: e.target.value })} />
          </label>
          <label>
            Width
            <input type="number" min={1} max={4096} aria-label="Image width" value={draft.width} onChange={(e) => edit({ width: e.target.value })} />
          </label>
        </fieldset>
        {triple('mean')}
        {triple('std')}
        <button type="submit" className="button" disabled={!dirty} aria-describedby="pre-pending">
          Apply preprocessing
        </button>
        <span className="hint" id="pre-pending">
          {dirty ? 'Changed: apply to use these values.' : ''}
        </span>
      </div>
      {error && (
        <p className="error" role="alert" data-testid="preprocess-error">
          {error}
        </p>
      )}
    </form>
  );
}
