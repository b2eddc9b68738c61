// Time as a parameter (STYLE.md): everything call() waits for (a rate slot, a backoff, a Retry-After)
// goes through `sleep`, and what bounds outside work (a call's idle time and its ceiling) through
// `timer`. The real clock is the default; tests hand in `virtualClock()`, whose waits take no real
// time, so no count or wait depends on how busy the machine is.

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Waits `ms`; rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Runs `onFire` after `ms` unless the returned cancel is called first. */
  timer(ms: number, onFire: () => void): () => void;
  /**
   * Marks a request in flight until the returned release is called. A virtual clock does not move
   * while one is: a request takes no time on it, so what a server sees of the clock is what its
   * client saw when it sent.
   */
  hold?(): () => void;
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error(String(reason ?? 'aborted'));
}

/**
 * How late a timer may fire before the lateness counts as a blocked event loop rather than timer
 * jitter: 50 ms, or 5 % of a long delay.
 */
export function loopBlockToleranceMs(delayMs: number): number {
  return Math.max(50, delayMs * 0.05);
}

/**
 * A bound on outside work that does not count time the process itself could not run: a timer that
 * fires late fired behind a busy event loop (fleetlens' own CPU, or a machine too busy to schedule
 * it), and that time was not the server's. The lateness is given back, once per late firing, so the
 * I/O that arrived meanwhile is read (the poll phase runs before the re-armed timer) before the
 * bound is judged again (issue 12: a slow machine was a retry storm).
 */
function realTimer(ms: number, onFire: () => void): () => void {
  let handle: ReturnType<typeof setTimeout>;
  const arm = (delayMs: number) => {
    const dueMs = performance.now() + delayMs;
    handle = setTimeout(() => {
      const lateMs = performance.now() - dueMs;
      if (lateMs > loopBlockToleranceMs(delayMs)) arm(lateMs);
      else onFire();
    }, delayMs);
    // A pending call's bound never keeps the process alive on its own.
    handle.unref?.();
  };
  arm(ms);
  return () => clearTimeout(handle);
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      const onAbort = () => {
        clearTimeout(handle);
        reject(abortReason(signal!));
      };
      const handle = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
  timer: realTimer,
};

interface Sleeper {
  atMs: number;
  order: number;
  resolve(): void;
}

/**
 * A clock whose `now` moves only when someone sleeps: each sleep is a timer at `now + ms`, and once
 * no request is in flight (`hold`) the earliest timer fires and `now` jumps to it. Waits cost no
 * real time and happen in deadline order, and a request and its answer happen at one instant, so
 * two runs wait the same way on any machine. `timer` (the bound on outside work, which is real
 * I/O) stays on real time, scaled by `timerScale`.
 */
export function virtualClock(startMs = Date.parse('2025-01-15T00:00:00Z'), timerScale = 1): Clock {
  let nowMs = startMs;
  let order = 0;
  const sleepers: Sleeper[] = [];
  let scheduled = false;
  let inFlight = 0;

  const fireNext = () => {
    scheduled = false;
    if (inFlight > 0) return;
    sleepers.sort((a, b) => a.atMs - b.atMs || a.order - b.order);
    const next = sleepers.shift();
    if (!next) return;
    nowMs = Math.max(nowMs, next.atMs);
    next.resolve();
    schedule();
  };
  const schedule = () => {
    if (scheduled || inFlight > 0 || sleepers.length === 0) return;
    scheduled = true;
    setImmediate(fireNext);
  };

  return {
    now: () => nowMs,
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) {
          reject(abortReason(signal));
          return;
        }
        const sleeper: Sleeper = {
          atMs: nowMs + Math.max(0, ms),
          order: order++,
          resolve: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        const onAbort = () => {
          const index = sleepers.indexOf(sleeper);
          if (index >= 0) sleepers.splice(index, 1);
          reject(abortReason(signal!));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        sleepers.push(sleeper);
        schedule();
      }),
    timer: (ms, onFire) => realTimer(ms * timerScale, onFire),
    hold: () => {
      inFlight += 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        inFlight -= 1;
        schedule();
      };
    },
  };
}
