// Where reports go: files in --out DIR, or stdout with `--out -` (one format), logs always on stderr.
//
// The files of one run appear together or not at all (DESIGN.md "Reports"), even when the process is
// killed at any instruction. Every file is first written and fsynced in a staging folder; then:
// - Swap (DIR is new, empty, or holds only what an earlier run wrote, per its manifest): the staging
//   folder is a sibling `.DIR.fleetlens-new-PID`; DIR moves aside to `.DIR.fleetlens-old-PID`, the new
//   folder takes its name, the old one is deleted. A reader sees the old set or the new one. Killed
//   between those two renames, DIR is absent for an instant and both complete sets sit beside it: the
//   next run (recoverReportDir) puts the new one in place (its manifest is written last, so a manifest
//   means a complete set), else the old one back.
// - In place (DIR holds files fleetlens did not write, is the working folder, a mount point or a
//   link): nothing of the user's may move, so each file is renamed over its old version after a
//   journal listing every rename is durable. The remaining guarantee: no file is ever empty or
//   truncated, and a run killed among the renames leaves a mix that the next run completes from the
//   journal before it writes anything.
// Either way a manifest (`.fleetlens-report.json`) lists the files fleetlens wrote, so a later run
// removes a finding file that no longer applies and never anything else.
import { lstat, mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, posix, resolve, sep } from 'node:path';
import pLimit from 'p-limit';
import { z } from 'zod';
import {
  type RenderedFile,
  type ReportFormat,
  renderAuditFiles,
  reportWriters,
} from '../../reports/index.ts';
import type { AnalysisResult, DiagnoseResult } from '../../reports/json/schema.ts';
import { ConfigError } from '../errors.ts';

export const MANIFEST_FILE = '.fleetlens-report.json';
const JOURNAL_FILE = '.fleetlens-journal.json';
const IN_PLACE_STAGING = /^\.fleetlens-staging-(\d+)$/;
const TEMP_FILE = /^\.fleetlens-(?:journal|report)\.json\.tmp-(\d+)$/;
/** A folder with more entries than this is not treated as a report folder of ours. */
const MAX_OWNED_ENTRIES = 200_000;
// Errors that mean "this folder cannot be swapped here" (read-only parent, mount point, another device).
const SWAP_UNSUPPORTED = new Set(['EACCES', 'EPERM', 'EROFS', 'EXDEV', 'EBUSY']);
// Platforms and file systems that cannot fsync a folder; the data files were fsynced already.
const DIR_SYNC_UNSUPPORTED = new Set(['EISDIR', 'EINVAL', 'EPERM', 'EBADF', 'EACCES', 'ENOTSUP']);

const Manifest = z.object({
  tool: z.literal('fleetlens'),
  runId: z.string(),
  files: z.array(z.string()),
});
type Manifest = z.infer<typeof Manifest>;

const Journal = z.object({
  pid: z.number().int().positive(),
  staging: z.string().regex(IN_PLACE_STAGING),
  /** Paths under DIR, renamed from the staging folder in this order; the manifest is the last. */
  renames: z.array(z.string()),
  /** Files the previous run wrote that this one does not: removed once every rename is done. */
  stale: z.array(z.string()),
});
type Journal = z.infer<typeof Journal>;

export interface WriteReportsOptions {
  /** Called at each named step of a write; the crash tests stop the process there. */
  onStep?: (step: string) => void | Promise<void>;
  /** Files written (and fsynced) at once. */
  concurrency?: number;
  /**
   * Progress of each main file (report.md, report.json, report.html): running while it renders,
   * done once the whole set is in place, failed when the set could not be written.
   */
  onWriter?: (file: string, state: 'running' | 'done' | 'failed') => void;
}

export function parseFormats(text: string, allowed: readonly ReportFormat[]): ReportFormat[] {
  const formats = text
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  for (const format of formats) {
    if (!(allowed as readonly string[]).includes(format)) {
      throw new ConfigError(
        `unknown format "${format}" (this version writes: ${allowed.join(', ')})`,
        undefined,
        undefined,
        '--format',
      );
    }
  }
  if (formats.length === 0) throw new ConfigError('no format given', undefined, undefined, '--format');
  return [...new Set(formats)] as ReportFormat[];
}

/**
 * Writes every file of every format as one set (or prints the one format's main file for `--out -`).
 * Everything is rendered before the disk is touched: a writer that throws leaves the previous report.
 * Returns the main files written and the findings folder, absolute.
 */
