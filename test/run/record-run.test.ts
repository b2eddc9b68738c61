// Issue 10 "Done means": two demo audits in a row against one store, the second with a changed fleet
// (one problem fixed, one new, one worse, a host renamed by tag) and another random seed. The
// statuses must be right in report.md, report.json and `fleetlens diff`; ids must survive the seed
// and the rename. Real clients against the loopback mocks, a real DuckDB file.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { bundledScenarioPath, parseScenario } from '../../mocks/scenarios/schema.ts';
import { AnalysisResult } from '../../reports/json/schema.ts';
import { REPORT_MD_MAX_CHARS } from '../../reports/markdown/budget.ts';
import { loadConfigFile } from '../../src/config/load.ts';
import { silentLogger } from '../../src/log.ts';
import { virtualClock } from '../../src/net/clock.ts';
import { packagePath } from '../../src/paths.ts';
import { runAudit } from '../../src/run/audit.ts';
import { withMocks } from '../../src/run/demo.ts';
import { auditExitStatus, parseFailOnCategories } from '../../src/run/exit-status.ts';
import { runDiffCommand, runHistoryCommand, runShowCommand } from '../../src/run/history-command.ts';
import { writeAuditReports } from '../../src/run/output.ts';
import { recordAuditRun } from '../../src/run/record-run.ts';
import { DEFAULT_KEEP_MS } from '../../src/store/index.ts';

type RawInstance = Record<string, unknown> & { name: string; volumes?: Record<string, unknown>[] };

/** The demo scenario as YAML gives it, to change before it is parsed. */
async function rawDemo(): Promise<Record<string, unknown>> {
  const raw = parse(await readFile(bundledScenarioPath('demo'), 'utf8'), { merge: true });
  for (const cloud of ['gcp', 'linode', 'ovh']) delete raw[cloud];
  return raw;
}

function instance(raw: Record<string, unknown>, name: string): RawInstance {
  const regions = (raw.aws as { regions: Record<string, { instances: RawInstance[] }> }).regions;
  const found = Object.values(regions)
    .flatMap((region) => region.instances)
    .find((i) => i.name === name);
  if (!found) throw new Error(`no ${name} in the demo scenario`);
  return found;
}

/** The next week's fleet: ledger-db's io1 moved to gp3 (fixed), shop-web-1's root disk a big gp2 (new), stopped promo-builder's disk three times bigger (worse), session-cache renamed. */
async function changedDemo() {
  const raw = await rawDemo();
  raw.seed = 'another week, other noise';
  const data = instance(raw, 'ledger-db').volumes!.find((v) => v.type === 'io1')!;
  data.type = 'gp3';
  delete data.iops;
  const web = instance(raw, 'shop-web-1');
  web.volumes = [{ ...web.volumes![0]!, type: 'gp2', sizeGiB: 1000 }];
  const promo = instance(raw, 'promo-builder');
  promo.volumes = promo.volumes!.map((v) => ({ ...v, sizeGiB: Number(v.sizeGiB) * 3 }));
  instance(raw, 'session-cache').name = 'session-cache-v2';
  return parseScenario(raw);
}

/**
 * The demo's AWS fleet (where every change is), on a virtual clock (its throttles wait no real
 * time), over two days (above sizing's 30 h): two audits stay well under a minute on a busy machine.
 */
async function demoAudit(scenario: ReturnType<typeof parseScenario>): Promise<AnalysisResult> {
  const loaded = await loadConfigFile(packagePath('mocks', 'scenarios', 'demo.fleetlens.yaml'));
  loaded.config.providers = { aws: loaded.config.providers.aws! };
  return withMocks(
    scenario,
    loaded,
    silentLogger,
    (demo) => runAudit({ ...demo, mode: 'demo', log: silentLogger, since: '2d' }),
    { net: { clock: virtualClock(Date.now()) } },
  );
}

let dir: string;
let store: string;
let first: AnalysisResult;
let second: AnalysisResult;
let reportMd: string;
let reportJson: AnalysisResult;

