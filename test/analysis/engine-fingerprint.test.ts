// Fingerprints that survive (issue 10 point 3): a finding's id is its rule, its subject's cloud id
// and the problem the rule names, never its numbers, its message wording or the host's Name tag.
// The end-to-end half (two demo runs with other seeds, a renamed host) is in test/run/record-run.test.ts.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { findingFilePath } from '../../reports/markdown/index.ts';
import { defineRule } from '../../src/analysis/define-rule.ts';
import { fingerprint, runRules } from '../../src/analysis/engine.ts';
import { gp2ToGp3 } from '../../src/analysis/rules/gp2-to-gp3.ts';
import type { Subject } from '../../src/model/index.ts';
import { flat, fleet } from '../helpers/fleet-builder.ts';

const host: Subject = { provider: 'aws', kind: 'host', id: 'i-0abc', name: 'web-1' };

describe('fingerprint', () => {
  it('is the same for the same rule and subject whatever the name tag says', () => {
    expect(fingerprint('fd-limit', host)).toBe(fingerprint('fd-limit', { ...host, name: 'web-1-renamed' }));
    expect(fingerprint('fd-limit', host)).toMatch(/^[0-9a-f]{16}$/);
  });

  it('differs for another problem, rule, subject or cloud', () => {
    const base = fingerprint('listen-queue-overflow', host);
    expect(fingerprint('listen-queue-overflow', host, 'port 8080')).not.toBe(base);
    expect(fingerprint('listen-queue-overflow', host, 'port 8080')).not.toBe(
      fingerprint('listen-queue-overflow', host, 'port 9090'),
    );
    expect(fingerprint('fd-limit', host)).not.toBe(base);
    expect(fingerprint('listen-queue-overflow', { ...host, id: 'i-0abd' })).not.toBe(base);
    expect(fingerprint('listen-queue-overflow', { ...host, provider: 'gcp' })).not.toBe(base);
  });
});

/** gp2 of 500 GiB streaming `peakMiBps`: under 128 MiB/s it is the `plain` message, above it the `trap`. */
const gp2Fleet = (peakMiBps: number, name: string) =>
  fleet()
    .host(name, { type: 'r6i.xlarge' })
    .cpu(name, flat(30))
    .volume('vol-data', name, { type: 'gp2', sizeGiB: 500 })
    .volumeLoad('vol-data', flat(400), flat(peakMiBps))
    .facts();

describe('a finding keeps its id when only its numbers move', () => {
  it('gp2-to-gp3 plain → trap is one finding with one id, and one finding file name', () => {
    const calm = runRules([gp2ToGp3], gp2Fleet(20, 'reports-db')).findings;
    const busy = runRules([gp2ToGp3], gp2Fleet(200, 'reports-db')).findings;
    expect(calm).toHaveLength(1);
    expect(busy).toHaveLength(1);
    expect(calm[0]!.messageId).not.toBe(busy[0]!.messageId);
    expect(busy[0]!.id).toBe(calm[0]!.id);
    expect(findingFilePath(busy[0]!.id)).toBe(`findings/${calm[0]!.id}.md`);
    expect(busy[0]!.recommendationIds[0]).toBe(`${calm[0]!.id}-1`);
  });
});

describe('two problems of one rule on one subject', () => {
  const twoPorts = (keyed: boolean) =>
    defineRule({
      meta: {
        id: 'two-ports',
        title: 'Two listeners',
        category: 'reliability',
        defaultSeverity: 'high',
        requires: [],
        options: z.object({}),
        messages: { overflow: 'port {{port}} overflows' },
        docs: { rationale: '', remediation: '', sources: [] },
      },
      check(_facts, ctx) {
        for (const port of [8080, 9090]) {
          ctx.report({
            subject: host,
            messageId: 'overflow',
            ...(keyed ? { problemKey: `port ${port}` } : {}),
            data: { port },
            evidence: [],
          });
        }
      },
    });

  it('get different ids from the problem key the rule declares', () => {
    const { findings } = runRules([twoPorts(true)], fleet().facts());
    expect(findings.map((f) => f.id)).toEqual([
      fingerprint('two-ports', host, 'port 8080'),
      fingerprint('two-ports', host, 'port 9090'),
    ]);
  });

  it('still get distinct ids (and files) when the rule declares none', () => {
    const { findings } = runRules([twoPorts(false)], fleet().facts());
    expect(new Set(findings.map((f) => f.id)).size).toBe(2);
  });
});
