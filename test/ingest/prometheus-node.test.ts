// What the classifier needs, derived from the public captures' saved Prometheus queries alone,
// checked against the same capture's sysstat and logs, and against odd series.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalQuery, fillFromPrometheus } from '../../src/ingest/prometheus-node.ts';
import { readSampleDir } from '../../src/ingest/read-sample-dir.ts';
import type { HostSamples, PromSeries } from '../../src/ingest/types.ts';
import { silentLogger } from '../../src/log.ts';
import { runDiagnose } from '../../src/run/diagnose.ts';
import { hostFolders, hostSample, sharedDir } from './shared-files.ts';

const made: string[] = [];
afterAll(() => Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true }))));

/** A folder holding only the capture's prometheus-queries/. */
async function queriesOnly(folder: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `fleetlens-promonly-${folder}-`));
  made.push(dir);
  await cp(
    hostSample(folder as (typeof hostFolders)[number], 'prometheus-queries'),
    join(dir, 'prometheus-queries'),
    {
      recursive: true,
    },
  );
  return dir;
}

function bundle(prometheus: HostSamples['prometheus'], extra: Partial<HostSamples> = {}): HostSamples {
  return { dir: 'test', inputs: [], gaps: [], ignored: [], prometheus, ...extra };
}

function series(labels: Record<string, string>, values: number[], startMs = 1_000_000): PromSeries {
  return { labels, timesMs: values.map((_, i) => startMs + i * 1000), values };
}

const mean = (values: readonly number[]) => {
  const finite = values.filter(Number.isFinite);
  return finite.reduce((a, b) => a + b, 0) / finite.length;
};

describe('canonicalQuery', () => {
  it('drops matchers, strings and whitespace, so the same query reads alike with or without job labels', () => {
    expect(canonicalQuery('sum by (mode) (rate(node_cpu_seconds_total{job="node",x="}"}[5s]))')).toBe(
      'sumby(mode)(rate(node_cpu_seconds_total[5s]))',
    );
  });
});

describe('fillFromPrometheus on the saved queries of each public capture', () => {
  it.each(hostFolders)(
    '%s: a folder with only prometheus-queries/ gets CPU, disk, thread and fd facts',
    async (folder) => {
      const samples = fillFromPrometheus(await readSampleDir(await queriesOnly(folder)));
      const fields = samples.derived?.map((d) => d.field) ?? [];
      expect(fields).toEqual(
        expect.arrayContaining(['sysstat', 'disks', 'threads', 'fds', 'limitsEnd', 'netstatEnd']),
      );
      expect(samples.sysstat?.cpuCount).toBe(2);
      expect(Object.keys(samples.sysstat?.disks ?? {})).toEqual(['vda']);
      expect(samples.limitsEnd?.['Max open files']?.soft).toBe(20000);
    },
  );

  it('agrees with the same capture sysstat on CPU, run queue and disk', async () => {
    const full = await readSampleDir(join(sharedDir, 'host-samples', 'cpu-saturation'));
    const prom = fillFromPrometheus(await readSampleDir(await queriesOnly('cpu-saturation')));
    const a = full.sysstat!;
    const b = prom.sysstat!;
    // rate(..[5s]) smooths a little; the whole-window means agree within a few points.
    expect(Math.abs(mean(a.cpu.usr) - mean(b.cpu.usr))).toBeLessThan(5);
    expect(Math.abs(mean(a.cpu.idle) - mean(b.cpu.idle))).toBeLessThan(5);
    expect(Math.abs(mean(a.runqSz) - mean(b.runqSz))).toBeLessThan(1);
    const disk = await readSampleDir(join(sharedDir, 'host-samples', 'disk-saturation'));
    const promDisk = fillFromPrometheus(await readSampleDir(await queriesOnly('disk-saturation')));
    const util = (s: HostSamples) => mean(s.sysstat!.disks.vda!.utilPct);
    expect(Math.abs(util(disk) - util(promDisk))).toBeLessThan(8);
    expect(Math.max(...promDisk.sysstat!.disks.vda!.aquSz.filter(Number.isFinite))).toBeGreaterThan(10);
  });

  it('reads the app job series of a metric both jobs expose (process_open_fds)', async () => {
    const samples = fillFromPrometheus(await readSampleDir(await queriesOnly('threadpool-starvation')));
    // the app's fds grow with held connections; node_exporter's own stay near 10
    expect(Math.max(...samples.fds!.values)).toBeGreaterThan(400);
    expect(Math.max(...samples.threads!.values)).toBe(19);
  });

  it.each(hostFolders)('%s: the classes from saved queries alone match the ground truth', async (folder) => {
    const { readFile } = await import('node:fs/promises');
    const label = JSON.parse(
      await readFile(join(sharedDir, 'host-samples', 'labels', `${folder}.json`), 'utf8'),
    );
    const dir = await queriesOnly(folder);
    const [diagnosis] = (await runDiagnose([dir], silentLogger)).diagnoses;
    expect(diagnosis!.primary).toBe(label.ground_truth.primary_bottleneck);
  });
});

