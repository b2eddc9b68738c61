// What users hand diagnose is rarely whole: empty folders, some files, files cut short or
// gzipped-and-cut, a file on another clock, an app restarted mid-capture. A diagnosis still comes
// out from what is there, the gaps are listed, the confidence drops, and nothing crashes.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DiagnoseResult } from '../../reports/json/schema.ts';
import { silentLogger } from '../../src/log.ts';
import { runDiagnose } from '../../src/run/diagnose.ts';
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
  it('an empty folder: healthy with no confidence, and a gap that says why', async () => {
    const dir = join(work, 'empty');
    cpSync(sampleDir('healthy'), dir, { recursive: true, filter: (src) => src === sampleDir('healthy') });
    const d = await diagnose(dir);
    expect(d).toMatchObject({ primary: 'healthy', confidence: 0, inputs: [] });
    expect(d.gaps[0]!.message).toMatch(/empty/);
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