const history = { keepMs: DEFAULT_KEEP_MS, stableRuns: 2, onlyStable: false, log: silentLogger };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetlens-record-run-'));
  store = join(dir, 'history.duckdb');
  first = await recordAuditRun(await demoAudit(parseScenario(await rawDemo())), { ...history, store });
  second = await recordAuditRun(await demoAudit(await changedDemo()), { ...history, store });
  await writeAuditReports(second, ['md', 'json'], join(dir, 'out'));
  if (process.env.FLEETLENS_KEEP_TEST_RUNS) await writeAuditReports(first, ['json'], join(dir, 'out1'));
  reportMd = await readFile(join(dir, 'out', 'report.md'), 'utf8');
  reportJson = AnalysisResult.parse(JSON.parse(await readFile(join(dir, 'out', 'report.json'), 'utf8')));
});

afterAll(() =>
  process.env.FLEETLENS_KEEP_TEST_RUNS ? undefined : rm(dir, { recursive: true, force: true }),
);

const PROMO = 'i-0a00000000000a00a';

const find = (result: AnalysisResult, ruleId: string, subjectId: string) =>
  result.findings.find((f) => f.ruleId === ruleId && f.subject.id === subjectId);

describe('two demo audits in a row, the second with a changed fleet', () => {
  it('marks every finding of a first run new, with no resolved list and no cost change', () => {
    expect(first.findings.length).toBeGreaterThan(10);
    expect(first.findings.every((f) => f.status === 'new' && f.runs === 1)).toBe(true);
    expect(first.history).toMatchObject({ previousRunId: null, monthlyCostDeltaUsd: null });
    expect(first.resolved).toEqual([]);
  });

  it('keeps every id across another random seed and a rename by tag', () => {
    const changedSubjects = new Set(['vol-0b00000000000b004', 'vol-0a00000000000b001']);
    const kept = first.findings.filter((f) => !changedSubjects.has(f.subject.id));
    const secondIds = new Set(second.findings.map((f) => f.id));
    expect(kept.filter((f) => !secondIds.has(f.id)).map((f) => `${f.ruleId} ${f.subject.id}`)).toEqual([]);
    const cache = find(second, 'burstable-credits-exhausted', 'i-0a00000000000a008')!;
    expect(cache.subject.name).toBe('session-cache-v2');
    expect(cache.id).toBe(find(first, 'burstable-credits-exhausted', 'i-0a00000000000a008')!.id);
    expect(cache.status).not.toBe('new');
  });

  it('says fixed, new and worse in report.json', () => {
    const fixed = find(first, 'provisioned-iops-to-gp3', 'vol-0b00000000000b004')!;
    expect(reportJson.resolved?.map((f) => f.id)).toEqual([fixed.id]);
    expect(reportJson.resolved![0]).toMatchObject({ ruleId: 'provisioned-iops-to-gp3', runs: 1 });
    const added = reportJson.findings.filter((f) => f.status === 'new');
    expect(added.map((f) => `${f.ruleId} ${f.subject.id}`)).toEqual(['gp2-to-gp3 vol-0a00000000000b001']);
    const worse = find(reportJson, 'stopped-instance-billed', PROMO)!;
    expect(worse).toMatchObject({ status: 'worse', runs: 2, firstSeen: first.run.startedAt });
    expect(worse.previous?.headline?.unit).toBe('usd-per-month');
    const open = find(reportJson, 'cpu-saturated', 'i-0a00000000000a007')!;
    expect(open).toMatchObject({ status: 'open', runs: 2, firstSeen: first.run.startedAt });
    expect(reportJson.history).toMatchObject({
      previousRunId: first.run.id,
      counts: { new: 1, resolved: 1 },
      monthlyCostDeltaUsd: {
        previous: first.run.summary.monthlyCostDeltaUsd,
        now: second.run.summary.monthlyCostDeltaUsd,
      },
    });
    expect(reportJson.history!.counts.worse).toBeGreaterThanOrEqual(1);
  });

  it('says the same in report.md: the summary opens with since the last run, and a resolved section', () => {
    const summary = reportMd.slice(reportMd.indexOf('## Summary'));
    expect(summary.split('\n\n')[1]).toMatch(
      /^- \*\*Since the last run\*\* \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\): 1 new, 1 resolved, \d+ worse, \d+ better, \d+ still open.*; known monthly cost delta .* → .* \(.*\)$/,
    );
    expect(reportMd).toContain('### Resolved since the last run (1)');
    const worseLine = reportMd.split('\n').find((l) => l.includes('promo-builder') && l.includes('worse ('));
    expect(worseLine).toMatch(/worse \((low|medium) → (medium|high)\), since \d{4}-\d\d-\d\d, for 2 runs/);
    expect(reportMd).toMatch(/open since \d{4}-\d\d-\d\d, for 2 runs/);
    expect(reportMd.length).toBeLessThan(REPORT_MD_MAX_CHARS);
  });

  it('writes the status into the finding file too', async () => {
    const worse = find(second, 'stopped-instance-billed', PROMO)!;
    const file = await readFile(join(dir, 'out', 'findings', `${worse.id}.md`), 'utf8');
    expect(file).toMatch(/Status: worse \(.*\), since \d{4}-\d\d-\d\d, for 2 runs/);
  });

  it('prints the same changes in `fleetlens diff`, markdown and json', async () => {
    const json = JSON.parse(await runDiffCommand(undefined, undefined, { store, format: 'json' }));
    expect(json.from.runId).toBe(first.run.id);
    expect(json.to.runId).toBe(second.run.id);
    expect(json.counts).toEqual({ ...reportJson.history!.counts, unseen: reportJson.history!.counts.unseen });
    expect(json.new.map((f: { id: string }) => f.id)).toEqual(
      reportJson.findings.filter((f) => f.status === 'new').map((f) => f.id),
    );
    expect(json.resolved.map((f: { id: string }) => f.id)).toEqual(reportJson.resolved!.map((f) => f.id));
    expect(json.worse.map((f: { id: string }) => f.id)).toContain(
      find(second, 'stopped-instance-billed', PROMO)!.id,
    );
    const md = await runDiffCommand(first.run.id, second.run.id, { store, format: 'md' });
    expect(md).toContain('## New (1)');
    expect(md).toContain('## Resolved (1)');
    expect(md).toContain('vol-0a00000000000b001');
  });

  it('lists both runs newest first in `history`, and a renamed host by either name', async () => {
    const { runs } = JSON.parse(await runHistoryCommand({ store, format: 'json' }));
    expect(runs.map((r: { runId: string }) => r.runId)).toEqual([second.run.id, first.run.id]);
    const byOldName = JSON.parse(await runHistoryCommand({ store, format: 'json', host: 'session-cache' }));
    expect(byOldName.hosts[0]).toMatchObject({ hostId: 'i-0a00000000000a008', name: 'session-cache-v2' });
    expect(byOldName.hosts[0].series[0].points).toHaveLength(2);
    const text = await runHistoryCommand({ store, format: 'md', host: 'i-0a00000000000a008' });
    expect(text).toMatch(/CPU p95 {2}\S+ .* \(2 runs\)/);
  });

  it('shows one stored finding as standalone markdown for a ticket', async () => {
    const worse = find(second, 'stopped-instance-billed', PROMO)!;
    const md = await runShowCommand(worse.id, { store });
    expect(md).toContain(`finding ${worse.id}`);
    expect(md).toContain(second.run.id);
    expect(md).toMatch(/status: worse/);
  });

  it('marks recommendations seen with the same target in both runs stable (--stable-runs 2)', () => {
    const stable = second.recommendations.filter((r) => r.stability?.stable);
    expect(stable.length).toBeGreaterThan(5);
    expect(stable.every((r) => r.stability!.runs >= 2 && r.stability!.requiredRuns === 2)).toBe(true);
    // ledger-db's data volume was io1 → gp3 last week; this week it has no recommendation at all.
    expect(second.recommendations.some((r) => r.subject.id === 'vol-0b00000000000b004')).toBe(false);
  });

  it('counts only what a user would: the exit status does not change with history', () => {
    const policy = { failOn: 'high' as const, categories: parseFailOnCategories(undefined) };
    expect(auditExitStatus(second, policy).code).toBe(
      auditExitStatus({ ...second, history: undefined }, policy).code,
    );
  });
});
