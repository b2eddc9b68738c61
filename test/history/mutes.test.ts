// Mutes with a reason and an end date: what they hide, when they stop, which match nothing, and
// which the config must refuse.
import { describe, expect, it } from 'vitest';
import { applyMutes, globToRegExp, MUTE_EXPIRED_GRACE_DAYS, muteEntry } from '../../src/history/mutes.ts';

const RULES = ['cpu-saturated', 'idle-instance'];
const schema = muteEntry({ knownRuleIds: RULES, today: '2025-06-10' });
const finding = (id: string, ruleId: string, name: string, subjectId = `i-${name}`) => ({
  id,
  ruleId,
  subject: { provider: 'aws' as const, kind: 'host' as const, id: subjectId, name },
});

describe('mute entries in the config', () => {
  const issue = (entry: unknown) => {
    const parsed = schema.safeParse(entry);
    return parsed.success ? null : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('accepts a finding id or a rule with a subject glob, each with a reason and a date', () => {
    expect(
      issue({ finding: '0ec81567d5cd88d8', reason: 'batch window, ticket OPS-12', until: '2025-07-01' }),
    ).toBeNull();
    expect(
      issue({ rule: 'idle-instance', subject: 'web-*', reason: 'warm spares', until: '2025-06-10' }),
    ).toBeNull();
  });

  it('refuses a mute without a reason, with a date long past, with an unknown rule or naming both', () => {
    expect(issue({ finding: '0ec81567d5cd88d8', until: '2025-07-01' })).toEqual([
      'reason: a mute needs a reason',
    ]);
    expect(issue({ finding: '0ec81567d5cd88d8', reason: '  ', until: '2025-07-01' })).toEqual([
      'reason: a mute needs a reason',
    ]);
    expect(issue({ rule: 'cpu-saturate', subject: '*', reason: 'x', until: '2025-07-01' })).toEqual([
      'rule: unknown rule (known: cpu-saturated, idle-instance)',
    ]);
    expect(issue({ finding: '0ec81567d5cd88d8', reason: 'x', until: '2024-06-01' })).toEqual([
      `until: 2024-06-01 is more than ${MUTE_EXPIRED_GRACE_DAYS} days past: remove the mute or give it a new date`,
    ]);
    expect(
      issue({
        finding: '0ec81567d5cd88d8',
        rule: 'idle-instance',
        subject: '*',
        reason: 'x',
        until: '2025-07-01',
      }),
    ).toEqual([
      'finding: name either a finding id or a rule (with a subject glob)',
      'subject: a finding id already names its subject',
    ]);
    expect(issue({ rule: 'idle-instance', reason: 'x', until: '2025-07-01' })).toEqual([
      "subject: a rule mute needs a subject glob ('*' for every subject)",
    ]);
    expect(issue({ finding: '0ec81567d5cd88d8', reason: 'x', until: '2025-13-45' })).toHaveLength(1);
    expect(
      muteEntry({ knownRuleIds: RULES, today: '2025-06-10', expiredGraceDays: 0 }).safeParse({
        finding: '0ec81567d5cd88d8',
        reason: 'x',
        until: '2025-06-09',
      }).success,
    ).toBe(false);
  });
});

describe('applying mutes', () => {
  const findings = [
    finding('a000000000000001', 'idle-instance', 'web-1'),
    finding('a000000000000002', 'idle-instance', 'db-1', 'web-db'),
    finding('a000000000000003', 'cpu-saturated', 'web-2'),
    finding('a000000000000004', 'cpu-saturated', 'batch-1'),
  ];
  const mutes = [
    { rule: 'idle-instance', subject: 'web-*', reason: 'warm spares', until: '2025-06-10' },
    { finding: 'a000000000000004', reason: 'nightly batch, OPS-7', until: '2025-06-09' },
    { finding: 'ffffffffffffffff', reason: 'long gone', until: '2025-12-31' },
    { rule: 'cpu-saturated', subject: 'web-?', reason: 'launch week', until: '2025-06-30' },
  ];

  it('mutes through the until day, by name or id glob, then says the mute expired on that date', () => {
    const outcome = applyMutes(mutes, findings, '2025-06-10');
    expect(outcome.muted).toEqual([
      { findingId: 'a000000000000001', mute: 0, reason: 'warm spares', until: '2025-06-10' },
      { findingId: 'a000000000000002', mute: 0, reason: 'warm spares', until: '2025-06-10' },
      { findingId: 'a000000000000003', mute: 3, reason: 'launch week', until: '2025-06-30' },
    ]);
    expect(outcome.expired).toEqual([
      {
        findingId: 'a000000000000004',
        mute: 1,
        reason: 'nightly batch, OPS-7',
        until: '2025-06-09',
        text: 'mute expired on 2025-06-09',
      },
    ]);
    expect(outcome.stale).toEqual([2]);
    const dayAfter = applyMutes(mutes, findings, '2025-06-11');
    expect(dayAfter.expired.map((e) => e.text)).toEqual([
      'mute expired on 2025-06-10',
      'mute expired on 2025-06-10',
      'mute expired on 2025-06-09',
    ]);
  });

  it('reads globs literally except * and ?', () => {
    expect(globToRegExp('web-*').test('web-1')).toBe(true);
    expect(globToRegExp('web-*').test('api-web-1')).toBe(false);
    expect(globToRegExp('web.(1)').test('web.(1)')).toBe(true);
    expect(globToRegExp('web.(1)').test('webx(1)')).toBe(false);
  });
});
