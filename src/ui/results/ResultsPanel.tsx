/** Results views (bits per layer, Pareto sweep, comparison, layer histogram, attention maps). */
export function ResultsPanel() {
  return null;
}
