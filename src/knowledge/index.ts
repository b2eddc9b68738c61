// The bundled knowledge (copies of ../shared/knowledge): kernel and runtime defaults and detection
// thresholds, each with its sources. Rules cite these instead of restating numbers from memory.
import { z } from 'zod';
import { readPackageJson } from '../paths.ts';

const SysctlFact = z
  .object({
    key: z.string(),
    kind: z.string(),
    kernelDefault: z.unknown(),
    recommended: z.object({ value: z.string(), basis: z.string(), source: z.string() }).partial().optional(),
    interactions: z.array(z.string()).optional(),
    sources: z.array(z.string()).default([]),
  })
  .loose();
export type SysctlFact = z.infer<typeof SysctlFact>;

const RuntimeFact = z
  .object({
    runtime: z.string(),
    item: z.string(),
    value: z.unknown(),
    semantics: z.string().optional(),
    sources: z.array(z.string()).default([]),
  })
  .loose();
export type RuntimeFact = z.infer<typeof RuntimeFact>;

let sysctl: SysctlFact[] | undefined;
let runtimes: RuntimeFact[] | undefined;

export function sysctlFact(keyPrefix: string): SysctlFact {
  sysctl ??= z.array(SysctlFact).parse(readPackageJson('src', 'knowledge', 'sysctl.json'));
  const fact = sysctl.find((entry) => entry.key.startsWith(keyPrefix));
  if (!fact) throw new Error(`knowledge: no sysctl entry ${keyPrefix}`);
  return fact;
}

export function runtimeFact(runtime: string, itemPrefix: string): RuntimeFact {
  runtimes ??= z.array(RuntimeFact).parse(readPackageJson('src', 'knowledge', 'runtimes.json'));
  const fact = runtimes.find((entry) => entry.runtime === runtime && entry.item.startsWith(itemPrefix));
  if (!fact) throw new Error(`knowledge: no runtime entry ${runtime} ${itemPrefix}`);
  return fact;
}

/** `key default X: first source` — the citation form ../shared/knowledge/README.md asks for. */
export function cite(fact: SysctlFact | RuntimeFact): string {
  const name = 'key' in fact ? String(fact.key) : `${fact.runtime} ${fact.item}`;
  const value = 'key' in fact ? fact.kernelDefault : fact.value;
  return `${name} default ${String(value)}: ${fact.sources[0] ?? 'no source'}`;
}
