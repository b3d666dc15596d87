import type { ReactNode } from 'react';
import type { SavedRun } from '../../store/persist.ts';

/**
 * More views of two runs side by side, shown under the comparison's own (figures, settings, bits
 * per layer). The explanation maps (issue 27) add theirs here: a kept run holds its codes, so a
 * section can ask the worker for both runs' maps of one image.
 */
export interface CompareSection {
  id: string;
  title: string;
  render(a: SavedRun, b: SavedRun): ReactNode;
}

export const COMPARE_SECTIONS: CompareSection[] = [];
