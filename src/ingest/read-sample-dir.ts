import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { checkClocks } from './clocks.ts';
import { readSampleHead } from './gz.ts';
import { type PromQueryInfo, parsePrometheusIndex, parsePrometheusRange } from './prometheus-range.ts';
import {
  type Attempt,
  errorCode,
  type Group,
  gapOf,
  type KnownFile,
  knownFiles,
  knownText,
  type Loaded,
  type SampleBundle,
  sniff,
} from './sample-files.ts';
import { timeSpan } from './time.ts';
import type { HostSamples, PromSeries, SampleGapEntry, SampleInput, SampleKind } from './types.ts';

export type { SampleBundle } from './sample-files.ts';

interface TaskResult {
  inputs: SampleInput[];
  gaps: SampleGapEntry[];
  ignored: string[];
  assigns: ((bundle: SampleBundle) => void)[];
}

interface Candidate {
  file: string;
  path: string;
  spec: KnownFile;
  /** Found by content, not by name: a named file of the same kind comes first. */
  bySniff: boolean;
}

function inputOf(file: string, kind: SampleKind, loaded: Loaded): SampleInput {
  return { file, kind, records: loaded.records, ...timeSpan(loaded.timesMs) };
}

async function readCandidate(candidate: Candidate): Promise<Attempt> {
  const { path, file, spec } = candidate;
  try {
    const { size } = await stat(path);
    // an empty app.stdout.log is normal (the app printed nothing); any other empty file is a gap
    if (size === 0 && spec.kind !== 'app-log') {
      return { loaded: null, gap: { file, kind: 'bad-sample', message: 'file is empty' } };
    }
  } catch (error) {
    return { loaded: null, gap: gapOf(error, file) };
  }
  return spec.read(path, file);
}

function resultOf(candidate: Candidate, attempt: Attempt): TaskResult {
  const result: TaskResult = { inputs: [], gaps: [], ignored: [], assigns: [] };
  const { loaded, gap } = attempt;
  if (gap) result.gaps.push(gap);
  if (!loaded) return result;
  result.inputs.push(inputOf(candidate.file, candidate.spec.kind, loaded));
  for (const note of loaded.notes ?? []) {
    result.gaps.push({ file: candidate.file, kind: 'bad-sample', message: note });
  }
  result.assigns.push(loaded.assign);
  return result;
}

function merge(results: TaskResult[]): TaskResult {
  return {
    inputs: results.flatMap((result) => result.inputs),
    gaps: results.flatMap((result) => result.gaps),
    ignored: results.flatMap((result) => result.ignored),
    assigns: results.flatMap((result) => result.assigns),
  };
}

/**
 * Groups whose stand-ins are read even when the best one reads whole: they are small, and the
 * second witness belongs in `inputs` (thread counts from /proc/PID/task and from `Threads:` of
 * /proc/PID/status, both written by `fleetlens sample`).
 */
const readEveryMember: ReadonlySet<Group> = new Set(['threads']);

/**
 * Reads the candidates of one group best first; the first that reads whole is used. The rest are
 * listed in `ignored` unread, or, for readEveryMember groups, read as inputs beside it. When none
 * reads whole, the best part-read file is used (a sadf JSON cut short keeps its records before the
 * break, beside its gap).
 */
async function readGroup(candidates: Candidate[]): Promise<TaskResult> {
  // every attempt keeps its inputs and gaps; only the one that is used keeps its assign
  const results: TaskResult[] = [];
  const readAll = readEveryMember.has(candidates[0]?.spec.group?.name ?? 'sysstat');
  let used: TaskResult['assigns'] | null = null;
  let partialAssigns: TaskResult['assigns'] | null = null;
  for (const [index, candidate] of candidates.entries()) {
    const attempt = await readCandidate(candidate);
    const { assigns, ...result } = resultOf(candidate, attempt);
    results.push({ ...result, assigns: [] });
    if (attempt.loaded && !attempt.gap && used === null) {
      used = assigns;
      if (!readAll) {
        const rest = candidates.slice(index + 1).map((skipped) => skipped.file);
        return merge([...results, { inputs: [], gaps: [], ignored: rest, assigns }]);
      }
    }
    if (attempt.loaded) partialAssigns ??= assigns;
  }
  return merge([...results, { inputs: [], gaps: [], ignored: [], assigns: used ?? partialAssigns ?? [] }]);
}

