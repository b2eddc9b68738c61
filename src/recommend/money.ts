// AWS and the other clouds price by the hour; a month is 730 hours in their own calculators.
export const HOURS_PER_MONTH = 730;

export function monthly(usdPerHour: number): number {
  return usdPerHour * HOURS_PER_MONTH;
}

// NOTE: one formatter for every amount: toLocaleString with options builds a new one per call.
const CENTS = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export function usd(value: number): string {
  const sign = value < 0 ? '-' : '';
  return `${sign}$${CENTS.format(Math.abs(value))}`;
}

export function roundUsd(value: number): number {
  return Math.round(value * 100) / 100;
}
