import { describe, expect, it } from 'vitest';
import { stderrColour } from '../src/log.ts';

describe('log colour', () => {
  it('colours only a terminal, and never with NO_COLOR or FORCE_COLOR=0', () => {
    expect(stderrColour({}, true)).toBe(true);
    expect(stderrColour({}, false)).toBe(false);
    expect(stderrColour({ FORCE_COLOR: '1', CI: 'true' }, false)).toBe(false);
    expect(stderrColour({ NO_COLOR: '1' }, true)).toBe(false);
    expect(stderrColour({ NO_COLOR: '' }, true)).toBe(true);
    expect(stderrColour({ FORCE_COLOR: '0' }, true)).toBe(false);
    expect(stderrColour({ TERM: 'dumb' }, true)).toBe(false);
  });
});
