// Every token-paged listing ends (issue 9 point 2): a server that hands back a token it already gave
// would otherwise be followed forever, and one that keeps minting new tokens is stopped at the most
// pages the listing can need. Each page is still one call() of its own; this only decides when to
// stop, and says why in the error (a `bad-response` gap).
import { ProviderError, type RemoteSource } from '../errors.ts';

export interface PageBound {
  /** Items per page the request asks for. */
  pageSize: number;
  /** The most items the listing can hold (a documented quota, or a stated assumption). */
  maxItems: number;
}

/** Pages a listing of at most `maxItems` needs at `pageSize`, plus one for an empty last page. */
export function maxPagesOf(bound: PageBound): number {
  return Math.ceil(bound.maxItems / bound.pageSize) + 1;
}

export interface Page<T> {
  items: T[];
  /** The next page's token; empty or absent on the last page. */
  next: string | null | undefined;
}

/**
 * Follows next-page tokens to the end, at most `maxPages` pages. `label` names the call and scope
 * in the error (`ec2.DescribeInstances (eu-west-1)`).
 */
export async function followPages<T>(
  provider: RemoteSource,
  label: string,
  maxPages: number,
  fetchPage: (token: string | undefined) => Promise<Page<T>>,
): Promise<T[]> {
  const all: T[] = [];
  const seen = new Map<string, number>();
  let token: string | undefined;
  for (let page = 1; ; page += 1) {
    const answer = await fetchPage(token);
    all.push(...answer.items);
    const next = answer.next || undefined;
    if (next === undefined) return all;
    const first = seen.get(next);
    if (first !== undefined) {
      throw new ProviderError(
        provider,
        'bad-response',
        label,
        `page ${page} gave the same next-page token as page ${first}; stopped instead of looping`,
      );
    }
    if (page >= maxPages) {
      throw new ProviderError(
        provider,
        'bad-response',
        label,
        `still had a next page after ${maxPages} pages, more than the listing can hold; stopped`,
      );
    }
    seen.set(next, page);
    token = next;
  }
}
