import type { ReactNode } from 'react';
import { SETTINGS, settingApplies, settingValue, type ChoiceSpec, type NumberSpec, type QuantizeSettings, type SettingSpec, type SwitchSpec, type WidthsSpec } from '../quant/settings.ts';
import { settingScope } from '../quant/setting-text.ts';
import { useQuantize } from '../store/quantize.ts';

interface FieldProps<S extends SettingSpec> {
  spec: S;
  id: string;
  value: unknown;
  disabled: boolean;
  onChange(value: unknown): void;
}

function Select({ id, value, options, onChange, disabled }: { id: string; value: string; options: readonly (readonly [string, string])[]; onChange(v: string): void; disabled: boolean }) {
  return (
    <select id={id} aria-describedby={`${id}-hint`} value={value} disabled={disabled} onChange={(e) => onChange(e.target.value)}>
      {options.map(([v, text]) => (
        <option key={v} value={v}>
          {text}
        </option>
      ))}
    </select>
  );
}

function ChoiceField({ spec, id, value, disabled, onChange }: FieldProps<ChoiceSpec>) {
  return <Select id={id} value={String(value)} disabled={disabled} onChange={onChange} options={spec.choices} />;
}

function SwitchField({ spec, id, value, disabled, onChange }: FieldProps<SwitchSpec>) {
  const options = [['off', spec.labels[0]], ['on', spec.labels[1]]] as const;
  return <Select id={id} value={value === true ? 'on' : 'off'} disabled={disabled} onChange={(v) => onChange(v === 'on')} options={options} />;
}

/** A typed number, kept at the setting's current value while it is not one (and rounded into range for integers). */
function numberFrom(spec: NumberSpec, text: string, current: number): number {
  if (text.trim() === '' || !Number.isFinite(Number(text))) return current;
  if (!spec.integer) return Number(text);
  return Math.min(spec.max ?? Infinity, Math.max(spec.min, Math.round(Number(text))));
}

function NumberField({ spec, id, value, disabled, onChange }: FieldProps<NumberSpec>) {
  if (spec.offered) {
    const options = [...(spec.none ? [[spec.none.text, spec.none.label] as const] : []), ...spec.offered.map((v) => [String(v), String(v)] as const)];
    const text = value === null && spec.none ? spec.none.text : String(value);
    return <Select id={id} value={text} disabled={disabled} onChange={(v) => onChange(spec.none && v === spec.none.text ? null : Number(v))} options={options} />;
  }
  const current = typeof value === 'number' ? value : Number(spec.default);
  return (
    <input id={id} aria-describedby={`${id}-hint`} type="number" min={spec.min} max={spec.max} step={spec.step} disabled={disabled} value={current} onChange={(e) => onChange(numberFrom(spec, e.target.value, current))} />
  );
}

function WidthsField({ spec, id, value, disabled, onChange }: FieldProps<WidthsSpec>) {
  const widths = value as number[];
  const toggle = (b: number, on: boolean) => {
    const next = on ? [...widths, b] : widths.filter((c) => c !== b);
    if (next.length > 0) onChange([...new Set(next)].sort((x, y) => x - y));
  };
  return (
    <div className="checks" role="group" aria-labelledby={`${id}-label`} aria-describedby={`${id}-hint`}>
      {spec.offered.map((b) => (
        <label key={b} className="check">
          <input type="checkbox" disabled={disabled} checked={widths.includes(b)} onChange={(e) => toggle(b, e.target.checked)} />
          {b}
        </label>
      ))}
    </div>
  );
}

function Control(props: FieldProps<SettingSpec>): ReactNode {
  const { spec } = props;
  switch (spec.type) {
    case 'choice':
      return <ChoiceField {...props} spec={spec} />;
    case 'switch':
      return <SwitchField {...props} spec={spec} />;
    case 'number':
      return <NumberField {...props} spec={spec} />;
    case 'widths':
      return <WidthsField {...props} spec={spec} />;
  }
}

/** One row per entry of SETTINGS: its label, control and one-line help. */
export function SettingsFields({ settings, update, disabled }: { settings: QuantizeSettings; update(patch: Partial<QuantizeSettings>): void; disabled: boolean }) {
  return (
    <div className="settings" data-testid="settings">
      {(SETTINGS as readonly SettingSpec[]).map((spec) => {
        const id = `q-${spec.flag}`;
        const applies = settingApplies(spec, settings);
        const value = settingValue(spec, settings);
        const label = spec.type === 'widths' ? <span className="label" id={`${id}-label`}>{spec.label}</span> : <label htmlFor={id}>{spec.label}</label>;
        return (
          <div className="setting" key={spec.key} data-setting={spec.key}>
            {label}
            <Control spec={spec} id={id} value={value} disabled={disabled || !applies} onChange={(v) => update({ [spec.key]: v } as Partial<QuantizeSettings>)} />
            <span className="hint" id={`${id}-hint`}>
              {applies ? spec.help : `${spec.help} Only for ${settingScope(spec)}.`}
            </span>
          </div>
        );
      })}
    </div>
  );
}

/** Every quantization setting the studio exposes (src/quant/settings.ts), each with a one-line explanation. */
export function SettingsForm() {
  const settings = useQuantize((s) => s.settings);
  const update = useQuantize((s) => s.update);
  const disabled = useQuantize((s) => s.running);
  return <SettingsFields settings={settings} update={update} disabled={disabled} />;
}
