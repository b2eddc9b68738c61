// `--format prometheus-rules`: alerts.rules.yml, a Prometheus rules file that keeps watch after the
// audit. For each finding that fired, one alert on the node_exporter or app metric that shows the
// same problem, with the rule's own threshold, labelled with the host. Pure: result in, YAML out.
import { stringify } from 'yaml';
import type { Finding } from '../../src/model/index.ts';
import type { AnalysisResult, DiagnoseResult } from '../json/schema.ts';

interface AlertTemplate {
  alert: string;
  expr: string;
  forDuration: string;
  summary: string;
}

// Thresholds are the fleetlens rules' defaults (and their sources: node-mixin, pmie, asyncio).
const TEMPLATES: Readonly<Record<string, AlertTemplate>> = {
  'cpu-saturated': {
    alert: 'FleetlensCpuSaturated',
    // cpu-saturated: ≥ 90 % busy (node-mixin NodeCPUHighUsage).
    expr: '(1 - avg without (cpu, mode) (rate(node_cpu_seconds_total{mode="idle"}[1m]))) * 100 > 90',
    forDuration: '15m',
    summary: 'CPU at or above 90 % busy',
  },
  'disk-saturated': {
    alert: 'FleetlensDiskSaturated',
    // disk-saturated: %util ≥ 90 with a queue (node-mixin NodeDiskIOSaturation uses the weighted time).
    expr: 'rate(node_disk_io_time_seconds_total[1m]) * 100 > 90 and rate(node_disk_io_time_weighted_seconds_total[1m]) > 1',
    forDuration: '10m',
    summary: 'a disk busy ≥ 90 % with requests queueing',
  },
  'listen-queue-overflow': {
    alert: 'FleetlensListenQueueOverflow',
    // pmie network.listenoverflows: any overflow is a refused connection.
    expr: 'rate(node_netstat_TcpExt_ListenOverflows[1m]) > 0',
    forDuration: '5m',
    summary: 'accept-queue overflows (connections dropped at the listen backlog)',
  },
  'fd-limit': {
    alert: 'FleetlensFdLimit',
    // fd-limit: ≥ 90 % of the soft limit (node-mixin NodeFileDescriptorLimit uses 90 %).
    expr: 'process_open_fds / process_max_fds * 100 > 90',
    forDuration: '5m',
    summary: 'open file descriptors at ≥ 90 % of the soft limit',
  },
  'thread-exhaustion': {
    alert: 'FleetlensThreadsAtLimit',
    expr: 'node_processes_threads / node_processes_max_threads * 100 > 90',
    forDuration: '5m',
    summary: 'threads at ≥ 90 % of the kernel thread limit',
  },
  'threadpool-starvation': {
    alert: 'FleetlensPoolQueueing',
    expr: 'threadpool_queue_depth > 0',
    forDuration: '2m',
    summary: 'work queued behind a full worker pool',
  },
  'event-loop-blocked': {
    alert: 'FleetlensEventLoopLag',
    // asyncio slow_callback_duration: 0.1 s.
    expr: 'event_loop_lag_max_1s_seconds > 0.1',
    forDuration: '2m',
    summary: 'event-loop lag above 100 ms',
  },
  'gevent-loop-blocked': {
    alert: 'FleetlensEventLoopLag',
    // gevent max_blocking_time: 0.1 s.
    expr: 'event_loop_lag_max_1s_seconds > 0.1',
    forDuration: '2m',
    summary: 'hub lag above 100 ms',
  },
  'burstable-credits-exhausted': {
    alert: 'FleetlensCpuStealOrThrottled',
    expr: 'avg without (cpu, mode) (rate(node_cpu_seconds_total{mode="steal"}[1m])) * 100 > 10',
    forDuration: '15m',
    summary: 'CPU steal above 10 % (throttled or contended)',
  },
};

// The join verdict carries the on-host class it was judged from in its message.
const CLASS_TO_RULE: Readonly<Record<string, string>> = {
  'threadpool-starvation': 'threadpool-starvation',
  'event-loop-blocked': 'event-loop-blocked',
  'gevent-loop-blocked': 'gevent-loop-blocked',
  'listen-queue-overflow': 'listen-queue-overflow',
  'fd-exhaustion': 'fd-limit',
  'thread-exhaustion': 'thread-exhaustion',
};

function templateFor(finding: Finding): AlertTemplate | undefined {
  if (finding.ruleId === 'cloud-idle-host-starved') {
    const cls = Object.keys(CLASS_TO_RULE).find((c) => finding.message.includes(`(${c},`));
    return cls ? TEMPLATES[CLASS_TO_RULE[cls]!] : undefined;
  }
  return TEMPLATES[finding.ruleId];
}

/** Cloud tag values are untrusted: a label value keeps printable characters only, bounded. */
function labelValue(text: string): string {
  return text.replace(/[^\p{L}\p{N} ._:/@-]/gu, '_').slice(0, 120);
}

interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

function alertsOf(findings: readonly Finding[]): AlertRule[] {
  const seen = new Set<string>();
  const rules: AlertRule[] = [];
  for (const finding of findings) {
    const template = templateFor(finding);
    if (!template) continue;
    const host = labelValue(finding.subject.name ?? finding.subject.id);
    const key = `${template.alert}\u0000${host}`;
    if (seen.has(key)) continue;
    seen.add(key);
    rules.push({
      alert: template.alert,
      expr: template.expr,
      for: template.forDuration,
      labels: {
        severity: finding.severity,
        host,
        fleetlens_rule: finding.ruleId,
        fleetlens_finding: labelValue(finding.id),
      },
      annotations: {
        summary: `${template.summary} on ${host} (fleetlens ${finding.ruleId})`,
        description:
          'fleetlens found this in an audit; the alert keeps watch with the same threshold. Scope the expression to the host (an instance matcher) where one Prometheus scrapes many.',
      },
    });
  }
  return rules;
}

function render(name: string, rules: AlertRule[]): string {
  const header =
    '# Written by fleetlens (--format prometheus-rules): one alert per finding that fired, on the node_exporter or app metric that shows it.\n# Check with: promtool check rules alerts.rules.yml\n';
  return `${header}${stringify({ groups: [{ name, rules }] }, { lineWidth: 0 })}`;
}

export function renderAuditPrometheusRules(result: AnalysisResult): string {
  return render('fleetlens-audit', alertsOf(result.findings));
}

export function renderDiagnosePrometheusRules(result: DiagnoseResult): string {
  return render('fleetlens-diagnose', alertsOf(result.diagnoses.flatMap((d) => d.findings)));
}
