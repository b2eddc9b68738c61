// What one cloud's collection tells the progress reporter: each step as it starts and ends, and while
// metrics are fetched the calls made against the fewest the fleet needs and how long the rate limit
// holds the next call. Fed by call()'s observer; it only listens, so counts and timing stay as they are.
import type { ProviderId } from '../model/index.ts';
import type { CallObserver } from '../net/call.ts';
import type { CloudStep, ProgressEvent, StepState } from './progress.ts';

export class CollectProgress {
  private made = 0;
  private minimum: number | null = null;
  private rateLimitWaitMs = 0;
  private metricsStarted = false;

  /**
   * `minimumCalls` is the adapter's minimum for what the listings have returned so far; it changes as
   * they do, so it is asked again only when they change.
   */
  constructor(
    private readonly cloud: ProviderId,
    private readonly emit: ((event: ProgressEvent) => void) | undefined,
    private readonly minimumCalls: () => number,
  ) {}

  readonly observer: CallObserver = {
    onSend: (_request, attempt) => {
      if (attempt === 1) this.made += 1;
      this.rateLimitWaitMs = 0;
      this.calls();
    },
    onWait: (_request, waitMs, reason) => {
      if (reason !== 'rate-limit') return;
      this.rateLimitWaitMs = waitMs;
      this.calls();
    },
  };

  minimumChanged(): void {
    this.minimum = null;
  }

  step(step: CloudStep, state: StepState, detail?: string): void {
    if (step === 'metrics' && state === 'running') {
      this.metricsStarted = true;
      this.emit?.({ type: 'step', cloud: this.cloud, step, state, ...(detail ? { detail } : {}) });
      this.calls();
      return;
    }
    this.emit?.({ type: 'step', cloud: this.cloud, step, state, ...(detail ? { detail } : {}) });
  }

  /** A step ended: done with what it got and its gaps; a scope that listed nothing is an error. */
  stepDone(
    step: CloudStep,
    got: string,
    gaps: number,
    failedScopes: readonly { scope: string; reason: string }[] = [],
  ): void {
    if (step === 'metrics') {
      this.rateLimitWaitMs = 0;
      this.calls();
    }
    const detail = gaps > 0 ? `${got}, ${gaps} ${gaps === 1 ? 'gap' : 'gaps'}` : got;
    if (failedScopes.length > 0) {
      const scopes = failedScopes.map((failed) => `${failed.scope} (${failed.reason})`).join(', ');
      this.emit?.({
        type: 'error',
        cloud: this.cloud,
        step,
        message: `${detail}; listed nothing in ${scopes}`,
      });
      return;
    }
    this.step(step, 'done', detail);
  }

  /** Calls are shown with the metrics step: the minimum is only known once the inventory is. */
  private calls(): void {
    if (!this.emit || !this.metricsStarted) return;
    this.minimum ??= this.minimumCalls();
    this.emit({
      type: 'calls',
      cloud: this.cloud,
      done: this.made,
      minimum: this.minimum,
      ...(this.rateLimitWaitMs > 0 ? { rateLimitWaitMs: this.rateLimitWaitMs } : {}),
    });
  }
}
