import { describe, expect, it } from 'vitest';
import { closest, didYouMean, editDistance } from '../../src/config/did-you-mean.ts';

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and a swap of neighbours as one edit each', () => {
    expect(editDistance('threshold', 'threshold')).toBe(0);
    expect(editDistance('threshhold', 'threshold')).toBe(1);
    expect(editDistance('regoin', 'region')).toBe(1);
    expect(editDistance('regoins', 'regions')).toBe(1);
    expect(editDistance('cpu', 'gpu')).toBe(1);
    expect(editDistance('', 'aws')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
});

describe('closest', () => {
  const keys = ['regions', 'profile', 'endpoint', 'includeStopped', 'tags'];

  it('suggests the known word a typo was meant to be', () => {
    expect(closest('regoins', keys)).toBe('regions');
    expect(closest('regoin', keys)).toBe('regions');
    expect(closest('includestopped', keys)).toBe('includeStopped');
    expect(closest('tag', keys)).toBe('tags');
  });

  it('suggests nothing for a word that is not close to any', () => {
    expect(closest('azure', ['aws', 'gcp', 'linode', 'ovh'])).toBeUndefined();
    expect(closest('xyz', keys)).toBeUndefined();
  });

  it('says it in words, or says nothing', () => {
    expect(didYouMean('cpu-saturatd', ['cpu-saturated', 'disk-saturated'])).toBe(
      ' (did you mean "cpu-saturated"?)',
    );
    expect(didYouMean('nothing-like-it', ['cpu-saturated'])).toBe('');
  });
});
