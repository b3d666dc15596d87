import type { AttrValue, Tensor } from '../ir.ts';
import { UnsupportedOpError, type OpContext } from './types.ts';

/** Throws for any attribute the op's implementation does not understand, so nothing is silently ignored. */
export function allowAttrs(ctx: OpContext, names: readonly string[]): void {
  for (const name of Object.keys(ctx.node.attrs)) {
    if (!names.includes(name)) throw unsupported(ctx, `attribute "${name}" is not supported`);
  }
}

export function unsupported(ctx: OpContext, detail: string): UnsupportedOpError {
  return new UnsupportedOpError(ctx.node.opType, ctx.node.name, detail);
}

function attr<T extends AttrValue['type']>(ctx: OpContext, name: string, type: T): Extract<AttrValue, { type: T }> | undefined {
  const a = ctx.node.attrs[name];
  if (a === undefined) return undefined;
  if (a.type !== type) throw unsupported(ctx, `attribute "${name}" must be of type ${type}, got ${a.type}`);
  return a as Extract<AttrValue, { type: T }>;
}

export function attrInt(ctx: OpContext, name: string, fallback: number): number;
export function attrInt(ctx: OpContext, name: string): number | undefined;
export function attrInt(ctx: OpContext, name: string, fallback?: number): number | undefined {
  return attr(ctx, name, 'int')?.value ?? fallback;
}

export function attrFloat(ctx: OpContext, name: string, fallback: number): number;
export function attrFloat(ctx: OpContext, name: string): number | undefined;
export function attrFloat(ctx: OpContext, name: string, fallback?: number): number | undefined {
  const a = ctx.node.attrs[name];
  // Some writers store integral floats as ints; accept both.
  if (a?.type === 'int') return a.value;
  return attr(ctx, name, 'float')?.value ?? fallback;
}

export function attrString(ctx: OpContext, name: string, fallback: string): string;
export function attrString(ctx: OpContext, name: string): string | undefined;
export function attrString(ctx: OpContext, name: string, fallback?: string): string | undefined {
  return attr(ctx, name, 'string')?.value ?? fallback;
}

export function attrInts(ctx: OpContext, name: string): number[] | undefined {
  return attr(ctx, name, 'ints')?.value;
}

export function attrFloats(ctx: OpContext, name: string): number[] | undefined {
  return attr(ctx, name, 'floats')?.value;
}

export function attrTensor(ctx: OpContext, name: string): Tensor | undefined {
  return attr(ctx, name, 'tensor')?.value;
}
