import { useEffect, useState } from 'react';
import type { MemoryStatus } from '../worker/api.ts';
import { studio } from '../worker/client.ts';

const POLL_MS = 2000;

function mib(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
  return bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(0)} MiB` : `${(bytes / 2 ** 10).toFixed(0)} KiB`;
}

/** What the studio worker holds now (GPU buffers, its heap), refreshed every two seconds. */
export function MemoryUse() {
  const [status, setStatus] = useState<MemoryStatus | null>(null);
  useEffect(() => {
    let live = true;
    const poll = () => void studio().memoryStatus().then((s) => live && setStatus(s), () => undefined);
    poll();
    const timer = setInterval(poll, POLL_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, []);
  if (!status) return null;
  return (
    <>
      <h3>Memory in use</h3>
      <dl className="facts" data-testid="memory-use">
        <div className="fact">
          <dt>Weights on the GPU</dt>
          <dd data-testid="memory-gpu-weights">{mib(status.gpuWeights)}</dd>
        </div>
        <div className="fact">
          <dt>Activations on the GPU</dt>
          <dd>
            {mib(status.gpuActivations)} <span className="hint">(+{mib(status.gpuPooled)} kept for reuse)</span>
          </dd>
        </div>
        {status.heapUsed !== undefined && (
          <div className="fact">
            <dt>Worker heap</dt>
            <dd data-testid="memory-heap">
              {mib(status.heapUsed)}
              {status.heapLimit ? <span className="hint"> of {mib(status.heapLimit)}</span> : null}
            </dd>
          </div>
        )}
        {status.deviceMemory !== undefined && (
          <div className="fact">
            <dt>Device memory</dt>
            <dd>{mib(status.deviceMemory)}</dd>
          </div>
        )}
      </dl>
    </>
  );
}