export async function writeAuditReports(
  result: AnalysisResult,
  formats: readonly ReportFormat[],
  out: string,
  options: WriteReportsOptions = {},
): Promise<string[]> {
  const mainFile = (format: ReportFormat) => reportWriters[format].fileName;
  const report = (state: 'running' | 'done' | 'failed') => {
    for (const format of formats) options.onWriter?.(mainFile(format), state);
  };
  if (out === '-') {
    if (formats.length !== 1)
      throw new ConfigError('--out - (stdout) takes exactly one --format', undefined, undefined, '--out');
    const writer = reportWriters[formats[0]!];
    options.onWriter?.(writer.fileName, 'running');
    process.stdout.write(await writer.renderAudit(result));
    options.onWriter?.(writer.fileName, 'done');
    return [];
  }
  const dir = resolve(out);
  try {
    const files = await renderAuditFiles(result, formats, (format, state) => {
      if (state === 'running') options.onWriter?.(mainFile(format), 'running');
    });
    await writeReportSet(dir, files, result.run.id, options);
    // NOTE: every file is done at once: the set appears whole or not at all.
    report('done');
    const tops = [...new Set(files.map((file) => file.path.split('/')[0] ?? file.path))];
    return tops.map((top) => join(dir, top));
  } catch (error) {
    report('failed');
    throw error;
  }
}

export async function renderDiagnose(result: DiagnoseResult, format: ReportFormat): Promise<string> {
  return reportWriters[format].renderDiagnose(result);
}

/** A path a report may use: forward slashes, plain names, none hidden, none climbing out. */
function isReportPath(path: string): boolean {
  return path.split('/').every((part) => /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(part));
}

/** Writes `files` (paths relative to `dir`) so that they replace the previous set at once. */
export async function writeReportSet(
  dir: string,
  files: readonly RenderedFile[],
  runId: string,
  options: WriteReportsOptions = {},
): Promise<void> {
  for (const file of files) {
    if (!isReportPath(file.path))
      throw new Error(`report file path ${JSON.stringify(file.path)} is not a plain relative path`);
  }
  const manifest: Manifest = { tool: 'fleetlens', runId, files: files.map((file) => file.path).sort() };
  const step = async (name: string) => {
    await options.onStep?.(name);
  };
  await mkdir(dirname(dir), { recursive: true });
  await recoverReportDir(dir);
  if ((await swapAllowed(dir)) && (await swapIn(dir, files, manifest, options, step))) return;
  await replaceInPlace(dir, files, manifest, options, step);
}

function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

async function lstatOrNull(path: string) {
  try {
    return await lstat(path);
  } catch (error) {
    if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return null;
    throw error;
  }
}

async function fsyncDir(path: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, 'r');
    await handle.sync();
  } catch (error) {
    if (!DIR_SYNC_UNSUPPORTED.has(errorCode(error) ?? '')) throw error;
  } finally {
    await handle?.close();
  }
}

