// The classifier on captures it has not seen: real captures altered the way other hosts differ
// (more disks, faster disks, shorter windows, damaged records, no metrics), so the scoring is
// held to the mechanism, not to these files' numbers.
import { describe, expect, it } from 'vitest';
import { classify } from '../../../src/analysis/onhost/classify.ts';
import { deriveOnHost } from '../../../src/analysis/onhost/signals.ts';
import { readSampleDir } from '../../../src/ingest/read-sample-dir.ts';
import type { DiskSeries, HostSamples } from '../../../src/ingest/types.ts';
import { sampleDir } from '../../helpers/onhost.ts';

const load = async (name: string): Promise<HostSamples> =>
  structuredClone(await readSampleDir(sampleDir(name)));
const verdict = (samples: HostSamples) => classify(deriveOnHost(samples));

function flatDisk(like: DiskSeries, fill: Partial<Record<keyof DiskSeries, number>>): DiskSeries {
  const n = like.timesMs.length;
  const column = (key: keyof DiskSeries, fallback: number) =>
    Array.from({ length: n }, () => fill[key] ?? fallback);
  return {
    timesMs: [...like.timesMs],
    tps: column('tps', 100),
    readKiBps: column('readKiBps', 400),
    writeKiBps: column('writeKiBps', 400),
    readOpsPerSec: column('readOpsPerSec', 50),
    writeOpsPerSec: column('writeOpsPerSec', 50),
    aquSz: column('aquSz', 0.01),
    awaitMs: column('awaitMs', 0.1),
    utilPct: column('utilPct', 1),
  };
}

describe('classify on captures it has not seen', () => {
  it('survives a sysstat record without an interval and still names the CPU', async () => {
    const samples = await load('cpu-saturation');
    samples.sysstat!.intervalSec[60] = Number.NaN;
    const result = verdict(samples);
    expect(result.primary).toBe('cpu-saturated');
    expect(Number.isFinite(result.confidence)).toBe(true);
  });

  it('judges every disk: a second disk with one busy second does not hide the saturated one', async () => {
    const samples = await load('disk-saturation');
    const vda = samples.sysstat!.disks.vda!;
    const other = flatDisk(vda, {});
    other.utilPct[5] = 100;
    samples.sysstat!.disks = { vdb: other, ...samples.sysstat!.disks };
    expect(verdict(samples).primary).toBe('disk-saturated');
  });

  it('does not call a fast parallel device saturated for being "100 % busy" with a shallow queue', async () => {
    const samples = await load('healthy');
    const vda = samples.sysstat!.disks.vda!;
    samples.sysstat!.disks = { nvme0n1: flatDisk(vda, { utilPct: 100, aquSz: 3, awaitMs: 0.1, tps: 30000 }) };
    delete samples.iostat;
    expect(verdict(samples).primary).toBe('healthy');
  });

  it('does not call busy CPUs without a run queue or pressure saturated', async () => {
    const samples = await load('cpu-saturation');
    const s = samples.sysstat!;
    s.runqSz = s.runqSz.map(() => 1);
    s.ldavg1 = s.ldavg1.map(() => 0.9);
    s.psi.cpuSome = s.psi.cpuSome.map(() => 0);
    expect(verdict(samples).primary).toBe('healthy');
  });

  it('does not call a healthy pool starved because keep-alive clients ramped up', async () => {
    const samples = await load('threadpool-starvation');
    delete samples.prometheus;
    delete samples.appLog;
    expect(verdict(samples).primary).toBe('healthy');
  });

  it('still sees the starved pool without its metrics, with a helper thread flickering', async () => {
    const samples = await load('threadpool-starvation');
    delete samples.prometheus;
    samples.threads!.values = samples.threads!.values.map((v, i) => (v >= 18 && i % 3 === 0 ? v + 1 : v));
    const result = verdict(samples);
    expect(result.primary).toBe('threadpool-starvation');
  });

  it('gives a short capture a weak verdict', async () => {
    const samples = await load('healthy');
    const cut = (times: number[]) => times.findIndex((t) => t > times[0]! + 15_000);
    const s = samples.sysstat!;
    const n = cut(s.timesMs);
    for (const key of Object.keys(s) as (keyof typeof s)[]) {
      const value = s[key];
      if (Array.isArray(value)) (s as unknown as Record<string, unknown[]>)[key] = value.slice(0, n);
    }
    samples.inputs = samples.inputs
      .filter((i) => i.kind === 'sysstat-json')
      .map((i) => ({ ...i, to: new Date(s.timesMs[n - 1]!).toISOString() }));
    for (const key of [
      'threads',
      'fds',
      'listenQueue',
      'appLog',
      'iostat',
      'prometheus',
      'sockstat',
      'lag',
    ] as const)
      delete samples[key];
    const result = verdict(samples);
    expect(result.primary).toBe('healthy');
    expect(result.confidence).toBeLessThan(0.3);
  });
});
