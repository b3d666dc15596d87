/**
 * Names that come from files (node, value and tensor names, image file names) are printed in
 * messages and on terminals: control characters would move the cursor or hide text, and a
 * megabyte-long name would bury the message. These helpers make them safe to print.
 */

/** Longest name printed whole; longer ones keep their start and end around an ellipsis. */
export const MAX_PRINTED_NAME = 120;

/** C0 and C1 controls, DEL, and the bidirectional and zero-width formatting characters. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;

const escape = (c: string) => {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
};

/** Control and formatting characters escaped (\x1b, \u202e), lone surrogates replaced. */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, escape).replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/** A name from a file, safe to print: controls escaped and cut to MAX_PRINTED_NAME characters. */
export function printableName(name: string): string {
  const cut = name.length > MAX_PRINTED_NAME ? `${name.slice(0, 80)}…(${name.length} characters)…${name.slice(-20)}` : name;
  return escapeControls(cut);
}

/** Text for a terminal: every line made safe, newlines and tabs kept. */
export function terminalSafe(text: string): string {
  return text.split('\n').map((line) => line.split('\t').map(escapeControls).join('\t')).join('\n');
}
