import { describe, expect, it } from 'vitest';
import { DEFAULT_FAKE_INDEX, fakeClassOf, labelsFromConfig } from './labels.ts';

describe('labelsFromConfig', () => {
  it('orders id2label by index', () => {
    expect(labelsFromConfig({ id2label: { 1: 'fake', 0: 'real' } })).toEqual(['real', 'fake']);
  });

  it('gives null for missing, holey or foreign labels', () => {
    expect(labelsFromConfig({})).toBeNull();
    expect(labelsFromConfig(null)).toBeNull();
    expect(labelsFromConfig({ id2label: { 0: 'real', 2: 'fake' } })).toBeNull();
    expect(labelsFromConfig({ id2label: { x: 'real' } })).toBeNull();
    expect(labelsFromConfig({ id2label: { 0: 3 } })).toBeNull();
  });
});

describe('fakeClassOf', () => {
  it('finds the fake class whichever index it has and however it is spelled', () => {
    expect(fakeClassOf(['real', 'fake'])).toEqual({ index: 1, fromLabels: true });
    expect(fakeClassOf(['FAKE', 'REAL'])).toEqual({ index: 0, fromLabels: true });
    expect(fakeClassOf(['Deepfake', 'Realism'])).toEqual({ index: 0, fromLabels: true });
    expect(fakeClassOf(['ai_generated', 'photo'])).toEqual({ index: 0, fromLabels: true });
    expect(fakeClassOf(['LABEL_spoof', 'LABEL_live'])).toEqual({ index: 0, fromLabels: true });
  });

  it('takes the other class when only the real one is named', () => {
    expect(fakeClassOf(['Real', 'Manipulated-by-X'])).toEqual({ index: 1, fromLabels: true });
    expect(fakeClassOf(['altered', 'genuine'])).toEqual({ index: 0, fromLabels: true });
  });

  it('reads a negated fake word as real', () => {
    expect(fakeClassOf(['not fake', 'fake'])).toEqual({ index: 1, fromLabels: true });
    expect(fakeClassOf(['fake', 'non-fake'])).toEqual({ index: 0, fromLabels: true });
  });

  it('keeps class 1 without labels, with other class counts or with names that say nothing', () => {
    const fallback = { index: DEFAULT_FAKE_INDEX, fromLabels: false };
    expect(fakeClassOf(null)).toEqual(fallback);
    expect(fakeClassOf(['LABEL_0', 'LABEL_1'])).toEqual(fallback);
    expect(fakeClassOf(['fake', 'deepfake'])).toEqual(fallback);
    expect(fakeClassOf(['real', 'authentic'])).toEqual(fallback);
    expect(fakeClassOf(['real', 'fake', 'unsure'])).toEqual(fallback);
  });
});
