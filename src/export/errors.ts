/** An export that cannot be written; `layers` names every layer at fault. Nothing is written. */
export class ExportError extends Error {
  override name = 'ExportError';
  constructor(message: string, readonly layers: string[] = []) {
    super(message);
  }
}

/** One message listing every offending layer, e.g. "cannot export: 2 layers ...: a, b". */
export function listLayers(what: string, layers: readonly string[]): ExportError {
  return new ExportError(`${what} (${layers.length} layer${layers.length === 1 ? '' : 's'}): ${layers.join(', ')}`, [...layers]);
}
