// `npx tsx bench/history-store.ts [postgres://...]`: the history store's size per run and the time
// `history` (listRuns) and `diff` (two runs loaded, compared, rendered) take on 200 runs of a
// demo-sized fleet (36 hosts, 30 findings). Measured here, never in a timed test.
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffRuns, renderDiffMarkdown } from '../src/history/diff.ts';
import { runDiffCommand, runHistoryCommand } from '../src/run/history-command.ts';
import { openStore } from '../src/store/index.ts';
import { fleetResult } from '../test/helpers/history-builder.ts';

const RUNS = 200;
const bytesOf = (path: string) =>
  statSync(path).size + (existsSync(`${path}.wal`) ? statSync(`${path}.wal`).size : 0);

function weekly(week: number) {
  const findings = Array.from({ length: 30 }, (_, index) => ({
    host: index,
    rule: index % 5,
    value: 40 + ((index * 13 + week * 7) % 55),
  }));
  return fleetResult({ runId: `week-${week}`, week, findings });
}

async function timeMs<T>(work: () => Promise<T>, repeat = 5): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < repeat; i += 1) {
    const start = performance.now();
    await work();
    times.push(performance.now() - start);
  }
  return Math.round(times.sort((a, b) => a - b)[Math.floor(repeat / 2)]! * 10) / 10;
}

async function bench(spec: string, sizeOf?: () => number) {
  const store = await openStore(spec);
  const sizes: Record<number, number> = {};
  const recordMs: number[] = [];
  for (let week = 0; week < RUNS; week += 1) {
    const start = performance.now();
    await store.recordRun(weekly(week));
    recordMs.push(performance.now() - start);
    if (sizeOf && [0, 25, 99, 199].includes(week)) {
      await store.close();
      sizes[week + 1] = sizeOf();
    }
  }
  const listMs = await timeMs(() => store.listRuns());
  const diffMs = await timeMs(async () => {
    const [a, b] = await Promise.all([store.getRun('week-198'), store.getRun('week-199')]);
    return renderDiffMarkdown(diffRuns(a!, b!));
  });
  await store.close();
  // The commands as a user runs them: open the store, read, render, close.
  const historyCommandMs = await timeMs(() => runHistoryCommand({ store: spec, format: 'md' }));
  const diffCommandMs = await timeMs(() =>
    runDiffCommand(undefined, undefined, { store: spec, format: 'md' }),
  );
  const median = recordMs.sort((a, b) => a - b)[Math.floor(recordMs.length / 2)]!;
  console.log(`${spec.startsWith('postgres') ? 'postgres' : 'duckdb'}: ${RUNS} runs`);
  console.log(`  record one run (median): ${Math.round(median)} ms`);
  console.log(`  listRuns on ${RUNS} runs (median of 5): ${listMs} ms`);
  console.log(`  two-run diff on ${RUNS} runs, loaded and rendered (median of 5): ${diffMs} ms`);
  console.log(
    `  \`fleetlens history\` on ${RUNS} runs, store opened to text (median of 5): ${historyCommandMs} ms`,
  );
  console.log(
    `  \`fleetlens diff\` (last two) on ${RUNS} runs, store opened to text (median of 5): ${diffCommandMs} ms`,
  );
  if (sizeOf) {
    for (const [runs, bytes] of Object.entries(sizes))
      console.log(`  file after ${runs} runs: ${bytes} bytes`);
    const slope = (sizes[200]! - sizes[100]!) / 100;
    console.log(`  bytes per run (runs 100 → 200): ${Math.round(slope)}`);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'fleetlens-bench-store-'));
try {
  const path = join(dir, 'history.duckdb');
  await bench(path, () => bytesOf(path));
  const url = process.argv[2];
  if (url) await bench(url);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
