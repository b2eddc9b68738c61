import { readFileSync } from 'node:fs';
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSampleDir } from '../../src/ingest/read-sample-dir.ts';
import type { SampleInput } from '../../src/ingest/types.ts';
import { conformance, type HostFolder, hostSample, sharedDir, tempFolder } from './shared-files.ts';

interface FolderFacts {
  /** The per-second samplers' window (threads.log, fds.log, listen-queue.log, pidstat, sockstat). */
  seconds: number;
  first: string;
  last: string;
  sadfLast: string;
  iostat: { records: number; first: string };
  lag: { rows: number; first: string; last: string } | null;
  app: { lines: number; first: string; last: string };
}

const day = '2026-11-24T';
const facts: Record<HostFolder, FolderFacts> = {
  healthy: {
    seconds: 135,
    first: '08:40:58',
    last: '08:43:12',
    sadfLast: '08:43:12',
    iostat: { records: 136, first: '08:40:57' },
    lag: { rows: 1433, first: '08:40:51.217', last: '08:43:15.684' },
    app: { lines: 3, first: '08:40:51.116', last: '08:43:15.737' },
  },
  'cpu-saturation': {
    seconds: 130,
    first: '08:19:57',
    last: '08:22:06',
    sadfLast: '08:22:07',
    iostat: { records: 131, first: '08:19:56' },
    lag: { rows: 1377, first: '08:19:50.772', last: '08:22:09.793' },
    app: { lines: 3, first: '08:19:50.671', last: '08:22:09.825' },
  },
  'disk-saturation': {
    seconds: 130,
    first: '08:32:15',
    last: '08:34:24',
    sadfLast: '08:34:24',
    iostat: { records: 131, first: '08:32:14' },
    lag: { rows: 1381, first: '08:32:08.555', last: '08:34:27.868' },
    app: { lines: 3, first: '08:32:08.453', last: '08:34:27.868' },
  },
  'threadpool-starvation': {
    seconds: 145,
    first: '08:46:50',
    last: '08:49:14',
    sadfLast: '08:49:14',
    iostat: { records: 146, first: '08:46:49' },
    lag: null,
    app: { lines: 780, first: '08:46:42.207', last: '08:49:17.217' },
  },
};

const iso = (time: string) => new Date(`${day}${time}Z`).toISOString();

function expectedInputs(folder: HostFolder): SampleInput[] {
  const f = facts[folder];
  const span = (from: string, to: string) => ({ from: iso(from), to: iso(to) });
  const window = span(f.first, f.last);
  const snapshot = (file: string, kind: SampleInput['kind'], records: number): SampleInput => ({
    file,
    kind,
    records,
    from: null,
    to: null,
  });
  const fdTimes = (file: string) => {
    const time = readFileSync(hostSample(folder, file), 'utf8').split(' ')[0] ?? '';
    return { from: time, to: time };
  };
  const inputs: SampleInput[] = [
    { file: 'app-fd-count-end.txt', kind: 'fd-count', records: 1, ...fdTimes('app-fd-count-end.txt') },
    { file: 'app-fd-count-start.txt', kind: 'fd-count', records: 1, ...fdTimes('app-fd-count-start.txt') },
    { file: 'app.log', kind: 'app-log', records: f.app.lines, ...span(f.app.first, f.app.last) },
    { file: 'fds.log', kind: 'fd-log', records: f.seconds, ...window },
    snapshot('host-info.txt', 'host-info', 72),
    {
      file: 'iostat-x.json',
      kind: 'iostat-json',
      records: f.iostat.records,
      ...span(f.iostat.first, f.last),
    },
    { file: 'listen-queue.log', kind: 'listen-queue-log', records: f.seconds, ...window },
    { file: 'pidstat-app.txt', kind: 'pidstat', records: f.seconds, ...window },
    snapshot('proc-limits-end.txt', 'proc-limits', 16),
    snapshot('proc-limits-start.txt', 'proc-limits', 16),
    snapshot('proc-net-netstat-end.txt', 'proc-net-netstat', 229),
    snapshot('proc-net-netstat-start.txt', 'proc-net-netstat', 229),
    snapshot('proc-net-snmp-end.txt', 'proc-net-snmp', 83),
    snapshot('proc-net-snmp-start.txt', 'proc-net-snmp', 83),
    { file: 'sadf-A.json.gz', kind: 'sysstat-json', records: f.seconds, ...span(f.first, f.sadfLast) },
    // six /proc/net/sockstat lines a second
    { file: 'sockstat.log', kind: 'sockstat-log', records: 6 * f.seconds, ...window },
    snapshot('ss-s-end.txt', 'ss-summary', 1),
    snapshot('ss-s-start.txt', 'ss-summary', 1),
    snapshot('sysctl-a.txt', 'sysctl', 1302),
    // the second witness of the thread count is read too (fleetlens sample writes both)
    { file: 'threads-proc-status.log', kind: 'thread-log', records: f.seconds, ...window },
    { file: 'threads.log', kind: 'thread-log', records: f.seconds, ...window },
  ];
  if (f.lag) {
    inputs.push({ file: 'lag.csv', kind: 'lag-csv', records: f.lag.rows, ...span(f.lag.first, f.lag.last) });
  }
  if (folder !== 'threadpool-starvation') inputs.push(snapshot('app.stdout.log', 'app-log', 0));
  return inputs.sort((a, b) => a.file.localeCompare(b.file));
}

