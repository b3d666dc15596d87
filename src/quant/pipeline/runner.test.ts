import { describe, expect, it } from 'vitest';
import { STAGES, type ProgressEvent, type StageName } from '../report.ts';
import { runStages } from './runner.ts';
import type { StageModule } from './stage.ts';
import { PIPELINE } from './stages/index.ts';

interface Toy {
  log: string[];
}

const io = { ctx: {} as never };

/** A toy stage: logs its name, takes `steps` steps, and optionally fails or cancels at its end. */
function toy(name: StageName, options: { needed?: boolean; fail?: boolean; abort?: AbortController } = {}): StageModule<Toy> {
  return {
    name,
    needed: () => options.needed ?? true,
    steps: () => 2,
    async run(state, { step }) {
      state.log.push(name);
      step(1, 2);
      if (options.fail) throw new Error(`${name} broke`);
      options.abort?.abort();
      step(2, 2);
    },
  };
}

describe('the stage runner', () => {
  it('runs the needed stages in the order given, with progress from step 0 and timings', async () => {
    const state: Toy = { log: [] };
    const events: ProgressEvent[] = [];
    const outcome = await runStages([toy('calibrate'), toy('score', { needed: false }), toy('allocate')], state, io, { onProgress: (e) => events.push(e) });
    expect(state.log).toEqual(['calibrate', 'allocate']);
    expect(outcome).toMatchObject({ completed: ['calibrate', 'allocate'], cancelled: false });
    expect(outcome.failure).toBeUndefined();
    expect(Object.keys(outcome.timings)).toEqual(['calibrate', 'allocate']);
    expect(events.map((e) => [e.stage, e.step, e.total])).toEqual([['calibrate', 0, 2], ['calibrate', 1, 2], ['calibrate', 2, 2], ['allocate', 0, 2], ['allocate', 1, 2], ['allocate', 2, 2]]);
    expect(events[0].etaSeconds).toBeNull();
    expect(events[1].etaSeconds).toBeGreaterThanOrEqual(0);
  });

  it('stops at a cancellation and returns what finished', async () => {
    const abort = new AbortController();
    const state: Toy = { log: [] };
    const outcome = await runStages([toy('calibrate'), toy('score', { abort }), toy('allocate')], state, io, { signal: abort.signal });
    expect(state.log).toEqual(['calibrate', 'score']);
    expect(outcome).toMatchObject({ completed: ['calibrate'], cancelled: true });
  });

  it('keeps finished work when a later stage fails, and throws a failure before any stage finished', async () => {
    const outcome = await runStages([toy('calibrate'), toy('score', { fail: true }), toy('allocate')], { log: [] }, io, {});
    expect(outcome.completed).toEqual(['calibrate']);
    expect(outcome.failure?.stage).toBe('score');
    expect((outcome.failure?.cause as Error).message).toBe('score broke');
    await expect(runStages([toy('calibrate', { fail: true })], { log: [] }, io, {})).rejects.toThrow('calibrate broke');
  });

  it('runs the pipeline in the order of STAGES, the one list that orders the stages', () => {
    expect(PIPELINE.map((s) => s.name)).toEqual([...STAGES]);
  });

  it('passes a stage\'s loss points on with its step, and no empty list', async () => {
    const point = { block: 'blocks.0', iteration: 0, terms: { reconstruction: 0.5 } };
    const stage: StageModule<Toy> = { name: 'veft', needed: () => true, steps: () => 2, async run(_s, { step }) { step(1, 2, [point]); step(2, 2, []); } };
    const events: ProgressEvent[] = [];
    await runStages([stage], { log: [] }, io, { onProgress: (e) => events.push(e) });
    expect(events.map((e) => e.losses)).toEqual([undefined, [point], undefined]);
    expect('losses' in events[2]).toBe(false);
  });
});
