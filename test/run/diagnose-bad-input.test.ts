// What users hand diagnose is rarely whole: empty folders, some files, files cut short or
// gzipped-and-cut, a file on another clock, an app restarted mid-capture. A diagnosis still comes
// out from what is there, the gaps are listed, the confidence drops, and nothing crashes.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DiagnoseResult } from '../../reports/json/schema.ts';
import { silentLogger } from '../../src/log.ts';
import { runDiagnose } from '../../src/run/diagnose.ts';
import { SHARED_SAMPLES } from '../helpers/labelled-captures.ts';
import { sampleDir } from '../helpers/onhost.ts';

const work = mkdtempSync(join(tmpdir(), 'fleetlens-bad-input-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A copy of a bundled capture, changed by `edit`. */
function variant(name: string, capture: string, edit: (dir: string) => void): string {
  const dir = join(work, name);
  cpSync(sampleDir(capture), dir, { recursive: true });
  edit(dir);
  return dir;
}

function rewrite(dir: string, file: string, change: (text: string) => string): void {
  writeFileSync(join(dir, file), change(readFileSync(join(dir, file), 'utf8')));
}

async function diagnose(dir: string) {
  const result = await runDiagnose([dir], silentLogger);
  expect(() => DiagnoseResult.parse(result)).not.toThrow();
  return result.diagnoses[0]!;
}

const baseline = await diagnose(sampleDir('threadpool-starvation'));

describe('diagnose on incomplete and damaged folders', () => {
  it('an empty folder: insufficient data with confidence 0, never healthy, and the reasons', async () => {
    const dir = join(work, 'empty');
    cpSync(sampleDir('healthy'), dir, { recursive: true, filter: (src) => src === sampleDir('healthy') });
    const d = await diagnose(dir);
    expect(d).toMatchObject({ primary: 'insufficient-data', confidence: 0, inputs: [], findings: [] });
    expect(d.gaps.map((g) => [g.kind, g.message])).toEqual([
      ['bad-sample', expect.stringMatching(/sample folder is empty/)],
      ['insufficient-data', expect.stringMatching(/^no verdict: no input carries a signal/)],
    ]);
    expect(d.confidenceReasons?.[0]).toMatch(/no input carries a signal of any class/);
    expect(d.scores.every((score) => score.class === 'insufficient-data' || score.score === 0)).toBe(true);
  });

  it('garbage under every known name: insufficient data naming each damaged file', async () => {
    const dir = join(work, 'all-garbage');
    const junk = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));
    cpSync(sampleDir('healthy'), dir, { recursive: true, filter: (src) => src === sampleDir('healthy') });
    for (const file of ['sadf-A.json.gz', 'threads.log', 'fds.log', 'app.log', 'proc-net-netstat-end.txt']) {
      writeFileSync(join(dir, file), junk);
    }
    writeFileSync(join(dir, 'notes.bin'), junk);
    const d = await diagnose(dir);
    expect(d).toMatchObject({ primary: 'insufficient-data', confidence: 0 });
    expect(d.confidenceReasons?.join('\n')).toMatch(/unreadable or damaged: .*sadf-A\.json\.gz/);
    expect(d.confidenceReasons?.join('\n')).toMatch(/not recognised: notes\.bin/);
  });

  it('a folder that is not there, or not a folder: insufficient data, not healthy', async () => {
    const file = join(work, 'a-file');
    writeFileSync(file, 'not a folder\n');
    for (const dir of [join(work, 'missing'), file]) {
      const d = await diagnose(dir);
      expect(d).toMatchObject({ primary: 'insufficient-data', confidence: 0 });
    }
  });

  it('only files that carry no signal of their own (limits, sysctl): insufficient data', async () => {
    const dir = variant('context-only', 'healthy', (d) => {
      for (const file of readdirSync(d)) {
        if (!/^(proc-limits-|sysctl-a|host-info|ss-s-)/.test(file))
          rmSync(join(d, file), { recursive: true });
      }
    });
    const d = await diagnose(dir);
    expect(d.inputs.length).toBeGreaterThan(0);
    expect(d).toMatchObject({ primary: 'insufficient-data', confidence: 0 });
    expect(d.confidenceReasons?.join('\n')).toMatch(
      /read but without a signal on their own: .*sysctl-a\.txt/,
    );
  });

  it('a readable fd count at the soft limit is fd exhaustion even when fds.log is unreadable', async () => {
    const dir = variant('fd-snapshot', 'healthy', (d) => {
      const limit = 1024;
      writeFileSync(join(d, 'fds.log'), Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00]));
      rewrite(d, 'proc-limits-end.txt', (text) =>
        text.replace(
          /^Max open files.*$/m,
          `${'Max open files'.padEnd(26)}${String(limit).padEnd(21)}${String(limit).padEnd(21)}files`,
        ),
      );
      writeFileSync(
        join(d, 'app-fd-count-end.txt'),
        `2026-11-24T08:43:10.000Z ls /proc/4242/fd | wc -l = ${limit}\n`,
      );
    });
    const d = await diagnose(dir);
    expect(d.gaps.map((g) => g.file)).toContain('fds.log');
    expect(d.primary).toBe('fd-exhaustion');
  });

  it('every diagnosis says why its confidence is below 1', async () => {
    const dir = variant('no-app-log', 'threadpool-starvation', (d) => rmSync(join(d, 'app.log')));
    const d = await diagnose(dir);
    expect(d.confidence).toBeLessThan(1);
    expect(d.confidenceReasons).toContain('missing: the app log');
  });

  it('only the thread and fd logs: still a diagnosis, with less confidence than the whole capture', async () => {
    const dir = variant('some-files', 'threadpool-starvation', (d) => {
      for (const file of ['sadf-A.json.gz', 'iostat-x.json', 'pidstat-app.txt', 'app.log', 'sockstat.log']) {
        rmSync(join(d, file), { force: true });
      }
    });
    const d = await diagnose(dir);
    expect(d.inputs.map((i) => i.kind)).toContain('thread-log');
    expect(d.confidence).toBeLessThan(baseline.confidence);
  });

  it('truncated and gzipped-and-truncated files: gaps name them, the rest still decides', async () => {
    const dir = variant('truncated', 'threadpool-starvation', (d) => {
      const sadf = readFileSync(join(d, 'sadf-A.json.gz'));
      writeFileSync(join(d, 'sadf-A.json.gz'), sadf.subarray(0, Math.floor(sadf.length / 2)));
      rewrite(d, 'iostat-x.json', (text) => text.slice(0, Math.floor(text.length / 3)));
      const app = gzipSync(readFileSync(join(d, 'app.log')));
      writeFileSync(join(d, 'app.log.gz'), app.subarray(0, Math.floor(app.length / 2)));
      rmSync(join(d, 'app.log'));
    });
    const d = await diagnose(dir);
    expect(d.primary).toBe('threadpool-starvation');
    expect(d.gaps.map((g) => g.file).sort()).toEqual(['app.log.gz', 'iostat-x.json', 'sadf-A.json.gz']);
    expect(d.gaps.find((g) => g.file === 'sadf-A.json.gz')!.message).toMatch(/gzip.* after \d+ records/);
    expect(d.confidence).toBeLessThan(baseline.confidence);
  });

  it('a PID that changed mid-capture: the longest run is judged, and the gap says so', async () => {
    const dir = variant('pid-change', 'threadpool-starvation', (d) => {
      rewrite(d, 'threads.log', (text) => {
        const lines = text.trimEnd().split('\n');
        const cut = Math.floor(lines.length * 0.8);
        return `${lines.map((line, i) => (i < cut ? line : line.replace(/PID: \d+, Threads: \d+/, 'PID: 99999, Threads: 3'))).join('\n')}\n`;
      });
    });
    const d = await diagnose(dir);
    expect(d.primary).toBe('threadpool-starvation');
    expect(d.gaps.find((g) => g.file === 'threads.log')!.message).toMatch(/PID changed mid-capture/);
    expect(d.confidence).toBeLessThan(baseline.confidence);
  });

  it('a file on another clock: a gap names the offset, and the window ignores it', async () => {
    const dir = variant('clock', 'threadpool-starvation', (d) => {
      rewrite(d, 'fds.log', (text) =>
        text.replace(/^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)/gm, (stamp) =>
          new Date(Date.parse(`${stamp.replace(' ', 'T')}Z`) + 3_600_000)
            .toISOString()
            .slice(0, 19)
            .replace('T', ' '),
        ),
      );
    });
    const d = await diagnose(dir);
    expect(d.gaps.find((g) => g.file === 'fds.log')!.message).toMatch(
      /clock disagrees .* \+3,600 s \(\+1 h: a time zone\?\)/,
    );
    expect(d.window).toEqual(baseline.window);
    expect(d.confidence).toBeLessThan(baseline.confidence);
  });

  it("the issue's reproductions: a corrupt sadf-A.csv.gz, a time of 2^64 s, a ListenDrops of 1e400: gaps, not a crash", async () => {
    const dir = variant('issue-repros', 'listen-queue-overflow', (d) => {
      const csv = gzipSync(readFileSync(join(SHARED_SAMPLES, 'cpu-saturation', 'sadf-A.csv')));
      for (let i = Math.floor(csv.length / 2); i < Math.floor(csv.length / 2) + 50; i += 1) csv[i]! ^= 0x55;
      writeFileSync(join(d, 'sadf-A.csv.gz'), csv);
      rmSync(join(d, 'sadf-A.json.gz'));
      writeFileSync(
        join(d, 'lag.csv'),
        'utc_iso,unix_ts,lag_seconds\n,18446744073709551616,0.5\n2026-11-24T08:40:51.217Z,1795509651.218,0.5\n',
      );
      rewrite(d, 'proc-net-netstat-end.txt', (text) => {
        const [names = '', values = '', ...rest] = text.split('\n');
        const at = names.split(' ').indexOf('ListenDrops');
        const changed = values.split(' ').map((v, i) => (i === at ? '1e400' : v));
        return [names, changed.join(' '), ...rest].join('\n');
      });
    });
    // diagnose() parses the result against the report contract: an Infinity would fail it.
    const d = await diagnose(dir);
    const gap = (file: string) => d.gaps.find((g) => g.file === file)?.message;
    expect(gap('sadf-A.csv.gz')).toMatch(/^corrupt gzip data .* after [\d,]+ lines$/);
    expect(gap('lag.csv')).toMatch(/^time "18446744073709551616" is not a time between 1970 and 9999/);
    expect(d.gaps.find((g) => g.file === 'lag.csv')?.line).toBe(2);
    expect(gap('proc-net-netstat-end.txt')).toMatch(/ListenDrops "1e400": not a finite number in range/);
    expect(d.primary).toBe('listen-queue-overflow');
  });

  it('binary garbage under a known name is a gap, under an unknown name it is ignored', async () => {
    const dir = variant('garbage', 'healthy', (d) => {
      const junk = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));
      writeFileSync(join(d, 'sockstat.log'), junk);
      writeFileSync(join(d, 'core.bin'), junk);
    });
    const d = await diagnose(dir);
    expect(d.primary).toBe('healthy');
    expect(d.gaps.map((g) => g.file)).toContain('sockstat.log');
    expect(d.ignored).toContain('core.bin');
  });
});
