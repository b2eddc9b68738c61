// report.html opened as a reader opens it: from a file:// URL in a real headless Chromium (Debian's
// package, driven by playwright-core), with every request counted and all but the file itself refused.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderAuditHtml } from '../../../reports/html/index.ts';
import { AnalysisResult } from '../../../reports/json/schema.ts';
import { fleetlens } from '../../helpers/cli.ts';
import { fullResult } from './fixtures.ts';
import { hostileResult } from './hostile.ts';

const CHROMIUM = process.env.FLEETLENS_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** Screenshots and measurements land here; CI keeps the folder as the test's artifacts. */
const ARTIFACTS =
  process.env.FLEETLENS_TEST_ARTIFACTS ?? join(tmpdir(), 'fleetlens-test-artifacts', 'report-html');
/** `FLEETLENS_UPDATE_DOCS=1 npx vitest run test/reports/html/browser.test.ts` refreshes the README's picture. */
const DOCS_PNG = join(import.meta.dirname, '../../../docs/report-html.png');
const DOCS_PNG_MAX_BYTES = 300 * 1024;
/** A blank (all-white) 1100×1000 shot compresses to a few KB; the page's text and tables do not. */
const DOCS_PNG_MIN_BYTES = 40 * 1024;
const AXE_SOURCE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

// NOTE: the callbacks below run inside the page. tsconfig has no DOM lib, so the few browser globals they
// use are declared here, for this module only.
interface PageElement {
  id: string;
  value?: string;
  textContent: string | null;
  attributes: ArrayLike<{ name: string }>;
  cells?: ArrayLike<PageElement>;
  getAttribute(name: string): string | null;
}
interface AxeResult {
  violations: { id: string; impact: string | null; nodes: { target: string[] }[] }[];
}
declare const document: {
  documentElement: PageElement;
  body: PageElement;
  scripts: ArrayLike<unknown>;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
};
declare const window: {
  axe: { run(context: unknown, options: object): Promise<AxeResult> };
  scrollTo(x: number, y: number): void;
};
declare function getComputedStyle(element: PageElement): {
  backgroundColor: string;
  color: string;
  fill: string;
};
declare const performance: {
  getEntriesByType(type: 'navigation'): { loadEventEnd: number; startTime: number }[];
};

interface Opened {
  page: Page;
  url: string;
  requests: string[];
  consoleErrors: string[];
  dialogs: string[];
  loadMs: number;
}

let context: BrowserContext;
let workDir: string;

async function open(name: string, html: string): Promise<Opened> {
  const file = join(workDir, name, 'report.html');
  await mkdir(join(workDir, name), { recursive: true });
  await writeFile(file, html);
  const url = pathToFileURL(file).href;
  const page = await context.newPage();
  const requests: string[] = [];
  const consoleErrors: string[] = [];
  const dialogs: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(String(error)));
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto(url, { waitUntil: 'load' });
  const loadMs = await page.evaluate(() => {
    const [navigation] = performance.getEntriesByType('navigation');
    return navigation ? navigation.loadEventEnd - navigation.startTime : Number.NaN;
  });
  return { page, url, requests, consoleErrors, dialogs, loadMs };
}

async function visibleHostRows(page: Page) {
  return page.$$eval('#host-table tbody tr:not([hidden])', (elements) =>
    (elements as unknown as PageElement[]).map((row) => ({
      cloud: row.getAttribute('data-cloud') ?? '',
      severity: row.getAttribute('data-severity') ?? '',
      cells: Array.from(row.cells ?? []).map(
        (cell) => cell.getAttribute('data-sort') ?? cell.textContent ?? '',
      ),
    })),
  );
}

async function seriousAccessibilityViolations(page: Page) {
  await page.evaluate(await readFile(AXE_SOURCE, 'utf8'));
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
    }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

