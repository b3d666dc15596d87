import type { ReactNode } from 'react';
import type { QuantizeSettings } from '../quant/pipeline.ts';
import { useQuantize } from '../store/quantize.ts';

const CANDIDATE_BITS = [2, 3, 4, 5, 6, 8];

function Row({ id, label, hint, children }: { id: string; label: string; hint: string; children: ReactNode }) {
  return (
    <div className="setting">
      <label htmlFor={id}>{label}</label>
      {children}
      <span className="hint" id={`${id}-hint`}>
        {hint}
      </span>
    </div>
  );
}

function Choice<T extends string>({ id, value, options, onChange, disabled }: { id: string; value: T; options: [T, string][]; onChange(v: T): void; disabled: boolean }) {
  return (
    <select id={id} aria-describedby={`${id}-hint`} value={value} disabled={disabled} onChange={(e) => onChange(e.target.value as T)}>
      {options.map(([v, text]) => (
        <option key={v} value={v}>
          {text}
        </option>
      ))}
    </select>
  );
}

const num = (s: string, fallback: number) => (s.trim() === '' || !Number.isFinite(Number(s)) ? fallback : Number(s));

/** Every QuantizeSettings field the studio exposes, each with a one-line explanation. */
export function SettingsForm() {
  const settings = useQuantize((s) => s.settings);
  const update = useQuantize((s) => s.update);
  const disabled = useQuantize((s) => s.running);
  const set = <K extends keyof QuantizeSettings>(key: K) => (value: QuantizeSettings[K]) => update({ [key]: value } as Partial<QuantizeSettings>);
  const uniform = settings.method !== 'defakeq';
  const toggleBits = (b: number, on: boolean) => {
    const next = on ? [...settings.candidates, b] : settings.candidates.filter((c) => c !== b);
    if (next.length > 0) update({ candidates: [...new Set(next)].sort((x, y) => x - y) });
  };

  return (
    <div className="settings" data-testid="settings">
      <Row id="q-method" label="Method" hint="DeFakeQ gives important layers more bits; the baselines use one width for all.">
        <Choice id="q-method" value={settings.method} disabled={disabled} onChange={set('method')} options={[['defakeq', 'DeFakeQ: mixed bits + learned rounding'], ['adaround', 'AdaRound: uniform bits + learned rounding'], ['rtn', 'Round to nearest: uniform bits']]} />
      </Row>
      <Row id="q-bits" label="Average weight bits" hint="The budget; every stored bit counts, scales and zero points too.">
        <input id="q-bits" aria-describedby="q-bits-hint" type="number" min={1} max={8} step={0.25} disabled={disabled} value={settings.avgBits} onChange={(e) => update({ avgBits: num(e.target.value, settings.avgBits) })} />
      </Row>
      <Row id="q-storage" label="Budget counts" hint="The exported file’s bytes (3 and 6 bits then cost what 4 and 8 do), or each code at its true width.">
        <Choice id="q-storage" value={settings.storage ?? 'true-width'} disabled={disabled} onChange={(v) => update({ storage: v })} options={[['export', 'bytes in the exported file'], ['true-width', 'true widths (the paper’s accounting)']]} />
      </Row>
      <div className="setting">
        <span className="label" id="q-cands-label">Candidate bits</span>
        <div className="checks" role="group" aria-labelledby="q-cands-label" aria-describedby="q-cands-hint">
          {CANDIDATE_BITS.map((b) => (
            <label key={b} className="check">
              <input type="checkbox" disabled={disabled} checked={settings.candidates.includes(b)} onChange={(e) => toggleBits(b, e.target.checked)} />
              {b}
            </label>
          ))}
        </div>
        <span className="hint" id="q-cands-hint">
          {uniform ? 'The widths allowed; uniform methods take the widest that fits the budget.' : 'The widths a layer may get.'}
        </span>
      </div>
      <Row id="q-act" label="Activation bits" hint="Per tensor, on the input of every quantized layer.">
        <Choice id="q-act" value={String(settings.actBits ?? 'none')} disabled={disabled} onChange={(v) => update({ actBits: v === 'none' ? null : Number(v) })} options={[['none', 'float (weights only)'], ['4', '4'], ['6', '6'], ['8', '8']]} />
      </Row>
      <Row id="q-actrange" label="Activation range" hint="How calibration picks each activation's clipping range.">
        <Choice id="q-actrange" value={settings.actRange} disabled={disabled || settings.actBits === null} onChange={set('actRange')} options={[['auto', 'auto (percentile at 8 bits, least squared error at 6 and below)'], ['percentile', 'percentile (ignores rare outliers)'], ['minmax', 'min/max'], ['mse', 'least squared error']]} />
      </Row>
      <Row id="q-reparam" label="Outlier channels" hint="Rescale post-LayerNorm channels into one range first (same function; helps 4-bit activations).">
        <Choice id="q-reparam" value={settings.actReparam ? 'on' : 'off'} disabled={disabled || settings.actBits === null} onChange={(v) => update({ actReparam: v === 'on' })} options={[['off', 'leave as they are'], ['on', 'reparameterize (RepQ-ViT style)']]} />
      </Row>
      <Row id="q-floats" label="Float parameters" hint="Norms, biases and embeddings, which stay in float: stored as float16 (rounded before calibrating, so the export is still exact) or float32.">
        <Choice id="q-floats" value={settings.floatParams ?? 'fp32'} disabled={disabled} onChange={(v) => update({ floatParams: v === 'fp16' ? 'fp16' : 'fp32' })} options={[['fp16', 'float16 (smaller file)'], ['fp32', 'float32']]} />
      </Row>
      <Row id="q-wrange" label="Weight range" hint="Per output channel: min/max, or searched for the least rounding error; auto lets DeFakeQ measure both on the logits and pick per layer.">
        <Choice id="q-wrange" value={settings.weightRange} disabled={disabled} onChange={set('weightRange')} options={[['auto', 'auto (DeFakeQ: per layer, the one that moves the logits less; else min/max)'], ['minmax', 'min/max'], ['mse', 'least squared error']]} />
      </Row>
      <Row id="q-solver" label="Solver" hint={uniform ? 'Only DeFakeQ allocates bits.' : 'Relaxed descends the paper’s loss; exact solves the knapsack.'}>
        <Choice id="q-solver" value={settings.solver} disabled={disabled || uniform} onChange={set('solver')} options={[['relaxed', 'relaxed (paper)'], ['exact', 'exact (dynamic programming)']]} />
      </Row>
      <Row id="q-error" label="Error model" hint="What a layer is thought to lose at b bits: 2^-b, 4^-b, or measured on calibration data, at the model's logits or at the layer's own output.">
        <Choice id="q-error" value={settings.error} disabled={disabled || uniform} onChange={set('error')} options={[['paper', 'paper: 2^-b'], ['noise', 'quantizer noise: 4^-b'], ['logits', 'measured change of the logits'], ['measured', 'measured layer output error']]} />
      </Row>
      <Row id="q-iters" label="Rounding iterations" hint="Learned-rounding steps per layer; more is slower and usually better.">
        <input id="q-iters" aria-describedby="q-iters-hint" type="number" min={1} step={10} disabled={disabled || settings.method === 'rtn'} value={settings.iters} onChange={(e) => update({ iters: Math.max(1, Math.round(num(e.target.value, settings.iters))) })} />
      </Row>
      <Row id="q-recon" label="Reconstruction images" hint="Calibration images whose activations the rounding is fitted on.">
        <input id="q-recon" aria-describedby="q-recon-hint" type="number" min={1} disabled={disabled || settings.method === 'rtn'} value={settings.reconImages} onChange={(e) => update({ reconImages: Math.max(1, Math.round(num(e.target.value, settings.reconImages))) })} />
      </Row>
      <Row id="q-recon-inputs" label="Reconstruction inputs" hint="What each layer's rounding is fitted on: the activations of the model quantized so far, or the float model's.">
        <Choice id="q-recon-inputs" value={settings.reconInputs} disabled={disabled || settings.method === 'rtn'} onChange={set('reconInputs')} options={[['quantized', 'quantized upstream (default)'], ['fp', 'float model']]} />
      </Row>
      <Row id="q-recon-targets" label="Reconstruction targets" hint="What each layer's rounding aims at: the float weight on the same inputs (the paper's eq. 7), or the float model's own outputs, so a layer also makes up for the error upstream of it.">
        <Choice id="q-recon-targets" value={settings.reconTargets ?? 'same'} disabled={disabled || settings.method === 'rtn'} onChange={(v) => update({ reconTargets: v as 'same' | 'float' })} options={[['same', 'float weight, same inputs'], ['float', 'float model outputs']]} />
      </Row>
      <Row id="q-check" label="Rounding check" hint="DeFakeQ: keep nearest rounding for a block whose learned rounding moves the logits more. Off by default: on the face detector it reverted blocks the quantized model needed.">
        <Choice id="q-check" value={settings.roundingCheck === true ? 'on' : 'off'} disabled={disabled || settings.method !== 'defakeq'} onChange={(v) => update({ roundingCheck: v === 'on' })} options={[['off', 'off'], ['on', 'on: check each block against nearest']]} />
      </Row>
      <Row id="q-seed" label="Seed" hint="The same seed and inputs give the same result.">
        <input id="q-seed" aria-describedby="q-seed-hint" type="number" min={0} step={1} disabled={disabled} value={settings.seed} onChange={(e) => update({ seed: Math.round(num(e.target.value, settings.seed)) })} />
      </Row>
    </div>
  );
}
