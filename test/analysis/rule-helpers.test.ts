import { describe, expect, it } from 'vitest';
import { runRules } from '../../src/analysis/engine.ts';
import {
  memorySignal,
  sizingSignals,
  values,
  volumeLoad,
  whyNoVolumeMetrics,
} from '../../src/analysis/rule-helpers.ts';
import { cpuOverProvisioned } from '../../src/analysis/rules/cpu-over-provisioned.ts';
import { cpuSaturated } from '../../src/analysis/rules/cpu-saturated.ts';
import { secondsWhere } from '../../src/analysis/stats.ts';
import { rightsize } from '../../src/recommend/sizing.ts';
import { diurnal, flat, fleet } from '../helpers/fleet-builder.ts';
import { onHostSample } from '../helpers/onhost.ts';

const healthy = await onHostSample('healthy');

/** An OVHcloud host whose series are hourly, in a 14-day window at the default 300 s step. */
const hourlyOvh = () =>
  fleet()
    .host('eu-render-1', { provider: 'ovh', type: 'c3-8' })
    .cpu('eu-render-1', flat(97), { stepSec: 3600, points: 336 });

describe('values() carries the series step', () => {
  it('so hours above a threshold are right for an hourly series judged in a 5-minute window', () => {
    const facts = hourlyOvh().facts();
    expect(facts.window.stepSec).toBe(300);
    const cpu = values(facts, 'eu-render-1', 'cpu.util');
    expect(secondsWhere(cpu, facts.window.stepSec, (v) => v >= 90) / 3600).toBe(336);
  });

  it('so cpu-saturated says all 336 hours, not 28', () => {
    const { findings } = runRules([cpuSaturated], hourlyOvh().facts());
    expect(findings).toHaveLength(1);
    expect(findings[0]!.message).toMatch(/\(336 h at or above 90 %\)/);
  });

  it('so a volume series keeps its own step, hours and sources', () => {
    const b = fleet().host('h').volume('vol-1', 'h', { type: 'gp2', sizeGiB: 100 });
    for (const metric of ['disk.read.ops', 'disk.write.ops'] as const)
      b.metric('vol-1', metric, flat(10), undefined, 48, 3600);
    const load = volumeLoad(b.facts(), 'vol-1');
    expect(load).toMatchObject({ stepSec: 3600, hours: 48, points: 48 });
    expect(load.sources.iops).toBe('test disk.read.ops + test disk.write.ops');
  });
});

describe('sizing and the 30 h minimum', () => {
  it('counts an hourly series at its own step: 40 points are 40 h, enough to size', () => {
    const facts = fleet()
      .host('db-1', { type: 'm6i.4xlarge' })
      .cpu('db-1', flat(5), { stepSec: 3600, points: 40 })
      .facts();
    const signals = sizingSignals(facts, ['db-1']);
    const current = facts.catalog.get('m6i.4xlarge')!;
    const result = rightsize(current, [...facts.catalog.values()], signals, facts.sizing);
    expect(result.verdict).toBe('over-provisioned');
    expect(result.arithmetic.steps[0]).toEqual({
      label: 'data',
      formula: '40 points × 3600 s',
      result: '40 h',
    });
  });

  it('takes a group member with the least data, at each member own step', () => {
    const facts = fleet()
      .host('a', { type: 'm6i.2xlarge' })
      .host('b', { type: 'm6i.2xlarge' })
      .cpu('a', flat(5), { stepSec: 3600, points: 100 })
      .cpu('b', flat(5), { stepSec: 300, points: 100 })
      .facts();
    expect(sizingSignals(facts, ['a', 'b']).coveredHours).toBeCloseTo(100 / 12);
  });
});

describe('memory for sizing', () => {
  it("comes from the host's own samples when the cloud has none, and says so", () => {
    const facts = fleet()
      .host('h', { type: 'm6i.xlarge' })
      .cpu('h', flat(5))
      .withOnHost(healthy, 'h')
      .facts();
    const memory = memorySignal(facts, 'h');
    expect(memory).not.toBeNull();
    expect(memory!.source).toMatch(/^on-host .*%memused in .*healthy$/);
    expect(memory!.hours).toBeGreaterThan(0);
    expect(memory!.hours).toBeLessThan(1);
    expect(sizingSignals(facts, ['h']).memory?.source).toBe(memory!.source);
  });

  it('never says memory was not measured for a host whose memory was filled on-host', () => {
    const facts = fleet()
      .host('db-1', { type: 'm6i.4xlarge' })
      .cpu('db-1', diurnal(3, 9))
      .withOnHost(healthy, 'db-1')
      .facts();
    const { recommendations } = runRules([cpuOverProvisioned], facts);
    expect(recommendations).toHaveLength(1);
    const rec = recommendations[0]!;
    expect(rec.rationale).not.toMatch(/not measured/);
    // A 2-minute capture is a floor of the window's peak: memory is held, and the reason is given.
    expect(rec.rationale).toMatch(
      /Memory measured for \d+ min only \(on-host .*healthy\), short of the 30 h sizing needs/,
    );
    const steps = rec.evidence.flatMap((e) => (e.kind === 'arithmetic' ? e.steps : []));
    expect(steps.find((s) => s.label === 'memory needed')!.formula).toMatch(/on-host/);
  });

  it("uses the cloud's memory series first", () => {
    const facts = fleet()
      .host('h')
      .cpu('h', flat(5))
      .metric('h', 'mem.used', flat(30))
      .withOnHost(healthy, 'h')
      .facts();
    expect(memorySignal(facts, 'h')).toMatchObject({ source: 'test mem.used', hours: 336 });
  });

  it('counts for a group only when every member has it', () => {
    const facts = fleet()
      .host('a')
      .host('b')
      .cpu('a', flat(5))
      .cpu('b', flat(5))
      .metric('a', 'mem.used', flat(30))
      .facts();
    expect(sizingSignals(facts, ['a', 'b']).memUsedPct).toBeUndefined();
    expect(sizingSignals(facts, ['a']).memUsedPct).toHaveLength(4032);
  });
});

describe('volumes without metrics by design', () => {
  it('are named: attached to nothing, or only to stopped hosts', () => {
    const facts = fleet()
      .host('on')
      .host('off', { state: 'stopped' })
      .volume('v-free', null, { type: 'gp2', sizeGiB: 10 })
      .volume('v-off', 'off', { type: 'gp2', sizeGiB: 10 })
      .volume('v-on', 'on', { type: 'gp2', sizeGiB: 10 })
      .facts();
    const why = (id: string) => whyNoVolumeMetrics(facts, facts.volumes.find((v) => v.id === id)!);
    expect(why('v-free')).toBe('attached to no instance: no I/O to judge');
    expect(why('v-off')).toBe('attached only to off, stopped: no I/O to judge');
    expect(why('v-on')).toBeUndefined();
  });
});