async function themeColors(page: Page) {
  return page.evaluate(() => {
    const label = document.querySelector('.chart .role-axis-label text');
    return {
      background: getComputedStyle(document.documentElement).backgroundColor,
      text: getComputedStyle(document.body).color,
      chartLabel: label ? getComputedStyle(label).fill : null,
      // Chart text left in vega's black would vanish on the dark page.
      blackChartText: Array.from(document.querySelectorAll('.chart svg text')).filter(
        (text) => getComputedStyle(text).fill === 'rgb(0, 0, 0)',
      ).length,
    };
  });
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: npm test installs Debian's chromium when run as root (scripts/test.mjs), or run apt-get install -y chromium`,
    );
  }
  workDir = await mkdtemp(join(tmpdir(), 'fleetlens-html-'));
  await mkdir(ARTIFACTS, { recursive: true });
  context = await chromium.launchPersistentContext(join(workDir, 'user-data'), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1200, height: 900 },
    colorScheme: 'light',
  });
});

afterAll(async () => {
  await context?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

// NOTE: a bound, not a speed assertion: axe over a 700 KB page takes a while on a shared 2-core machine.
const BROWSER_TEST_MS = 900_000;
/** A full-page shot of the demo's long page; playwright's 30 s default is too tight on a loaded machine. */
const SCREENSHOT_MS = 900_000;

interface Built {
  result: AnalysisResult;
  html: string;
}

/** The checks every report must pass in the browser, for the builder's full result and the demo's. */
function checksFor(name: string, build: () => Promise<Built>, timeoutMs: number) {
  describe(`report.html of ${name} in Chromium`, { timeout: BROWSER_TEST_MS }, () => {
    let result: AnalysisResult;
    let html: string;
    let opened: Opened;
    beforeAll(async () => {
      ({ result, html } = await build());
      opened = await open(name, html);
    }, timeoutMs);

    it('loads with no console error and no request but the file itself', () => {
      expect(opened.consoleErrors).toEqual([]);
      expect(opened.requests).toEqual([opened.url]);
    });

    it('has the anchor of every finding', async () => {
      const ids = await opened.page.$$eval('article.finding', (articles) => articles.map((a) => a.id));
      expect(ids.sort()).toEqual(result.findings.map((f) => `finding-${f.id}`).sort());
      const first = result.findings[0]!;
      await opened.page.goto(`${opened.url}#finding-${first.id}`);
      expect(await opened.page.evaluate(() => document.querySelector(':target')?.id)).toBe(
        `finding-${first.id}`,
      );
    });

    it('sorts the host table by any column', async () => {
      const { page } = opened;
      const column = async (index: number) =>
        (await visibleHostRows(page)).map((row) => row.cells[index] ?? '');
      const before = await column(2);
      await page.click('#host-table thead th:nth-child(3) button');
      const byName = await column(2);
      expect(byName).toEqual([...before].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })));
      expect(byName).not.toEqual(before);
      await page.click('#host-table thead th:nth-child(3) button');
      expect(await column(2)).toEqual([...byName].reverse());
      await page.click('#host-table thead th:nth-child(5) button');
      const vcpu = (await column(4)).filter(Boolean).map(Number);
      expect(vcpu).toEqual([...vcpu].sort((a, b) => a - b));
      expect(await page.getAttribute('#host-table thead th:nth-child(5)', 'aria-sort')).toBe('ascending');
    });

    it('filters the host table by cloud, severity, category and verdict', async () => {
      const { page } = opened;
      expect(await page.isVisible('#host-filters')).toBe(true);
      const all = await visibleHostRows(page);
      expect(all).toHaveLength(result.hosts.length);
      const cloud = result.hosts[result.hosts.length - 1]!.provider;
      await page.selectOption('#host-filters select[name="cloud"]', cloud);
      const ofCloud = await visibleHostRows(page);
      expect(ofCloud.length).toBe(result.hosts.filter((h) => h.provider === cloud).length);
      expect(ofCloud.every((row) => row.cloud === cloud)).toBe(true);
      expect(await page.textContent('#host-filters output')).toBe(
        `Showing ${ofCloud.length} of ${all.length} hosts`,
      );
      await page.selectOption('#host-filters select[name="cloud"]', '');
      // Each option of each filter shows exactly the rows that carry its value, and some option hides rows.
      let narrowed = false;
      for (const name of ['cloud', 'severity', 'category', 'verdict']) {
        const values = await page.$$eval(`#host-filters select[name="${name}"] option`, (options) =>
          (options as unknown as PageElement[]).map((o) => o.value ?? '').filter(Boolean),
        );
        expect(values.length, name).toBeGreaterThan(0);
        for (const value of values) {
          await page.selectOption(`#host-filters select[name="${name}"]`, value);
          const shown = await page.$$eval('#host-table tbody tr:not([hidden])', (rows) => rows.length);
          const expected = await page.$$eval(
            '#host-table tbody tr',
            (rows, [attribute, wanted]) =>
              (rows as unknown as PageElement[]).filter((row) => {
                const value = row.getAttribute(`data-${attribute}`) ?? '';
                const multi = attribute === 'severity' || attribute === 'category';
                return (multi ? value.split(' ') : [value]).includes(wanted!);
              }).length,
            [name, value],
          );
          expect(shown, `${name}=${value}`).toBe(expected);
          expect(shown, `${name}=${value}`).toBeGreaterThan(0);
          if (shown < all.length) narrowed = true;
        }
        await page.selectOption(`#host-filters select[name="${name}"]`, '');
      }
      expect(narrowed).toBe(true);
      await page.click('#host-filters button[type="reset"]');
      expect(await visibleHostRows(page)).toHaveLength(all.length);
    });

    it('renders light and dark, with no serious or critical accessibility violation in either', async () => {
      const { page } = opened;
      await page.emulateMedia({ colorScheme: 'light' });
      const light = await themeColors(page);
      expect(light.background).toBe('rgb(255, 255, 255)');
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await page.screenshot({
        path: join(ARTIFACTS, `${name}-light.png`),
        fullPage: true,
        timeout: SCREENSHOT_MS,
      });
      await page.emulateMedia({ colorScheme: 'dark' });
      const dark = await themeColors(page);
      expect(dark.background).toBe('rgb(17, 19, 21)');
      expect(dark.text).toBe('rgb(232, 234, 237)');
      // The charts follow the page: vega's black axis labels become the page's text colour.
      expect(dark.chartLabel).toBe(dark.text);
      expect(dark.blackChartText).toBe(0);
      expect(light.chartLabel).toBe(light.text);
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await page.screenshot({
        path: join(ARTIFACTS, `${name}-dark.png`),
        fullPage: true,
        timeout: SCREENSHOT_MS,
      });
      await page.emulateMedia({ colorScheme: 'light' });
      expect(opened.consoleErrors).toEqual([]);
    });

    it('records its size and load time', async () => {
      const bytes = Buffer.byteLength(html);
      const measurement = {
        report: name,
        bytes,
        charts: (html.match(/<svg /g) ?? []).length,
        loadMs: Math.round(opened.loadMs),
      };
      await writeFile(
        join(ARTIFACTS, `${name}-measurements.json`),
        `${JSON.stringify(measurement, null, 2)}\n`,
      );
      process.stderr.write(
        `report.html (${name}): ${JSON.stringify(measurement)}; artifacts in ${ARTIFACTS}\n`,
      );
      expect(Number.isFinite(opened.loadMs)).toBe(true);
      if (name === 'demo') {
        const { page } = opened;
        await page.emulateMedia({ colorScheme: 'light' });
        await page.setViewportSize({ width: 1100, height: 1000 });
        await page.evaluate(() => window.scrollTo(0, 0));
        const png = join(ARTIFACTS, 'report-html.png');
        await page.screenshot({ path: png, timeout: SCREENSHOT_MS });
        expect((await stat(png)).size).toBeLessThan(DOCS_PNG_MAX_BYTES);
        expect((await stat(png)).size).toBeGreaterThan(DOCS_PNG_MIN_BYTES);
        if (process.env.FLEETLENS_UPDATE_DOCS === '1') await writeFile(DOCS_PNG, await readFile(png));
      }
    });
  });
}

