// Progress of an audit on stderr, driven by events from the audit. On a terminal: a live task list
// (listr2, routed to stderr so stdout stays clean for `--out -`). Off a terminal (cron, CI): one JSON
// log line per tick of an injected clock, no control characters. With --quiet: nothing but errors.
import { Listr, ListrLogger, ProcessOutput } from 'listr2';
import type { ProviderId } from '../model/index.ts';

export type CloudStep = 'inventory' | 'catalog' | 'metrics';
export type StepState = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

export type ProgressEvent =
  | { type: 'step'; cloud: ProviderId; step: CloudStep; state: StepState; detail?: string }
  /** Metric calls so far against the fewest the fleet needs, and how long the rate limit holds the next one. */
  | { type: 'calls'; cloud: ProviderId; done: number; minimum: number; rateLimitWaitMs?: number }
  | { type: 'onhost'; done: number; total: number }
  | { type: 'rules'; done: number; total: number }
  | { type: 'writer'; file: string; state: StepState }
  | { type: 'error'; message: string; cloud?: ProviderId; step?: CloudStep };

export interface ProgressPlan {
  clouds: readonly ProviderId[];
  /** On-host sample folders to read; 0 leaves the task out. */
  onHostFolders: number;
  /** Report files to write, in order. */
  writers: readonly string[];
}

// ------------------------------------------------------------------------------------------ state

interface Task {
  id: string;
  state: StepState;
  detail: string | null;
}

interface CloudState {
  steps: Record<CloudStep, Task>;
  calls: { done: number; minimum: number } | null;
  rateLimitWaitMs: number;
}

/** What the audit has told the reporter so far: a pure fold of the events, the same for every view. */
export class ProgressState {
  readonly clouds = new Map<ProviderId, CloudState>();
  readonly onHost: Task & { done: number; total: number };
  readonly rules: Task & { done: number; total: number | null };
  readonly writers: Task & { files: Map<string, StepState> };
  readonly errors: string[] = [];

  constructor(readonly plan: ProgressPlan) {
    for (const cloud of plan.clouds) {
      const task = (step: CloudStep): Task => ({ id: `${cloud}:${step}`, state: 'pending', detail: null });
      this.clouds.set(cloud, {
        steps: { inventory: task('inventory'), catalog: task('catalog'), metrics: task('metrics') },
        calls: null,
        rateLimitWaitMs: 0,
      });
    }
    this.onHost = { id: 'onhost', state: 'pending', detail: null, done: 0, total: plan.onHostFolders };
    this.rules = { id: 'rules', state: 'pending', detail: null, done: 0, total: null };
    this.writers = {
      id: 'writers',
      state: 'pending',
      detail: null,
      files: new Map(plan.writers.map((file) => [file, 'pending'])),
    };
  }

  /** Applies one event; returns the tasks whose line changed. */
  apply(event: ProgressEvent): Task[] {
    switch (event.type) {
      case 'step': {
        const task = this.clouds.get(event.cloud)?.steps[event.step];
        if (!task) return [];
        task.state = event.state;
        task.detail = event.detail ?? task.detail;
        return [task];
      }
      case 'calls': {
        const cloud = this.clouds.get(event.cloud);
        if (!cloud) return [];
        cloud.calls = { done: event.done, minimum: event.minimum };
        cloud.rateLimitWaitMs = Math.max(0, event.rateLimitWaitMs ?? 0);
        if (cloud.steps.metrics.state === 'pending') cloud.steps.metrics.state = 'running';
        return [cloud.steps.metrics];
      }
      case 'onhost':
        return [this.count(this.onHost, event.done, event.total)];
      case 'rules':
        return [this.count(this.rules, event.done, event.total)];
      case 'writer': {
        this.writers.files.set(event.file, event.state);
        const states = [...this.writers.files.values()];
        this.writers.state = states.some((s) => s === 'failed')
          ? 'failed'
          : states.every((s) => s === 'done')
            ? 'done'
            : 'running';
        return [this.writers];
      }
      case 'error': {
        this.errors.push(event.message);
        const task = event.cloud && event.step ? this.clouds.get(event.cloud)?.steps[event.step] : undefined;
        if (!task) return [];
        task.state = 'failed';
        task.detail = event.message;
        return [task];
      }
    }
  }

