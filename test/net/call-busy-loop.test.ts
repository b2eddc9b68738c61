// Issue 12 point 3.3: a fault-free run on a busy machine makes no retry. The GCP mock shares this
// process and keeps the event loop busy for 2.5× the idle timeout before every eighth answer
// (bounded, so the test is too); call()'s timeouts run on the run's clock, and a loop that could not run is not
// a server that did not answer.

import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type GcpMock, startGcpMock } from '../../mocks/servers/gcp.ts';
import { createGcpAdapter } from '../../providers/gcp/index.ts';
import { virtualClock } from '../../src/net/clock.ts';
import { collectProvider } from '../../src/run/collect.ts';
import { dayMs, gcpScenario, nowMs, PROJECT, TOKEN } from '../providers/gcp/fixtures.ts';

describe('a run whose event loop is blocked while answers wait', () => {
  let mock: GcpMock | undefined;
  afterEach(async () => {
    await mock?.close();
    mock = undefined;
  });

  it('retries nothing and makes exactly the minimum', async () => {
    // Warnings kept, so a retry says why.
    const warnings: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => warnings.push(line) });
    const clock = virtualClock(nowMs);
    mock = await startGcpMock({
      scenario: gcpScenario(),
      now: () => nowMs,
      limitsClockMs: clock.now,
      blockLoopMs: 2_500,
      blockLoopEvery: 8,
    });
    const a = await collectProvider(
      // No byte for 1 s is a stall: every eighth answer comes after 2.5 s of a blocked loop.
      createGcpAdapter({ accessToken: TOKEN }, { clock, retry: { idleTimeoutMs: 1_000 } }),
      { projects: [PROJECT], endpoint: mock.endpoint, labels: {} },
      { fromMs: nowMs - dayMs, toMs: nowMs, stepSec: 300 },
      log,
      undefined,
      { clock },
    );
    expect(a.gaps).toEqual([]);
    expect(warnings).toEqual([]);
    expect(a.apiCalls.retries).toBe(0);
    expect(a.apiCalls.made).toBe(a.apiCalls.minimum);
    // What the server received is what was made: nothing behind call()'s back.
    expect(a.apiCalls.attempts).toBe(a.apiCalls.made);
    expect(mock.requests).toHaveLength(a.apiCalls.made);
  });
});
