import { describe, expect, it } from 'vitest';
import {
  hoursOf,
  longestRunSec,
  secondsWhere,
  stepOf,
  summarize,
  withStep,
} from '../../src/analysis/stats.ts';

// 14 days of an hourly series (OVHcloud's step), all of it at 95 %.
const hourly = withStep(
  Array.from({ length: 336 }, () => 95),
  3600,
);

describe('series that carry their own step', () => {
  it('count every hourly point as an hour, whatever step the caller passes', () => {
    // A caller that passes the window's 300 s used to get 336 × 300 s = 28 h.
    expect(secondsWhere(hourly, 300, (v) => v >= 90) / 3600).toBe(336);
    expect(longestRunSec(hourly, 300, (v) => v >= 90) / 3600).toBe(336);
    expect(hoursOf(hourly)).toBe(336);
  });

  it('bare values still count at the step given', () => {
    const bare = Array.from({ length: 12 }, () => 95);
    expect(stepOf(bare)).toBeUndefined();
    expect(secondsWhere(bare, 300, (v) => v >= 90)).toBe(3600);
    expect(hoursOf(bare, 300)).toBe(1);
  });

  it('per-sample intervals (on-host records) are unchanged', () => {
    expect(secondsWhere([95, 95, 10, 95], [1, 2, 1, 4], (v) => v >= 90)).toBe(7);
    expect(longestRunSec([95, 95, 10, 95], [1, 2, 1, 4], (v) => v >= 90)).toBe(4);
  });

  it('the step does not change what the values are', () => {
    expect(summarize(hourly)).toEqual(summarize(Array.from({ length: 336 }, () => 95)));
    expect(JSON.stringify(withStep([1, 2], 60))).toBe('[1,2]');
  });
});
