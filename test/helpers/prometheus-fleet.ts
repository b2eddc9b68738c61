// A multi-host TSDB from the public captures' series (mocks/prometheus/*.json.gz) relabelled as
// instances of a fleet, built by `promtool tsdb create-blocks-from openmetrics` and served by the
// real Prometheus; stopped by its PID.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openMetricsLines, type Placement, placedSeries } from '../../mocks/servers/prometheus/captures.ts';
import { freePort, type RunningPrometheus, requirePrometheus } from './prometheus.ts';

export async function startFleetPrometheus(
  placements: readonly Placement[],
  options: { flags?: string[]; readyMs?: number } = {},
): Promise<RunningPrometheus> {
  requirePrometheus();
  const dir = await mkdtemp(join(tmpdir(), 'fleetlens-prom-fleet-'));
  const input = join(dir, 'fleet.om');
  const out = createWriteStream(input);
  for (const chunk of openMetricsLines(placedSeries(placements))) {
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  await mkdir(join(dir, 'data'));
  const created = spawnSync(
    'promtool',
    [
      'tsdb',
      'create-blocks-from',
      'openmetrics',
      // NOTE: promtool reads the whole file once per block; one block for the 14 days reads it once.
      '--max-block-duration=720h',
      input,
      join(dir, 'data'),
    ],
    {
      encoding: 'utf8',
    },
  );
  if (created.status !== 0) throw new Error(`promtool failed: ${created.stderr}`);
  await writeFile(join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 1m\nscrape_configs: []\n');
  const port = await freePort();
  const child = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      '--storage.tsdb.retention.time=100y',
      `--web.listen-address=127.0.0.1:${port}`,
      ...(options.flags ?? []),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const output: Buffer[] = [];
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
  const stop = async () => {
    if (child.exitCode === null && child.pid !== undefined) {
      const exited = once(child, 'exit');
      process.kill(child.pid, 'SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.readyMs ?? 300_000);
  while (Date.now() < deadline && child.exitCode === null) {
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return { url, pid: child.pid!, stop };
    await sleep(100);
  }
  await stop();
  throw new Error(`fleet prometheus did not become ready: ${Buffer.concat(output).toString().slice(-800)}`);
}
