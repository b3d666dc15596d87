/** A classifier's class names (Hugging Face config.json) and which of them is the "fake" class. */

/** Class names by index from a Hugging Face config.json's id2label, or null. */
export function labelsFromConfig(json: unknown): string[] | null {
  const id2label = (json as { id2label?: Record<string, unknown> } | null)?.id2label;
  if (!id2label || typeof id2label !== 'object') return null;
  const labels: string[] = [];
  for (const [k, v] of Object.entries(id2label)) {
    const i = Number(k);
    if (!Number.isInteger(i) || i < 0 || i > 1000 || typeof v !== 'string') return null;
    labels[i] = v;
  }
  // Array.every skips holes, so count what is there instead.
  return labels.length > 0 && Object.keys(labels).length === labels.length ? labels : null;
}

/** The class whose probability is "fake" when nothing says otherwise (the convention). */
export const DEFAULT_FAKE_INDEX = 1;

const FAKE_WORDS = new Set(['fake', 'fakes', 'deepfake', 'deepfakes', 'spoof', 'spoofed', 'spoofing', 'forged', 'forgery', 'manipulated', 'synthetic', 'generated', 'ai', 'gan']);
const REAL_WORDS = new Set(['real', 'genuine', 'authentic', 'pristine', 'original', 'bonafide', 'live', 'human', 'nonfake', 'not', 'non']);

function kind(label: string): 'fake' | 'real' | null {
  const words = label.toLowerCase().split(/[^a-z]+/).filter(Boolean);
  // "not fake", "non-fake" and "real" are real; checked first so a negated fake word stays real.
  if (words.some((w) => REAL_WORDS.has(w))) return 'real';
  if (words.some((w) => FAKE_WORDS.has(w))) return 'fake';
  return null;
}

export interface FakeClass {
  index: number;
  /** Whether the class names said so; otherwise the index is DEFAULT_FAKE_INDEX. */
  fromLabels: boolean;
}

/**
 * The fake class named by a two-class model's labels: the one label that reads as fake (FAKE,
 * Deepfake, spoof, AI-generated…), or else the label other than the one that reads as real.
 * Anything else (no labels, more classes, ambiguous names) keeps class 1.
 */
export function fakeClassOf(labels: readonly string[] | null): FakeClass {
  if (labels?.length === 2) {
    const kinds = labels.map(kind);
    const fakes = kinds.flatMap((k, i) => (k === 'fake' ? [i] : []));
    const reals = kinds.flatMap((k, i) => (k === 'real' ? [i] : []));
    if (fakes.length === 1 && reals.length !== 2) return { index: fakes[0]!, fromLabels: true };
    if (fakes.length === 0 && reals.length === 1) return { index: 1 - reals[0]!, fromLabels: true };
  }
  return { index: DEFAULT_FAKE_INDEX, fromLabels: false };
}
