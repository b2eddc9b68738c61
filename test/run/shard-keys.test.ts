// `--shard KEY[,KEY...]` (issue 12 point 5): a key names one scope the config audits, the shard's
// config holds those scopes only, and any text is either a plan or a usage error that says why.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Config } from '../../src/config/schema.ts';
import { ConfigError } from '../../src/errors.ts';
import { configScopes, coverageScope, planShard } from '../../src/run/shard-keys.ts';

const config = Config.parse({
  providers: {
    aws: { regions: ['us-east-1', 'eu-west-1'], profile: 'prod' },
    gcp: { projects: ['shop-prod-123', 'data-prod-456'] },
    linode: { name: 'eu-team' },
    ovh: { projects: ['7d3c9a1e5b2f4e6a8c0d1f2e3a4b5c6d'] },
  },
  onHost: [{ dir: '/samples/a', host: 'web-1' }],
});

const errorOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
};

describe('shard keys', () => {
  it('lists every scope a config audits, OVH without projects as ovh:*', () => {
    expect(configScopes(config.providers)).toEqual([
      'aws:prod/us-east-1',
      'aws:prod/eu-west-1',
      'gcp:shop-prod-123',
      'gcp:data-prod-456',
      'linode:eu-team',
      'ovh:7d3c9a1e5b2f4e6a8c0d1f2e3a4b5c6d',
    ]);
    expect(configScopes({ aws: { regions: ['eu-west-1'] }, linode: {}, ovh: {} })).toEqual([
      'aws:default/eu-west-1',
      'linode:default',
      'ovh:*',
    ]);
    expect(['aws:prod/eu-west-1', 'gcp:shop-prod-123', 'linode:x', 'ovh:*'].map(coverageScope)).toEqual([
      'eu-west-1',
      'shop-prod-123',
      'account',
      '*',
    ]);
  });

  it("cuts the config down to the shard's scopes, without on-host folders (the report reads them)", () => {
    const plan = planShard(' gcp:data-prod-456 , aws:prod/eu-west-1,aws:prod/eu-west-1', config);
    expect(plan.key).toBe('aws:prod/eu-west-1,gcp:data-prod-456');
    expect(plan.scopes).toEqual(['aws:prod/eu-west-1', 'gcp:data-prod-456']);
    expect(plan.config.providers).toEqual({
      aws: { ...config.providers.aws, regions: ['eu-west-1'] },
      gcp: { ...config.providers.gcp, projects: ['data-prod-456'] },
    });
    expect(plan.config.onHost).toEqual([]);
    expect(planShard('ovh:*', Config.parse({ providers: { ovh: {} } })).config.providers.ovh).toEqual(
      Config.parse({ providers: { ovh: {} } }).providers.ovh,
    );
  });

  it('names what is wrong with each bad key at once', () => {
    const error = errorOf(() => planShard('aws:default/us-east-1,gcp:shop-prod-12,azure:x,ovh:*', config));
    expect(error.describe().split('\n')).toEqual([
      '--shard: "aws:default/us-east-1" is not a scope the config audits (did you mean aws:prod/us-east-1?); its aws scopes: aws:prod/us-east-1, aws:prod/eu-west-1',
      '--shard: "gcp:shop-prod-12" is not a scope the config audits (did you mean gcp:shop-prod-123?); its gcp scopes: gcp:shop-prod-123, gcp:data-prod-456',
      '--shard: "azure:x" is not a scope key: aws:ACCOUNT/REGION, gcp:PROJECT, linode:NAME or ovh:PROJECT',
      '--shard: "ovh:*" is not a scope the config audits; its ovh scopes: ovh:7d3c9a1e5b2f4e6a8c0d1f2e3a4b5c6d',
    ]);
    expect(errorOf(() => planShard(' , ', config)).message).toMatch(/expected one or more scope keys/);
    expect(
      errorOf(() => planShard('gcp:shop-prod-123', Config.parse({ providers: { linode: {} } }))).message,
    ).toBe('"gcp:shop-prod-123": the config does not audit gcp');
  });

  it('turns any text into a plan of known scopes or a usage error, nothing else', () => {
    const known = configScopes(config.providers);
    const piece = fc.oneof(
      fc.constantFrom(...known),
      fc.string(),
      fc.constantFrom('aws:', 'ovh:*', ':', ','),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 5 }), (pieces) => {
        const text = pieces.join(',');
        try {
          const plan = planShard(text, config);
          expect(plan.scopes.length).toBeGreaterThan(0);
          for (const scope of plan.scopes) expect(known).toContain(scope);
          expect(plan.key).toBe([...plan.scopes].sort().join(','));
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
