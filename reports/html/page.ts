// The page shell and the chart slots. A page is built twice from the same result: once to collect the
// charts it needs, once with their SVGs; both passes run the same pure code, so they cannot disagree.
import { createHash } from 'node:crypto';
import { type ChartSpec, renderChartSvg } from './charts.ts';
import { type Html, html, unsafeRawHtml } from './escape.ts';
import { PAGE_SCRIPT } from './script.ts';
import { PAGE_CSS } from './style.ts';

/** Where a page gets each chart's SVG; null when it has none (the collecting pass, or no renderer). */
export interface ChartSource {
  svgFor(chart: ChartSpec): string | null;
}

export function chartKey(chart: ChartSpec): string {
  return JSON.stringify(chart.spec);
}

/** The first pass: remembers every chart asked for, draws none. */
export class ChartCollector implements ChartSource {
  readonly charts = new Map<string, ChartSpec>();
  svgFor(chart: ChartSpec): null {
    this.charts.set(chartKey(chart), chart);
    return null;
  }
}

/** The second pass: the SVGs rendered for the charts the first pass collected. */
export class RenderedCharts implements ChartSource {
  constructor(private readonly svgs: ReadonlyMap<string, string>) {}
  svgFor(chart: ChartSpec): string | null {
    return this.svgs.get(chartKey(chart)) ?? null;
  }
}

/** No charts at all: the page still reads, each chart replaced by its one-line description. */
export const NO_CHARTS: ChartSource = { svgFor: () => null };

/** Renders the collected charts one after another (vega views are not cheap; order keeps output stable). */
export async function renderCollected(collector: ChartCollector): Promise<RenderedCharts> {
  const svgs = new Map<string, string>();
  for (const [key, chart] of collector.charts) svgs.set(key, await renderChartSvg(chart));
  return new RenderedCharts(svgs);
}

/**
 * Builds a page with every chart drawn: `build` runs once to collect the charts, then again with them.
 * `build` must be pure (its output a function of the source alone).
 */
export async function withCharts(build: (charts: ChartSource) => string): Promise<string> {
  const collector = new ChartCollector();
  build(collector);
  return build(await renderCollected(collector));
}

/** Per page: numbers the charts so the ids inside each SVG (clip paths, gradients) stay unique. */
export class PageContext {
  private chartCount = 0;
  constructor(private readonly charts: ChartSource) {}

  /** A chart as a figure: its SVG (role img, labelled by its description) or, without one, the description. */
  chart(chart: ChartSpec, caption: Html): Html {
    const svg = this.charts.svgFor(chart);
    this.chartCount += 1;
    const body =
      svg === null
        ? html`<p class="muted">${chart.description}</p>`
        : embedSvg(svg, `c${this.chartCount}-`, chart.description);
    return html`<figure class="chart">${caption}${body}</figure>`;
  }
}

/**
 * Vega's SVG (already checked by `checkedSvg`) made fit for inline use: ids prefixed so two charts never
 * share one, and the root labelled as one image.
 */
export function embedSvg(svg: string, idPrefix: string, label: string): Html {
  const prefixed = svg
    .replace(/\sid="([^"]+)"/g, (_, id: string) => ` id="${idPrefix}${id}"`)
    .replace(/url\(#([^)]+)\)/g, (_, id: string) => `url(#${idPrefix}${id})`)
    .replace(/\sxmlns:xlink="[^"]*"/, '');
  // NOTE: without a height the viewBox sets the aspect ratio, so CSS can shrink the chart on a narrow screen.
  const root = /^<svg[^>]*>/.exec(prefixed)?.[0] ?? '<svg>';
  const sized = root.replace(/\sheight="[^"]*"/, '');
  const labelled = `${sized.replace(/^<svg\s/, `<svg role="img" aria-label="${html`${label}`.text}" `)}${prefixed.slice(root.length)}`;
  return unsafeRawHtml(labelled);
}

function sha256Base64(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64');
}

/**
 * Nothing may load from anywhere: no default source, images only as data: URLs, inline styles, and the
 * one inline script by its hash (an injected script, having another hash, would not run).
 */
export function contentSecurityPolicy(script: string): string {
  return [
    "default-src 'none'",
    'img-src data:',
    "style-src 'unsafe-inline'",
    `script-src 'sha256-${sha256Base64(script)}'`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** The whole document: one file, its CSS and script inline. */
export function pageDocument(title: string, body: Html): string {
  return `${
    html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(PAGE_SCRIPT)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<meta name="generator" content="fleetlens">
<title>${title}</title>
<style>${unsafeRawHtml(PAGE_CSS)}</style>
</head>
<body>
${body}
<script>${unsafeRawHtml(PAGE_SCRIPT)}</script>
</body>
</html>`.text
  }\n`;
}
