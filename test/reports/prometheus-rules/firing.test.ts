// alerts.rules.yml keeps watch (issue 11 point 4): the rules the writer produces from a capture's
// findings FIRE on that capture's own data, shown by `promtool test rules` (Debian's prometheus
// package) on its own clock: input series built from the captures, eval_time chosen from them.
// No server, no wall-clock wait; the same rule stays silent on the healthy capture.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { renderDiagnosePrometheusRules } from '../../../reports/prometheus-rules/index.ts';
import { silentLogger } from '../../../src/log.ts';
import { runDiagnose } from '../../../src/run/diagnose.ts';
import { onHostSample, sampleDir } from '../../helpers/onhost.ts';
import { SHARED_SAMPLES } from '../../helpers/prometheus.ts';

interface Rule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** One saved `query_range` answer of a capture (prometheus-queries/<stem>.json), at its 1 s step. */
async function savedSeries(
  capture: string,
  stem: string,
): Promise<{ labels: Record<string, string>; values: number[] }[]> {
  const body = JSON.parse(
    await readFile(join(SHARED_SAMPLES, capture, 'prometheus-queries', `${stem}.json`), 'utf8'),
  );
  return body.data.result.map((r: { metric: Record<string, string>; values: [number, string][] }) => ({
    labels: r.metric,
    values: r.values.map(([, v]) => Number(v)),
  }));
}

function seriesName(name: string, labels: Record<string, string>): string {
  const inner = Object.entries(labels)
    .filter(([k]) => k !== '__name__')
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',');
  return `${name}{${inner}}`;
}

/** Holds a capture's last value for `extraSec` more seconds (promtool reads one value per interval). */
const held = (values: readonly number[], extraSec: number) => [
  ...values,
  ...Array.from({ length: extraSec }, () => values.at(-1)!),
];

const promtool = (dir: string, file: string) =>
  spawnSync('promtool', ['test', 'rules', file], { cwd: dir, encoding: 'utf8' });