const ignoredInEveryFolder = [
  'node_exporter.log',
  'prometheus-data/',
  'prometheus.log',
  'prometheus.yml',
  'sa.bin',
  'sadf-A.csv',
];

describe('readSampleDir on the host samples', () => {
  it.each(Object.keys(facts) as HostFolder[])('lists what it read in %s', async (folder) => {
    const bundle = await readSampleDir(join(sharedDir, 'host-samples', folder));
    expect(bundle.gaps).toEqual([]);
    expect(bundle.ignored).toEqual(ignoredInEveryFolder);
    const local = bundle.inputs.filter((input) => !input.file.startsWith('prometheus-queries/'));
    expect(local).toEqual(expectedInputs(folder));
    const queries = bundle.inputs.filter((input) => input.file.startsWith('prometheus-queries/'));
    // 36 saved queries and the index that lists them
    expect(queries).toHaveLength(37);
    expect(queries.every((input) => input.kind === 'prometheus-range')).toBe(true);
    expect(queries.find((input) => input.file === 'prometheus-queries/index.json')?.records).toBe(36);
  });

  it('fills the bundle from the thread-pool capture', async () => {
    const bundle = await readSampleDir(join(sharedDir, 'host-samples', 'threadpool-starvation'));
    expect(bundle.sysstat?.timesMs).toHaveLength(145);
    expect(bundle.iostat?.vda?.utilPct).toHaveLength(146);
    expect(bundle.threads?.pids).toEqual([32407]);
    expect(Math.max(...(bundle.threads?.values ?? []))).toBe(18);
    expect(bundle.fds?.values.at(-1)).toBe(464);
    expect(bundle.listenQueue?.listeners['127.0.0.1:8000']?.sendQ[0]).toBe(1024);
    // netstat and snmp merge into one set of counters per edge
    expect(bundle.netstatEnd?.['TcpExt.ListenOverflows']).toBe(62894);
    expect(bundle.netstatEnd?.['Tcp.PassiveOpens']).toBe(69943);
    expect(bundle.sysctl?.['net.core.somaxconn']).toBe('4096');
    expect(bundle.limitsEnd?.['Max open files']?.soft).toBe(20000);
    expect([bundle.fdCountStart?.count, bundle.fdCountEnd?.count]).toEqual([6, 453]);
    expect(bundle.ssSummaryEnd?.estab).toBe(449);
    expect(bundle.pidstat?.pids).toEqual([32407]);
    expect(bundle.appLog?.declaredWorkers).toBe(16);
    expect(bundle.hostCpuCount).toBe(2);
    expect(bundle.lag).toBeUndefined();
    expect(Object.keys(bundle.prometheus ?? {})).toHaveLength(36);
    expect(bundle.prometheus?.app_threadpool_queue_depth?.query).toBe('threadpool_queue_depth');
    expect(bundle.prometheus?.app_threadpool_queue_depth?.series[0]?.values).toHaveLength(148);
    expect(bundle.prometheus?.app_event_loop_lag_last_seconds?.series).toEqual([]);
  });
});