checksFor(
  'builder',
  async () => {
    const result = fullResult();
    return { result, html: await renderAuditHtml(result) };
  },
  60_000,
);

/** The NUL-free text of a pipe may still carry a terminal's escapes; none may reach a CI log. */
function controlCharacters(text: string): string[] {
  return [...text].filter((char) => {
    const codePoint = char.codePointAt(0) ?? 0;
    return (codePoint < 0x20 && char !== '\n') || (codePoint >= 0x7f && codePoint <= 0x9f);
  });
}

/** `fleetlens audit --demo --format md,json,html` as a user runs it: the page the browser opens is the one it wrote. */
async function demoThroughCli(): Promise<Built> {
  const out = join(workDir, 'demo-cli');
  const run = await fleetlens(['audit', '--demo', '--format', 'md,json,html', '--out', out], {
    env: { ...process.env, FLEETLENS_LOG_LEVEL: 'info' },
  });
  if (run.code !== 0) throw new Error(`audit --demo exited ${run.code}: ${run.stderr.slice(-2000)}`);
  demoStderr = run.stderr;
  const result = AnalysisResult.parse(JSON.parse(await readFile(join(out, 'report.json'), 'utf8')));
  expect(await readFile(join(out, 'report.md'), 'utf8')).toMatch(/^# fleetlens audit/);
  return { result, html: await readFile(join(out, 'report.html'), 'utf8') };
}
let demoStderr = '';

// NOTE: a bound, not a speed assertion: the demo collects from four mock clouds on a shared machine.
checksFor('demo', demoThroughCli, 900_000);

describe('audit --demo progress on stderr (a pipe)', () => {
  it('is JSON lines with no control character; the last one counts the calls report.json counts', async () => {
    expect(demoStderr).not.toBe('');
    expect(controlCharacters(demoStderr)).toEqual([]);
    const lines = demoStderr
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { msg: string; progress?: { clouds: Record<string, unknown> } });
    const last = lines.filter((line) => line.msg.startsWith('audit progress')).at(-1)!;
    expect(last.msg).toBe('audit progress: finished');
    const report = AnalysisResult.parse(
      JSON.parse(await readFile(join(workDir, 'demo-cli', 'report.json'), 'utf8')),
    );
    const expected = Object.fromEntries(
      Object.entries(report.run.apiCalls).map(([cloud, calls]) => [
        cloud,
        {
          inventory: 'done',
          catalog: 'done',
          metrics: 'done',
          calls: { done: calls.made, minimum: calls.minimum },
        },
      ]),
    );
    expect(last.progress?.clouds).toEqual(expected);
  });
});

describe('hostile text in Chromium', () => {
  it('runs nothing from the input: no dialog, no extra script, no handler, no load', async () => {
    const opened = await open('hostile', await renderAuditHtml(hostileResult()));
    expect(opened.dialogs).toEqual([]);
    expect(opened.consoleErrors).toEqual([]);
    expect(opened.requests).toEqual([opened.url]);
    const live = await opened.page.evaluate(() => ({
      scripts: document.scripts.length,
      handlers: Array.from(document.querySelectorAll('*')).filter((element) =>
        Array.from(element.attributes).some((a) => a.name.startsWith('on')),
      ).length,
      embeds: document.querySelectorAll('img, iframe, object, embed, link, base, meta[http-equiv="refresh"]')
        .length,
    }));
    expect(live).toEqual({ scripts: 1, handlers: 0, embeds: 0 });
    // The page's own script still runs under its CSP: the filters are shown.
    expect(await opened.page.isVisible('#host-filters')).toBe(true);
  });
});
