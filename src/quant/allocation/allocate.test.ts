import { describe, expect, it } from 'vitest';
import { allocateBits } from './allocate.ts';
import { allocateExact } from './exact.ts';
import type { AllocationProblem } from './problem.ts';
import { allocateRelaxed } from './relaxed.ts';
import { averageBits, layerStoredBits, totalParams, withinBudget, type LayerStorage } from '../../storage/stored-bits.ts';
import { measuredErrorModel, noiseErrorModel, paperErrorModel, type ErrorModel } from './error-models.ts';

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

const int = (rnd: () => number, lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));

function candidatesOf(problem: AllocationProblem): number[] {
  return [...(problem.candidates ?? [2, 3, 4, 6, 8])].sort((a, b) => a - b);
}

function objectiveOf(problem: AllocationProblem, bits: readonly number[]): number {
  const model = problem.error ?? paperErrorModel();
  return bits.reduce((sum, b, l) => sum + (model.weightByScore ? problem.scores[l] : 1) * model.error(l, b), 0);
}

/** Every combination of widths; the least objective among those meeting the budget. */
function bruteForce(problem: AllocationProblem, budget = problem.budget): number {
  const candidates = candidatesOf(problem);
  let best = Infinity;
  const bits = new Array<number>(problem.layers.length).fill(0);
  const visit = (l: number) => {
    if (l === bits.length) {
      if (withinBudget(averageBits(problem.layers, bits, problem.storage), budget)) best = Math.min(best, objectiveOf(problem, bits));
      return;
    }
    for (const b of candidates) {
      bits[l] = b;
      visit(l + 1);
    }
  };
  visit(0);
  return best;
}

function randomProblem(seed: number): AllocationProblem {
  const rnd = seeded(seed);
  const count = int(rnd, 3, 6);
  const pool = [1, 2, 3, 4, 5, 6, 7, 8];
  const candidates: number[] = [];
  const wanted = int(rnd, 3, 5);
  while (candidates.length < wanted) {
    const b = pool[int(rnd, 0, pool.length - 1)];
    if (!candidates.includes(b)) candidates.push(b);
  }
  const layers: LayerStorage[] = Array.from({ length: count }, () => {
    const outFeatures = int(rnd, 1, 8);
    return {
      params: outFeatures * int(rnd, 1, 40),
      outFeatures,
      biasCount: rnd() < 0.5 ? outFeatures : 0,
      restoredChannels: rnd() < 0.3 ? 1 : 0,
    };
  });
  const scores = layers.map(() => rnd() * 5);
  const kind = seed % 3;
  const error: ErrorModel =
    kind === 0
      ? paperErrorModel()
      : kind === 1
        ? noiseErrorModel()
        : measuredErrorModel({ candidates, errors: layers.map(() => candidates.map(() => rnd() * 10)) });
  const storage = rnd() < 0.5 ? {} : { scaleBits: 16 as const, zeroPointBits: 8 as const };
  const sorted = [...candidates].sort((a, b) => a - b);
  const lo = averageBits(layers, layers.map(() => sorted[0]), storage);
  const hi = averageBits(layers, layers.map(() => sorted[sorted.length - 1]), storage);
  return { layers, scores, candidates, error, storage, budget: lo + rnd() * (hi - lo) };
}

/** A ViT-like model: blocks of q/k/v/proj/fc1/fc2 at a random width, scores spread over two decades. */
function transformerProblem(seed: number): AllocationProblem {
  const rnd = seeded(seed);
  const width = [64, 96, 192, 384][int(rnd, 0, 3)];
  const blocks = int(rnd, 1, 6);
  const dims: [number, number][] = [[width, width]];
  for (let i = 0; i < blocks; i++) dims.push([width, width], [width, width], [width, width], [width, width], [width, 4 * width], [4 * width, width]);
  const layers = dims.map(([k, n]) => ({ params: k * n, outFeatures: n, biasCount: n }));
  const scores = layers.map(() => 10 ** (2 * rnd() - 3));
  const candidates = [2, 3, 4, 6, 8];
  const kind = seed % 3;
  const error: ErrorModel = kind === 0 ? paperErrorModel() : kind === 1 ? noiseErrorModel()
    : measuredErrorModel({ candidates, errors: layers.map(() => { const g = 10 ** (rnd() * 3); return candidates.map((b) => g * (3 + rnd()) ** -b); }) });
  const lo = averageBits(layers, layers.map(() => 2));
  const hi = averageBits(layers, layers.map(() => 8));
  return { layers, scores, candidates, error, budget: lo + (0.05 + 0.9 * rnd()) * (hi - lo) };
}