const noAssign = (): void => {};

async function readPrometheusQueries(dir: string, folder: string): Promise<TaskResult> {
  let names: string[];
  try {
    const entries = await readdir(join(dir, folder), { withFileTypes: true });
    names = entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
  } catch (error) {
    return { inputs: [], gaps: [gapOf(error, `${folder}/`)], ignored: [], assigns: [] };
  }
  const stemOf = (name: string): string => name.replace(/\.json(\.gz)?$/, '');
  const jsonNames = names.filter((name) => stemOf(name) !== name);
  const series: Record<string, PromSeries[]> = {};
  let queries: Record<string, PromQueryInfo> = {};

  const rangeFile = knownText({
    pattern: /\.json$/,
    kind: 'prometheus-range',
    parseText: parsePrometheusRange,
    use: (stemSeries, file) => {
      series[stemOf(file.slice(folder.length + 1))] = stemSeries;
      const points = stemSeries.reduce((sum, one) => sum + one.values.length, 0);
      return { records: points, timesMs: stemSeries.flatMap((one) => one.timesMs), assign: noAssign };
    },
  });
  // index.json lists each saved file's PromQL; it is recorded as a prometheus-range input
  // whose records are the queries it lists.
  const indexFile = knownText({
    pattern: /^index\.json$/,
    kind: 'prometheus-range',
    parseText: parsePrometheusIndex,
    use: (index) => {
      queries = index;
      return { records: Object.keys(index).length, timesMs: [], assign: noAssign };
    },
  });

  const readOne = async (name: string): Promise<TaskResult> => {
    const spec = stemOf(name) === 'index' ? indexFile : rangeFile;
    const candidate: Candidate = {
      file: `${folder}/${name}`,
      path: join(dir, folder, name),
      spec,
      bySniff: false,
    };
    return resultOf(candidate, await readCandidate(candidate));
  };
  const results = await Promise.all(jsonNames.map(readOne));
  const assign = (bundle: SampleBundle): void => {
    const prometheus: NonNullable<HostSamples['prometheus']> = {};
    for (const [stem, stemSeries] of Object.entries(series)) {
      prometheus[stem] = { query: queries[stem]?.query ?? null, series: stemSeries };
    }
    if (Object.keys(prometheus).length > 0) bundle.prometheus = prometheus;
  };
  const ignored = names.filter((name) => !jsonNames.includes(name)).map((name) => `${folder}/${name}`);
  return merge([...results, { inputs: [], gaps: [], ignored, assigns: [assign] }]);
}

function baseName(name: string): string {
  return name.endsWith('.gz') ? name.slice(0, -3) : name;
}

async function candidateOf(dir: string, name: string): Promise<Candidate | null> {
  const path = join(dir, name);
  const byName = knownFiles.find((spec) => spec.pattern.test(baseName(name)));
  if (byName) return { file: name, path, spec: byName, bySniff: false };
  const kind = sniff(await readSampleHead(path, name).catch(() => ''));
  const bySniff = knownFiles.find((spec) => spec.sniffed && spec.kind === kind);
  return bySniff ? { file: name, path, spec: bySniff, bySniff: true } : null;
}

/** Orders a group's candidates: named before sniffed, then by rank. */
function groupOrder(a: Candidate, b: Candidate): number {
  return Number(a.bySniff) - Number(b.bySniff) || (a.spec.group?.rank ?? 0) - (b.spec.group?.rank ?? 0);
}

/**
 * Whether a file adds nothing: `name.gz` next to `name` (the plain one is read), or a file
 * sniffed as a single-file kind that a file with the known name already provides.
 */
