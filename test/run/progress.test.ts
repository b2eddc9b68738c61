import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import {
  createProgress,
  type ProgressClock,
  type ProgressEvent,
  type ProgressPlan,
  ProgressState,
} from '../../src/run/progress.ts';

const ESC = String.fromCharCode(0x1b);
const ANSI_SEQUENCE = new RegExp(`${ESC}\\[[0-9;?]*[A-Za-z]`, 'g');

/** The C0 and C1 control characters in a text (none may reach a log line). */
function controlCharacters(text: string): string[] {
  return [...text].filter((char) => {
    const codePoint = char.codePointAt(0) ?? 0;
    return codePoint < 0x20 || (codePoint >= 0x7f && codePoint <= 0x9f);
  });
}

const PLAN: ProgressPlan = {
  clouds: ['aws', 'gcp'],
  onHostFolders: 2,
  writers: ['report.md', 'report.html'],
};

/** A stream that keeps what it is given; `isTTY` decides which view the reporter picks. */
function fakeStream(isTTY: boolean) {
  const chunks: string[] = [];
  return {
    chunks,
    stream: { isTTY, columns: 100, write: (chunk: string) => chunks.push(String(chunk)) > 0 },
    text: () => chunks.join(''),
  };
}

/** A pino logger writing JSON lines into memory, as the audit's logger does off a terminal. */
function memoryLog() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const log = pino({ base: undefined, timestamp: false }, destination);
  return { log, lines: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>), raw: lines };
}

/** A clock that only moves when the test says so; a timer fires at each multiple of its interval. */
function fakeClock() {
  let nowMs = 1_000_000;
  const timers: { intervalMs: number; nextMs: number; tick: () => void; stopped: boolean }[] = [];
  const clock: ProgressClock = {
    nowMs: () => nowMs,
    every: (intervalMs, tick) => {
      const timer = { intervalMs, nextMs: nowMs + intervalMs, tick, stopped: false };
      timers.push(timer);
      return () => {
        timer.stopped = true;
      };
    },
  };
  const advance = (ms: number) => {
    const targetMs = nowMs + ms;
    for (;;) {
      const due = timers
        .filter((t) => !t.stopped && t.nextMs <= targetMs)
        .sort((a, b) => a.nextMs - b.nextMs)[0];
      if (!due) break;
      nowMs = due.nextMs;
      due.nextMs += due.intervalMs;
      due.tick();
    }
    nowMs = targetMs;
  };
  return { clock, advance, ticks: timers };
}

const RUN: ProgressEvent[] = [
  { type: 'step', cloud: 'aws', step: 'inventory', state: 'running' },
  { type: 'step', cloud: 'aws', step: 'inventory', state: 'done', detail: '15 hosts' },
  { type: 'step', cloud: 'aws', step: 'catalog', state: 'done' },
  { type: 'calls', cloud: 'aws', done: 3, minimum: 22, rateLimitWaitMs: 1200 },
  { type: 'error', cloud: 'gcp', step: 'inventory', message: 'auth: no credentials \u001b[31mred\u001b[0m' },
  { type: 'onhost', done: 1, total: 2 },
];

describe('ProgressState', () => {
  it('shows metric calls done against the minimum and the wait the rate limit imposes', () => {
    const state = new ProgressState(PLAN);
    for (const event of RUN) state.apply(event);
    const metrics = state.tasks().find((task) => task.id === 'aws:metrics')!;
    expect(state.title(metrics)).toBe(
      'metrics, 3 / 22 calls (done / minimum), rate limit: next call in 1.2 s',
    );
    state.apply({ type: 'calls', cloud: 'aws', done: 22, minimum: 22, rateLimitWaitMs: 0 });
    state.apply({ type: 'step', cloud: 'aws', step: 'metrics', state: 'done' });
    expect(state.title(metrics)).toBe('metrics, 22 / 22 calls (done / minimum)');
  });

  it('counts on-host folders, rules and report files', () => {
    const state = new ProgressState(PLAN);
    state.apply({ type: 'onhost', done: 2, total: 2 });
    state.apply({ type: 'rules', done: 5, total: 14 });
    state.apply({ type: 'writer', file: 'report.md', state: 'done' });
    const [onHost, rules, writers] = state.tasks().slice(-3);
    expect([onHost, rules, writers].map((task) => state.title(task!))).toEqual([
      'on-host folders: 2 / 2',
      'rules: 5 / 14',
      'writers: report.md, report.html (pending)',
    ]);
    expect([onHost!.state, rules!.state, writers!.state]).toEqual(['done', 'running', 'running']);
  });

  it('leaves out the on-host task when no folder is mapped', () => {
    const state = new ProgressState({ ...PLAN, onHostFolders: 0 });
    expect(state.tasks().map((task) => task.id)).not.toContain('onhost');
  });
});