  private count<T extends Task & { done: number; total: number | null }>(
    task: T,
    done: number,
    total: number,
  ): T {
    task.done = done;
    task.total = total;
    task.state = done >= total ? 'done' : 'running';
    return task;
  }

  /** Marks every task that never ended as skipped ("not finished"); returns them. */
  skipUnfinished(): Task[] {
    const open = this.tasks().filter((task) => task.state === 'pending' || task.state === 'running');
    for (const task of open) {
      task.state = 'skipped';
      task.detail = task.detail ? `${task.detail}, not finished` : 'not finished';
    }
    return open;
  }

  /** Every task in display order. */
  tasks(): Task[] {
    const cloudTasks = [...this.clouds.values()].flatMap((cloud) => Object.values(cloud.steps));
    return [...cloudTasks, ...(this.plan.onHostFolders > 0 ? [this.onHost] : []), this.rules, this.writers];
  }

  /** One line of text per task, the same words on a terminal and in the JSON lines. */
  title(task: Task): string {
    const [cloudId, step] = task.id.split(':') as [ProviderId, CloudStep | undefined];
    if (step) {
      const cloud = this.clouds.get(cloudId)!;
      const parts: string[] = [step];
      if (step === 'metrics' && cloud.calls) {
        parts.push(`${cloud.calls.done} / ${cloud.calls.minimum} calls (done / minimum)`);
        if (cloud.rateLimitWaitMs > 0 && task.state === 'running') {
          parts.push(`rate limit: next call in ${formatWaitMs(cloud.rateLimitWaitMs)}`);
        }
      }
      if (task.detail) parts.push(task.detail);
      return parts.join(', ');
    }
    if (task === this.onHost) return `on-host folders: ${this.onHost.done} / ${this.onHost.total}`;
    if (task === this.rules) {
      return this.rules.total === null ? 'rules' : `rules: ${this.rules.done} / ${this.rules.total}`;
    }
    const files = [...this.writers.files.entries()];
    return `writers: ${files.map(([file, state]) => (state === 'done' ? file : `${file} (${state})`)).join(', ')}`;
  }

  /** The JSON-friendly summary a log line carries. */
  snapshot(): Record<string, unknown> {
    const clouds = Object.fromEntries(
      [...this.clouds.entries()].map(([id, cloud]) => [
        id,
        {
          inventory: cloud.steps.inventory.state,
          catalog: cloud.steps.catalog.state,
          metrics: cloud.steps.metrics.state,
          ...(cloud.calls ? { calls: cloud.calls } : {}),
          ...(cloud.rateLimitWaitMs > 0 && cloud.steps.metrics.state === 'running'
            ? { rateLimitWaitMs: cloud.rateLimitWaitMs }
            : {}),
        },
      ]),
    );
    return {
      clouds,
      ...(this.plan.onHostFolders > 0
        ? { onHost: { done: this.onHost.done, total: this.onHost.total } }
        : {}),
      rules: { state: this.rules.state, done: this.rules.done, total: this.rules.total },
      writers: Object.fromEntries(this.writers.files),
    };
  }
}

/**
 * Cloud error text is untrusted: an escape sequence in it must not move the cursor or recolour the
 * terminal, so C0 and C1 controls become U+FFFD.
 */
export function terminalText(text: string): string {
  let out = '';
  for (const char of text) {
    const codePoint = char.codePointAt(0) ?? 0;
    out += codePoint < 0x20 || (codePoint >= 0x7f && codePoint <= 0x9f) ? '\uFFFD' : char;
  }
  return out;
}

function formatWaitMs(waitMs: number): string {
  return waitMs < 1000 ? `${Math.round(waitMs)} ms` : `${(waitMs / 1000).toFixed(1)} s`;
}

