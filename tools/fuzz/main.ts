/**
 * The fuzz harness: `npm run fuzz -- --models 10000 --images 1000 [--seed 1] [--workers 2]`.
 * Mutated fixture models and images go through the real CLI (`run --json` and `inspect --json`)
 * in a pool of long-lived workers (tools/fuzz/worker.ts), each with a V8 heap cap, an RSS
 * watchdog and a per-case timeout; a worker that crashes or breaches a limit is replaced. Every
 * outcome is classified and tallied; failing cases are kept under tmp/fuzz/findings/<class>/.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { classify, FAILURES, type Outcome } from './classify.ts';
import { imageSeeds, mutateImage } from './mutate-image.ts';
import { mutateModel, pick, rng } from './mutate-model.ts';
import type { CaseReply } from './worker.ts';

const MEMORY_LIMIT_MB = 1536;
const args = new Map<string, string>();
process.argv.slice(2).forEach((a, i, all) => a.startsWith('--') && args.set(a.slice(2), all[i + 1] ?? ''));
const num = (k: string, d: number) => (args.has(k) ? Number(args.get(k)) : d);
const MODELS = num('models', 200);
const IMAGES = num('images', 0);
const SEED = num('seed', 1);
const WORKERS = num('workers', 2);
const TIMEOUT_MS = num('timeout', 300) * 1000;
const OUT = args.get('out') || 'tmp/fuzz';
/** Print the first N outcomes with their messages (to look at what the answers say). */
const SHOW = num('show', 0);

const FIXTURES = ['vit_tiny_op17', 'vit_tiny_op13', 'deit_tiny_distilled_op17', 'swin_tiny_op17', 'hf_vit_tiny_op17', 'hf_swin_tiny_op13', 'vit_tiny_gelu_tanh_op13'];
const modelBytes = FIXTURES.map((f) => new Uint8Array(readFileSync(`tools/fixtures/${f}.onnx`)));
const seeds = imageSeeds();

interface Case {
  id: number;
  kind: 'model' | 'image';
  dir: string;
  file: string;
  argv: string[];
  steps: string[];
}

function makeCase(id: number): Case {
  const kind = id < MODELS ? 'model' : 'image';
  const r = rng(SEED * 1_000_003 + id);
  const dir = join(OUT, 'cases', String(id));
  mkdirSync(join(dir, 'images'), { recursive: true });
  if (kind === 'model') {
    const f = Math.floor(r() * FIXTURES.length);
    const { bytes, steps } = mutateModel(modelBytes[f]!, r);
    const file = join(dir, 'model.onnx');
    writeFileSync(file, bytes);
    writeFileSync(join(dir, 'images', 'a.png'), seeds[0]!.bytes);
    // A fifth run on the GPU; the rest stop after the checks every command shares (inspect).
    const argv = id % 5 ? ['inspect', file, '--json'] : ['run', file, '--images', join(dir, 'images'), '--json'];
    return { id, kind, dir, file, argv, steps: [FIXTURES[f]!, ...steps] };
  }
  const seed = pick(r, seeds);
  const { bytes, steps } = mutateImage(seed, r);
  const file = join(dir, 'images', seed.name);
  writeFileSync(file, bytes);
  return { id, kind, dir, file, argv: ['run', 'tools/fixtures/vit_tiny_op17.onnx', '--images', join(dir, 'images'), '--json'], steps: [seed.name, ...steps] };
}

class Worker {
  private child!: ChildProcess;
  private ready!: Promise<void>;
  private peakRssMb = 0;
  constructor() {
    this.start();
  }

