// Reports are written atomically (issue 9 point 4): a run killed at any step of the write leaves the
// previous complete report or the new complete one, never a mix and never a truncated file. The
// writer runs in a child process that stops at a named step and is SIGKILLed there: no timing.
import { spawn } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderAuditFiles } from '../../reports/index.ts';
import { ConfigError } from '../../src/errors.ts';
import { packagePath } from '../../src/paths.ts';
import { MANIFEST_FILE, recoverReportDir, writeAuditReports } from '../../src/run/output.ts';
import { runA, runB } from './output-fixtures.ts';

// NOTE: a child starts tsx and renders a report; on a busy machine that takes seconds, never a verdict.
const CHILD_MS = 900_000;

type Snapshot = Record<string, string>;

async function expected(run: 'a' | 'b'): Promise<Snapshot> {
  const files = await renderAuditFiles(run === 'a' ? runA() : runB(), ['md', 'json']);
  return Object.fromEntries(files.map((file) => [file.path, file.content]));
}

const A = await expected('a');
const B = await expected('b');

/** Every file under `dir` (relative paths), hidden fleetlens files apart; null when `dir` is absent. */
async function snapshot(
  dir: string,
  keep: (path: string) => boolean = (path) => !path.startsWith('.'),
): Promise<Snapshot | null> {
  try {
    await lstat(dir);
  } catch {
    return null;
  }
  const files: Snapshot = {};
  const walk = async (relative: string) => {
    for (const entry of await readdir(join(dir, relative), { withFileTypes: true })) {
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(path);
      else if (keep(path)) files[path] = await readFile(join(dir, path), 'utf8');
    }
  };
  await walk('');
  return files;
}

function which(state: Snapshot | null): 'a' | 'b' | 'absent' | 'mix' {
  if (state === null) return 'absent';
  const same = (set: Snapshot) =>
    Object.keys(state).length === Object.keys(set).length &&
    Object.entries(set).every(([path, content]) => state[path] === content);
  return same(A) ? 'a' : same(B) ? 'b' : 'mix';
}

/** Runs the writer in a child; with `stopAt`, SIGKILLs it once it reports that step. */
function child(
  out: string,
  run: 'a' | 'b',
  stopAt = '',
): Promise<{ stopped: boolean; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    // NOTE: node itself with tsx's loader, not the tsx CLI: the CLI runs the script in a grandchild
    // that a SIGKILL of the CLI would leave running.
    const proc = spawn(
      process.execPath,
      ['--import', 'tsx', packagePath('test', 'run', 'output-child.ts'), out, run, stopAt],
      {
        cwd: packagePath(),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    running.add(proc);
    proc.on('exit', () => running.delete(proc));
    let stdout = '';
    let stderr = '';
    let stopped = false;
    proc.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!stopped && stopAt && stdout.includes(`stopped at ${stopAt}\n`)) {
        stopped = true;
        proc.kill('SIGKILL');
      }
    });
    proc.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    proc.on('error', reject);
    // NOTE: 'close' comes after the child is reaped, so its pid no longer counts as alive.
    proc.on('close', (code) => resolve({ stopped, code, stderr }));
  });
}

const running = new Set<ReturnType<typeof spawn>>();
let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fleetlens-output-'));
});
afterAll(async () => {
  // A child that never reached its step (a failed test) is stopped here, by its own handle.
  for (const proc of running) proc.kill('SIGKILL');
  await rm(root, { recursive: true, force: true });
});

let case_ = 0;
async function freshDir(prefill?: 'a' | 'foreign'): Promise<string> {
  case_ += 1;
  const parent = join(root, `case-${case_}`);
  await mkdir(parent);
  const out = join(parent, 'out');
  if (prefill === 'a' || prefill === 'foreign') {
    if (prefill === 'foreign') {
      await mkdir(out);
      await writeFile(join(out, 'notes.txt'), 'the on-call notes: not fleetlens\n');
    }
    await writeAuditReports(runA(), ['md', 'json'], out);
  }
  return out;
}

async function leftovers(out: string): Promise<string[]> {
  const parent = join(out, '..');
  const beside = (await readdir(parent)).filter((entry) => entry !== 'out');
  const inside = (await readdir(out).catch(() => [] as string[])).filter(
    (entry) => entry.startsWith('.') && entry !== MANIFEST_FILE,
  );
  return [...beside, ...inside];
}

const paths = Object.keys(B);
const firstFinding = paths.find((path) => path.startsWith('findings/')) ?? '';

