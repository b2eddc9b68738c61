// The page's only stylesheet, inline. Light and dark follow prefers-color-scheme; chart SVGs carry
// vega's presentation attributes, which CSS overrides, so their text and grid follow the theme too.

export const PAGE_CSS = `
:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1c2024; --muted: #5b6069; --line: #d9dde3; --panel: #f5f6f8; --link: #0b63c5;
  --grid: #e3e6ea; --code: #f1f3f5;
  --critical: #b4232a; --high: #c2410c; --medium: #8a6100; --low: #2f6f3e; --info: #4b5563;
  --go: #1f7a3d; --risk: #8a6100; --nogo: #b4232a;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #111315; --fg: #e8eaed; --muted: #a6adb8; --line: #33383e; --panel: #1a1d21; --link: #7cb7ff;
    --grid: #2a2f35; --code: #1d2126;
    --critical: #ff8a8f; --high: #ffa366; --medium: #f0c45a; --low: #7fd39a; --info: #b5bcc6;
    --go: #7fd39a; --risk: #f0c45a; --nogo: #ff8a8f;
  }
}
* { box-sizing: border-box; }
html { background: var(--bg); color: var(--fg); }
body { margin: 0 auto; max-width: 76rem; padding: 1rem 1.25rem 3rem;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
a { color: var(--link); }
h1 { font-size: 1.6rem; margin: 0.5rem 0 0.25rem; }
h2 { font-size: 1.3rem; margin: 2rem 0 0.75rem; padding-bottom: 0.25rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.1rem; margin: 0 0 0.4rem; }
h4 { font-size: 0.95rem; margin: 1rem 0 0.4rem; }
p { margin: 0.4rem 0; }
.prose { white-space: pre-line; }
.muted, .meta { color: var(--muted); }
.meta { font-size: 0.9rem; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.85rem; }
pre { background: var(--code); border: 1px solid var(--line); border-radius: 4px; padding: 0.5rem 0.75rem;
  overflow-x: auto; white-space: pre; margin: 0.25rem 0; }
nav.toc { display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; margin: 0.5rem 0 1rem; font-size: 0.95rem; }
.banner { border: 2px solid var(--critical); border-radius: 6px; padding: 0.5rem 0.75rem; margin: 0.75rem 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(15rem, 1fr)); gap: 0.75rem; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 0.6rem 0.8rem; }
.card h3 { font-size: 0.95rem; }
.counts { list-style: none; padding: 0; margin: 0; }
.counts li { display: flex; justify-content: space-between; gap: 1rem; }
.big { font-size: 1.35rem; font-weight: 600; }
table { border-collapse: collapse; width: 100%; margin: 0.4rem 0 0.8rem; font-size: 0.9rem; }
caption { text-align: left; font-weight: 600; padding: 0.2rem 0; }
th, td { border-bottom: 1px solid var(--line); padding: 0.3rem 0.45rem; text-align: left; vertical-align: top; }
th { background: var(--panel); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
#host-table { font-size: 0.85rem; }
.table-wrap { overflow-x: auto; }
.table-wrap:focus-visible, pre:focus-visible { outline: 2px solid var(--link); }
th button { font: inherit; font-weight: 600; color: inherit; background: none; border: 0; padding: 0; cursor: pointer;
  text-align: inherit; }
th button::after { content: " \\2195"; color: var(--muted); }
th[aria-sort="ascending"] button::after { content: " \\2191"; color: var(--fg); }
th[aria-sort="descending"] button::after { content: " \\2193"; color: var(--fg); }
.controls { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; align-items: end; margin: 0.5rem 0; }
.controls label { display: flex; flex-direction: column; font-size: 0.85rem; color: var(--muted); }
.controls select, .controls button { font: inherit; color: var(--fg); background: var(--bg);
  border: 1px solid var(--line); border-radius: 4px; padding: 0.2rem 0.4rem; }
.badge { display: inline-block; font-size: 0.75rem; font-weight: 700; letter-spacing: 0.02em; padding: 0 0.4rem;
  border-radius: 3px; border: 1px solid currentColor; text-transform: uppercase; vertical-align: 0.1em; }
.sev-critical { color: var(--critical); } .sev-high { color: var(--high); } .sev-medium { color: var(--medium); }
.sev-low { color: var(--low); } .sev-info { color: var(--info); }
.verdict-go { color: var(--go); } .verdict-at-risk { color: var(--risk); } .verdict-no-go { color: var(--nogo); }
.verdict-unknown { color: var(--muted); }
.status { color: var(--muted); }
.finding { border: 1px solid var(--line); border-left: 4px solid var(--muted); border-radius: 6px;
  padding: 0.75rem 1rem; margin: 1rem 0; }
.finding[data-severity="critical"] { border-left-color: var(--critical); }
.finding[data-severity="high"] { border-left-color: var(--high); }
.finding[data-severity="medium"] { border-left-color: var(--medium); }
.finding[data-severity="low"] { border-left-color: var(--low); }
.finding[data-severity="info"] { border-left-color: var(--info); }
.finding:target { outline: 2px solid var(--link); outline-offset: 2px; }
.rec { background: var(--panel); border-radius: 6px; padding: 0.5rem 0.75rem; margin: 0.75rem 0; }
.superseded { text-decoration: line-through; }
ul.stats { margin: 0.3rem 0; padding-left: 1.2rem; }
figure { margin: 0.6rem 0; }
figcaption { font-size: 0.9rem; }
.chart svg { display: block; max-width: 100%; height: auto; }
.chart .role-axis-label text, .chart .role-axis-title text, .chart .role-legend-label text,
.chart .role-legend-title text, .chart .ink_marks text { fill: var(--fg); }
.chart .role-axis-grid line { stroke: var(--grid); }
.chart .role-axis-domain line, .chart .role-axis-tick line { stroke: var(--muted); }
details > summary { cursor: pointer; color: var(--link); }
footer { margin-top: 2.5rem; font-size: 0.85rem; color: var(--muted); }
@media print { nav.toc, .controls { display: none; } .finding { break-inside: avoid; } }
`;