  private start(): void {
    this.child = fork('tools/fuzz/worker.ts', [], {
      execArgv: [`--max-old-space-size=${MEMORY_LIMIT_MB}`, '--import', './cli/register.mjs'],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, FUZZ_WARM_UP: 'tools/fixtures/vit_tiny_op17.onnx' },
    });
    this.child.stdout!.on('data', (d: Buffer) => (this.leaked += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.leaked += d.toString()));
    this.ready = new Promise((done) => this.child.once('message', () => done()));
  }

  leaked = '';

  private rssMb(): number {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.child.pid}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : 0;
    } catch {
      return 0;
    }
  }

  /** Runs one case; a hang, crash or memory breach kills the worker and starts a new one. */
  async run(c: Case): Promise<Outcome> {
    await this.ready;
    this.leaked = '';
    this.peakRssMb = 0;
    const child = this.child;
    const result = await new Promise<{ reply?: CaseReply; died?: string; hung?: boolean; memory?: boolean }>((done) => {
      const watchdog = setInterval(() => {
        this.peakRssMb = Math.max(this.peakRssMb, this.rssMb());
        if (this.peakRssMb > MEMORY_LIMIT_MB) finish({ memory: true });
      }, 50);
      const timer = setTimeout(() => finish({ hung: true }), TIMEOUT_MS);
      const onMessage = (reply: CaseReply) => reply.id === c.id && finish({ reply });
      const onExit = (code: number | null, signal: string | null) => finish({ died: signal ?? `exit ${code}` });
      function finish(r: { reply?: CaseReply; died?: string; hung?: boolean; memory?: boolean }) {
        clearInterval(watchdog);
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        done(r);
      }
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send({ id: c.id, argv: c.argv });
    });
    if (!result.reply) {
      child.kill('SIGKILL');
      this.start();
    }
    return classify({ ...result, leaked: this.leaked, peakRssMb: this.peakRssMb, json: c.argv.includes('--json') });
  }

  stop(): void {
    this.child.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  rmSync(join(OUT, 'cases'), { recursive: true, force: true });
  const total = MODELS + IMAGES;
  const tally = new Map<string, Map<string, number>>([['model', new Map()], ['image', new Map()]]);
  const workers = Array.from({ length: WORKERS }, () => new Worker());
  const started = Date.now();
  let next = 0;
  let done = 0;
  let maxPeak = 0;
  await Promise.all(workers.map(async (w) => {
    while (next < total) {
      const c = makeCase(next++);
      const outcome = await w.run(c);
      maxPeak = Math.max(maxPeak, outcome.peakMb);
      const t = tally.get(c.kind)!;
      t.set(outcome.kind, (t.get(outcome.kind) ?? 0) + 1);
      if (FAILURES.includes(outcome.kind)) keepFinding(c, outcome);
      if (c.id < SHOW || (c.id >= MODELS && c.id < MODELS + SHOW)) console.log(`#${c.id} ${c.steps.join('; ')} → ${outcome.kind} in ${outcome.ms?.toFixed(0)} ms: ${outcome.detail.split('\n').find((l) => l.startsWith('stderr'))?.slice(0, 240)}`);
      rmSync(c.dir, { recursive: true, force: true });
      if (++done % 100 === 0) console.log(`${done}/${total} in ${((Date.now() - started) / 1000).toFixed(0)} s: ${line(tally)}`);
    }
  }));
  workers.forEach((w) => w.stop());
  const seconds = (Date.now() - started) / 1000;
  console.log(`\nfuzz: seed ${SEED}, ${total} cases in ${seconds.toFixed(0)} s (${(total / seconds).toFixed(2)} cases/s), peak RSS of a case ${maxPeak.toFixed(0)} MB`);
  for (const [kind, t] of tally) {
    const n = [...t.values()].reduce((a, b) => a + b, 0);
    if (!n) continue;
    console.log(`${kind} cases: ${n}; ${[...t].map(([k, v]) => `${k} ${v}`).join(', ')}`);
    console.log(`${kind} failures: ${FAILURES.map((k) => `${k} ${t.get(k) ?? 0}`).join(', ')}`);
  }
  writeFileSync(join(OUT, 'summary.json'), JSON.stringify({ seed: SEED, total, seconds, maxPeakMb: maxPeak, tally: Object.fromEntries([...tally].map(([k, t]) => [k, Object.fromEntries(t)])) }, null, 2));
  process.exit(0);
}

function line(tally: Map<string, Map<string, number>>): string {
  const all = new Map<string, number>();
  for (const t of tally.values()) for (const [k, v] of t) all.set(k, (all.get(k) ?? 0) + v);
  return [...all].map(([k, v]) => `${k} ${v}`).join(', ');
}

function keepFinding(c: Case, o: Outcome): void {
  const dir = join(OUT, 'findings', o.kind);
  mkdirSync(dir, { recursive: true });
  const ext = c.file.slice(c.file.lastIndexOf('.'));
  writeFileSync(join(dir, `${c.id}${ext}`), readFileSync(c.file));
  writeFileSync(join(dir, `${c.id}.txt`), `${c.argv.join(' ')}\n${c.steps.join('\n')}\n---\n${o.detail}\n`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
