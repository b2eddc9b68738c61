// `fleetlens report` (issue 12 point 5) on a real PostgreSQL with a clock that never waits: a shard
// that failed, fell silent, is still running when --wait runs out, or never came is a gap and an
// incomplete run (exit 4), never a hang; a shard that finishes while the report waits is judged.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisResult } from '../../reports/json/schema.ts';
import { ConfigError } from '../../src/errors.ts';
import { createLogger } from '../../src/log.ts';
import { auditExitStatus } from '../../src/run/exit-status.ts';
import { POLL_MS, runReportCommand } from '../../src/run/report-command.ts';
import { SILENT_SHARD_MS } from '../../src/run/shard-run.ts';
import { openShardLedger, type ShardLedger } from '../../src/store/index.ts';
import { artifactsOf, saturatedFleet, writeArtifacts } from '../helpers/artifacts-builder.ts';
import { flat, fleet } from '../helpers/fleet-builder.ts';
import { type RunningPostgres, startPostgres } from '../helpers/postgres.ts';
import { fakeClock } from '../helpers/store-clock.ts';

let server: RunningPostgres;
let dir: string;
const log = createLogger('silent');

beforeAll(async () => {
  server = await startPostgres();
  dir = await mkdtemp(join(tmpdir(), 'fleetlens-report-'));
});
afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

const SETTINGS = {
  since: '14d',
  periodSec: 300,
  providers: { aws: { regions: ['us-east-1', 'eu-west-1'] } },
  onHost: [],
  sizing: artifactsOf(saturatedFleet()).settings!.sizing,
  rules: {},
};

/** A run of two AWS regions whose us-east-1 shard is done (one host pinned at 98 % CPU). */
async function runWithOneShardDone(
  url: string,
  runId: string,
  clock: { now(): number; sleep(ms: number): Promise<void> },
) {
  const ledger = await openShardLedger(url, { clock });
  const artifacts = artifactsOf(saturatedFleet());
  await ledger.joinRun({ runId, window: artifacts.window, settings: SETTINGS });
  await ledger.startShard(runId, 'aws:default/us-east-1', ['aws:default/us-east-1']);
  const saved = await writeArtifacts(join(dir, `${runId}-east`), artifacts);
  await ledger.finishShard(runId, 'aws:default/us-east-1', saved, { hosts: 1 });
  return ledger;
}

async function eastAndWestDone(ledger: ShardLedger, runId: string) {
  const west = fleet()
    .host('i-0000000000000west', { name: 'west-1', region: 'eu-west-1', type: 'c6i.large' })
    .cpu('i-0000000000000west', flat(97))
    .metric('i-0000000000000west', 'net.in.bytes', flat(1000))
    .metric('i-0000000000000west', 'net.out.bytes', flat(1000));
  const artifacts = artifactsOf(west);
  artifacts.providers[0]!.coverage!.scopes = ['eu-west-1'];
  const saved = await writeArtifacts(join(dir, `${runId}-west`), artifacts);
  await ledger.finishShard(runId, 'aws:default/eu-west-1', saved, { hosts: 1 });
}

function report(url: string, runId: string, wait: string, clock: ReturnType<typeof fakeClock>) {
  return runReportCommand(
    { store: url, runId, wait, format: 'json', out: join(dir, `${runId}-report`) },
    log,
    clock,
  );
}

const gapsOf = (result: AnalysisResult) => result.gaps.filter((g) => g.what.startsWith('shard '));

