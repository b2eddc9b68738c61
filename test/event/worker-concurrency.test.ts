// Workers × threads against concurrency (issue 11 point 1, the last runtime ceiling): the requests a
// server holds at once against today's peak × N, from the captures with worker processes and from
// synthetic folders built to known numbers; unknown, never passed, where a number is missing.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deriveOnHost, type OnHostFacts } from '../../src/analysis/onhost/signals.ts';
import { projectEvent } from '../../src/event/project.ts';
import { readSampleDir } from '../../src/ingest/read-sample-dir.ts';
import type { EventCheck, EventUnit } from '../../src/model/index.ts';
import { flat, fleet } from '../helpers/fleet-builder.ts';
import { onHostSample } from '../helpers/onhost.ts';

const isWorkers = (c: EventCheck) => c.kind === 'pool' && c.label.startsWith('workers × threads');

function project(onHost: OnHostFacts, n = 3): { unit: EventUnit; check: EventCheck } {
  const facts = fleet({ days: 1 })
    .host('i-app', { type: 'm6i.xlarge' })
    .cpu('i-app', flat(1))
    .withOnHost(onHost, 'i-app')
    .facts();
  const unit = projectEvent(facts, { multiplier: n }).units.find((u) => u.subject.id === 'i-app')!;
  const check = unit.checks.find(isWorkers);
  if (!check) throw new Error('no workers × threads check');
  return { unit, check };
}

// A capture folder: gunicorn's log, and a process tree of a master (pid 100) and its workers.
const T0 = Date.UTC(2026, 11, 6, 1, 0, 0);
const iso = (sec: number) => new Date(T0 + sec * 1000).toISOString();

interface TreeSpec {
  workers: number;
  seconds: number;
  /** Per second on the port: new connections, and connections the workers took. */
  arrived: number;
  acceptedNew: number;
  busy: (worker: number, sec: number) => boolean;
}

function treeText(spec: TreeSpec): string {
  const lines: string[] = [];
  for (let s = 0; s < spec.seconds; s += 1) {
    const t = iso(s);
    const busyPids: number[] = [];
    lines.push(
      JSON.stringify({
        t,
        kind: 'proc',
        pid: 100,
        ppid: 1,
        comm: 'gunicorn',
        state: 'S',
        syscall: 'poll',
        busy: false,
        threads: 1,
        fds: 8,
        cpuPct: 0,
      }),
    );
    for (let w = 0; w < spec.workers; w += 1) {
      const busy = spec.busy(w, s);
      if (busy) busyPids.push(101 + w);
      lines.push(
        JSON.stringify({
          t,
          kind: 'proc',
          pid: 101 + w,
          ppid: 100,
          comm: 'gunicorn',
          state: 'S',
          syscall: busy ? 'recvfrom' : 'accept4',
          busy,
          threads: 1,
          fds: 12,
          cpuPct: 1,
        }),
      );
    }
    lines.push(
      JSON.stringify({
        t,
        kind: 'total',
        processes: spec.workers + 1,
        threads: spec.workers + 1,
        fds: 44,
        cpuPct: 2,
        busyPids,
      }),
    );
    lines.push(
      JSON.stringify({
        t,
        kind: 'port',
        port: 8000,
        queued: 10,
        accepted: spec.workers,
        arrived: spec.arrived,
        acceptedNew: spec.acceptedNew,
      }),
    );
  }
  return `${lines.join('\n')}\n`;
}

