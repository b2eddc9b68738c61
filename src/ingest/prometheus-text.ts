import { SampleError } from '../errors.ts';
import { checkRange } from './columns.ts';
import { type LineReader, quoteLine, readTextLines } from './lines.ts';
import { RecordCap } from './record-cap.ts';
import { checkTime } from './time.ts';

export interface PromTextSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestampMs: number | null;
}

/** `# HELP` / `# TYPE` of one metric family (`counter`, `gauge`, `histogram`, `summary`, `untyped`). */
export interface PromTextFamily {
  help: string | null;
  type: string | null;
}

export interface PromText {
  families: Record<string, PromTextFamily>;
  samples: PromTextSample[];
}

/** A Prometheus sample value: a Go float, with `NaN`, `+Inf`, `-Inf` (any case) for the specials. */
export function promNumber(text: string): number {
  const lower = text.toLowerCase();
  if (lower === 'nan') return Number.NaN;
  if (lower === '+inf' || lower === 'inf') return Number.POSITIVE_INFINITY;
  if (lower === '-inf') return Number.NEGATIVE_INFINITY;
  return text.trim() === '' ? Number.NaN : Number(text);
}

const escapes: Record<string, string> = { '\\': '\\', '"': '"', n: '\n' };

/** Reads a double-quoted string from `start` (just after the opening quote); label escapes are `\\`, `\"`, `\n`. */
function quoted(line: string, start: number): { value: string; end: number } | null {
  let value = '';
  for (let index = start; index < line.length; index += 1) {
    const char = line[index];
    if (char === '"') return { value, end: index + 1 };
    if (char === '\\') {
      index += 1;
      value += escapes[line[index] ?? ''] ?? `\\${line[index] ?? ''}`;
    } else {
      value += char;
    }
  }
  return null;
}

const identifier = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;

function identifierAt(line: string, start: number): { value: string; end: number } | null {
  identifier.lastIndex = start;
  const match = identifier.exec(line);
  if (match) return { value: match[0], end: start + match[0].length };
  return line[start] === '"' ? quoted(line, start + 1) : null;
}

function skipSpaces(line: string, start: number): number {
  let index = start;
  while (line[index] === ' ' || line[index] === '\t') index += 1;
  return index;
}

interface ParsedLabels {
  labels: Record<string, string>;
  /** A quoted metric name inside the braces (`{"my.metric", job="x"}`), Prometheus 3's UTF-8 form. */
  name: string | null;
  end: number;
}

/** Parses `{name="value",...}` from `start` (just after the `{`); null when it is malformed. */
function labelsAt(line: string, start: number): ParsedLabels | null {
  const labels: Record<string, string> = {};
  let name: string | null = null;
  let index = skipSpaces(line, start);
  while (line[index] !== '}') {
    const key = identifierAt(line, index);
    if (!key) return null;
    index = skipSpaces(line, key.end);
    if (line[index] === '=') {
      index = skipSpaces(line, index + 1);
      const value = line[index] === '"' ? quoted(line, index + 1) : null;
      if (!value) return null;
      labels[key.value] = value.value;
      index = skipSpaces(line, value.end);
    } else {
      name = key.value;
    }
    if (line[index] === ',') index = skipSpaces(line, index + 1);
    else if (line[index] !== '}') return null;
  }
  return { labels, name, end: index + 1 };
}

function sampleOf(line: string): PromTextSample | null {
  const named = line.startsWith('{') ? null : identifierAt(line, 0);
  let index = named?.end ?? 0;
  let labels: Record<string, string> = {};
  let name = named?.value ?? null;
  if (line[index] === '{') {
    const parsed = labelsAt(line, index + 1);
    if (!parsed) return null;
    labels = parsed.labels;
    name ??= parsed.name;
    index = parsed.end;
  }
  const [valueText, timestampText, extra] = line.slice(index).trim().split(/\s+/);
  const value = promNumber(valueText ?? '');
  const timestampMs = timestampText === undefined ? null : Number(timestampText);
  const badTimestamp = timestampMs !== null && !Number.isInteger(timestampMs);
  if (!name || (Number.isNaN(value) && valueText?.toLowerCase() !== 'nan') || badTimestamp || extra) {
    return null;
  }
  return { name, labels, value, timestampMs };
}

function unescapeHelp(text: string): string {
  return text.replace(/\\(\\|n)/g, (_, char: string) => (char === 'n' ? '\n' : '\\'));
}

/** Notes a `# HELP` / `# TYPE` line; true when it named a family not seen before. */
function noteComment(line: string, families: Record<string, PromTextFamily>, room: boolean): boolean {
  const match = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
  if (!match) return false;
  const name = match[2] ?? '';
  const known = Object.hasOwn(families, name);
  if (!known && !room) return false;
  const family = known ? families[name]! : { help: null, type: null };
  families[name] = family;
  if (match[1] === 'HELP') family.help = unescapeHelp(match[3] ?? '');
  else family.type = (match[3] ?? '').trim() || null;
  return !known;
}

/** Samples kept: a node_exporter scrape has a few thousand, and each holds its labels. */
const MAX_SAMPLES = 100_000;

/** Families a file may declare: node_exporter exposes a few hundred; more is not a scrape. */
const MAX_FAMILIES = 100_000;

/**
 * Reads the Prometheus text exposition format (a /metrics scrape, a node_exporter textfile `.prom`)
 * into samples, keeping `# HELP` and `# TYPE` per family. Other comments are skipped. NaN is a
 * value (a summary with no observations); ±Inf and values beyond MAX_SAMPLE_MAGNITUDE skip their line.
 */
export function prometheusTextReader(file: string): LineReader<PromText> {
  const result: PromText = { families: {}, samples: [] };
  const cap = new RecordCap(file, MAX_SAMPLES);
  let families = 0;
  return {
    line(rawLine) {
      const line = rawLine.trim();
      if (line === '') return;
      if (line.startsWith('#')) {
        if (noteComment(line, result.families, families < MAX_FAMILIES)) families += 1;
        return;
      }
      const sample = sampleOf(line);
      if (!sample) {
        throw new SampleError(
          `expected "name{label=\\"value\\"} value [timestamp]", found ${quoteLine(line)}`,
          file,
        );
      }
      if (!Number.isNaN(sample.value)) checkRange(sample.value, sample.name);
      if (sample.timestampMs !== null) checkTime(sample.timestampMs, String(sample.timestampMs));
      result.samples.push(sample);
      return cap.count();
    },
    end() {
      if (result.samples.length === 0 && Object.keys(result.families).length === 0) {
        throw new SampleError('no metric lines', file);
      }
      return cap.check(result);
    },
  };
}

export function parsePrometheusText(text: string, file: string): PromText {
  return readTextLines(text, file, prometheusTextReader(file));
}
