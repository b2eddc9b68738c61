// The report step of a sharded run at scale: a make-fleet folder is cut into one shard per cloud,
// each shard's files go into a real PostgreSQL (Debian's server on 127.0.0.1, a temporary cluster),
// then `fleetlens report` runs in a child process. Prints the upload time, the store's size, and
// the report's wall time, CPU and peak RSS next to a plain replay of the same folder.
//   node --import tsx bench/shard-report.ts DIR      (DIR from `npm run make-fleet`)
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { packagePath } from '../src/paths.ts';
import { ArtifactsManifest } from '../src/run/artifacts-manifest.ts';
import { openShardLedger } from '../src/store/index.ts';
import { startPostgres } from '../test/helpers/postgres.ts';

const dir = process.argv[2];
if (!dir) throw new Error('usage: bench/shard-report.ts MAKE_FLEET_DIR');
const manifest = ArtifactsManifest.parse(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')));
const scratch = mkdtempSync(join(tmpdir(), 'fleetlens-shard-bench-'));
const server = await startPostgres();
try {
  const url = await server.createDatabase('bench');
  const settings = manifest.settings!;
  const ledger = await openShardLedger(url);
  const runId = 'bench-run';
  await ledger.joinRun({ runId, window: manifest.window, settings });
  const keys: Record<string, string> = {
    aws: (settings.providers.aws as { regions: string[] }).regions.map((r) => `aws:default/${r}`).join(','),
    gcp: (settings.providers.gcp as { projects: string[] }).projects.map((p) => `gcp:${p}`).join(','),
    linode: 'linode:default',
    ovh: (settings.providers.ovh as { projects: string[] }).projects.map((p) => `ovh:${p}`).join(','),
  };
  const uploadStartMs = performance.now();
  for (const p of manifest.providers) {
    const shardDir = join(scratch, p.provider);
    mkdirSync(join(shardDir, 'inventory'), { recursive: true });
    mkdirSync(join(shardDir, 'series'), { recursive: true });
    cpSync(join(dir, p.inventory), join(shardDir, p.inventory));
    for (const f of p.seriesFiles) cpSync(join(dir, f.file), join(shardDir, f.file));
    writeFileSync(join(shardDir, 'manifest.json'), JSON.stringify({ ...manifest, providers: [p] }));
    const key = keys[p.provider]!;
    await ledger.startShard(runId, key, key.split(','));
    await ledger.finishShard(runId, key, shardDir, {});
  }
  const uploadSeconds = (performance.now() - uploadStartMs) / 1000;
  await ledger.close();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const size = await client.query("SELECT pg_total_relation_size('shard_files') AS bytes");
  await client.end();

  const time = (args: string[]) => {
    const started = performance.now();
    const run = spawnSync(
      '/usr/bin/time',
      ['-f', '%M %U %S', process.execPath, '--import', 'tsx', packagePath('src', 'cli.ts'), ...args],
      { encoding: 'utf8', env: { ...process.env, FLEETLENS_LOG_LEVEL: 'error' }, maxBuffer: 1 << 26 },
    );
    const [rssKiB, user, sys] = run.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
    return {
      code: run.status,
      seconds: (performance.now() - started) / 1000,
      cpuSeconds: user! + sys!,
      rssMiB: rssKiB! / 1024,
    };
  };
  const out = join(scratch, 'out');
  const report = time([
    'report',
    '--store',
    url,
    '--run-id',
    runId,
    '--wait',
    '0',
    '--format',
    'json',
    '--out',
    out,
  ]);
  const findings = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).findings.length;
  const replay = time([
    'audit',
    '--from-artifacts',
    dir,
    '--no-store',
    '--format',
    'json',
    '--out',
    join(scratch, 'r'),
  ]);
  const replayFindings = JSON.parse(readFileSync(join(scratch, 'r', 'report.json'), 'utf8')).findings.length;
  const mib = (n: number) => `${n.toFixed(0)} MiB`;
  console.log(
    [
      `hosts: ${manifest.providers.reduce((n, p) => n + p.seriesFiles.reduce((m, f) => m + f.hosts, 0), 0)}`,
      `upload of 4 shards: ${uploadSeconds.toFixed(1)} s; shard_files in PostgreSQL: ${mib(Number(size.rows[0].bytes) / 1_048_576)}`,
      `report (exit ${report.code}): ${report.seconds.toFixed(1)} s, ${report.cpuSeconds.toFixed(1)} CPU-s, ${mib(report.rssMiB)} peak RSS, ${findings} findings`,
      `replay of the same folder: ${replay.seconds.toFixed(1)} s, ${replay.cpuSeconds.toFixed(1)} CPU-s, ${mib(replay.rssMiB)}, ${replayFindings} findings`,
    ].join('\n'),
  );
} finally {
  await server.stop();
  rmSync(scratch, { recursive: true, force: true });
}
