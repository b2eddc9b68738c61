// --keep 180d: 200 weekly audits of a demo-sized fleet (36 hosts, 30 findings), each pruning at its
// end as `audit` does, and the DuckDB file stops growing once the oldest runs age out.
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_KEEP_MS, openStore } from '../../src/store/index.ts';
import { FIRST_RUN_MS, fleetResult, WEEK_MS } from '../helpers/history-builder.ts';

const dir = mkdtempSync(join(tmpdir(), 'fleetlens-retention-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bytesOf = (path: string) =>
  statSync(path).size + (existsSync(`${path}.wal`) ? statSync(`${path}.wal`).size : 0);

describe('retention', () => {
  it('keeps the store bounded over 200 weekly runs with keep 180d', async () => {
    const path = join(dir, 'history.duckdb');
    const store = await openStore(path);
    const sizes: number[] = [];
    try {
      for (let week = 0; week < 200; week += 1) {
        // The fleet's numbers drift week to week so no two runs store the same values.
        const findings = Array.from({ length: 30 }, (_, index) => ({
          host: index,
          rule: index % 5,
          value: 40 + ((index * 13 + week * 7) % 55),
        }));
        await store.recordRun(fleetResult({ runId: `week-${week}`, week, findings }));
        await store.prune(DEFAULT_KEEP_MS, FIRST_RUN_MS + week * WEEK_MS);
        sizes.push(bytesOf(path));
      }
      // 180 days hold 26 weekly runs (the run of day 0 and the 25 before it, day 175 the oldest).
      expect(await store.listRuns()).toHaveLength(26);
      expect((await store.listRuns()).at(-1)?.runId).toBe('week-174');
    } finally {
      await store.close();
    }
    const steady = Math.max(...sizes.slice(26, 60));
    const later = Math.max(...sizes.slice(60));
    // Bounded: the last 140 runs never need more than the first weeks at full retention (+25 %).
    expect(later).toBeLessThanOrEqual(steady * 1.25);
    expect(statSync(path).size).toBeLessThanOrEqual(steady * 1.25);
  }, 900_000);
});
