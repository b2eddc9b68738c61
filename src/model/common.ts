import { z } from 'zod';

export const ProviderId = z.enum(['aws', 'gcp', 'linode', 'ovh']);
export type ProviderId = z.infer<typeof ProviderId>;

export const Severity = z.enum(['info', 'low', 'medium', 'high', 'critical']);
export type Severity = z.infer<typeof Severity>;

export const severityRank: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

// NOTE: units are named in full so an evidence value never needs a guess; writers format them.
export const Unit = z.enum([
  'percent',
  'count',
  'per-second',
  'ops-per-second',
  'bytes',
  'bytes-per-second',
  'mib-per-second',
  'packets-per-second',
  'credits',
  'seconds',
  'milliseconds',
  'threads',
  'file-descriptors',
  'connections',
  'instances',
  'usd-per-month',
  'usd-per-hour',
  'vcpu',
  'mib',
  'gib',
  'ratio',
]);
export type Unit = z.infer<typeof Unit>;

export const SubjectKind = z.enum(['host', 'volume', 'group']);
export type SubjectKind = z.infer<typeof SubjectKind>;

/** What a finding or recommendation is about: a host, a volume or a group, of one provider. */
export const Subject = z.object({
  provider: ProviderId.or(z.literal('onhost')),
  kind: SubjectKind,
  id: z.string(),
  name: z.string().optional(),
});
export type Subject = z.infer<typeof Subject>;

/** ISO-8601 UTC at the edges; epoch milliseconds inside. */
export const IsoTime = z.iso.datetime({ offset: true });
