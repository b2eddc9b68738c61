import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.ts';
import { ConfigError } from '../../src/errors.ts';
import { type AuditCommandOptions, checkAuditUsage, retentionErrors } from '../../src/run/audit-command.ts';

function usageError(options: Partial<AuditCommandOptions>): string[] {
  try {
    checkAuditUsage({ format: 'md,json', out: 'fleetlens-report', ...options });
  } catch (error) {
    if (error instanceof ConfigError) return error.describe().split('\n');
    throw error;
  }
  throw new Error('expected a usage error');
}

describe('checkAuditUsage', () => {
  it('returns the formats when the flags make sense', () => {
    expect(checkAuditUsage({ format: 'json', out: '-', since: '36h' })).toEqual(['json']);
    expect(
      checkAuditUsage({ format: 'md,json,md', out: 'dir', fromArtifacts: 'saved', config: 'x.yaml' }),
    ).toEqual(['md', 'json']);
    expect(checkAuditUsage({ format: 'md,json,html', out: 'dir' })).toEqual(['md', 'json', 'html']);
    expect(checkAuditUsage({ format: 'html', out: '-' })).toEqual(['html']);
  });

  it('takes --event-multiplier as a number above 0, and names the flag otherwise', () => {
    expect(checkAuditUsage({ format: 'md', out: 'dir', eventMultiplier: '2.5' })).toEqual(['md']);
    expect(usageError({ eventMultiplier: 'three' })).toEqual([
      '--event-multiplier: expected a number above 0 such as 3 (found "three")',
    ]);
    expect(usageError({ eventMultiplier: '0' })).toEqual([
      '--event-multiplier: expected a number above 0 such as 3 (found "0")',
    ]);
  });

  it('rejects every bad flag at once', () => {
    expect(usageError({ out: '-', since: '0d', demo: true, config: 'fleetlens.yaml' })).toEqual([
      '--out: - (stdout) takes exactly one --format',
      '--since: expected a duration longer than zero, such as 14d (found "0d")',
      '--config: not with --demo (the demo runs its own config)',
    ]);
    expect(usageError({ fromArtifacts: 'saved', saveArtifacts: 'again', format: '' })).toEqual([
      '--format: no format given',
      '--save-artifacts: not with --from-artifacts (a replay collects nothing new)',
    ]);
  });
});

describe('retentionErrors', () => {
  const loaded = (text: string) => parseConfigText(text, 'fleetlens.yaml');

  it("points at the config's since when it is past what a configured cloud keeps", () => {
    const config = loaded(
      'periodSec: 300\nsince: 90d\nproviders:\n  aws:\n    regions: [us-east-1]\n  ovh: {}\n',
    );
    const errors = retentionErrors(config, undefined).map((e) => e.describe());
    expect(errors).toEqual([
      expect.stringMatching(
        /^fleetlens\.yaml:2 since: 90d of CloudWatch data: .* at a 300 s period it serves at most 63d; use --since 63d, or a 3600 s period \(periodSec: 3600\)$/,
      ),
    ]);
  });

  it('points at --since when the flag is what reaches too far, and checks only the configured clouds', () => {
    const config = loaded('providers:\n  gcp:\n    projects: [shop-prod-123]\n');
    expect(retentionErrors(config, '42d')).toEqual([]);
    expect(retentionErrors(config, '43d').map((e) => e.describe())).toEqual([
      expect.stringMatching(/^--since: 43d of Cloud Monitoring data: Cloud Monitoring keeps .* at most 42d/),
    ]);
    expect(retentionErrors(loaded('providers:\n  linode: {}\n'), '400d')).toEqual([]);
  });
});
