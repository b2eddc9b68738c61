import { SampleError } from '../errors.ts';
import { numberOf } from './columns.ts';
import { type LineReader, quoteLine, readTextLines } from './lines.ts';
import { RecordCap } from './record-cap.ts';
import { checkTime, isoMs } from './time.ts';

/** The app's own ticker: how late each tick ran. */
export interface LagSeries {
  timesMs: number[];
  lagSec: number[];
}

const header = 'utc_iso,unix_ts,lag_seconds';

/** Reads `lag.csv` (`utc_iso,unix_ts,lag_seconds`, the header line optional); times from `utc_iso`. */
export function lagCsvReader(file: string): LineReader<LagSeries> {
  const series: LagSeries = { timesMs: [], lagSec: [] };
  const cap = new RecordCap(file);
  return {
    line(line, lineNo) {
      const trimmed = line.trim();
      if (trimmed === '' || (lineNo === 1 && trimmed === header)) return;
      const [iso, unixSec, lag] = trimmed.split(',', 3);
      const fromIso = isoMs(iso ?? '');
      const timeMs = Number.isNaN(fromIso) ? numberOf(unixSec, 'unix_ts') * 1000 : fromIso;
      const lagSec = numberOf(lag, 'lag_seconds');
      if (Number.isNaN(lagSec) || Number.isNaN(timeMs)) {
        throw new SampleError(`expected "${header}", found ${quoteLine(line)}`, file);
      }
      series.timesMs.push(checkTime(timeMs, Number.isNaN(fromIso) ? (unixSec ?? '') : (iso ?? '')));
      series.lagSec.push(lagSec);
      return cap.count();
    },
    end() {
      if (series.timesMs.length === 0) throw new SampleError(`no "${header}" rows`, file);
      return cap.check(series);
    },
  };
}

export function parseLagCsv(text: string, file: string): LagSeries {
  return readTextLines(text, file, lagCsvReader(file));
}
