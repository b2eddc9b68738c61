import { SampleError } from '../errors.ts';

/** A file that broke off part way: the message says where, `partial` holds what was read before the break. */
export class PartialSampleError<T> extends SampleError {
  override name = 'PartialSampleError';
  constructor(
    message: string,
    file: string,
    readonly partial: T,
    line?: number,
  ) {
    super(message, file, line);
  }
}