describe('fleetlens report', () => {
  it('reports at once with a failed shard as a gap, exit 4, and the done shard judged', async () => {
    const url = await server.createDatabase('failed');
    const clock = fakeClock(Date.UTC(2026, 11, 6));
    const ledger = await runWithOneShardDone(url, 'r-failed', clock);
    await ledger.startShard('r-failed', 'aws:default/eu-west-1', ['aws:default/eu-west-1']);
    await ledger.failShard('r-failed', 'aws:default/eu-west-1', 'out of memory');
    await ledger.close();

    const result = await report(url, 'r-failed', '30m', clock);
    expect(clock.sleeps).toBe(0);
    expect(gapsOf(result)).toEqual([
      {
        provider: 'aws',
        what: 'shard aws:default/eu-west-1',
        kind: 'unavailable',
        message: 'shard aws:default/eu-west-1 failed: out of memory',
      },
    ]);
    expect(result.run.complete).toBe(false);
    expect(result.run.coverage.aws?.failedScopes).toEqual([
      { scope: 'eu-west-1', reason: 'shard aws:default/eu-west-1 failed: out of memory' },
    ]);
    expect(result.hosts.map((h) => h.name)).toEqual(['hot-1']);
    expect(result.findings.some((f) => f.subject.id === 'i-00000000000000hot')).toBe(true);
    expect(auditExitStatus(result, { allowPartial: false, categories: new Set() }).code).toBe(4);
  });

  it('waits out --wait for a running shard, then lists it as a gap (no hang)', async () => {
    const url = await server.createDatabase('running');
    // Still beating: alive all along the wait, on the same clock as the report.
    let ledger: ShardLedger | undefined;
    const clock = fakeClock(Date.UTC(2026, 11, 6), async () => {
      await ledger?.heartbeat('r-running', 'aws:default/eu-west-1');
    });
    ledger = await runWithOneShardDone(url, 'r-running', clock);
    await ledger.startShard('r-running', 'aws:default/eu-west-1', ['aws:default/eu-west-1']);
    const result = await report(url, 'r-running', '10m', clock);
    await ledger.close();
    expect(clock.sleeps).toBe(600_000 / POLL_MS);
    expect(gapsOf(result).map((g) => g.message)).toEqual([
      'shard aws:default/eu-west-1 was still running when --wait 10m ran out',
    ]);
  });

  it('does not wait for a shard that stopped beating, nor past --wait 0 for one that never came', async () => {
    const url = await server.createDatabase('silent');
    const startMs = Date.UTC(2026, 11, 6);
    const early = fakeClock(startMs);
    const ledger = await runWithOneShardDone(url, 'r-silent', early);
    await ledger.startShard('r-silent', 'aws:default/eu-west-1', ['aws:default/eu-west-1']);
    await ledger.close();
    const later = fakeClock(startMs + SILENT_SHARD_MS + 1);
    const silent = await report(url, 'r-silent', '30m', later);
    expect(later.sleeps).toBe(0);
    expect(gapsOf(silent).map((g) => g.message)).toEqual([
      `shard aws:default/eu-west-1 stopped reporting at ${new Date(startMs).toISOString()} and never finished`,
    ]);

    const url2 = await server.createDatabase('missing');
    const clock = fakeClock(startMs);
    await (await runWithOneShardDone(url2, 'r-missing', clock)).close();
    const missing = await report(url2, 'r-missing', '0', clock);
    expect(clock.sleeps).toBe(0);
    expect(gapsOf(missing).map((g) => g.message)).toEqual(['no shard collected aws:default/eu-west-1']);
  });

  it('judges a shard that finishes while it waits: whole and complete', async () => {
    const url = await server.createDatabase('late');
    const setup = fakeClock(Date.UTC(2026, 11, 6));
    const ledger = await runWithOneShardDone(url, 'r-late', setup);
    await ledger.startShard('r-late', 'aws:default/eu-west-1', ['aws:default/eu-west-1']);
    const clock = fakeClock(setup.nowMs, async (count) => {
      if (count === 3) await eastAndWestDone(ledger, 'r-late');
    });
    const result = await report(url, 'r-late', '30m', clock);
    await ledger.close();
    expect(clock.sleeps).toBe(3);
    expect(result.run.complete).toBe(true);
    expect(gapsOf(result)).toEqual([]);
    expect(result.hosts.map((h) => h.name).sort()).toEqual(['hot-1', 'west-1']);
    expect(result.run.id).toBe('r-late');
    expect(new Set(result.findings.map((f) => f.subject.id))).toEqual(
      new Set(['i-00000000000000hot', 'i-0000000000000west']),
    );
  });

  it('judges a group whose members two shards listed as one unit, as one audit of both would', async () => {
    const url = await server.createDatabase('spanning');
    const clock = fakeClock(Date.UTC(2026, 11, 6));
    const both = fleet()
      .host('i-00000000000000aa1', { name: 'web-1', groupId: 'web-asg' })
      .host('i-00000000000000aa2', { name: 'web-2', groupId: 'web-asg' })
      .group('web-asg', ['i-00000000000000aa1', 'i-00000000000000aa2'])
      .cpu('i-00000000000000aa1', flat(4))
      .cpu('i-00000000000000aa2', flat(5));
    const whole = artifactsOf(both);
    // Each shard listed one member; only the first listed the group.
    const slice = (hostId: string, withGroup: boolean) => {
      const copy = artifactsOf(both);
      const p = copy.providers[0]!;
      p.hosts = p.hosts.filter((h) => h.id === hostId);
      p.groups = withGroup ? p.groups : [];
      p.series = p.series.filter((x) => x.subjectId === hostId);
      return copy;
    };
    const ledger = await openShardLedger(url, { clock });
    await ledger.joinRun({ runId: 'r-span', window: whole.window, settings: SETTINGS });
    for (const [key, hostId, withGroup] of [
      ['aws:default/us-east-1', 'i-00000000000000aa1', true],
      ['aws:default/eu-west-1', 'i-00000000000000aa2', false],
    ] as const) {
      await ledger.startShard('r-span', key, [key]);
      const saved = await writeArtifacts(join(dir, `span-${hostId}`), slice(hostId, withGroup));
      await ledger.finishShard('r-span', key, saved, {});
    }
    await ledger.close();
    const result = await report(url, 'r-span', '0', clock);
    const groupFinding = result.findings.find(
      (f) => f.ruleId === 'cpu-over-provisioned' && f.subject.id === 'web-asg',
    );
    expect(groupFinding?.message).toMatch(/^Group web-asg: 2 × m6i\.xlarge need/);

    // The same fleet saved whole and replayed: the same findings, word for word.
    const { runAudit } = await import('../../src/run/audit.ts');
    const { loadedFromSettings } = await import('../../src/run/audit-command.ts');
    const saved = await writeArtifacts(join(dir, 'span-whole'), whole);
    const single = await runAudit({
      loaded: loadedFromSettings(SETTINGS, 'settings'),
      mode: 'live',
      log,
      fromArtifactsDir: saved,
    });
    const said = (r: AnalysisResult) => r.findings.map((f) => `${f.id} ${f.message}`).sort();
    expect(said(result)).toEqual(said(single));
  });

  it('refuses bad flags at once, before the store is opened', async () => {
    const error = await runReportCommand(
      {
        store: join(dir, 'never-created', 'store.duckdb'),
        runId: 'r',
        wait: 'soon',
        stableRuns: '0',
        format: 'md,pdf',
        out: join(dir, 'never'),
      },
      log,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(
      (error as ConfigError)
        .describe()
        .split('\n')
        .map((l) => l.split(':')[0]),
    ).toEqual(['--format', '--wait', '--stable-runs']);
  });

  it('says no shard wrote the run once the wait is over', async () => {
    const url = await server.createDatabase('none');
    const clock = fakeClock(Date.UTC(2026, 11, 6));
    const error = await report(url, 'r-none', '1m', clock).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(
      /^no shard has written run r-none to postgres:\/\/.*within 1m$/,
    );
    expect((error as ConfigError).message).not.toContain(server.password);
    expect(clock.sleeps).toBe(60_000 / POLL_MS);
  });
});