describe('a run killed while it replaces a folder of its own (swap)', () => {
  it.each([
    [`stage:${firstFinding}:half`, 'a'],
    ['stage:report.json:half', 'a'],
    ['staged', 'a'],
    ['aside', 'b'],
    ['swapped', 'b'],
  ] as const)(
    'killed at %s: the folder holds a whole run, and after recovery run %s',
    async (step, after) => {
      const out = await freshDir('a');
      const killed = await child(out, 'b', step);
      expect(killed.stopped, killed.stderr).toBe(true);
      const before = which(await snapshot(out));
      // Between the two renames of the swap the folder is briefly absent: nothing half-written shows.
      expect(step === 'aside' ? ['absent'] : ['a', 'b']).toContain(before);
      await recoverReportDir(out);
      expect(which(await snapshot(out))).toBe(after);
      expect(await leftovers(out)).toEqual([]);
      const manifest = JSON.parse(await readFile(join(out, MANIFEST_FILE), 'utf8'));
      expect(manifest.files).toEqual(Object.keys(after === 'a' ? A : B).sort());
    },
    CHILD_MS,
  );

  it(
    'a run that was killed is finished by the next one, which writes its own set whole',
    async () => {
      const out = await freshDir('a');
      expect((await child(out, 'b', 'aside')).stopped).toBe(true);
      const done = await child(out, 'a');
      expect(done.code, done.stderr).toBe(0);
      expect(which(await snapshot(out))).toBe('a');
      expect(await leftovers(out)).toEqual([]);
    },
    CHILD_MS,
  );

  it(
    'a first run killed mid-write leaves no folder at all',
    async () => {
      const out = await freshDir();
      expect((await child(out, 'b', `stage:${firstFinding}:half`)).stopped).toBe(true);
      expect(await snapshot(out)).toBeNull();
      await recoverReportDir(out);
      expect(await snapshot(out)).toBeNull();
      expect(await leftovers(out)).toEqual([]);
    },
    CHILD_MS,
  );
});

describe('a run killed while it replaces files beside the user’s own (in place)', () => {
  const ours = (path: string) => !path.startsWith('.') && path !== 'notes.txt';
  const lastRename = [...paths].sort(
    (x, y) => y.split('/').length - x.split('/').length || x.localeCompare(y, 'en'),
  )[paths.length - 1];

  it.each([
    [`stage:${firstFinding}:half`, 'a'],
    ['staged', 'a'],
    ['journal', 'b'],
    [`renamed:${firstFinding}`, 'b'],
    [`renamed:${lastRename}`, 'b'],
  ] as const)(
    'killed at %s: no file is truncated, the user’s file stays, and after recovery run %s is whole',
    async (step, after) => {
      const out = await freshDir('foreign');
      const killed = await child(out, 'b', step);
      expect(killed.stopped, killed.stderr).toBe(true);
      const state = (await snapshot(out, ours)) ?? {};
      for (const [path, content] of Object.entries(state))
        expect([A[path], B[path]], path).toContain(content);
      await recoverReportDir(out);
      expect(which(await snapshot(out, ours))).toBe(after);
      expect(await readFile(join(out, 'notes.txt'), 'utf8')).toBe('the on-call notes: not fleetlens\n');
      expect(await leftovers(out)).toEqual([]);
    },
    CHILD_MS,
  );
});

describe('writeAuditReports', () => {
  it('replaces the previous set whole: a finding that went away loses its file, nothing else is touched', async () => {
    const out = await freshDir('foreign');
    await writeAuditReports(runB(), ['md', 'json'], out);
    expect(which(await snapshot(out, (path) => !path.startsWith('.') && path !== 'notes.txt'))).toBe('b');
    expect(await readFile(join(out, 'notes.txt'), 'utf8')).toContain('not fleetlens');
    const swapped = await freshDir('a');
    const written = await writeAuditReports(runB(), ['md', 'json'], swapped);
    expect(written).toEqual([
      join(swapped, 'report.md'),
      join(swapped, 'findings'),
      join(swapped, 'report.json'),
    ]);
    expect(which(await snapshot(swapped))).toBe('b');
    expect(Object.keys(A).filter((path) => !(path in B))).toEqual(['findings/f-nofile-web2.md']);
  });

  it('writes through a folder that is a link, and keeps the link', async () => {
    const out = await freshDir();
    const target = join(out, '..', 'real');
    await mkdir(target);
    await symlink(target, out);
    await writeAuditReports(runA(), ['md', 'json'], out);
    expect((await lstat(out)).isSymbolicLink()).toBe(true);
    expect(which(await snapshot(target))).toBe('a');
  });

  it('prints report.md alone for --out -, and refuses two formats there', async () => {
    const chunks: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => {
      chunks.push(chunk);
      return true;
    }) as typeof process.stdout.write;
    try {
      expect(await writeAuditReports(runA(), ['md'], '-')).toEqual([]);
    } finally {
      process.stdout.write = write;
    }
    expect(chunks.join('')).toBe(A['report.md']);
    await expect(writeAuditReports(runA(), ['md', 'json'], '-')).rejects.toThrow(ConfigError);
  });

  it('tells progress when each main file renders and when the whole set is in place, or failed', async () => {
    const events: string[] = [];
    const onWriter = (file: string, state: string) => events.push(`${file}:${state}`);
    await writeAuditReports(runA(), ['md', 'json'], await freshDir(), { onWriter });
    // Done only once every file of the set is in place: they appear together.
    expect(events).toEqual([
      'report.md:running',
      'report.json:running',
      'report.md:done',
      'report.json:done',
    ]);
    events.length = 0;
    const file = await freshDir();
    await writeFile(file, 'not a folder');
    await expect(writeAuditReports(runA(), ['md'], file, { onWriter })).rejects.toThrow(ConfigError);
    expect(events).toEqual(['report.md:running', 'report.md:failed']);
  });

  it('refuses an --out that is a file, before writing anything', async () => {
    const out = await freshDir();
    await writeFile(out, 'not a folder');
    await expect(writeAuditReports(runA(), ['md'], out)).rejects.toThrow('is a file, not a folder');
    expect(await readFile(out, 'utf8')).toBe('not a folder');
  });
});
