import type { GapKind, ProviderId } from './model/index.ts';

/** The user's config is wrong: names the file, line and key; the CLI exits 2. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    message: string,
    readonly file?: string,
    readonly line?: number,
    readonly key?: string,
  ) {
    super(message);
  }

  /** One line: `fleetlens.yaml:12 providers.aws.regions: expected array` */
  describe(): string {
    const where = [this.file, this.line].filter((part) => part !== undefined).join(':');
    const key = this.key ? `${this.key}: ` : '';
    if (!where) return `${key}${this.message}`;
    return this.key ? `${where} ${key}${this.message}` : `${where}: ${this.message}`;
  }
}

export type ProviderErrorKind = Exclude<GapKind, 'bad-sample' | 'insufficient-data'> | 'config';

/** Who answered a remote call: a cloud provider, or a live Prometheus read for on-host samples. */
export type RemoteSource = ProviderId | 'prometheus';

/** A remote call failed in a way the run can survive: it becomes a gap in the report. */
export class ProviderError extends Error {
  override name = 'ProviderError';
  readonly retryAfterMs: number | undefined;
  readonly status: number | undefined;
  readonly code: string | undefined;
  constructor(
    readonly provider: RemoteSource,
    readonly kind: ProviderErrorKind,
    readonly operation: string,
    message: string,
    details: { retryAfterMs?: number; status?: number; code?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: details.cause });
    this.retryAfterMs = details.retryAfterMs;
    this.status = details.status;
    this.code = details.code;
  }

  get retryable(): boolean {
    return this.kind === 'throttled' || this.kind === 'unavailable';
  }

  /** One line for logs and gaps: `aws ec2.DescribeInstances (eu-west-1): throttled: Rate exceeded` */
  describe(): string {
    return `${this.provider} ${this.operation}: ${this.kind}: ${this.message}`;
  }
}

/** An on-host sample file is unreadable or not in the format its name promises. Becomes a gap. */
export class SampleError extends Error {
  override name = 'SampleError';
  constructor(
    message: string,
    readonly file: string,
    readonly line?: number,
  ) {
    super(message);
  }

  describe(): string {
    return this.line === undefined
      ? `${this.file}: ${this.message}`
      : `${this.file}:${this.line}: ${this.message}`;
  }
}

export function isKnownError(error: unknown): error is ConfigError | ProviderError | SampleError {
  return error instanceof ConfigError || error instanceof ProviderError || error instanceof SampleError;
}
