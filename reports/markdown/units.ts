import type { Unit } from '../../src/model/index.ts';

// NOTE: en-US is fixed on purpose: a report must not change with the machine's locale.
const formatters = new Map<string, Intl.NumberFormat>();

function numberFormat(options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = JSON.stringify(options);
  let format = formatters.get(key);
  if (!format) {
    format = new Intl.NumberFormat('en-US', options);
    formatters.set(key, format);
  }
  return format;
}

const WHOLE = numberFormat({ maximumFractionDigits: 0 });
const ONE_DECIMAL = numberFormat({ maximumFractionDigits: 1 });
const TWO_SIGNIFICANT = numberFormat({ maximumSignificantDigits: 2 });

/** Rounds to what a reader needs: 1,234 / 93.4 / 3.2 / 0.042, with thousands separators. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  const format = abs >= 100 ? WHOLE : abs >= 1 ? ONE_DECIMAL : TWO_SIGNIFICANT;
  return noNegativeZero(format.format(value));
}

function noNegativeZero(text: string): string {
  return /^-0(\.0+)?$/.test(text) ? text.slice(1) : text;
}

function fixed(value: number, minDigits: number, maxDigits: number): string {
  return noNegativeZero(
    numberFormat({ minimumFractionDigits: minDigits, maximumFractionDigits: maxDigits }).format(value),
  );
}

function plural(value: number, word: string): string {
  return `${formatNumber(value)} ${value === 1 ? word : `${word}s`}`;
}

/** `$-41.23/mo`; the sign is always shown so a saving cannot be read as a cost. */
export function formatUsdPerMonth(deltaUsd: number | null): string {
  if (deltaUsd === null) return 'price unknown';
  const amount = fixed(Math.abs(deltaUsd), 2, 2);
  // The sign goes before the currency: -$41.23/mo, +$5.00/mo, $0.00/mo.
  const sign = amount === '0.00' ? '' : deltaUsd < 0 ? '-' : '+';
  return `${sign}$${amount}/mo`;
}

export function formatUsdPerHour(priceUsd: number | null): string {
  return priceUsd === null ? 'price unknown' : `$${fixed(priceUsd, 2, 4)}/h`;
}

const DURATION_PARTS_SEC: readonly (readonly [string, number])[] = [
  ['d', 86_400],
  ['h', 3_600],
  ['min', 60],
  ['s', 1],
];

/** `42.5 s`, `5 min`, `1 h 5 min`, `14 d`: at most the two largest parts. */
export function formatDurationSec(durationSec: number): string {
  const abs = Math.abs(durationSec);
  if (abs < 1) return `${formatNumber(durationSec * 1000)} ms`;
  if (abs < 60) return `${formatNumber(durationSec)} s`;
  const parts: string[] = [];
  let rest = Math.round(abs);
  for (const [suffix, sizeSec] of DURATION_PARTS_SEC) {
    const count = Math.floor(rest / sizeSec);
    rest -= count * sizeSec;
    if (count > 0 || parts.length > 0) parts.push(`${count} ${suffix}`);
    if (parts.length === 2) break;
  }
  const text = parts.filter((part) => !part.startsWith('0 ')).join(' ');
  return durationSec < 0 ? `-${text}` : text;
}

function scaled(value: number, steps: readonly string[], base: number): string {
  let index = 0;
  let scaledValue = value;
  while (Math.abs(scaledValue) >= base && index < steps.length - 1) {
    scaledValue /= base;
    index += 1;
  }
  return `${formatNumber(scaledValue)} ${steps[index]}`;
}

const BINARY_BYTES = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
const DECIMAL_BYTES_PER_SEC = ['B/s', 'kB/s', 'MB/s', 'GB/s', 'TB/s'];

