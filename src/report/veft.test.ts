import { describe, expect, it } from 'vitest';
import type { VeftReport } from '../quant/report.ts';
import { renderReportHtml } from './html.ts';
import { knownReportInput } from './testing.ts';
import { gateText, lossSteps, lossText, veftSection } from './veft.ts';

const veft: VeftReport = {
  fraction: 0.05,
  restoredChannels: 72,
  tensors: [{ tensor: 'blocks.0.norm1<b>', channels: [3, 9] }, { tensor: 'blocks.1.norm1', channels: [] }],
  lossCurve: [
    { block: 'blocks.0', iteration: 0, terms: { reconstruction: 2.5, contrastive: 0.5 } },
    { block: 'blocks.0', iteration: 9, terms: { reconstruction: 1.5, contrastive: 0.25 } },
    { block: 'blocks.1', iteration: 0, terms: { reconstruction: 2, contrastive: 0.5 } },
  ],
  blocks: [{ block: 'blocks.0<i>', before: 2.34, after: 1.39, kept: 'tuned' }, { block: 'blocks.1', before: 1.0, after: 1.2, kept: 'reconstructed' }],
  horizontal: 0.0123,
};

describe("the report's VEFT section", () => {
  const input = knownReportInput();
  const html = renderReportHtml({ ...input, quantization: { ...input.quantization, veft } });

  it('says how many channels the file keeps in float, and each block\'s error before and after tuning', () => {
    expect(html).toContain('<strong id="veft-restored">72</strong> input channels in float, read from 1 activation tensor.');
    expect(html).toContain('a random 5.0 % of each block activation');
    expect(html).toContain('<tr><th scope="row">blocks.0&lt;i&gt;</th><td>2.340</td><td>1.390</td><td>tuned</td></tr>');
    expect(html).toContain('<th scope="row">blocks.1</th><td>1.000</td><td>1.200</td><td>reconstructed (tuning did not lower the error)</td>');
    expect(html).not.toContain('<i>');
  });

  it('draws the loss curve: each term and their sum at every recorded step, the blocks one after the other', () => {
    const chart = html.slice(html.indexOf('aria-label="VEFT loss over 3 recorded tuning steps"'));
    const points = [...chart.slice(0, chart.indexOf('</svg>')).matchAll(/class="point" data-x="([\d.]+)" data-y="([\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(points).toEqual([[0, 2.5], [9, 1.5], [10, 2], [0, 0.5], [9, 0.25], [10, 0.5], [0, 3], [9, 1.75], [10, 2.5]]);
  });

  it('is absent from a run without VEFT', () => {
    expect(veftSection(input.quantization)).toBe('');
    expect(renderReportHtml(input)).not.toContain('VEFT');
  });

  it('places the steps block after block, and writes one step as a progress line', () => {
    expect(lossSteps(veft.lossCurve)).toEqual([0, 9, 10]);
    expect(lossText(veft.lossCurve[1]!)).toBe('blocks.0 step 10: L_rec 1.50, γ2·L_ver 0.250');
  });

  it('says what the allocation\'s measurement of the activations kept, and shows it even when no channel stayed in float', () => {
    const activations = [{ tensor: 'a', benefit: 0.02, cost: 100 }, { tensor: 'b', benefit: -0.01, cost: 100 }];
    const candidates = [
      { label: 'no float channels', restoring: [], averageBits: 4, logitError: 0.05 },
      { label: 'float channels in 1 of 2 activations', restoring: ['a'], averageBits: 4, logitError: 0.06 },
      { label: 'uniform 4 bits', restoring: [], averageBits: 4, logitError: 0.07 },
    ];
    const none = gateText({ benefit: 'restored alone', activations, candidates, kept: 0 });
    expect(none).toBe("VEFT kept no channels in float: 1 of 2 block activations' float channels lowered the logit error alone, but no set of them moved the logits less than the widths their bytes would displace (5.00e-2 with no float channels, against 6.00e-2 with float channels in 1 of 2 activations).");
    const some = gateText({ benefit: 'left out of every activation', activations, candidates: candidates.map((c, i) => (i === 1 ? { ...c, logitError: 0.01 } : c)), kept: 1 });
    expect(some).toBe("VEFT's float channels were measured per block activation: leaving out 1 of 2 block activations' float channels one at a time raised the logit error, and 1 of them keep channels in float (the logits move 1.00e-2 on the error images, against 5.00e-2 with no float channels).");
    const gated = renderReportHtml({ ...input, quantization: { ...input.quantization, veftGate: { benefit: 'restored alone', activations, candidates, kept: 0 } } });
    expect(gated).toContain('<p data-testid="veft-gate">VEFT kept no channels in float: 1 of 2');
  });
});
