// alerts.rules.yml: one alert per finding that fired, with the rule's threshold, labelled with the
// host; promtool accepts it, a real Prometheus loads it, and its expression fires on a capture.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { AnalysisResult } from '../../../reports/json/schema.ts';
import { renderAuditPrometheusRules } from '../../../reports/prometheus-rules/index.ts';
import type { Finding } from '../../../src/model/index.ts';
import {
  type RunningPrometheus,
  requirePrometheus,
  startPrometheus,
  threadsLogWindow,
} from '../../helpers/prometheus.ts';
import { buildAnalysisResult, buildFinding } from '../../helpers/result-builder.ts';

const host = (id: string, name: string) => ({ provider: 'aws' as const, kind: 'host' as const, id, name });

function resultWith(findings: Finding[]): AnalysisResult {
  return { ...buildAnalysisResult(), findings };
}

const FINDINGS: Finding[] = [
  buildFinding({
    id: 'f-disk',
    ruleId: 'disk-saturated',
    severity: 'high',
    subject: host('i-blob', 'blob-store-2'),
  }),
  buildFinding({
    id: 'f-listen',
    ruleId: 'listen-queue-overflow',
    severity: 'high',
    subject: host('i-edge', 'edge-proxy'),
  }),
  buildFinding({
    id: 'f-fd',
    ruleId: 'fd-limit',
    severity: 'critical',
    subject: host('i-w', 'ledger-worker'),
  }),
  buildFinding({
    id: 'f-starved',
    ruleId: 'cloud-idle-host-starved',
    severity: 'high',
    subject: host('i-api', 'shop-api-3'),
    message:
      'shop-api-3: the cloud sees 5 % CPU (P95) while its own samples show a starved worker pool (threadpool-starvation, confidence 0.9): do not shrink it',
  }),
  // No node_exporter metric shows an idle instance: no alert for it.
  buildFinding({
    id: 'f-idle',
    ruleId: 'idle-instance',
    severity: 'low',
    subject: host('i-old', 'legacy-ftp'),
  }),
];

interface RangeAnswer {
  status: string;
  data: { result: { metric: Record<string, string>; values: [number, string][] }[] };
}

interface RulesFile {
  groups: {
    name: string;
    rules: { alert: string; expr: string; for: string; labels: Record<string, string> }[];
  }[];
}

describe('renderAuditPrometheusRules', () => {
  it('writes one alert per fired finding with a metric that shows it, labelled with the host', () => {
    const file = parse(renderAuditPrometheusRules(resultWith(FINDINGS))) as RulesFile;
    const rules = file.groups[0]!.rules;
    expect(rules.map((r) => [r.alert, r.labels.host, r.labels.fleetlens_rule])).toEqual([
      ['FleetlensDiskSaturated', 'blob-store-2', 'disk-saturated'],
      ['FleetlensListenQueueOverflow', 'edge-proxy', 'listen-queue-overflow'],
      ['FleetlensFdLimit', 'ledger-worker', 'fd-limit'],
      ['FleetlensPoolQueueing', 'shop-api-3', 'cloud-idle-host-starved'],
    ]);
    expect(rules[2]).toMatchObject({
      expr: 'process_open_fds / process_max_fds * 100 > 90',
      labels: { severity: 'critical' },
    });
  });

  it('keeps hostile cloud names out of the YAML structure', () => {
    const hostile = buildFinding({
      id: 'f-x',
      ruleId: 'fd-limit',
      subject: host('i-x', 'web"\n  - alert: Injected\n{{ $value }}'),
    });
    const text = renderAuditPrometheusRules(resultWith([hostile]));
    const rules = (parse(text) as RulesFile).groups[0]!.rules;
    expect(rules).toHaveLength(1);
    expect(rules[0]!.labels.host).not.toMatch(/[\n"{}$]/);
  });
});

describe('alerts.rules.yml in a real Prometheus', () => {
  let dir: string;
  let file: string;
  let prometheus: RunningPrometheus | undefined;
  beforeAll(async () => {
    requirePrometheus();
    dir = await mkdtemp(join(tmpdir(), 'fleetlens-alerts-'));
    file = join(dir, 'alerts.rules.yml');
    await writeFile(file, renderAuditPrometheusRules(resultWith(FINDINGS)));
    prometheus = await startPrometheus('disk-saturation', 300_000, [file]);
  });
  afterAll(async () => {
    await prometheus?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('passes promtool check rules', () => {
    const check = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    expect(check.stdout + check.stderr).toMatch(/SUCCESS: 4 rules found/);
    expect(check.status).toBe(0);
  });

  it('loads into Prometheus, and the disk alert fires on the disk-saturation capture', async () => {
    const loaded = (await (await fetch(`${prometheus!.url}/api/v1/rules?type=alert`)).json()) as {
      data: { groups: { rules: unknown[] }[] };
    };
    const rules = loaded.data.groups[0]!.rules as {
      name: string;
      health: string;
      labels: Record<string, string>;
    }[];
    expect(rules.map((r) => r.name)).toContain('FleetlensDiskSaturated');
    expect(rules.every((r) => r.health !== 'err')).toBe(true);
    // Alerts evaluate now; the capture is in the past: evaluate the alert's own expression over its window.
    const disk = parse(renderAuditPrometheusRules(resultWith(FINDINGS))).groups[0].rules[0];
    const { fromMs, toMs } = await threadsLogWindow('disk-saturation');
    const query = new URLSearchParams({
      query: disk.expr,
      start: String(fromMs / 1000),
      end: String(toMs / 1000),
      step: '1s',
    });
    const body = (await (
      await fetch(`${prometheus!.url}/api/v1/query_range?${query}`)
    ).json()) as RangeAnswer;
    expect(body.status).toBe('success');
    const series = body.data.result as { metric: Record<string, string>; values: [number, string][] }[];
    expect(series.map((s) => s.metric.device)).toContain('vda');
    // The expression holds once a minute of saturation is in its rate window, and stays true to the end.
    const vda = series.find((s) => s.metric.device === 'vda')!;
    expect(vda.values.length).toBeGreaterThanOrEqual(30);
  });

  it('the same expression stays silent on the healthy capture', async () => {
    const healthy = await startPrometheus('healthy', 300_000);
    try {
      const disk = parse(renderAuditPrometheusRules(resultWith(FINDINGS))).groups[0].rules[0];
      const { fromMs, toMs } = await threadsLogWindow('healthy');
      const query = new URLSearchParams({
        query: disk.expr,
        start: String(fromMs / 1000),
        end: String(toMs / 1000),
        step: '1s',
      });
      const body = (await (await fetch(`${healthy.url}/api/v1/query_range?${query}`)).json()) as RangeAnswer;
      expect(body.status).toBe('success');
      expect(body.data.result).toEqual([]);
    } finally {
      await healthy.stop();
    }
  });
});