describe('alerts.rules.yml fires on the captures it was written from (promtool test rules)', () => {
  let dir: string;
  let rules: Rule[];
  // threadpool-starvation's queue depth: 148 s at 1 s, above 0 from second 18 to the end.
  let queue: { labels: Record<string, string>; values: number[] };
  // fd-exhaustion: fds.log (1 s) reaches nofile 256 at second 66 and stays there to the end (123 s).
  let fds: number[];
  let nofile: number;
  let findingHost: Map<string, string>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fleetlens-promtool-'));
    // The real diagnose on the two captures writes the rules file under test.
    const result = await runDiagnose(
      [sampleDir('threadpool-starvation'), sampleDir('fd-exhaustion')],
      silentLogger,
    );
    const text = renderDiagnosePrometheusRules(result);
    findingHost = new Map(
      result.diagnoses.flatMap((d) => d.findings.map((f) => [f.id, f.subject.name ?? f.subject.id] as const)),
    );
    await writeFile(join(dir, 'alerts.rules.yml'), text);
    rules = (parse(text) as { groups: { rules: Rule[] }[] }).groups[0]!.rules;
    queue = (await savedSeries('threadpool-starvation', 'app_threadpool_queue_depth'))[0]!;
    const fdCapture = await onHostSample('fd-exhaustion');
    fds = fdCapture.fds!.values;
    nofile = fdCapture.fdSoftLimit!;
  }, 120_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const ruleFor = (alert: string) => {
    const rule = rules.find((r) => r.alert === alert);
    if (!rule) throw new Error(`no ${alert} in alerts.rules.yml: ${rules.map((r) => r.alert).join(', ')}`);
    return rule;
  };
  const expected = (rule: Rule, seriesLabels: Record<string, string>) => ({
    exp_labels: {
      ...Object.fromEntries(Object.entries(seriesLabels).filter(([k]) => k !== '__name__')),
      ...rule.labels,
    },
    exp_annotations: rule.annotations,
  });

  async function runTests(name: string, tests: unknown[]) {
    const file = `${name}.test.yml`;
    await writeFile(
      join(dir, file),
      stringify({ rule_files: ['alerts.rules.yml'], evaluation_interval: '1s', tests }, { lineWidth: 0 }),
    );
    return promtool(dir, file);
  }

  it('has a pool-queueing and an fd-limit alert from the two findings, each labelled with its host', () => {
    expect(ruleFor('FleetlensPoolQueueing')).toMatchObject({
      for: '2m',
      labels: { fleetlens_rule: 'threadpool-starvation' },
    });
    expect(ruleFor('FleetlensFdLimit')).toMatchObject({ for: '5m', labels: { fleetlens_rule: 'fd-limit' } });
    // The host is the capture's own name for itself (host-info.txt: both were taken on `vm`).
    for (const alert of ['FleetlensPoolQueueing', 'FleetlensFdLimit']) {
      const { labels } = ruleFor(alert);
      expect(labels.host).toBe(findingHost.get(labels.fleetlens_finding!));
      expect(labels.host).toBe('vm');
    }
  });

  it('the pool alert fires inside the threadpool-starvation capture, 2 min after the queue formed', async () => {
    const rule = ruleFor('FleetlensPoolQueueing');
    const firstQueued = queue.values.findIndex((v) => v > 0);
    expect(firstQueued).toBe(18);
    const run = await runTests('pool', [
      {
        interval: '1s',
        input_series: [
          { series: seriesName('threadpool_queue_depth', queue.labels), values: queue.values.join(' ') },
        ],
        alert_rule_test: [
          // Pending, not firing, before its 2 min have run (second 100 of the capture).
          { eval_time: '100s', alertname: rule.alert, exp_alerts: [] },
          // Firing from second 18 + 120 = 138; the capture lasts 148 s.
          { eval_time: '145s', alertname: rule.alert, exp_alerts: [expected(rule, queue.labels)] },
        ],
      },
    ]);
    expect(run.stdout + run.stderr).toMatch(/SUCCESS/);
    expect(run.status).toBe(0);
  });

  // The capture ends with the process pinned at its limit (57 s at 256 of 256); its last value is held
  // until the rule's 5 min have run: the alert fires once 90 % (230.4) has held for 5 min.
  const fdSeries = (open: number[], max: number[], labels: Record<string, string>) => [
    { series: seriesName('process_open_fds', labels), values: open.join(' ') },
    { series: seriesName('process_max_fds', labels), values: max.join(' ') },
  ];

  it('the fd alert fires on fd-exhaustion 5 min after the fds reached 90 % of nofile', async () => {
    const rule = ruleFor('FleetlensFdLimit');
    const labels = { instance: '127.0.0.1:8000', job: 'app' };
    const above = fds.findIndex((v) => (v / nofile) * 100 > 90);
    expect([nofile, above]).toEqual([256, 61]);
    const open = held(fds, 400);
    const run = await runTests('fd', [
      {
        interval: '1s',
        input_series: fdSeries(
          open,
          open.map(() => nofile),
          labels,
        ),
        alert_rule_test: [
          { eval_time: `${above + 290}s`, alertname: rule.alert, exp_alerts: [] },
          { eval_time: `${above + 310}s`, alertname: rule.alert, exp_alerts: [expected(rule, labels)] },
        ],
      },
    ]);
    expect(run.stdout + run.stderr).toMatch(/SUCCESS/);
    expect(run.status).toBe(0);
  });

  it('the same fd alert stays silent on the healthy capture held just as long', async () => {
    const rule = ruleFor('FleetlensFdLimit');
    const [open] = await savedSeries('healthy', 'app_process_open_fds');
    const [max] = await savedSeries('healthy', 'app_process_max_fds');
    const labels = { instance: open!.labels.instance!, job: open!.labels.job! };
    const tests = (exp: unknown[]) => [
      {
        interval: '1s',
        input_series: fdSeries(held(open!.values, 400), held(max!.values, 400), labels),
        alert_rule_test: [{ eval_time: `${61 + 310}s`, alertname: rule.alert, exp_alerts: exp }],
      },
    ];
    const silent = await runTests('healthy', tests([]));
    expect(silent.stdout + silent.stderr).toMatch(/SUCCESS/);
    expect(silent.status).toBe(0);
    // The harness can fail: expecting the alert there is refused, with what promtool got.
    const wrong = await runTests('healthy-wrong', tests([expected(rule, labels)]));
    expect(wrong.status).not.toBe(0);
    expect(wrong.stdout + wrong.stderr).toMatch(/FleetlensFdLimit[\s\S]*got:\[\]/);
  });
});