// ------------------------------------------------------------------------------------------ views

/** The clock the JSON lines tick on; tests pass a fake one and tick it by hand. */
export interface ProgressClock {
  nowMs(): number;
  /** Calls `tick` every `intervalMs` until the returned function is called. */
  every(intervalMs: number, tick: () => void): () => void;
}

export const systemClock: ProgressClock = {
  nowMs: () => Date.now(),
  every: (intervalMs, tick) => {
    const timer = setInterval(tick, intervalMs);
    // NOTE: progress must never keep a finished audit alive.
    timer.unref();
    return () => clearInterval(timer);
  },
};

/** The slice of a pino logger the reporter needs (data in fields, static messages). */
export interface ProgressLog {
  info(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** Where the task list goes: stderr, or a fake stream in tests. */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): boolean;
}

export interface ProgressOptions {
  plan: ProgressPlan;
  stream: ProgressStream;
  log: ProgressLog;
  quiet?: boolean;
  clock?: ProgressClock;
  /** How often a JSON line is written off a terminal. */
  intervalMs?: number;
  /** Spinner frames on a terminal (a real timer); off makes the list redraw only on events. */
  animate?: boolean;
  /** The command the JSON lines name: `audit progress`, `diagnose progress`. */
  command?: 'audit' | 'diagnose';
}

export interface ProgressReporter {
  readonly mode: 'tty' | 'lines' | 'quiet';
  update(event: ProgressEvent): void;
  /** Resolves once the view is drawing (the task list holds stderr from then on). */
  started(): Promise<void>;
  /** Ends the list or the lines; tasks never reported finish as skipped. */
  finish(): Promise<void>;
}

export const PROGRESS_INTERVAL_MS = 10_000;

function logError(log: ProgressLog, event: Extract<ProgressEvent, { type: 'error' }>): void {
  log.error({ cloud: event.cloud, step: event.step, error: event.message }, 'audit step failed');
}

class QuietReporter implements ProgressReporter {
  readonly mode = 'quiet';
  constructor(private readonly log: ProgressLog) {}
  update(event: ProgressEvent): void {
    if (event.type === 'error') logError(this.log, event);
  }
  async started(): Promise<void> {}
  async finish(): Promise<void> {}
}

class LinesReporter implements ProgressReporter {
  readonly mode = 'lines';
  private readonly command: string;
  private readonly state: ProgressState;
  private readonly startedMs: number;
  private readonly stop: () => void;

  constructor(private readonly options: ProgressOptions) {
    const clock = options.clock ?? systemClock;
    this.command = options.command ?? 'audit';
    this.state = new ProgressState(options.plan);
    this.startedMs = clock.nowMs();
    this.stop = clock.every(options.intervalMs ?? PROGRESS_INTERVAL_MS, () =>
      this.line(`${this.command} progress`),
    );
  }

  private line(message: string): void {
    const clock = this.options.clock ?? systemClock;
    this.options.log.info(
      { progress: { elapsedMs: clock.nowMs() - this.startedMs, ...this.state.snapshot() } },
      message,
    );
  }

  update(event: ProgressEvent): void {
    this.state.apply(event);
    if (event.type === 'error') logError(this.options.log, event);
  }

  async started(): Promise<void> {}

  async finish(): Promise<void> {
    this.stop();
    this.line(`${this.command} progress: finished`);
  }
}

interface Deferred {
  promise: Promise<void>;
  settle: (state: StepState, message?: string) => void;
}

/** A listr2 task per audit step; each resolves when the events say its step ended. */
class ListrReporter implements ProgressReporter {
  readonly mode = 'tty';
  private readonly state: ProgressState;
  private readonly deferred = new Map<string, Deferred>();
  private readonly wrappers = new Map<string, { title: string; skip(message?: string): void }>();
  private readonly run: Promise<unknown>;
  private readonly drawing = deferred();

