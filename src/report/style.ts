/** The report's stylesheet, inline in the file; system fonts only, so nothing is fetched. */
export const REPORT_CSS = `
:root { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; color: #1d2330; background: #f3f5f9; line-height: 1.45; }
body { margin: 0; }
main { max-width: 1080px; margin: 0 auto; padding: 1.25rem 1.5rem 3rem; }
h1 { font-size: 1.5rem; margin: 0 0 0.25rem; }
h2 { font-size: 1.1rem; margin: 0 0 0.6rem; }
section { background: #fff; border: 1px solid #d8dce6; border-radius: 10px; padding: 1rem 1.25rem; margin: 1rem 0; }
figure { margin: 0.5rem 0; overflow-x: auto; }
svg.chart { display: block; max-width: none; }
.note { color: #4a5368; font-size: 0.9rem; }
.warn { background: #fff8e6; border-left: 4px solid #c98a00; padding: 0.5rem 0.75rem; }
.figures { display: flex; flex-wrap: wrap; gap: 0.75rem 2rem; margin: 1rem 0; }
.figures dt { color: #4a5368; font-size: 0.85rem; }
.figures dd { margin: 0; font-size: 1.15rem; font-variant-numeric: tabular-nums; }
table { border-collapse: collapse; width: 100%; font-size: 0.88rem; margin: 0.5rem 0; }
th, td { text-align: left; padding: 0.25rem 0.6rem; border-bottom: 1px solid #e4e7ef; vertical-align: top; }
thead th { background: #f1f3f8; font-weight: 600; }
tbody th { font-weight: 500; }
td { font-variant-numeric: tabular-nums; }
code { font-size: 0.82em; word-break: break-all; }
@media print { body { background: #fff; } section { break-inside: avoid; border: none; } }
`;
