import { PartialSampleError } from './partial-sample-error.ts';

/**
 * The most records one file's series keeps: 1,000,000 is 11 days of 1 s samples (`fleetlens
 * sample` runs at most an hour), and at a few numbers per record it stays within tens of MiB.
 * A file that goes on past it is damaged or not a capture; what came before still counts.
 */
export const MAX_RECORDS = 1_000_000;

/** Records of sadf or iostat JSON kept: 2 days at 1 s, each with every CPU and device of its second. */
export const MAX_JSON_RECORDS = 200_000;

/** Counts a reader's records and stops it at MAX_RECORDS; `check` says so in the file's gap. */
export class RecordCap {
  private records = 0;
  constructor(
    private readonly file: string,
    private readonly max = MAX_RECORDS,
  ) {}

  /** The SampleError that stops a streamed reader at the cap (its records so far still count). */
  error(): PartialSampleError<null> {
    return new PartialSampleError(this.message(), this.file, null);
  }

  private message(): string {
    return `kept the first ${this.max.toLocaleString('en-US')} records; the rest of the file was not read`;
  }

  /** Call once per record kept: `'stop'` when the cap is reached. */
  count(): 'stop' | undefined {
    this.records += 1;
    return this.records >= this.max ? 'stop' : undefined;
  }

  get reached(): boolean {
    return this.records >= this.max;
  }

  /** The result as is, or a PartialSampleError that keeps it when the cap cut the file short. */
  check<T>(value: T): T {
    if (!this.reached) return value;
    throw new PartialSampleError(this.message(), this.file, value);
  }
}
