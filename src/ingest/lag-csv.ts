import { SampleError } from '../errors.ts';
import { numberOf } from './columns.ts';
import { quoteLine, splitLines } from './lines.ts';
import { isoMs } from './time.ts';

/** The app's own ticker: how late each tick ran. */
export interface LagSeries {
  timesMs: number[];
  lagSec: number[];
}

const header = 'utc_iso,unix_ts,lag_seconds';

/** Reads `lag.csv` (`utc_iso,unix_ts,lag_seconds`, the header line optional); times from `utc_iso`. */
export function parseLagCsv(text: string, file: string): LagSeries {
  const series: LagSeries = { timesMs: [], lagSec: [] };
  for (const [index, line] of splitLines(text).entries()) {
    const trimmed = line.trim();
    if (trimmed === '' || (index === 0 && trimmed === header)) continue;
    const [iso, unixSec, lag] = trimmed.split(',');
    const fromIso = isoMs(iso ?? '');
    const timeMs = Number.isNaN(fromIso) ? numberOf(unixSec) * 1000 : fromIso;
    const lagSec = numberOf(lag);
    if (Number.isNaN(lagSec) || Number.isNaN(timeMs)) {
      throw new SampleError(`expected "${header}", found ${quoteLine(line)}`, file, index + 1);
    }
    series.timesMs.push(timeMs);
    series.lagSec.push(lagSec);
  }
  if (series.timesMs.length === 0) throw new SampleError(`no "${header}" rows`, file);
  return series;
}
