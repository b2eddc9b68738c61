// The PromQL the fleet reader sends, evaluated as Prometheus does: vector selectors with `=`, `!=`,
// `=~`, `!~` matchers (5 min lookback), `rate(sel[w])` with Prometheus' extrapolation
// (promql/functions.go extrapolatedRate), `sum|avg|max|min|count [by (l,...)] (expr)`, and range
// vectors `sel[w]` at one instant. Anything else is a parse error, as a real server's bad_data.
import type { RawSeries } from './captures.ts';

export const LOOKBACK_MS = 300_000;

type Matcher = { label: string; op: '=' | '!=' | '=~' | '!~'; value: string };
export type Expr =
  | { kind: 'selector'; matchers: Matcher[]; rangeMs?: number }
  | { kind: 'rate'; arg: { matchers: Matcher[]; rangeMs: number } }
  | { kind: 'agg'; op: 'sum' | 'avg' | 'max' | 'min' | 'count'; by: string[]; arg: Expr };

export class PromqlError extends Error {}

const DURATION = /^(\d+)(ms|s|m|h|d)/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parsePromql(text: string): Expr {
  let pos = 0;
  const ws = () => {
    while (pos < text.length && /\s/.test(text[pos]!)) pos += 1;
  };
  const peekWord = () => /^[a-zA-Z_:][\w:]*/.exec(text.slice(pos))?.[0] ?? '';
  const expect = (token: string) => {
    ws();
    if (!text.startsWith(token, pos))
      throw new PromqlError(`parse error at char ${pos + 1}: expected "${token}"`);
    pos += token.length;
  };
  const labels = (): string[] => {
    expect('(');
    const out: string[] = [];
    ws();
    while (text[pos] !== ')') {
      ws();
      const word = peekWord();
      if (!word) throw new PromqlError(`parse error at char ${pos + 1}: expected label`);
      out.push(word);
      pos += word.length;
      ws();
      if (text[pos] === ',') pos += 1;
      ws();
    }
    pos += 1;
    return out;
  };
  const string = (): string => {
    ws();
    if (text[pos] !== '"') throw new PromqlError(`parse error at char ${pos + 1}: expected string`);
    let end = pos + 1;
    while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
    const value = JSON.parse(text.slice(pos, end + 1)) as string;
    pos = end + 1;
    return value;
  };
  const range = (): number | undefined => {
    ws();
    if (text[pos] !== '[') return undefined;
    pos += 1;
    const found = DURATION.exec(text.slice(pos));
    if (!found) throw new PromqlError(`parse error at char ${pos + 1}: bad duration`);
    pos += found[0].length;
    expect(']');
    return Number(found[1]) * UNIT_MS[found[2]!]!;
  };
  const selector = (): { matchers: Matcher[]; rangeMs?: number } => {
    ws();
    const matchers: Matcher[] = [];
    const name = peekWord();
    if (name) {
      matchers.push({ label: '__name__', op: '=', value: name });
      pos += name.length;
    }
    ws();
    if (text[pos] === '{') {
      pos += 1;
      ws();
      while (text[pos] !== '}') {
        ws();
        const label = peekWord();
        if (!label) throw new PromqlError(`parse error at char ${pos + 1}: expected label matcher`);
        pos += label.length;
        ws();
        const op = (['=~', '!~', '!=', '='] as const).find((o) => text.startsWith(o, pos));
        if (!op) throw new PromqlError(`parse error at char ${pos + 1}: expected matcher operator`);
        pos += op.length;
        matchers.push({ label, op, value: string() });
        ws();
        if (text[pos] === ',') pos += 1;
        ws();
      }
      pos += 1;
    }
    if (matchers.length === 0) throw new PromqlError(`parse error at char ${pos + 1}: expected selector`);
    const rangeMs = range();
    return rangeMs === undefined ? { matchers } : { matchers, rangeMs };
  };
  const expr = (): Expr => {
    ws();
    const word = peekWord();
    if (['sum', 'avg', 'max', 'min', 'count'].includes(word)) {
      pos += word.length;
      ws();
      let by: string[] = [];
      if (text.startsWith('by', pos)) {
        pos += 2;
        by = labels();
      }
      expect('(');
      const arg = expr();
      expect(')');
      ws();
      if (text.startsWith('by', pos)) {
        pos += 2;
        by = labels();
      }
      return { kind: 'agg', op: word as 'sum', by, arg };
    }
    if (word === 'rate') {
      pos += word.length;
      expect('(');
      const arg = selector();
      if (arg.rangeMs === undefined)
        throw new PromqlError('expected type range vector in call to function "rate"');
      expect(')');
      return { kind: 'rate', arg: { matchers: arg.matchers, rangeMs: arg.rangeMs } };
    }
    return { kind: 'selector', ...selector() };
  };
  const parsed = expr();
  ws();
  if (pos !== text.length) throw new PromqlError(`parse error at char ${pos + 1}: unexpected input`);
  return parsed;
}

const regexes = new Map<string, RegExp>();

