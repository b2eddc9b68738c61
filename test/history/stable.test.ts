// "Act only on recommendations stable for N runs", and say when a target keeps changing.
import { describe, expect, it } from 'vitest';
import { toRunRecord } from '../../src/history/record.ts';
import { recommendationStability } from '../../src/history/stable.ts';
import { fleetResult } from '../helpers/history-builder.ts';

const run = (week: number, recommended: string, superseded = false) => {
  const record = toRunRecord(
    fleetResult({ runId: `r${week}`, week, findings: [{ host: 1, rule: 1, recommended }] }),
  );
  if (superseded) record.recommendations[0]!.supersededBy = 'other';
  return record;
};

describe('stable recommendations', () => {
  it('marks a target seen in 3 consecutive runs stable, and not before', () => {
    const newestFirst = [run(2, 'm6i.large'), run(1, 'm6i.large'), run(0, 'm6i.large')];
    expect(recommendationStability(newestFirst)).toEqual([
      { recommendationId: newestFirst[0]!.recommendations[0]!.id, runs: 3, stable: true, flipped: null },
    ]);
    expect(recommendationStability(newestFirst.slice(0, 2))[0]).toMatchObject({ runs: 2, stable: false });
    expect(recommendationStability(newestFirst, 4)[0]).toMatchObject({ runs: 3, stable: false });
  });

  it('says which targets a flipping recommendation went through, oldest first', () => {
    const newestFirst = [run(2, 'm6i.large'), run(1, 'r6i.large'), run(0, 'm6i.large')];
    expect(recommendationStability(newestFirst)[0]).toMatchObject({
      runs: 1,
      stable: false,
      flipped: ['m6i.large', 'r6i.large', 'm6i.large'],
    });
  });

  it('never counts a superseded recommendation, before or now', () => {
    const withSuperseded = [run(2, 'm6i.large'), run(1, 'm6i.large', true), run(0, 'm6i.large')];
    expect(recommendationStability(withSuperseded)[0]).toMatchObject({ runs: 1, stable: false });
    expect(recommendationStability([run(3, 'm6i.large', true), ...withSuperseded])).toEqual([]);
  });
});
