import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inOrderReadingAhead } from '../../src/run/artifacts-reader.ts';

/** A source that records when it is started and closed, and what it has handed out. */
function recorded(log: string[], name: string, items: readonly number[], failAt?: number) {
  return async function* (): AsyncGenerator<number> {
    log.push(`start ${name}`);
    try {
      for (const [index, item] of items.entries()) {
        await Promise.resolve();
        if (index === failAt) throw new Error(`${name} is damaged`);
        yield item;
      }
    } finally {
      log.push(`close ${name}`);
    }
  };
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('reading sources one after another, the next one started ahead', () => {
  it('gives every item in source order, whatever the sources hold', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.integer(), { maxLength: 5 }), { maxLength: 6 }),
        async (lists) => {
          const log: string[] = [];
          const got = await all(inOrderReadingAhead(lists.map((l, i) => recorded(log, `s${i}`, l))));
          expect(got).toEqual(lists.flat());
          // Every source is closed, and never more than two are open at once.
          let open = 0;
          for (const line of log) {
            open += line.startsWith('start') ? 1 : -1;
            expect(open).toBeLessThanOrEqual(2);
          }
          expect(open).toBe(0);
        },
      ),
    );
  });

  it('starts the next source once the current one has handed its first item, not before', async () => {
    const log: string[] = [];
    const items = inOrderReadingAhead([
      recorded(log, 'a', [1, 2]),
      recorded(log, 'b', [3]),
      recorded(log, 'c', [4]),
    ]);
    expect((await items.next()).value).toBe(1);
    expect(log).toEqual(['start a', 'start b']);
    await all(items);
    expect(log.indexOf('start c')).toBeGreaterThan(log.indexOf('close a'));
  });

  it("raises a later source's error only when its turn comes, after the items before it", async () => {
    const log: string[] = [];
    const got: number[] = [];
    const error = await (async () => {
      for await (const item of inOrderReadingAhead([recorded(log, 'a', [1, 2]), recorded(log, 'b', [3], 0)]))
        got.push(item);
    })().catch((e: unknown) => e);
    expect(got).toEqual([1, 2]);
    expect((error as Error).message).toBe('b is damaged');
    // b failed while read ahead (its reader is closed then); the error waited for a's items.
    expect(log.filter((l) => l.startsWith('close')).sort()).toEqual(['close a', 'close b']);
  });

  it('closes the current source and the one started ahead when the reader stops early', async () => {
    const log: string[] = [];
    for await (const item of inOrderReadingAhead([recorded(log, 'a', [1, 2, 3]), recorded(log, 'b', [4])])) {
      if (item === 2) break;
    }
    expect(log.slice(0, 2)).toEqual(['start a', 'start b']);
    expect(log.slice(2).sort()).toEqual(['close a', 'close b']);
  });
});