async function folder(files: Record<string, string>): Promise<OnHostFacts> {
  const dir = mkdtempSync(join(tmpdir(), 'fleetlens-workers-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return deriveOnHost(await readSampleDir(dir));
}

const gunicornLog = (...config: string[]) =>
  [
    ...(config.length > 0
      ? ['[2026-12-06 01:00:00 +0000] [100] [DEBUG] Current configuration:', ...config]
      : []),
    '[2026-12-06 01:00:00 +0000] [100] [INFO] Starting gunicorn 20.1.0',
    `[2026-12-06 01:00:00 +0000] [100] [INFO] Using worker: ${config.find((l) => l.includes('worker_class'))?.split(': ')[1] ?? 'sync'}`,
  ].join('\n');

/** The app's in-flight gauge as `curl .../api/v1/query_range` saved it, one value a second. */
function inFlightQuery(values: number[]): string {
  return JSON.stringify({
    status: 'success',
    data: {
      resultType: 'matrix',
      result: [
        {
          metric: { __name__: 'http_requests_in_flight', instance: '127.0.0.1:8001', job: 'app' },
          values: values.map((v, i) => [(T0 + i * 1000) / 1000, String(v)]),
        },
      ],
    },
  });
}

describe('workers × threads against concurrency, on the captures with worker processes', () => {
  it('gunicorn -k sync -w 2 (gunicorn-sync-starved): 2 × 1 against λW = 4.2 at once, already past it', async () => {
    const { unit, check } = project(await onHostSample('gunicorn-sync-starved'));
    expect(check).toMatchObject({
      status: 'breaks',
      limit: 2,
      unit: 'connections',
      label: 'workers × threads: 2 × 1 threads',
    });
    // λ 2.11 new connections/s while both workers were busy, W = 2 workers ÷ 1 accept/s = 2 s.
    expect(check.today).toBeCloseTo(4.22, 1);
    expect(check.breaksAt).toBe(0.47);
    expect(check.demand).toBeCloseTo(3 * check.today!, 1);
    expect(check.source).toMatch(/2 from worker processes serving in process-tree\.jsonl/);
    expect(check.source).toMatch(/1 from `Using worker: sync` \(app\.log\): one request at a time/);
    expect(check.source).toMatch(/Little's law .* = 2 s \(process-tree\.jsonl port lines\)/);
    // It binds first, and the change keeps the two workers and gives each threads for ×3 × 1.2.
    expect(unit.firstCeiling).toEqual(check);
    expect(unit.verdict).toBe('no-go');
    expect(unit.change).toBe(
      '2 workers × 8 threads = 16 at once (gunicorn -k gthread --threads 8), or an async worker class where the wait is I/O',
    );
    expect(unit.monthlyCostDeltaUsd).toBe(0);
  });

  it('uvicorn --workers 2 (uvicorn-workers-blocked): unknown, an asyncio worker has no such cap', async () => {
    const { unit, check } = project(await onHostSample('uvicorn-workers-blocked'));
    expect(check).toMatchObject({ status: 'unknown', breaksAt: null, limit: null });
    expect(check.source).toMatch(/no worker class or threads per worker.*uvicorn/);
    expect(unit.firstCeiling?.label ?? '').not.toMatch(/^workers × threads/);
  });

  it('gunicorn -k gevent without worker_connections in its log: unknown, with the reason', async () => {
    const { check } = project(await onHostSample('gevent-loop-blocked'));
    expect(check.status).toBe('unknown');
    expect(check.source).toMatch(/worker_connections are not in the capture .*Using worker: gevent/);
  });

  it('a capture without worker processes (threadpool-starvation) lists it as unknown', async () => {
    const { check } = project(await onHostSample('threadpool-starvation'));
    expect(check.status).toBe('unknown');
    expect(check.source).toMatch(/no worker processes in the capture/);
  });
});

describe('workers × threads against concurrency, on synthetic folders', () => {
  it("sync workers: 3 × 1 against Little's law, λ 8/s × W (3 ÷ 2 accepts/s = 1.5 s) = 12 at once", async () => {
    const onHost = await folder({
      'app.log': gunicornLog(),
      'process-tree.jsonl': treeText({
        workers: 3,
        seconds: 30,
        arrived: 8,
        acceptedNew: 2,
        busy: () => true,
      }),
    });
    const { check } = project(onHost, 2);
    expect(check).toMatchObject({ limit: 3, today: 12, demand: 24, breaksAt: 0.25, status: 'breaks' });
  });

  it('sync workers that were never all busy: the peak of busy workers is the demand', async () => {
    // Worker w is busy in second s when (s + w) % 4 === 0: at most one of the three at a time.
    const onHost = await folder({
      'app.log': gunicornLog(),
      'process-tree.jsonl': treeText({
        workers: 3,
        seconds: 20,
        arrived: 1,
        acceptedNew: 1,
        busy: (w, s) => (s + w) % 4 === 0,
      }),
    });
    const { check, unit } = project(onHost, 2);
    expect(check).toMatchObject({ limit: 3, today: 1, demand: 2, breaksAt: 3, status: 'ok' });
    expect(check.source).toMatch(/peak busy worker processes/);
    expect(unit.verdict).toBe('go');
  });

  it('gthread from the configuration dump: 2 × 4 threads against a peak of 6 in flight', async () => {
    const onHost = await folder({
      'app.log': gunicornLog('  workers: 2', '  worker_class: gthread', '  threads: 4'),
      'process-tree.jsonl': treeText({
        workers: 2,
        seconds: 20,
        arrived: 3,
        acceptedNew: 3,
        busy: () => true,
      }),
      'prometheus-queries/app_http_requests_in_flight.json': inFlightQuery([0, 2, 4, 6, 5, 3, 1, 0]),
    });
    const { check, unit } = project(onHost, 3);
    expect(check).toMatchObject({
      label: 'workers × threads: 2 × 4 threads',
      limit: 8,
      today: 6,
      breaksAt: 1.33,
    });
    expect(check.source).toMatch(/4 from threads 4 in the gunicorn configuration \(app\.log line 4\)/);
    expect(check.source).toMatch(/peak http_requests_in_flight/);
    // ×3: 18 at once, × 1.2 = 21.6 → 11 threads each.
    expect(unit.change).toMatch(/^2 workers × 11 threads = 22 at once/);
  });

  it('gevent with worker_connections: workers × connections', async () => {
    const onHost = await folder({
      'app.log': gunicornLog('  workers: 2', '  worker_class: gevent', '  worker_connections: 50'),
      'process-tree.jsonl': treeText({
        workers: 2,
        seconds: 10,
        arrived: 3,
        acceptedNew: 3,
        busy: () => true,
      }),
      'prometheus-queries/app_http_requests_in_flight.json': inFlightQuery([10, 40, 25]),
    });
    const { check, unit } = project(onHost, 3);
    expect(check).toMatchObject({
      label: 'workers × threads: 2 × 50 connections',
      limit: 100,
      today: 40,
      breaksAt: 2.5,
    });
    expect(unit.change).toBe('worker_connections to 72 (2 × 72 = 144 at once)');
  });

  it('gthread without a measure of requests in flight is unknown, not passed', async () => {
    const onHost = await folder({
      'app.log': gunicornLog('  workers: 2', '  worker_class: gthread', '  threads: 4'),
      'process-tree.jsonl': treeText({
        workers: 2,
        seconds: 10,
        arrived: 3,
        acceptedNew: 3,
        busy: () => true,
      }),
    });
    const { check } = project(onHost);
    expect(check).toMatchObject({ status: 'unknown', breaksAt: null });
    expect(check.source).toMatch(/no measure of requests in service/);
  });

  it('is listed as unknown on a host without samples', () => {
    const facts = fleet({ days: 1 }).host('i-bare').cpu('i-bare', flat(10)).facts();
    const unit = projectEvent(facts, { multiplier: 2 }).units[0]!;
    expect(unit.checks.filter(isWorkers)).toMatchObject([
      { status: 'unknown', source: 'no on-host samples' },
    ]);
  });
});
