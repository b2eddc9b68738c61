// What the runtime rules share: whether the classifier established a class, the signals that
// decided it as a table, log excerpts, the rates the Little's-law arithmetic needs, and the
// grouping of blocking frames. Pure; the rules decide what to say.

import type { DiagnosisClass } from '../../../reports/json/schema.ts';
import type { AppLogEvent, PromSeries } from '../../ingest/types.ts';
import type { ArithmeticEvidence, ExcerptEvidence, TableEvidence } from '../../model/index.ts';
import { table } from '../evidence.ts';
import type { OnHostEntry } from '../facts.ts';
import { percentile, round } from '../stats.ts';
import { type ClassScore, PRIMARY_THRESHOLD } from './classify.ts';
import { heldTime, promSeries } from './signals.ts';

export function classScore(entry: OnHostEntry, cls: DiagnosisClass): ClassScore | undefined {
  return entry.verdict.scores.find((s) => s.class === cls);
}

/** The class has the evidence to be named (as the primary, or beside it). */
export function established(entry: OnHostEntry, cls: DiagnosisClass): boolean {
  return (classScore(entry, cls)?.score ?? 0) >= PRIMARY_THRESHOLD;
}

/** The signals that scored the class: what was observed and what each weighed. */
export function signalsTable(score: ClassScore): TableEvidence {
  return table(
    `How ${score.class} was decided (score ${score.score})`,
    [
      { key: 'signal', label: 'signal' },
      { key: 'observed', label: 'observed' },
      { key: 'weight', label: 'weight' },
    ],
    score.signals.map((s) => ({ signal: s.signal, observed: s.observed, weight: round(s.weight, 2) })),
  );
}

export function eventsOf(entry: OnHostEntry, kinds: readonly AppLogEvent['kind'][]): AppLogEvent[] {
  return (entry.facts.samples.appLog?.events ?? []).filter((e) => kinds.includes(e.kind));
}

/** The first lines of some events, with the first occurrence's time in the label. */
export function eventExcerpt(label: string, events: readonly AppLogEvent[], shown = 5): ExcerptEvidence {
  const first = events[0]?.timeMs;
  const when = first !== null && first !== undefined ? `, first at ${new Date(first).toISOString()}` : '';
  return {
    kind: 'excerpt',
    label: `${label}${when}`,
    source: 'app.log',
    lines: events.slice(0, shown).map((e) => `${e.lineNo}: ${e.line}`),
    totalLines: events.length,
  };
}

/** Counts of equal keys, most frequent first. */
export function topCounts(keys: readonly string[], limit = 5): { key: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return [...counts.entries()]
    .map(([key, count]) => ({ key, count }))
    .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key))
    .slice(0, limit);
}

/**
 * Per-second rates of a metric, summed over its series at each time: from a saved `rate(...)`
 * query as is, or differenced from a counter (resets skipped).
 */
export function ratePerSec(
  prom: OnHostEntry['facts']['samples']['prometheus'],
  metric: string,
): { timesMs: number[]; values: number[] } | null {
  const entries = Object.entries(prom ?? {}).filter(([stem, q]) => (q.query ?? stem).includes(metric));
  const rated = entries.find(([, q]) => /\b(?:i?rate)\(/.test(q.query ?? ''));
  if (rated) return sumByTime(rated[1].series);
  const counter = entries[0];
  if (!counter) return null;
  const perSeries = counter[1].series.map((s) => {
    const timesMs: number[] = [];
    const values: number[] = [];
    for (let i = 1; i < s.values.length; i += 1) {
      const dt = ((s.timesMs[i] ?? 0) - (s.timesMs[i - 1] ?? 0)) / 1000;
      const dv = (s.values[i] ?? 0) - (s.values[i - 1] ?? 0);
      if (dt > 0 && dv >= 0 && Number.isFinite(dv)) {
        timesMs.push(s.timesMs[i]!);
        values.push(dv / dt);
      }
    }
    return { labels: s.labels, timesMs, values };
  });
  return sumByTime(perSeries);
}

function sumByTime(series: readonly PromSeries[]): { timesMs: number[]; values: number[] } | null {
  const byTime = new Map<number, number>();
  for (const s of series) {
    s.timesMs.forEach((t, i) => {
      const v = s.values[i];
      if (v !== undefined && Number.isFinite(v)) byTime.set(t, (byTime.get(t) ?? 0) + v);
    });
  }
  if (byTime.size === 0) return null;
  const timesMs = [...byTime.keys()].sort((a, b) => a - b);
  return { timesMs, values: timesMs.map((t) => byTime.get(t)!) };
}

/** Values of a gauge at each time, summed over its series (e.g. in-flight requests per worker). */
export function gaugeByTime(
  prom: OnHostEntry['facts']['samples']['prometheus'],
  metric: string,
): { timesMs: number[]; values: number[] } | null {
  return sumByTime(promSeries(prom, metric));
}

/** The median of the values whose times fall where `when` holds (e.g. while the pool was full). */
export function medianWhere(
  series: { timesMs: number[]; values: number[] },
  when: (timeMs: number) => boolean,
): number | undefined {
  return percentile(
    series.values.filter((_, i) => when(series.timesMs[i] ?? 0)),
    50,
  );
}

/** The held time of a loop (heldTime) as the arithmetic a recommendation shows. */
export function heldArithmetic(
  lag: { timesMs: number[]; lagSec: number[] } | undefined,
  thresholdSec: number,
  what: string,
): ArithmeticEvidence | null {
  if (!lag || lag.lagSec.length < 2) return null;
  const { ticks, heldSec, spanSec } = heldTime(lag, thresholdSec);
  if (spanSec <= 0) return null;
  return {
    kind: 'arithmetic',
    label: `Time the ${what} was held`,
    steps: [
      {
        label: 'ticks that woke late',
        formula: `lag.csv rows with lag ≥ ${thresholdSec} s`,
        result: `${ticks} of ${lag.lagSec.length}`,
      },
      { label: 'time held', formula: 'sum of those lags', result: `${round(heldSec, 1)} s` },
      {
        label: `share of the capture`,
        formula: `${round(heldSec, 1)} s ÷ ${round(spanSec)} s`,
        result: `${round((heldSec / spanSec) * 100, 1)} %`,
      },
    ],
  };
}
