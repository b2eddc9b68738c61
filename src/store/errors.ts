/**
 * The history store could not be used. `history` and `diff` exit 2 with `describe()`; `audit`
 * writes its report anyway and lists this as a `store` gap (history never costs the report).
 */
export type StoreErrorKind = 'corrupt' | 'locked' | 'newer-schema' | 'unreachable' | 'auth';

export class StoreError extends Error {
  override name = 'StoreError';
  constructor(
    readonly kind: StoreErrorKind,
    /** The store as the user may see it: a path, or a URL without its password. */
    readonly store: string,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }

  /** One line: `history store .fleetlens/history.duckdb: locked: another fleetlens ...` */
  describe(): string {
    return `history store ${this.store}: ${this.kind}: ${this.message}`;
  }
}