describe('exact solver', () => {
  it('matches brute force on 300 small random instances', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const problem = randomProblem(seed);
      const result = allocateExact(problem);
      const optimum = bruteForce(problem);
      expect(result.objective, `seed ${seed}`).toBeCloseTo(optimum, 10);
      expect(objectiveOf(problem, result.bits)).toBeCloseTo(result.objective, 12);
      expect(withinBudget(result.averageBits, problem.budget), `seed ${seed}`).toBe(true);
      expect(result.averageBits).toBeCloseTo(averageBits(problem.layers, result.bits, problem.storage), 12);
      expect(result.detail).toMatch(/^optimal \(/);
    }
  });

  it('with a coarse budget grid stays feasible and within its stated guarantee', () => {
    for (let seed = 1; seed <= 150; seed++) {
      const problem = randomProblem(seed);
      const resolution = 3;
      const result = allocateExact(problem, { resolution });
      expect(withinBudget(result.averageBits, problem.budget), `seed ${seed}`).toBe(true);
      expect(result.objective).toBeGreaterThanOrEqual(bruteForce(problem) - 1e-12);
      // The documented guarantee: no worse than the true optimum at a budget L*u/P tighter.
      const params = totalParams(problem.layers);
      const lowest = candidatesOf(problem)[0];
      const minimum = problem.layers.reduce((sum, layer) => sum + layerStoredBits(layer, lowest, problem.storage), 0);
      const slack = Math.floor(problem.budget * params * (1 + 1e-12)) - minimum;
      const unit = Math.ceil(slack / resolution);
      const tighter = (Math.floor(problem.budget * params * (1 + 1e-12)) - problem.layers.length * unit) / params;
      const reference = bruteForce(problem, tighter);
      if (Number.isFinite(reference)) expect(result.objective, `seed ${seed}`).toBeLessThanOrEqual(reference + 1e-12);
    }
  });

  it('gives the more important of two identical layers at least as many bits', () => {
    const layers = [{ params: 4096, outFeatures: 64 }, { params: 4096, outFeatures: 64 }, { params: 4096, outFeatures: 64 }];
    const result = allocateExact({ layers, scores: [0.1, 3, 1], budget: 5 });
    expect(result.bits[1]).toBeGreaterThanOrEqual(result.bits[2]);
    expect(result.bits[2]).toBeGreaterThanOrEqual(result.bits[0]);
    expect(result.bits[1]).toBeGreaterThan(result.bits[0]);
  });

  it('says what the minimum achievable average is when the budget is infeasible', () => {
    const layers = [{ params: 12, outFeatures: 3, biasCount: 3 }, { params: 8, outFeatures: 2 }];
    const minimum = averageBits(layers, [2, 2]);
    const problem = { layers, scores: [1, 1], budget: 2.5 };
    expect(minimum).toBeGreaterThan(2.5);
    expect(() => allocateExact(problem)).toThrow(`the minimum achievable average is ${minimum.toFixed(4)} stored bits per weight`);
    expect(() => allocateRelaxed(problem)).toThrow(/infeasible/);
  });
});

/** The stored-bit average at real-valued widths (the relaxation's constraint). */
function averageBitsOfReal(layers: readonly LayerStorage[], bits: readonly number[]): number {
  const stored = layers.reduce((sum, layer, l) => {
    const at4 = layerStoredBits(layer, 4);
    const perBit = layerStoredBits(layer, 5) - at4;
    return sum + at4 + perBit * (bits[l] - 4);
  }, 0);
  return stored / totalParams(layers);
}