describe('readSampleDir on bad and partial folders', () => {
  let dir = '';
  let cleanup = async () => {};
  beforeEach(async () => {
    ({ dir, cleanup } = await tempFolder());
  });
  afterEach(() => cleanup());

  /** Copies files of the healthy capture into the temp folder. */
  async function copyHealthy(...files: string[]): Promise<void> {
    await Promise.all(files.map((file) => copyFile(hostSample('healthy', file), join(dir, file))));
  }

  it('reports a missing folder, a file given as a folder, and an empty folder as gaps', async () => {
    const missing = await readSampleDir(join(dir, 'nope'));
    expect(missing).toEqual({
      dir: join(dir, 'nope'),
      inputs: [],
      gaps: [{ file: '.', kind: 'bad-sample', message: `sample folder not found: ${join(dir, 'nope')}` }],
      ignored: [],
    });
    await writeFile(join(dir, 'file'), 'x');
    expect((await readSampleDir(join(dir, 'file'))).gaps[0]?.message).toBe(
      `not a folder: ${join(dir, 'file')}`,
    );
    await mkdir(join(dir, 'empty'));
    expect((await readSampleDir(join(dir, 'empty'))).gaps[0]?.message).toBe(
      `sample folder is empty: ${join(dir, 'empty')}`,
    );
  });

  it('reads a folder with only some of the files', async () => {
    await copyHealthy('listen-queue.log', 'sysctl-a.txt');
    const bundle = await readSampleDir(dir);
    expect(bundle.inputs.map((input) => [input.file, input.kind])).toEqual([
      ['listen-queue.log', 'listen-queue-log'],
      ['sysctl-a.txt', 'sysctl'],
    ]);
    expect(bundle.gaps).toEqual([]);
    expect(bundle.sysstat).toBeUndefined();
  });

  it('keeps the records of a cut sadf JSON, with a gap that counts them', async () => {
    const gz = readFileSync(hostSample('healthy', 'sadf-A.json.gz'));
    await writeFile(join(dir, 'sadf-A.json.gz'), gz.subarray(0, gz.length / 2));
    await copyHealthy('fds.log');
    const bundle = await readSampleDir(dir);
    const records = bundle.sysstat?.timesMs.length ?? 0;
    expect(records).toBeGreaterThan(10);
    expect(bundle.gaps).toEqual([
      {
        file: 'sadf-A.json.gz',
        kind: 'bad-sample',
        message: `unexpected end of gzip data after ${records} records`,
      },
    ]);
    expect(bundle.inputs.find((input) => input.file === 'sadf-A.json.gz')).toMatchObject({
      records,
      kind: 'sysstat-json',
    });
    expect(bundle.fds?.values).toHaveLength(135);
  });

  it('falls back to sadf-A.csv when the JSON is cut or is not sadf output', async () => {
    const gz = readFileSync(hostSample('healthy', 'sadf-A.json.gz'));
    await writeFile(join(dir, 'sadf-A.json.gz'), gz.subarray(0, gz.length / 2));
    await copyHealthy('sadf-A.csv');
    const cut = await readSampleDir(dir);
    expect(cut.sysstat?.timesMs).toHaveLength(135);
    expect(cut.inputs.map((input) => input.kind)).toEqual(['sysstat-csv', 'sysstat-json']);
    expect(cut.gaps.map((gap) => gap.file)).toEqual(['sadf-A.json.gz']);

    await writeFile(
      join(dir, 'sadf-A.json.gz'),
      gzipSync(readFileSync(hostSample('healthy', 'iostat-x.json'))),
    );
    const wrong = await readSampleDir(dir);
    expect(wrong.sysstat?.timesMs).toHaveLength(135);
    expect(wrong.gaps).toEqual([
      {
        file: 'sadf-A.json.gz',
        kind: 'bad-sample',
        message: 'not sadf -j output: statistics[0] has no timestamp date/time',
      },
    ]);
    expect(wrong.inputs.map((input) => input.file)).toEqual(['sadf-A.csv']);
  });

  it('names the file and line of a log in the wrong format, and falls back for threads', async () => {
    await copyHealthy('threads-proc-status.log', 'sockstat.log');
    await copyFile(hostSample('healthy', 'fds.log'), join(dir, 'threads.log'));
    const bundle = await readSampleDir(dir);
    expect(bundle.gaps).toEqual([
      {
        file: 'threads.log',
        kind: 'bad-sample',
        line: 1,
        message:
          'expected "YYYY-MM-DD HH:MM:SS - PID: <pid>, Threads: <n>", found "2026-11-24 08:40:58 - PID: 31561, FDs: 10"',
      },
    ]);
    expect(bundle.threads?.values).toHaveLength(135);
    expect(bundle.inputs.map((input) => input.file)).toEqual(['sockstat.log', 'threads-proc-status.log']);
  });

  it('reports garbage in the middle of a log by line, and still reads the rest of the log and the folder', async () => {
    const lines = readFileSync(hostSample('healthy', 'fds.log'), 'utf8').split('\n');
    lines.splice(60, 0, '\u0000\u0000\u0000 garbage');
    await writeFile(join(dir, 'fds.log'), lines.join('\n'));
    await copyHealthy('threads.log', 'app.log', 'sadf-A.json.gz');
    const bundle = await readSampleDir(dir);
    expect(bundle.gaps).toMatchObject([
      { file: 'fds.log', kind: 'bad-sample', line: 61, message: expect.stringContaining('1 line skipped') },
    ]);
    expect(bundle.fds?.values).toHaveLength(lines.filter((line) => line.includes('FDs:')).length);
    expect(bundle.inputs.map((input) => input.file)).toEqual([
      'app.log',
      'fds.log',
      'sadf-A.json.gz',
      'threads.log',
    ]);
    expect(bundle.ignored).toEqual([]);
  });

  it('reports an empty file as a gap, but reads an empty app log as no lines', async () => {
    await writeFile(join(dir, 'listen-queue.log'), '');
    await writeFile(join(dir, 'app.stdout.log'), '');
    const bundle = await readSampleDir(dir);
    expect(bundle.gaps).toEqual([{ file: 'listen-queue.log', kind: 'bad-sample', message: 'file is empty' }]);
    expect(bundle.inputs).toEqual([
      { file: 'app.stdout.log', kind: 'app-log', records: 0, from: null, to: null },
    ]);
  });

  it('accepts name.gz for every kind, and prefers name when both are there', async () => {
    const names = (await readdir(join(sharedDir, 'host-samples', 'healthy'), { withFileTypes: true }))
      .filter((entry) => entry.isFile() && !entry.name.endsWith('.gz') && entry.name !== 'sa.bin')
      .map((entry) => entry.name);
    for (const name of names) {
      await writeFile(join(dir, `${name}.gz`), gzipSync(readFileSync(hostSample('healthy', name))));
    }
    await copyHealthy('sadf-A.json.gz', 'threads.log');
    const bundle = await readSampleDir(dir);
    const plain = await readSampleDir(join(sharedDir, 'host-samples', 'healthy'));
    const summary = (inputs: SampleInput[]) =>
      inputs
        .filter((input) => !input.file.startsWith('prometheus-queries/'))
        .map((input) => ({ ...input, file: '' }));
    expect(bundle.gaps).toEqual([]);
    expect(summary(bundle.inputs)).toEqual(summary(plain.inputs));
    expect(bundle.inputs.filter((input) => input.kind === 'thread-log').map((input) => input.file)).toEqual([
      'threads-proc-status.log.gz',
      'threads.log',
    ]);
    expect(bundle.ignored).toContain('threads.log.gz');
    expect(bundle.ignored).toContain('sadf-A.csv.gz');
  });

  it('recognises sadf JSON and Prometheus text under other names by their content', async () => {
    await copyFile(conformance('sysstat/expected.sadf-j'), join(dir, 'sar-2019-04-18.json'));
    await copyFile(conformance('node_exporter/e2e-output.txt'), join(dir, 'node-metrics.txt'));
    await writeFile(join(dir, 'notes.txt'), 'restarted the app at 13:37\n');
    const bundle = await readSampleDir(dir);
    expect(bundle.inputs.map(({ file, kind, records }) => ({ file, kind, records }))).toEqual([
      { file: 'node-metrics.txt', kind: 'prometheus-text', records: 3027 },
      { file: 'sar-2019-04-18.json', kind: 'sysstat-json', records: 5 },
    ]);
    expect(bundle.sysstat?.cpuCount).toBe(9);
    expect(bundle.prometheusText?.['node-metrics.txt']?.samples).toHaveLength(3027);
    expect(bundle.ignored).toEqual(['notes.txt']);
  });

  it('reads the saved Prometheus queries that parse, and reports the one that does not', async () => {
    const queries = join(dir, 'prometheus-queries');
    await mkdir(queries);
    for (const name of ['index.json', 'load1.json', 'up.json']) {
      await copyFile(hostSample('healthy', `prometheus-queries/${name}`), join(queries, name));
    }
    await writeFile(join(queries, 'broken.json'), '{"status":"success","data":{"resultType":"matrix","res');
    await writeFile(join(queries, 'README'), 'saved by curl');
    const bundle = await readSampleDir(dir);
    expect(Object.keys(bundle.prometheus ?? {}).sort()).toEqual(['load1', 'up']);
    expect(bundle.prometheus?.load1?.query).toBe('node_load1');
    expect(bundle.gaps).toEqual([
      {
        file: 'prometheus-queries/broken.json',
        kind: 'bad-sample',
        message: expect.stringMatching(/^not JSON/),
      },
    ]);
    expect(bundle.ignored).toEqual(['prometheus-queries/README']);
  });
});
