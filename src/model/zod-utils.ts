import { z } from 'zod';

/**
 * An array that keeps the elements that parse and drops the rest, counting the drops in
 * `onDropped` (Renovate's LooseArray): one odd element of a provider's list must not lose the list.
 */
export function LooseArray<T extends z.ZodType>(element: T, onDropped?: (count: number) => void) {
  return z.array(z.unknown()).transform((items) => {
    const kept: z.output<T>[] = [];
    for (const item of items) {
      const parsed = element.safeParse(item);
      if (parsed.success) kept.push(parsed.data);
    }
    if (kept.length < items.length) onDropped?.(items.length - kept.length);
    return kept;
  });
}