describe('relaxed solver (eq. 6)', () => {
  it('is feasible, deterministic and never better than the exact optimum', () => {
    for (let seed = 1; seed <= 150; seed++) {
      const problem = randomProblem(seed);
      const relaxed = allocateRelaxed(problem);
      expect(withinBudget(relaxed.averageBits, problem.budget), `seed ${seed}`).toBe(true);
      expect(relaxed.objective).toBeGreaterThanOrEqual(allocateExact(problem).objective - 1e-12);
      expect(objectiveOf(problem, relaxed.bits)).toBeCloseTo(relaxed.objective, 12);
      expect(allocateRelaxed(problem).bits).toEqual(relaxed.bits);
    }
  });

  it('lands within 5% of the exact optimum on 90 random transformer-shaped instances', () => {
    let worst = 1;
    for (let seed = 1; seed <= 90; seed++) {
      const problem = transformerProblem(seed);
      const exact = allocateExact(problem).objective;
      const relaxed = allocateRelaxed(problem);
      expect(withinBudget(relaxed.averageBits, problem.budget), `seed ${seed}`).toBe(true);
      worst = Math.max(worst, relaxed.objective / exact);
    }
    expect(worst).toBeLessThan(1.05);
  });

  it('gives the same widths whatever the scale of the importances', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const problem = randomProblem(seed);
      const bits = allocateRelaxed(problem).bits;
      for (const factor of [1e-9, 1e-3, 1e4, 1e9]) {
        expect(allocateRelaxed({ ...problem, scores: problem.scores.map((s) => s * factor) }).bits, `seed ${seed} x${factor}`).toEqual(bits);
      }
    }
  });

  it('brings the relaxed point onto the budget before rounding, even with tiny importances', () => {
    const layers = Array.from({ length: 8 }, (_, i) => ({ params: 96 * 96 * (1 + (i % 4)), outFeatures: 96, biasCount: 96 }));
    const scores = layers.map((_, i) => 1e-4 * (1 + i));
    const budget = 4.2;
    const result = allocateRelaxed({ layers, scores, budget });
    const relaxedAverage = averageBitsOfReal(layers, result.relaxedBits!);
    expect(relaxedAverage).toBeLessThanOrEqual(budget + 1e-3);
    expect(relaxedAverage).toBeGreaterThan(budget - 0.05);
    expect(result.objective).toBeLessThanOrEqual(allocateExact({ layers, scores, budget }).objective * 1.02);
  });

  it('puts more bits on the more important layer when the budget binds', () => {
    const layers = [{ params: 4096, outFeatures: 64 }, { params: 4096, outFeatures: 64 }];
    const result = allocateBits({ layers, scores: [0.01, 10], budget: 5.2 }, 'relaxed');
    expect(result.solver).toBe('relaxed');
    expect(result.bits[1]).toBeGreaterThan(result.bits[0]);
  });
});

describe('at ViT-Base scale', () => {
  // 12 blocks x (q, k, v, proj, fc1, fc2) + patch embedding (conv as 768 x 768) + head.
  const dims: [number, number][] = [[768, 768]];
  for (let i = 0; i < 12; i++) dims.push([768, 768], [768, 768], [768, 768], [768, 768], [768, 3072], [3072, 768]);
  dims.push([768, 2]);
  const layers = dims.map(([k, n]) => ({ params: k * n, outFeatures: n, biasCount: n }));
  const rnd = seeded(99);
  const scores = layers.map(() => 0.01 + rnd());

  for (const error of [paperErrorModel(), noiseErrorModel(), measuredErrorModel({ candidates: [2, 3, 4, 6, 8], errors: layers.map(() => [2, 3, 4, 6, 8].map((b) => rnd() * 4 ** -b)) })]) {
    // Speed is for benchmarks; this checks that a ViT-Base-sized problem is solved correctly.
    it(`solves ${layers.length} layers x 5 widths with the ${error.name} model`, () => {
      const problem = { layers, scores, budget: 4, error };
      const exact = allocateExact(problem);
      const relaxed = allocateRelaxed(problem);
      expect(withinBudget(exact.averageBits, 4)).toBe(true);
      expect(withinBudget(relaxed.averageBits, 4)).toBe(true);
      expect(exact.averageBits).toBeGreaterThan(3.9);
      expect(relaxed.objective).toBeGreaterThanOrEqual(exact.objective * (1 - 1e-12));
    });
  }
});