/** A new file with `content`, fsynced before it is closed; `onHalf` runs when half of it is written. */
async function writeDurable(path: string, content: string, onHalf?: () => Promise<void>): Promise<void> {
  const bytes = Buffer.from(content, 'utf8');
  const handle = await open(path, 'wx', 0o644);
  try {
    const half = bytes.length >> 1;
    await handle.writeFile(bytes.subarray(0, half));
    await onHalf?.();
    await handle.writeFile(bytes.subarray(half));
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A small file replaced in one rename (journal, manifest). */
async function writeAtomically(path: string, content: string): Promise<void> {
  const temp = `${path}.tmp-${process.pid}`;
  await rm(temp, { force: true });
  await writeDurable(temp, content);
  await rename(temp, path);
  await fsyncDir(dirname(path));
}

function localPath(root: string, relative: string): string {
  return join(root, ...relative.split('/'));
}

/** Every file of the set and then the manifest, all fsynced, and the folders that hold them. */
async function stageFiles(
  root: string,
  files: readonly RenderedFile[],
  manifest: Manifest,
  options: WriteReportsOptions,
  step: (name: string) => Promise<void>,
): Promise<void> {
  const folders = [
    ...new Set(files.map((file) => posix.dirname(file.path)).filter((folder) => folder !== '.')),
  ];
  for (const folder of folders) await mkdir(localPath(root, folder), { recursive: true });
  const limit = pLimit(options.concurrency ?? 8);
  await Promise.all(
    files.map((file) =>
      limit(() =>
        writeDurable(localPath(root, file.path), file.content, () => step(`stage:${file.path}:half`)),
      ),
    ),
  );
  for (const folder of folders) await fsyncDir(localPath(root, folder));
  // NOTE: the manifest goes last: a staging folder with a manifest holds a complete set.
  await writeDurable(join(root, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  await fsyncDir(root);
  await step('staged');
}

async function readManifest(dir: string): Promise<Manifest | null> {
  try {
    const parsed = Manifest.safeParse(JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')));
    return parsed.success && parsed.data.files.every(isReportPath) ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Files and folders under `dir`, relative with forward slashes; null past MAX_OWNED_ENTRIES or at a link. */
async function listTree(dir: string): Promise<{ files: string[]; folders: string[] } | null> {
  const files: string[] = [];
  const folders: string[] = [];
  const pending = [''];
  while (pending.length > 0) {
    const relative = pending.pop() ?? '';
    for (const entry of await readdir(localPath(dir, relative), { withFileTypes: true })) {
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        folders.push(path);
        pending.push(path);
      } else if (entry.isFile()) files.push(path);
      else return null;
      if (files.length + folders.length > MAX_OWNED_ENTRIES) return null;
    }
  }
  return { files, folders };
}

/**
 * Whether DIR may be swapped as a whole: it does not exist, is empty, or holds only the files its
 * manifest lists (and their folders). Never the working folder or one above it, never a link.
 */
async function swapAllowed(dir: string): Promise<boolean> {
  const info = await lstatOrNull(dir);
  if (info === null) return true;
  if (info.isSymbolicLink()) return false;
  if (!info.isDirectory()) throw new ConfigError('is a file, not a folder', dir, undefined, '--out');
  const cwd = process.cwd();
  if (dirname(dir) === dir || cwd === dir || cwd.startsWith(`${dir}${sep}`)) return false;
  const tree = await listTree(dir);
  if (tree === null) return false;
  if (tree.files.length === 0 && tree.folders.length === 0) return true;
  const manifest = await readManifest(dir);
  if (manifest === null) return false;
  const owned = new Set([...manifest.files, MANIFEST_FILE]);
  const ownedFolders = new Set(
    manifest.files.flatMap((file) => {
      const parts = file.split('/').slice(0, -1);
      return parts.map((_, index) => parts.slice(0, index + 1).join('/'));
    }),
  );
  return (
    tree.files.every((file) => owned.has(file)) && tree.folders.every((folder) => ownedFolders.has(folder))
  );
}

function siblingName(dir: string, kind: 'new' | 'old', pid: number): string {
  return join(dirname(dir), `.${basename(dir)}.fleetlens-${kind}-${pid}`);
}

/** Stages beside DIR and swaps it in; false when this folder cannot be swapped (nothing changed then). */
async function swapIn(
  dir: string,
  files: readonly RenderedFile[],
  manifest: Manifest,
  options: WriteReportsOptions,
  step: (name: string) => Promise<void>,
): Promise<boolean> {
  const parent = dirname(dir);
  const staging = siblingName(dir, 'new', process.pid);
  await rm(staging, { recursive: true, force: true });
  try {
    await mkdir(staging);
  } catch (error) {
    if (SWAP_UNSUPPORTED.has(errorCode(error) ?? '')) return false;
    throw error;
  }
  await stageFiles(staging, files, manifest, options, step);
  if ((await lstatOrNull(dir)) === null) {
    await rename(staging, dir);
    await fsyncDir(parent);
    await step('swapped');
    return true;
  }
  const old = siblingName(dir, 'old', process.pid);
  await rm(old, { recursive: true, force: true });
  try {
    await rename(dir, old);
  } catch (error) {
    if (!SWAP_UNSUPPORTED.has(errorCode(error) ?? '')) throw error;
    await rm(staging, { recursive: true, force: true });
    return false;
  }
  await fsyncDir(parent);
  await step('aside');
  await rename(staging, dir);
  await fsyncDir(parent);
  await step('swapped');
  await rm(old, { recursive: true, force: true });
  return true;
}

/** Paths in the order they are renamed into place: nested files first, the main files last. */
function renameOrder(paths: readonly string[]): string[] {
  const depth = (path: string) => path.split('/').length;
  return [...paths].sort((a, b) => depth(b) - depth(a) || a.localeCompare(b, 'en'));
}

async function replaceInPlace(
  dir: string,
  files: readonly RenderedFile[],
  manifest: Manifest,
  options: WriteReportsOptions,
  step: (name: string) => Promise<void>,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const stagingName = `.fleetlens-staging-${process.pid}`;
  const staging = join(dir, stagingName);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging);
  await stageFiles(staging, files, manifest, options, step);
  const previous = await readManifest(dir);
  const current = new Set(manifest.files);
  const journal: Journal = {
    pid: process.pid,
    staging: stagingName,
    renames: [...renameOrder(manifest.files), MANIFEST_FILE],
    stale: (previous?.files ?? []).filter((file) => !current.has(file)),
  };
  await writeAtomically(join(dir, JOURNAL_FILE), `${JSON.stringify(journal)}\n`);
  await step('journal');
  await applyJournal(dir, journal, step);
}

/** Renames what is still staged, removes the stale files, then the journal: safe to run again. */
async function applyJournal(
  dir: string,
  journal: Journal,
  step: (name: string) => Promise<void> = async () => {},
): Promise<void> {
  const staging = join(dir, journal.staging);
  const folders = new Set<string>([dir]);
  for (const relative of journal.renames) {
    if (relative !== MANIFEST_FILE && !isReportPath(relative)) continue;
    const from = localPath(staging, relative);
    if ((await lstatOrNull(from)) === null) continue;
    const to = localPath(dir, relative);
    await mkdir(dirname(to), { recursive: true });
    folders.add(dirname(to));
    await rename(from, to);
    await step(`renamed:${relative}`);
  }
  for (const folder of folders) await fsyncDir(folder);
  for (const relative of journal.stale) {
    if (isReportPath(relative)) await rm(localPath(dir, relative), { force: true });
  }
  await rm(staging, { recursive: true, force: true });
  await rm(join(dir, JOURNAL_FILE), { force: true });
  await fsyncDir(dir);
}

async function readJournal(dir: string): Promise<Journal | null> {
  try {
    const parsed = Journal.safeParse(JSON.parse(await readFile(join(dir, JOURNAL_FILE), 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // NOTE: EPERM: the process exists but belongs to another user.
    return errorCode(error) === 'EPERM';
  }
}

async function isCompleteSet(folder: string): Promise<boolean> {
  const manifest = await readManifest(folder);
  if (manifest === null) return false;
  for (const file of manifest.files) if ((await lstatOrNull(localPath(folder, file))) === null) return false;
  return true;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Puts DIR back in a whole state after a run was killed while writing it (every write starts with
 * this): a swap stopped between its renames is finished (or undone when the new set is incomplete),
 * an in-place write is completed from its journal, and the staging leftovers of dead runs go away.
 * Leftovers of a live fleetlens process are left alone.
 */
export async function recoverReportDir(dir: string): Promise<void> {
  const parent = dirname(dir);
  const sibling = new RegExp(`^\\.${escapeRegExp(basename(dir))}\\.fleetlens-(new|old)-(\\d+)$`);
  const leftovers = (await readdir(parent).catch(() => [] as string[])).flatMap((entry) => {
    const match = sibling.exec(entry);
    return match && !isAlive(Number(match[2])) ? [{ path: join(parent, entry), kind: match[1] }] : [];
  });
  if ((await lstatOrNull(dir)) === null && leftovers.length > 0) {
    let back: string | undefined;
    for (const leftover of leftovers)
      if (leftover.kind === 'new' && (await isCompleteSet(leftover.path))) back = leftover.path;
    back ??= leftovers.find((leftover) => leftover.kind === 'old')?.path;
    if (back) {
      await rename(back, dir);
      await fsyncDir(parent);
    }
  }
  for (const leftover of leftovers) await rm(leftover.path, { recursive: true, force: true });

  const info = await lstatOrNull(dir);
  if (info === null || !(info.isDirectory() || info.isSymbolicLink())) return;
  const journal = await readJournal(dir);
  if (journal && !isAlive(journal.pid)) await applyJournal(dir, journal);
  for (const entry of await readdir(dir).catch(() => [] as string[])) {
    const match = IN_PLACE_STAGING.exec(entry) ?? TEMP_FILE.exec(entry);
    // NOTE: a staging folder without a journal is a run killed before its first rename: the previous set is whole.
    if (match && !isAlive(Number(match[1]))) await rm(join(dir, entry), { recursive: true, force: true });
  }
}
