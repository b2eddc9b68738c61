// What one cloud's collection tells the progress view, fed by call()'s observer on a virtual clock:
// exact counts and waits on any machine.
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.ts';
import { createCaller } from '../../src/net/call.ts';
import { virtualClock } from '../../src/net/clock.ts';
import { CollectProgress } from '../../src/run/collect-progress.ts';
import { type ProgressEvent, ProgressState } from '../../src/run/progress.ts';

const limits = { rated: { concurrency: 10, requestsPerInterval: 3, intervalMs: 1_500, source: 'test' } };

describe('CollectProgress', () => {
  it('counts calls against the minimum and shows the wait the rate limit imposes while it lasts', async () => {
    const events: ProgressEvent[] = [];
    const state = new ProgressState({ clouds: ['linode'], onHostFolders: 0, writers: [] });
    const titles: string[] = [];
    const progress = new CollectProgress(
      'linode',
      (event) => {
        events.push(event);
        state.apply(event);
        titles.push(state.title(state.clouds.get('linode')!.steps.metrics));
      },
      () => 7,
    );
    const call = createCaller({
      provider: 'linode',
      limits,
      log: silentLogger,
      clock: virtualClock(0),
      toProviderError: () => undefined,
      observer: progress.observer,
    });
    progress.step('inventory', 'running');
    await call({ bucket: 'rated', operation: 'linode.list' }, async () => 1);
    progress.stepDone('inventory', '3 hosts', 0);
    // The inventory's call is counted, but shown only once metrics start (the minimum needs the listing).
    expect(events.filter((e) => e.type === 'calls')).toEqual([]);
    progress.step('metrics', 'running');
    await Promise.all(
      Array.from({ length: 6 }, () => call({ bucket: 'rated', operation: 'linode.stats' }, async () => 1)),
    );
    progress.stepDone('metrics', '12 series', 0);
    const calls = events.flatMap((e) => (e.type === 'calls' ? [e] : []));
    // 3 calls per 1.5 s, the inventory's among the first three: two waits of a whole window, each told
    // as it starts (the call before it is being sent at that instant).
    expect(calls.map((e) => [e.done, e.rateLimitWaitMs ?? 0])).toEqual([
      [1, 0],
      [2, 0],
      [2, 1_500],
      [3, 0],
      [4, 0],
      [5, 0],
      [5, 1_500],
      [6, 0],
      [7, 0],
      [7, 0],
    ]);
    expect(calls.every((e) => e.minimum === 7)).toBe(true);
    expect(titles).toContain('metrics, 2 / 7 calls (done / minimum), rate limit: next call in 1.5 s');
    expect(titles.at(-1)).toBe('metrics, 7 / 7 calls (done / minimum), 12 series');
  });

  it('turns a scope that listed nothing into an error naming the scope', () => {
    const events: ProgressEvent[] = [];
    const progress = new CollectProgress(
      'aws',
      (event) => events.push(event),
      () => 0,
    );
    progress.stepDone('inventory', '0 hosts', 1, [{ scope: 'eu-west-1', reason: 'auth' }]);
    expect(events).toEqual([
      {
        type: 'error',
        cloud: 'aws',
        step: 'inventory',
        message: '0 hosts, 1 gap; listed nothing in eu-west-1 (auth)',
      },
    ]);
  });
});