describe('fillFromPrometheus: files win, odd series never throw', () => {
  it('keeps what files gave and derives only the rest', async () => {
    const samples = await readSampleDir(join(sharedDir, 'host-samples', 'threadpool-starvation'));
    const filled = fillFromPrometheus(samples);
    expect(filled.sysstat).toBe(samples.sysstat);
    expect(filled.threads).toBe(samples.threads);
    expect(filled.fds).toBe(samples.fds);
    expect(filled.netstatEnd).toBe(samples.netstatEnd);
    expect(filled.derived ?? []).toEqual([]);
  });

  it('returns the bundle unchanged without Prometheus results', () => {
    const empty = bundle(undefined);
    expect(fillFromPrometheus(empty)).toBe(empty);
  });

  it('survives empty results, NaN, missing modes and a mode filter', () => {
    const odd = bundle({
      empty: { query: 'sum by (mode) (rate(node_cpu_seconds_total[5s]))', series: [] },
      idleOnly: {
        query: 'rate(node_cpu_seconds_total{mode="idle"}[5s])',
        series: [series({ mode: 'idle' }, [1, 1, 1])],
      },
      nan: { query: 'process_threads', series: [series({ job: 'app' }, [Number.NaN, Number.NaN])] },
      inf: { query: 'process_max_fds', series: [series({ job: 'app' }, [Number.POSITIVE_INFINITY])] },
      garbage: { query: null, series: [series({}, [])] },
    });
    const filled = fillFromPrometheus(odd);
    expect(filled.sysstat).toBeUndefined();
    expect(filled.threads).toBeUndefined();
    expect(filled.limitsEnd).toBeUndefined();
  });

  it('fills missing modes with 0 and NaN points stay NaN, one point per axis time', () => {
    const filled = fillFromPrometheus(
      bundle({
        cpu: {
          query: 'sum by (mode) (rate(node_cpu_seconds_total{job="node"}[5s]))',
          series: [
            series({ mode: 'idle' }, [1, Number.NaN, 0.2]),
            series({ mode: 'user' }, [1, 1, 1.8]),
            series({ mode: 'system' }, [0, 0, 0]),
          ],
        },
      }),
    );
    const cpu = filled.sysstat!.cpu;
    expect(cpu.idle[0]).toBe(50);
    expect(cpu.idle[1]).toBeNaN();
    expect(cpu.usr[2]).toBeCloseTo(90);
    expect(cpu.steal).toEqual([0, 0, 0]);
    expect(filled.sysstat!.cpuCount).toBe(2);
    expect(filled.sysstat!.intervalSec).toEqual([1, 1, 1]);
  });

  it('reads one instance of several and says which', () => {
    const filled = fillFromPrometheus(
      bundle({
        threads: {
          query: 'process_threads',
          series: [
            series({ job: 'app', instance: 'b:8000' }, [50, 50]),
            series({ job: 'app', instance: 'a:8000' }, [5, 6]),
          ],
        },
      }),
    );
    expect(filled.threads!.values).toEqual([5, 6]);
    expect(filled.derived).toEqual([
      {
        field: 'threads',
        queries: ['threads'],
        note: '2 instances of job app (a:8000, b:8000): read a:8000',
      },
    ]);
  });

  it('takes TcpExt counters at the window edges and per-device await from busy time per request', () => {
    const filled = fillFromPrometheus(
      bundle({
        overflows: {
          query: 'node_netstat_TcpExt_ListenOverflows{job="node"}',
          series: [series({ job: 'node' }, [Number.NaN, 10, 12, 40])],
        },
        util: {
          query: 'rate(node_disk_io_time_seconds_total{job="node"}[5s])',
          series: [series({ device: 'sda' }, [0.5, 1])],
        },
        reads: {
          query: 'rate(node_disk_reads_completed_total[5s])',
          series: [series({ device: 'sda' }, [100, 0])],
        },
        writes: {
          query: 'rate(node_disk_writes_completed_total[5s])',
          series: [series({ device: 'sda' }, [100, 0])],
        },
        rt: {
          query: 'rate(node_disk_read_time_seconds_total[5s])',
          series: [series({ device: 'sda' }, [0.1, 0])],
        },
        wt: {
          query: 'rate(node_disk_write_time_seconds_total[5s])',
          series: [series({ device: 'sda' }, [0.3, 0])],
        },
      }),
    );
    expect(filled.netstatStart).toEqual({ 'TcpExt.ListenOverflows': 10 });
    expect(filled.netstatEnd).toEqual({ 'TcpExt.ListenOverflows': 40 });
    // no CPU series: the disks go where a disk-only file would
    const sda = filled.iostat!.sda!;
    expect(sda.utilPct).toEqual([50, 100]);
    expect(sda.tps).toEqual([200, 0]);
    expect(sda.awaitMs[0]).toBeCloseTo(2); // (0.1 + 0.3) s per s / 200 req per s
    expect(sda.awaitMs[1]).toBe(0);
  });
});
