// Never one string match: each class still comes out when the file that carries its most telling
// line is gone, from the other signals alone (with less confidence).
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.ts';
import { runDiagnose } from '../../src/run/diagnose.ts';
import { sampleDir } from '../helpers/onhost.ts';

const work = mkdtempSync(join(tmpdir(), 'fleetlens-signals-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function withoutFiles(capture: string, drop: RegExp) {
  const dir = join(work, `${capture}-${drop.source.replace(/\W+/g, '')}`);
  cpSync(sampleDir(capture), dir, {
    recursive: true,
    filter: (src) => src === sampleDir(capture) || !drop.test(basename(src)),
  });
  const [whole] = (await runDiagnose([sampleDir(capture)], silentLogger)).diagnoses;
  const [part] = (await runDiagnose([dir], silentLogger)).diagnoses;
  return { whole: whole!, part: part! };
}

describe('each class from its other signals', () => {
  it.each([
    [
      'event-loop-blocked',
      'event-loop-blocked',
      /^app\.log/,
      'no slow-callback warnings: the lag and the idle CPU',
    ],
    [
      'thread-exhaustion',
      'thread-exhaustion',
      /^app\.log/,
      "no `can't start new thread`: threads at RLIMIT_NPROC",
    ],
    ['fd-exhaustion', 'fd-exhaustion', /^app\.log/, 'no EMFILE lines: fds at the soft limit, a steady climb'],
    [
      'threadpool-starvation',
      'threadpool-starvation',
      /^app\.log/,
      'no client errors: queue depth, pinned workers',
    ],
    [
      'threadpool-starvation',
      'threadpool-starvation',
      /^prometheus-/,
      'no pool metrics: a flat plateau while held connections grow',
    ],
  ])('%s, named %s without %s: %s', async (capture, expected, drop) => {
    const { whole, part } = await withoutFiles(capture, drop);
    expect(part.primary).toBe(expected);
    expect(part.confidence).toBeLessThanOrEqual(whole.confidence);
  });
});
