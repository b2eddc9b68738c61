// An audit's history step (issue 10): record the run in the store, read the previous run and the
// lineage for statuses and stability, prune past `--keep`. A store that cannot be used is a `store`
// gap and the report is written anyway: history never costs the user the report.
import type { AnalysisResult } from '../../reports/json/schema.ts';
import { withHistory } from '../history/annotate.ts';
import type { Logger } from '../log.ts';
import type { Gap, GapKind } from '../model/index.ts';
import {
  type Clock,
  type HistoryStore,
  openStore,
  redactStoreUrl,
  StoreError,
  type StoreErrorKind,
} from '../store/index.ts';

export interface HistoryStepOptions {
  /** A DuckDB path or a postgres:// URL. */
  store: string;
  keepMs: number;
  stableRuns: number;
  onlyStable: boolean;
  log: Logger;
  /** Reads "now" for the store's bookkeeping and waits out a DuckDB lock. */
  clock?: Clock;
}

const GAP_KIND: Record<StoreErrorKind, GapKind> = {
  corrupt: 'bad-response',
  'newer-schema': 'bad-response',
  locked: 'unavailable',
  unreachable: 'unavailable',
  auth: 'auth',
};

/** The result with a `store` gap for `error`, counted in the summary like any other gap. */
export function withStoreGap(result: AnalysisResult, error: StoreError, what: string): AnalysisResult {
  const gap: Gap = {
    provider: 'store',
    what,
    kind: GAP_KIND[error.kind],
    message: error.describe().replace(/\s+/g, ' '),
  };
  return {
    ...result,
    gaps: [...result.gaps, gap],
    run: { ...result.run, summary: { ...result.run.summary, gaps: result.run.summary.gaps + 1 } },
  };
}

/**
 * Records `result` and returns it with statuses, resolved findings and stability; on a StoreError,
 * returns it with a `store` gap instead (a prune that fails after the record keeps the statuses).
 */
export async function recordAuditRun(
  result: AnalysisResult,
  options: HistoryStepOptions,
): Promise<AnalysisResult> {
  const location = redactStoreUrl(options.store);
  let store: HistoryStore | undefined;
  let annotated: AnalysisResult;
  try {
    store = await openStore(options.store, options.clock ? { clock: options.clock } : {});
    const recorded = await store.recordRun(result);
    const lineage = await store.lineage(result.run.id, options.stableRuns);
    annotated = withHistory(result, recorded, lineage, {
      store: store.location,
      stableRuns: options.stableRuns,
      onlyStable: options.onlyStable,
      runsPruned: 0,
    });
  } catch (error) {
    await store?.close().catch(() => undefined);
    if (!(error instanceof StoreError)) throw error;
    options.log.warn(
      { store: location, kind: error.kind },
      'history store unusable: report written without history',
    );
    return withStoreGap(result, error, `history store ${location}`);
  }
  try {
    // The run's own start is "now" for retention: a replayed or simulated run prunes by its own time.
    const { runsDeleted } = await store.prune(options.keepMs, Date.parse(result.run.startedAt));
    if (annotated.history) annotated.history.runsPruned = runsDeleted;
    return annotated;
  } catch (error) {
    if (!(error instanceof StoreError)) throw error;
    return withStoreGap(annotated, error, `pruning history store ${location}`);
  } finally {
    await store.close().catch(() => undefined);
  }
}
