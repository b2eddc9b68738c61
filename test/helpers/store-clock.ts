// A store Clock (src/store/sql.ts) that never waits: each sleep runs an optional hook (which may
// change the store meanwhile), then advances the time by what was asked.
export function fakeClock(startMs = 0, onSleep?: (count: number) => Promise<void>) {
  const clock = {
    nowMs: startMs,
    sleeps: 0,
    now: () => clock.nowMs,
    sleep: async (ms: number) => {
      clock.sleeps += 1;
      await onSleep?.(clock.sleeps);
      clock.nowMs += ms;
    },
  };
  return clock;
}
