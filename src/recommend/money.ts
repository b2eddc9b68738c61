// AWS and the other clouds price by the hour; a month is 730 hours in their own calculators.
export const HOURS_PER_MONTH = 730;

export function monthly(usdPerHour: number): number {
  return usdPerHour * HOURS_PER_MONTH;
}

export function usd(value: number): string {
  const sign = value < 0 ? '-' : '';
  return `${sign}$${Math.abs(value).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

export function roundUsd(value: number): number {
  return Math.round(value * 100) / 100;
}
