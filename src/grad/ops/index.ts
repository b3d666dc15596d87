import type { BackwardRegistry } from '../rule.ts';
import { elementwiseRules } from './elementwise.ts';
import { linalgRules } from './linalg.ts';
import { movementRules } from './movement.ts';
import { rowRules } from './rows.ts';

/** The backward pass of every op a ViT, DeiT or Swin block (and their heads) runs, by opKey. */
export const backwardRules: BackwardRegistry = { ...elementwiseRules, ...rowRules, ...movementRules, ...linalgRules };
