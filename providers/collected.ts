// Adapters list per region or project, then join the parts: one join for every cloud.
import type { Collected, Inventory } from './types.ts';

export function mergeInventories(parts: readonly Collected<Inventory>[]): Collected<Inventory> {
  return {
    value: {
      hosts: parts.flatMap((part) => part.value.hosts),
      volumes: parts.flatMap((part) => part.value.volumes),
      groups: parts.flatMap((part) => part.value.groups),
    },
    gaps: parts.flatMap((part) => part.gaps),
  };
}