/** A value with its unit, as a reader expects it: `93.4 %`, `1,234 IOPS`, `3.2 MB/s`. */
export function formatValue(value: number | null, unit: Unit): string {
  if (value === null) return 'n/a';
  switch (unit) {
    case 'percent':
      return `${formatNumber(value)} %`;
    case 'count':
      return formatNumber(value);
    case 'ratio':
      return fixed(value, 0, 3);
    case 'per-second':
      return `${formatNumber(value)} /s`;
    case 'ops-per-second':
      return `${formatNumber(value)} IOPS`;
    case 'packets-per-second':
      return `${formatNumber(value)} pkt/s`;
    case 'bytes':
      return scaled(value, BINARY_BYTES, 1024);
    // NOTE: cloud byte rates are decimal (CloudWatch, Cloud Monitoring); MiB/s is its own unit.
    case 'bytes-per-second':
      return scaled(value, DECIMAL_BYTES_PER_SEC, 1000);
    case 'mib-per-second':
      return `${formatNumber(value)} MiB/s`;
    case 'mib':
      return scaled(value, BINARY_BYTES.slice(2), 1024);
    case 'gib':
      return scaled(value, BINARY_BYTES.slice(3), 1024);
    case 'seconds':
      return formatDurationSec(value);
    case 'milliseconds':
      return Math.abs(value) < 1000 ? `${formatNumber(value)} ms` : formatDurationSec(value / 1000);
    case 'credits':
      return plural(value, 'credit');
    case 'threads':
      return plural(value, 'thread');
    case 'connections':
      return plural(value, 'connection');
    case 'instances':
      return plural(value, 'instance');
    case 'file-descriptors':
      return `${formatNumber(value)} fds`;
    case 'vcpu':
      return `${formatNumber(value)} vCPU`;
    case 'usd-per-month':
      return formatUsdPerMonth(value);
    case 'usd-per-hour':
      return formatUsdPerHour(value);
  }
}

/** A 0..1 confidence or score as a whole percentage. */
export function formatShare(ratio: number): string {
  return `${Math.round(ratio * 100)} %`;
}

export interface ChartScale {
  divisor: number;
  symbol: string;
}

const UNIT_SYMBOL: Record<Unit, string> = {
  percent: '%',
  count: 'count',
  ratio: 'ratio',
  'per-second': '/s',
  'ops-per-second': 'IOPS',
  'packets-per-second': 'pkt/s',
  bytes: 'B',
  'bytes-per-second': 'B/s',
  'mib-per-second': 'MiB/s',
  mib: 'MiB',
  gib: 'GiB',
  seconds: 's',
  milliseconds: 'ms',
  credits: 'credits',
  threads: 'threads',
  connections: 'connections',
  instances: 'instances',
  'file-descriptors': 'fds',
  vcpu: 'vCPU',
  'usd-per-month': 'USD/month',
  'usd-per-hour': 'USD/hour',
};

export function unitSymbol(unit: Unit): string {
  return UNIT_SYMBOL[unit];
}

function pickScale(maxAbs: number, steps: readonly string[], base: number): ChartScale {
  let index = 0;
  let divisor = 1;
  while (maxAbs / divisor >= base && index < steps.length - 1) {
    divisor *= base;
    index += 1;
  }
  return { divisor, symbol: steps[index] ?? steps[0] ?? '' };
}

/** One scale for a whole chart axis, so `125000000` bytes/s reads as `125 MB/s`. */
export function chartScale(unit: Unit, maxAbs: number): ChartScale {
  if (unit === 'bytes') return pickScale(maxAbs, BINARY_BYTES, 1024);
  if (unit === 'bytes-per-second') return pickScale(maxAbs, DECIMAL_BYTES_PER_SEC, 1000);
  if (unit === 'mib') return pickScale(maxAbs, BINARY_BYTES.slice(2), 1024);
  return { divisor: 1, symbol: unitSymbol(unit) };
}

/** `2025-05-14 06:00 UTC` from any ISO time; the text itself when it does not parse. */
export function formatUtcMinute(iso: string): string {
  const epochMs = Date.parse(iso);
  return Number.isNaN(epochMs)
    ? iso
    : `${new Date(epochMs).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function formatUtcDate(iso: string): string {
  const epochMs = Date.parse(iso);
  return Number.isNaN(epochMs) ? iso : new Date(epochMs).toISOString().slice(0, 10);
}