  constructor(options: ProgressOptions) {
    this.state = new ProgressState(options.plan);
    for (const task of this.state.tasks()) this.deferred.set(task.id, deferred());
    // NOTE: both of listr2's outputs go to our stream (stderr): stdout may be a report (`--out -`).
    const stream = options.stream as NodeJS.WriteStream;
    const processOutput = new ProcessOutput(stream, stream);
    const rendererOptions = {
      logger: new ListrLogger({ processOutput }),
      lazy: options.animate === false,
      collapseSubtasks: false,
      collapseErrors: false,
    };
    const listr = new Listr(
      [
        ...[...this.state.clouds.keys()].map((cloud) => ({
          title: cloud,
          task: (_: unknown, parent: { newListr: (tasks: unknown[], o: unknown) => unknown }) =>
            parent.newListr(
              (['inventory', 'catalog', 'metrics'] as const).map((step) =>
                this.listrTask(`${cloud}:${step}`),
              ),
              { concurrent: true, exitOnError: false },
            ),
        })),
        ...this.state
          .tasks()
          .filter((task) => !task.id.includes(':'))
          .map((task) => this.listrTask(task.id)),
      ] as never,
      {
        concurrent: true,
        exitOnError: false,
        registerSignalListeners: false,
        // NOTE: listr2 checks process.stdout.isTTY; we decide by stderr, so both renderers are the default one.
        renderer: 'default',
        fallbackRenderer: 'default',
        rendererOptions,
        fallbackRendererOptions: rendererOptions,
      },
    );
    this.run = listr.run().catch(() => undefined);
  }

  private listrTask(id: string) {
    return {
      title: id,
      task: async (_: unknown, wrapper: { title: string; skip(message?: string): void }) => {
        // NOTE: listr2 runs a task only once its renderer draws (and holds stderr).
        this.drawing.settle('done');
        this.wrappers.set(id, wrapper);
        this.refresh(id);
        await this.deferred.get(id)!.promise;
      },
    };
  }

  /** Title and end state of one task; before its listr2 task has started, that task does it on start. */
  private refresh(id: string): void {
    const task = this.state.tasks().find((candidate) => candidate.id === id);
    const wrapper = this.wrappers.get(id);
    if (!task || !wrapper) return;
    wrapper.title = terminalText(this.state.title(task));
    const settle = this.deferred.get(id)!.settle;
    if (task.state === 'done') settle('done');
    if (task.state === 'failed') settle('failed', terminalText(task.detail ?? 'failed'));
    if (task.state === 'skipped') {
      wrapper.skip(terminalText(this.state.title(task)));
      settle('skipped');
    }
  }

  update(event: ProgressEvent): void {
    for (const task of this.state.apply(event)) this.refresh(task.id);
  }

  started(): Promise<void> {
    return Promise.race([this.drawing.promise, this.run.then(() => undefined)]);
  }

  async finish(): Promise<void> {
    for (const task of this.state.skipUnfinished()) this.refresh(task.id);
    await this.run;
  }
}

function deferred(): Deferred {
  let settle: Deferred['settle'] = () => {};
  const promise = new Promise<void>((resolve, reject) => {
    settle = (state, message) => (state === 'failed' ? reject(new Error(message ?? 'failed')) : resolve());
  });
  // NOTE: a failed step is shown by listr2; the rejection must not also surface as unhandled.
  promise.catch(() => undefined);
  return { promise, settle };
}

/** The reporter for this stream: quiet, a task list on a terminal, JSON lines elsewhere. */
export function createProgress(options: ProgressOptions): ProgressReporter {
  if (options.quiet) return finishOnce(new QuietReporter(options.log));
  if (options.stream.isTTY === true) return finishOnce(new ListrReporter(options));
  return finishOnce(new LinesReporter(options));
}

/** `finish` may be called from a `finally` and again on the way out: it ends the view once. */
function finishOnce(reporter: ProgressReporter): ProgressReporter {
  let finished: Promise<void> | undefined;
  return {
    mode: reporter.mode,
    update: (event) => reporter.update(event),
    started: () => reporter.started(),
    finish: () => {
      finished ??= reporter.finish();
      return finished;
    },
  };
}
