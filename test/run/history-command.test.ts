// `history`, `diff` and `show` as a user meets them, and what a broken store does to each command:
// `audit` still writes its report with a `store` gap; the read commands say one line and exit 2.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalysisResult } from '../../reports/json/schema.ts';
import { ConfigError } from '../../src/errors.ts';
import { silentLogger } from '../../src/log.ts';
import { runDiffCommand, runHistoryCommand } from '../../src/run/history-command.ts';
import { writeAuditReports } from '../../src/run/output.ts';
import { recordAuditRun } from '../../src/run/record-run.ts';
import { DEFAULT_KEEP_MS, StoreError } from '../../src/store/index.ts';
import { CLI_TEST_TIMEOUT_MS, fleetlens } from '../helpers/cli.ts';
import { defaultFindingSpecs, fleetResult, WEEK_MS } from '../helpers/history-builder.ts';

let dir: string;
let corrupt: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetlens-history-command-'));
  corrupt = join(dir, 'corrupt.duckdb');
  await writeFile(corrupt, 'this is not a DuckDB database\n'.repeat(1000));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const step = (store: string, keepMs = DEFAULT_KEEP_MS) => ({
  store,
  keepMs,
  stableRuns: 3,
  onlyStable: false,
  log: silentLogger,
});

describe('audit with a store it cannot use', () => {
  it('writes the report anyway, with a store gap naming the store and no statuses', async () => {
    const result = fleetResult({ runId: 'run-x', findings: defaultFindingSpecs(4) });
    const recorded = await recordAuditRun(result, step(corrupt));
    expect(recorded.gaps).toEqual([
      expect.objectContaining({ provider: 'store', kind: 'bad-response', what: `history store ${corrupt}` }),
    ]);
    expect(recorded.gaps[0]!.message).toMatch(/corrupt/);
    expect(recorded.run.summary.gaps).toBe(result.run.summary.gaps + 1);
    expect(recorded.findings.every((f) => f.status === undefined)).toBe(true);
    const out = join(dir, 'out');
    await writeAuditReports(recorded, ['md', 'json'], out);
    expect(
      AnalysisResult.parse(JSON.parse(await readFile(join(out, 'report.json'), 'utf8'))).gaps,
    ).toHaveLength(1);
    expect(await readFile(join(out, 'report.md'), 'utf8')).toContain('history store');
  });
});

describe('history and diff', () => {
  let store: string;
  beforeAll(async () => {
    store = join(dir, 'three.duckdb');
    for (let week = 0; week < 3; week += 1) {
      const specs = defaultFindingSpecs(5 + week);
      await recordAuditRun(fleetResult({ runId: `run-${week}`, week, findings: specs }), step(store));
    }
  });

  it('lists runs newest first with findings by severity, cost delta and coverage', async () => {
    const { runs } = JSON.parse(await runHistoryCommand({ store, format: 'json' }));
    expect(runs.map((r: { runId: string }) => r.runId)).toEqual(['run-2', 'run-1', 'run-0']);
    expect(runs[0]).toMatchObject({ hosts: 36, complete: true, coverage: { aws: { hostsListed: 9 } } });
    const md = await runHistoryCommand({ store, format: 'md' });
    expect(md.split('\n')).toHaveLength(2 + 3 + 1);
    expect(md).toMatch(/2025-01-20 06:00 UTC \| run-2/);
  });

  it('diffs the last two runs by default, and one run against the one before it', async () => {
    const last = JSON.parse(await runDiffCommand(undefined, undefined, { store, format: 'json' }));
    expect(last).toMatchObject({
      from: { runId: 'run-1' },
      to: { runId: 'run-2' },
      counts: { new: 1, resolved: 0 },
    });
    const one = JSON.parse(await runDiffCommand('run-1', undefined, { store, format: 'json' }));
    expect(one).toMatchObject({ from: { runId: 'run-0' }, to: { runId: 'run-1' } });
    const both = JSON.parse(await runDiffCommand('run-2', 'run-0', { store, format: 'json' }));
    expect(both).toMatchObject({ from: { runId: 'run-0' }, to: { runId: 'run-2' }, counts: { new: 2 } });
  });

  it('names a run that is not there as a usage error', async () => {
    await expect(runDiffCommand('nope', undefined, { store, format: 'md' })).rejects.toThrow(ConfigError);
    await expect(runHistoryCommand({ store: join(dir, 'missing.duckdb'), format: 'md' })).rejects.toThrow(
      /no history store at .*missing\.duckdb/,
    );
  });

  it('prunes past --keep at the end of an audit and says how many', async () => {
    const pruned = await recordAuditRun(
      fleetResult({ runId: 'run-3', week: 3, findings: defaultFindingSpecs(5) }),
      step(store, 2 * WEEK_MS - 1),
    );
    expect(pruned.history?.runsPruned).toBe(2);
    const { runs } = JSON.parse(await runHistoryCommand({ store, format: 'json' }));
    expect(runs.map((r: { runId: string }) => r.runId)).toEqual(['run-3', 'run-2']);
  });

  it('throws a StoreError for a corrupt store', async () => {
    await expect(runHistoryCommand({ store: corrupt, format: 'md' })).rejects.toThrow(StoreError);
  });

  it(
    'exits 2 with one line on a corrupt store, from the real CLI',
    async () => {
      const run = await fleetlens(['diff', '--store', corrupt]);
      expect(run.code).toBe(2);
      expect(run.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(/^fleetlens: history store .*corrupt/),
      ]);
      expect(run.stdout).toBe('');
    },
    CLI_TEST_TIMEOUT_MS,
  );
});