describe('progress off a terminal (cron, CI)', () => {
  it('writes one JSON line per tick of the clock, and a last one at the end', async () => {
    const { stream, chunks } = fakeStream(false);
    const { log, lines } = memoryLog();
    const { clock, advance } = fakeClock();
    const progress = createProgress({ plan: PLAN, stream, log, clock, intervalMs: 10_000 });
    expect(progress.mode).toBe('lines');
    for (const event of RUN.slice(0, 4)) progress.update(event);
    advance(9_999);
    expect(lines()).toHaveLength(0);
    advance(1);
    advance(25_000);
    await progress.finish();
    advance(50_000);
    const progressLines = lines().filter((line) => String(line.msg).startsWith('audit progress'));
    // Ticks at 10 s, 20 s and 30 s, then the final line; nothing after finish.
    expect(progressLines.map((line) => (line.progress as { elapsedMs: number }).elapsedMs)).toEqual([
      10_000, 20_000, 30_000, 35_000,
    ]);
    expect(progressLines.at(-1)!.msg).toBe('audit progress: finished');
    expect((progressLines[0]!.progress as { clouds: unknown }).clouds).toEqual({
      aws: {
        inventory: 'done',
        catalog: 'done',
        metrics: 'running',
        calls: { done: 3, minimum: 22 },
        rateLimitWaitMs: 1200,
      },
      gcp: { inventory: 'pending', catalog: 'pending', metrics: 'pending' },
    });
    // The task list is never drawn off a terminal.
    expect(chunks).toHaveLength(0);
  });

  it('logs an error at once, and no line carries a control character', async () => {
    const { stream } = fakeStream(false);
    const { log, lines, raw } = memoryLog();
    const { clock, advance } = fakeClock();
    const progress = createProgress({ plan: PLAN, stream, log, clock, intervalMs: 10_000 });
    for (const event of RUN) progress.update(event);
    expect(lines().filter((line) => line.level === 50)).toHaveLength(1);
    advance(10_000);
    await progress.finish();
    expect(raw.length).toBeGreaterThanOrEqual(3);
    for (const line of raw) expect(controlCharacters(line), line).toEqual([]);
    expect(lines()[0]!.error).toBe('auth: no credentials \u001b[31mred\u001b[0m');
  });
});

describe('progress with --quiet', () => {
  it('prints nothing but errors', async () => {
    for (const isTTY of [true, false]) {
      const { stream, chunks } = fakeStream(isTTY);
      const { log, lines } = memoryLog();
      const { clock, advance, ticks } = fakeClock();
      const progress = createProgress({ plan: PLAN, stream, log, clock, quiet: true });
      expect(progress.mode).toBe('quiet');
      for (const event of RUN) progress.update(event);
      await progress.finish();
      expect(ticks).toHaveLength(0);
      advance(60_000);
      expect(chunks).toHaveLength(0);
      expect(lines().map((line) => [line.level, line.msg, line.cloud])).toEqual([
        [50, 'audit step failed', 'gcp'],
      ]);
    }
  });
});

describe('progress on a terminal', () => {
  async function runOnTerminal(events: readonly ProgressEvent[]) {
    const stdout = vi.spyOn(process.stdout, 'write');
    const { stream, text } = fakeStream(true);
    const { log, lines } = memoryLog();
    const { clock, ticks } = fakeClock();
    const progress = createProgress({ plan: PLAN, stream, log, clock, animate: false });
    expect(progress.mode).toBe('tty');
    for (const event of events) progress.update(event);
    await progress.finish();
    expect(stdout).not.toHaveBeenCalled();
    stdout.mockRestore();
    // NOTE: the last frame is what stays on the terminal; strip the cursor moves before it.
    const plain = text().replace(ANSI_SEQUENCE, '');
    const lastFrame = plain.slice(plain.lastIndexOf('aws\n') - 2);
    return { lastFrame, lines: lines(), ticks, raw: text() };
  }

  it('draws a live task list per cloud on the stream it is given (stderr), not stdout', async () => {
    const { lastFrame, raw, ticks } = await runOnTerminal([
      ...RUN,
      { type: 'onhost', done: 2, total: 2 },
      { type: 'rules', done: 14, total: 14 },
      { type: 'writer', file: 'report.md', state: 'done' },
      { type: 'writer', file: 'report.html', state: 'done' },
    ]);
    expect(ticks).toHaveLength(0);
    expect(raw).toContain('\u001b[');
    expect(lastFrame.split('\n').filter(Boolean)).toEqual([
      '✔ aws',
      '  ✔ inventory, 15 hosts',
      '  ✔ catalog',
      '  ↓ metrics, 3 / 22 calls (done / minimum), not finished',
      '⚠ gcp',
      // The cloud's escape sequences reach the terminal defused.
      '  ✖ inventory, auth: no credentials \uFFFD[31mred\uFFFD[0m',
      '    › auth: no credentials \uFFFD[31mred\uFFFD[0m',
      '  ↓ catalog, not finished',
      '  ↓ metrics, not finished',
      '✔ on-host folders: 2 / 2',
      '✔ rules: 14 / 14',
      '✔ writers: report.md, report.html',
    ]);
  });

  it('finishes even when no event ever came', async () => {
    const { lastFrame } = await runOnTerminal([]);
    expect(lastFrame).toContain('↓ inventory, not finished');
    expect(lastFrame).toContain('↓ rules');
  });
});
