/** Text helpers of the HTML report: escaping and the number formats the studio uses. */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe inside an element or a quoted attribute: layer and file names come from user files. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

export const pct = (x: number, digits = 1) => `${(100 * x).toFixed(digits)}%`;
export const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
export const bitsText = (bits: number) => (bits >= 32 ? 'FP32' : `${bits}`);

/** A signed change with its paired standard error, as the studio shows it ("+0.0012 ± 0.0040, within chance"). */
export function signedChange(difference: number, standardError: number): string {
  const signed = `${difference >= 0 ? '+' : '−'}${Math.abs(difference).toFixed(4)}`;
  return `${signed} ± ${standardError.toFixed(4)}${Math.abs(difference) > 2 * standardError ? '' : ', within chance'}`;
}

/** Bytes in the largest unit that keeps the figure readable. */
export function bytesText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return kib(bytes);
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
}

/** A setting's value as text: lists joined, absent values as "default". */
export function valueText(value: unknown): string {
  if (value === undefined) return 'default';
  if (value === null) return 'none';
  if (Array.isArray(value)) return value.map(valueText).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value as string | number | boolean | bigint);
}
