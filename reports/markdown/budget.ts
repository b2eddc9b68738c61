// Size limits by construction: every part of a report is rendered against a character budget and,
// when it would not fit, shows fewer rows or lines and says where the rest is. Nothing is hoped for.

/** A GitHub comment holds 65,536 characters; this leaves room for a line of the reader's own. */
export const REPORT_MD_MAX_CHARS = 60_000;
/** A Jira text field holds 32,767 characters. */
export const FINDING_MD_MAX_CHARS = 30_000;

/**
 * The largest `count` in 0..`total` whose rendering fits `maxChars` (renderings grow with the count),
 * or null when not even `render(0)` fits. A binary search: a 10,000-row table renders ~14 times.
 */
export function fitCount(
  total: number,
  render: (count: number) => string,
  maxChars: number,
): { count: number; text: string } | null {
  const first = render(0);
  if (first.length > maxChars) return null;
  let lo = 0;
  let loText = first;
  let hi = total;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const text = render(mid);
    if (text.length <= maxChars) {
      lo = mid;
      loText = text;
    } else hi = mid - 1;
  }
  return { count: lo, text: loText };
}

/** Text that must stay within `maxChars`: itself, else the fallback (which must be short), else nothing. */
export function within(text: string, maxChars: number, fallback = ''): string {
  if (text.length <= maxChars) return text;
  return fallback.length <= maxChars ? fallback : '';
}

/** Items joined by `separator` while they fit, then a line saying how many were left out. */
export function fitItems(
  items: readonly string[],
  maxChars: number,
  more: (left: number) => string,
  separator = '\n',
): string {
  const found = fitCount(
    items.length,
    (count) => {
      const shown = items.slice(0, count);
      const rest = items.length - count;
      return [...shown, ...(rest > 0 ? [more(rest)] : [])].join(separator);
    },
    maxChars,
  );
  return found?.text ?? '';
}

/**
 * How many of `items`, in order, fit `maxChars` when joined by `separatorChars` with `reserveChars`
 * kept free for a closing "N more" line whenever some are left out.
 */
export function countFitting(
  items: readonly string[],
  maxChars: number,
  separatorChars: number,
  reserveChars: number,
): number {
  let used = 0;
  for (const [index, item] of items.entries()) {
    const next = used + (index === 0 ? 0 : separatorChars) + item.length;
    const reserve = index < items.length - 1 ? reserveChars : 0;
    if (next + reserve > maxChars) return index;
    used = next;
  }
  return items.length;
}
