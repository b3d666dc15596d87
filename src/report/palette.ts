/** Colours shared by the studio's charts and the HTML report. Every colour also has a text label next to it. */

/** One colour per bit width, light for few bits to dark for many (viridis stops), grey for float. */
const BIT_COLORS: Record<number, string> = { 1: '#fde725', 2: '#b5de2b', 3: '#6ece58', 4: '#35b779', 5: '#1f9e89', 6: '#26828e', 7: '#31688e', 8: '#3e4989' };

export function bitColor(bits: number): string {
  return bits >= 16 ? '#9aa3b5' : (BIT_COLORS[Math.min(8, Math.max(1, Math.round(bits)))] ?? '#3e4989');
}

export const METHOD_LABELS = { rtn: 'RTN (uniform)', adaround: 'AdaRound (uniform)', defakeq: 'DeFakeQ (mixed)' } as const;
export const METHOD_COLORS = { rtn: '#d55e00', adaround: '#0072b2', defakeq: '#009e73' } as const;
export const METHOD_POINTS = { rtn: 'triangle', adaround: 'rect', defakeq: 'circle' } as const;
