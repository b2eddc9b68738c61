// The files of one capture come from one host and one clock, so their time spans overlap. A file
// that overlaps none of the others was written on another clock (an app logging local time, a
// file copied from another run): its events still count, but its times must not stretch the
// capture's window, and the diagnosis says so.
import type { HostSamples, SampleGapEntry, SampleInput } from './types.ts';

/** Spans closer than this still count as overlapping: tools start and stop a second or two apart. */
const slackMs = 60_000;

interface Span {
  kind: SampleInput['kind'];
  files: string[];
  fromMs: number;
  toMs: number;
}

/** One span per kind (twenty Prometheus query files are one witness, not twenty). */
function spansByKind(inputs: readonly SampleInput[]): Span[] {
  const byKind = new Map<string, Span>();
  for (const input of inputs) {
    const fromMs = Date.parse(input.from ?? '');
    const toMs = Date.parse(input.to ?? '');
    if (!Number.isFinite(fromMs) || !Number.isFinite(toMs)) continue;
    const span = byKind.get(input.kind);
    if (!span) byKind.set(input.kind, { kind: input.kind, files: [input.file], fromMs, toMs });
    else {
      span.files.push(input.file);
      span.fromMs = Math.min(span.fromMs, fromMs);
      span.toMs = Math.max(span.toMs, toMs);
    }
  }
  return [...byKind.values()];
}

function overlaps(a: Span, b: Span): boolean {
  return a.fromMs <= b.toMs + slackMs && b.fromMs <= a.toMs + slackMs;
}

/** Sysstat is the host's own clock; then the sampler's logs. Ties in the vote go to these. */
const trusted: readonly SampleInput['kind'][] = ['sysstat-json', 'sysstat-csv', 'thread-log', 'fd-log'];

function describeOffset(offsetMs: number): string {
  const seconds = Math.round(offsetMs / 1000);
  const hours = offsetMs / 3_600_000;
  const wholeHours = Math.round(hours);
  const zone =
    wholeHours !== 0 && Math.abs(offsetMs - wholeHours * 3_600_000) <= 120_000
      ? ` (${wholeHours > 0 ? '+' : ''}${wholeHours} h: a time zone?)`
      : '';
  return `${seconds > 0 ? '+' : ''}${seconds.toLocaleString('en-US')} s${zone}`;
}

/**
 * Finds the files whose times overlap none of the majority's: each kind votes for the kinds it
 * overlaps, the best-supported kind (sysstat first on a tie) sets the reference, and every kind
 * that misses it becomes a `bad-sample` gap and is listed in `skewedFiles`.
 */
export function checkClocks(samples: HostSamples): void {
  const spans = spansByKind(samples.inputs);
  if (spans.length < 2) return;
  const support = (span: Span) => spans.filter((other) => other !== span && overlaps(span, other)).length;
  const rank = (span: Span) => {
    const index = trusted.indexOf(span.kind);
    return index === -1 ? trusted.length : index;
  };
  const reference = [...spans].sort((a, b) => support(b) - support(a) || rank(a) - rank(b))[0]!;
  const skewed = spans.filter((span) => !overlaps(span, reference));
  if (skewed.length === 0) return;
  const gaps: SampleGapEntry[] = skewed.flatMap((span) =>
    span.files.map((file) => ({
      file,
      kind: 'bad-sample' as const,
      message: `its clock disagrees with ${reference.files[0]}: it starts ${describeOffset(span.fromMs - reference.fromMs)} from it and the two never overlap; its times are left out of the window`,
    })),
  );
  samples.gaps.push(...gaps);
  samples.gaps.sort((a, b) => a.file.localeCompare(b.file));
  samples.skewedFiles = skewed.flatMap((span) => span.files);
}