function isRedundant(candidate: Candidate, all: readonly Candidate[]): boolean {
  const base = baseName(candidate.file);
  if (candidate.file !== base && all.some((other) => other.file === base)) return true;
  if (!candidate.bySniff || candidate.spec.group || candidate.spec.kind === 'prometheus-text') return false;
  return all.some((other) => !other.bySniff && other.spec === candidate.spec);
}

/** One task per file, or per group of stand-ins, so that the reads run concurrently. */
function plan(candidates: readonly Candidate[]): { tasks: (() => Promise<TaskResult>)[]; ignored: string[] } {
  const ignored: string[] = [];
  const groups = new Map<Group, Candidate[]>();
  const tasks: (() => Promise<TaskResult>)[] = [];
  for (const candidate of candidates) {
    const group = candidate.spec.group?.name;
    if (isRedundant(candidate, candidates)) ignored.push(candidate.file);
    else if (group) groups.set(group, [...(groups.get(group) ?? []), candidate]);
    else tasks.push(async () => resultOf(candidate, await readCandidate(candidate)));
  }
  for (const members of groups.values()) tasks.push(() => readGroup(members.sort(groupOrder)));
  return { tasks, ignored };
}

async function listFolder(dir: string): Promise<Dirent[] | SampleGapEntry> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (error) {
    const code = errorCode(error);
    const missing = code === 'ENOENT' ? `sample folder not found: ${dir}` : null;
    const notFolder = code === 'ENOTDIR' ? `not a folder: ${dir}` : null;
    const message = missing ?? notFolder;
    if (message) return { file: '.', kind: 'bad-sample', message };
    return gapOf(error, '.');
  }
}

/**
 * Reads an on-host sample folder (the shape of ../shared/host-samples/*): each file is recognised
 * by name (`name` or `name.gz`) and checked by content; files with unknown names are sniffed for
 * sadf/iostat JSON, sadf CSV and Prometheus text. Never throws for a bad file or folder: every
 * problem is a gap, and one bad file never loses the others.
 *
 * Choices: `sadf-A.json` is preferred to `sadf-A.csv`; the CSV is read only when the JSON is
 * missing or bad, and otherwise listed in `ignored` (which holds every file present but not read:
 * unknown names, superseded stand-ins, directories other than `prometheus-queries/`).
 * `threads.log` is preferred to `threads-proc-status.log` for the thread series, and both are read.
 */
export async function readSampleDir(dir: string): Promise<SampleBundle> {
  const bundle: SampleBundle = { dir, inputs: [], gaps: [], ignored: [] };
  const listing = await listFolder(dir);
  if (!Array.isArray(listing)) {
    bundle.gaps.push(listing);
    return bundle;
  }
  if (listing.length === 0) {
    bundle.gaps.push({ file: '.', kind: 'bad-sample', message: `sample folder is empty: ${dir}` });
    return bundle;
  }
  const folders = listing.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  const names = listing
    .filter((entry) => !entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const candidates = await Promise.all(names.map((name) => candidateOf(dir, name)));
  const known = candidates.filter((candidate) => candidate !== null);
  const { tasks, ignored } = plan(known);
  const queries = folders.includes('prometheus-queries')
    ? [() => readPrometheusQueries(dir, 'prometheus-queries')]
    : [];
  const results = merge(await Promise.all([...tasks, ...queries].map((task) => task())));

  for (const assign of results.assigns) assign(bundle);
  const unknown = names.filter((name) => !known.some((candidate) => candidate.file === name));
  const otherFolders = folders
    .filter((folder) => folder !== 'prometheus-queries')
    .map((folder) => `${folder}/`);
  bundle.inputs = results.inputs.sort((a, b) => a.file.localeCompare(b.file));
  bundle.gaps = results.gaps.sort((a, b) => a.file.localeCompare(b.file));
  bundle.ignored = [...unknown, ...ignored, ...results.ignored, ...otherFolders].sort();
  checkClocks(bundle);
  return bundle;
}