function matches(series: RawSeries, matchers: readonly Matcher[]): boolean {
  return matchers.every(({ label, op, value }) => {
    const actual = series.labels[label] ?? '';
    if (op === '=') return actual === value;
    if (op === '!=') return actual !== value;
    // Prometheus anchors label regexes at both ends.
    let regex = regexes.get(value);
    if (!regex) {
      regex = new RegExp(`^(?:${value})$`);
      regexes.set(value, regex);
    }
    const full = regex.test(actual);
    return op === '=~' ? full : !full;
  });
}

// A query evaluates its selectors at every step: select once per selector and series list.
const selected = new WeakMap<readonly Matcher[], WeakMap<readonly RawSeries[], RawSeries[]>>();

export function select(all: readonly RawSeries[], matchers: readonly Matcher[]): RawSeries[] {
  const bySeries = selected.get(matchers) ?? new WeakMap<readonly RawSeries[], RawSeries[]>();
  selected.set(matchers, bySeries);
  let found = bySeries.get(all);
  if (!found) {
    found = all.filter((s) => matches(s, matchers));
    bySeries.set(all, found);
  }
  return found;
}

/** Index of the first sample at or after `t`. */
function lowerBound(times: readonly number[], t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Samples in (t - rangeMs, t]. */
export function window(series: RawSeries, t: number, rangeMs: number): { times: number[]; values: number[] } {
  const from = lowerBound(series.timesMs, t - rangeMs + 1);
  const to = lowerBound(series.timesMs, t + 1);
  return { times: series.timesMs.slice(from, to), values: series.values.slice(from, to) };
}

/** promql/functions.go extrapolatedRate for counters, in per-second units. */
function extrapolatedRate(times: number[], values: number[], t: number, rangeMs: number): number | undefined {
  if (values.length < 2) return undefined;
  let delta = values.at(-1)! - values[0]!;
  for (let i = 1; i < values.length; i++) if (values[i]! < values[i - 1]!) delta += values[i - 1]!;
  const rangeStart = t - rangeMs;
  let toStart = (times[0]! - rangeStart) / 1000;
  const toEnd = (t - times.at(-1)!) / 1000;
  const sampled = (times.at(-1)! - times[0]!) / 1000;
  const average = sampled / (values.length - 1);
  if (delta > 0 && values[0]! >= 0) {
    const toZero = sampled * (values[0]! / delta);
    if (toZero < toStart) toStart = toZero;
  }
  const threshold = average * 1.1;
  let extrapolateTo = sampled;
  extrapolateTo += toStart < threshold ? toStart : average / 2;
  extrapolateTo += toEnd < threshold ? toEnd : average / 2;
  return (delta * (extrapolateTo / sampled)) / (rangeMs / 1000);
}

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

function withoutName(labels: Record<string, string>): Record<string, string> {
  const { __name__: _name, ...rest } = labels;
  return rest;
}

/** The instant vector of `expr` at `t`. */
export function evaluate(expr: Expr, all: readonly RawSeries[], t: number): Sample[] {
  if (expr.kind === 'selector') {
    return select(all, expr.matchers).flatMap((s) => {
      const { values } = window(s, t, LOOKBACK_MS);
      return values.length > 0 ? [{ labels: s.labels, value: values.at(-1)! }] : [];
    });
  }
  if (expr.kind === 'rate') {
    return select(all, expr.arg.matchers).flatMap((s) => {
      const { times, values } = window(s, t, expr.arg.rangeMs);
      const value = extrapolatedRate(times, values, t, expr.arg.rangeMs);
      return value === undefined ? [] : [{ labels: withoutName(s.labels), value }];
    });
  }
  const groups = new Map<string, { labels: Record<string, string>; values: number[] }>();
  for (const sample of evaluate(expr.arg, all, t)) {
    const labels = Object.fromEntries(
      expr.by.filter((l) => sample.labels[l] !== undefined).map((l) => [l, sample.labels[l]!]),
    );
    const key = JSON.stringify(Object.entries(labels).sort());
    const group = groups.get(key) ?? { labels, values: [] };
    groups.set(key, group);
    group.values.push(sample.value);
  }
  const fold: Record<typeof expr.op, (v: number[]) => number> = {
    sum: (v) => v.reduce((a, b) => a + b, 0),
    avg: (v) => v.reduce((a, b) => a + b, 0) / v.length,
    max: (v) => Math.max(...v),
    min: (v) => Math.min(...v),
    count: (v) => v.length,
  };
  return [...groups.values()].map((g) => ({ labels: g.labels, value: fold[expr.op](g.values) }));
}

/** Every raw selector of `expr` (the series it can read), to skip steps where none has data. */
export function selectorsOf(expr: Expr): { matchers: Matcher[]; rangeMs: number }[] {
  if (expr.kind === 'selector') return [{ matchers: expr.matchers, rangeMs: LOOKBACK_MS }];
  if (expr.kind === 'rate') return [expr.arg];
  return selectorsOf(expr.arg);
}
