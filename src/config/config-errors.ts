// Every mistake in a config file at once (a user fixes them in one pass, not one run per typo).
import { ConfigError } from '../errors.ts';

/** Several config errors; still a ConfigError (exit 2), described one error a line, in file order. */
export class ConfigErrorList extends ConfigError {
  override name = 'ConfigError';
  readonly errors: readonly ConfigError[];

  private constructor(errors: readonly ConfigError[]) {
    const first = errors[0]!;
    super(`${errors.length} errors`, first.file, first.line, first.key);
    this.errors = errors;
  }

  override describe(): string {
    return this.errors.map((error) => error.describe()).join('\n');
  }

  /** One error as itself, several as a list, sorted by file and line; undefined for none. */
  static of(errors: readonly ConfigError[]): ConfigError | undefined {
    const flat = errors.flatMap((error) => (error instanceof ConfigErrorList ? error.errors : [error]));
    if (flat.length === 0) return undefined;
    if (flat.length === 1) return flat[0];
    const sorted = flat
      .map((error, index) => ({ error, index }))
      .sort(
        (a, b) =>
          (a.error.file ?? '').localeCompare(b.error.file ?? '') ||
          (a.error.line ?? Number.MAX_SAFE_INTEGER) - (b.error.line ?? Number.MAX_SAFE_INTEGER) ||
          a.index - b.index,
      )
      .map(({ error }) => error);
    return new ConfigErrorList(sorted);
  }

  /** Throws what `of` builds, when there is anything to throw. */
  static throwIfAny(errors: readonly ConfigError[]): void {
    const error = ConfigErrorList.of(errors);
    if (error) throw error;
  }
}
