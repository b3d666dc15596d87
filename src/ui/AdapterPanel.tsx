import { useGpu } from '../store/gpu.ts';
import { MemoryUse } from './MemoryUse.tsx';

const SHOWN_LIMITS: [string, string][] = [
  ['maxStorageBufferBindingSize', 'Largest storage binding'],
  ['maxBufferSize', 'Largest buffer'],
  ['maxComputeWorkgroupStorageSize', 'Workgroup memory'],
  ['maxComputeInvocationsPerWorkgroup', 'Invocations per workgroup'],
  ['maxStorageBuffersPerShaderStage', 'Storage buffers per stage'],
];

const KEY_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query'];

function formatLimit(name: string, value: number): string {
  if (name.endsWith('Size') && value >= 1 << 20) return `${(value / (1 << 20)).toFixed(0)} MiB`;
  if (name.endsWith('Size') && value >= 1 << 10) return `${(value / (1 << 10)).toFixed(0)} KiB`;
  return String(value);
}

export function AdapterPanel() {
  const status = useGpu((s) => s.status);
  if (!status) {
    return (
      <section className="panel" aria-busy="true" aria-labelledby="gpu-title">
        <h2 id="gpu-title">GPU</h2>
        <p>Looking for a WebGPU adapter…</p>
      </section>
    );
  }
  if (!status.ok) {
    return (
      <section className="panel panel-error" role="alert" aria-labelledby="gpu-title" data-testid="gpu-missing">
        <h2 id="gpu-title">WebGPU is not available</h2>
        <p>{status.message}</p>
      </section>
    );
  }
  const { adapter } = status;
  return (
    <section className="panel" aria-labelledby="gpu-title" data-testid="gpu-adapter">
      <h2 id="gpu-title">GPU adapter</h2>
      <dl className="facts">
        <dt>Vendor</dt>
        <dd data-testid="gpu-vendor">{adapter.vendor}</dd>
        <dt>Architecture</dt>
        <dd>{adapter.architecture}</dd>
        {adapter.description && (
          <>
            <dt>Device</dt>
            <dd>{adapter.description}</dd>
          </>
        )}
        {adapter.isFallbackAdapter && (
          <>
            <dt>Note</dt>
            <dd>This is a software (CPU) adapter: everything works, but slowly.</dd>
          </>
        )}
      </dl>
      <h3>Features that matter</h3>
      <ul className="features">
        {KEY_FEATURES.map((f) => {
          const has = adapter.features.includes(f);
          return (
            <li key={f} className={has ? 'yes' : 'no'}>
              {has ? '✓' : '✗'} {f} <span className="sr-only">{has ? 'available' : 'missing'}</span>
            </li>
          );
        })}
      </ul>
      <h3>Limits</h3>
      <dl className="facts">
        {SHOWN_LIMITS.map(([name, label]) => (
          <div key={name} className="fact">
            <dt>{label}</dt>
            <dd>{formatLimit(name, adapter.limits[name] ?? 0)}</dd>
          </div>
        ))}
      </dl>
      <MemoryUse />
    </section>
  );
}
