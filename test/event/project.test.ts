// The pre-event projection: each ceiling kind's arithmetic, the first ceiling and its multiplier,
// the verdict at the event's multiplier, the change and its cost, and unknown ceilings never passed.
import { describe, expect, it } from 'vitest';
import { projectEvent } from '../../src/event/project.ts';
import type { EventCheck, EventReview, EventUnit } from '../../src/model/index.ts';
import { diurnal, flat, fleet } from '../helpers/fleet-builder.ts';
import { onHostSample } from '../helpers/onhost.ts';

const MIB = 1_048_576;

function unitOf(review: EventReview, id: string): EventUnit {
  const unit = review.units.find((u) => u.subject.id === id);
  if (!unit) throw new Error(`no unit ${id}`);
  return unit;
}

function checkOf(unit: EventUnit, kind: EventCheck['kind'], label?: string): EventCheck {
  const check = unit.checks.find((c) => c.kind === kind && (label === undefined || c.label.includes(label)));
  if (!check) throw new Error(`no ${kind} check on ${unit.subject.id}`);
  return check;
}

describe('instance ceilings', () => {
  it('projects CPU P99.5 against 100 % less the sizing headroom, and names a type that fits ×N', () => {
    // cpu.util.max is the average × 1.15: 40 % → 46 %; 83.33 % ÷ 46 % = 1.81.
    const facts = fleet({ days: 2 }).host('i-web', { type: 'm6i.large' }).cpu('i-web', flat(40)).facts();
    const unit = unitOf(projectEvent(facts, { multiplier: 3 }), 'i-web');
    expect(unit.firstCeiling?.kind).toBe('cpu');
    expect(unit.breaksAt).toBe(1.81);
    expect(unit.verdict).toBe('no-go');
    expect(checkOf(unit, 'cpu').demand).toBeCloseTo(138, 0);
    // 2 vCPU × 138 % × 1.2 = 3.3 vCPU: the cheapest general-purpose type with 4.
    expect(unit.change).toMatch(/^m6i\.large → \S+\.xlarge$/);
    expect(unit.monthlyCostDeltaUsd).toBeGreaterThan(0);
  });

  it('judges a burstable type against its baseline and says how many hours its credits last', () => {
    const facts = fleet({ days: 2 })
      .host('i-cache', { type: 't3.large' })
      .cpu('i-cache', flat(50))
      .metric('i-cache', 'cpu.credit.balance', flat(100))
      .facts();
    const cpu = checkOf(unitOf(projectEvent(facts, { multiplier: 3 }), 'i-cache'), 'cpu');
    // 57.5 % against the 30 % baseline; at ×3 the burn is (172.5 − 30) % × 2 vCPU × 60 = 171 credits/h.
    expect(cpu.limit).toBe(30);
    expect(cpu.breaksAt).toBe(0.52);
    expect(cpu.note).toContain('credits last 0.5848 h');
  });

  it('lets only the part of memory above its floor grow with the multiplier', () => {
    const facts = fleet({ days: 2 })
      .host('i-db', { type: 'r6i.xlarge' })
      .cpu('i-db', flat(5))
      .metric('i-db', 'mem.used', diurnal(40, 60))
      .facts();
    const memory = checkOf(unitOf(projectEvent(facts, { multiplier: 2 }), 'i-db'), 'memory');
    // (83.33 − 40) ÷ (60 − 40) = 2.16; at ×2: 40 + 20 × 2 = 80 %.
    expect(memory.breaksAt).toBe(2.16);
    expect(memory.demand).toBeCloseTo(80, 0);
    expect(memory.status).toBe('at-risk');
  });

  it('lists memory as unknown, not passed, when the cloud has no memory metric', () => {
    const facts = fleet({ days: 2 }).host('i-a').cpu('i-a', flat(5)).facts();
    const unit = unitOf(projectEvent(facts, { multiplier: 2 }), 'i-a');
    expect(checkOf(unit, 'memory').status).toBe('unknown');
    expect(checkOf(unit, 'memory').source).toMatch(/agent/);
  });

  it('holds network to the baseline and says the burst lasts minutes', () => {
    // 40 MiB/s = 41.9 MB/s against the m6i.large's 0.781 Gbit/s = 97.6 MB/s: ×2.32.
    const facts = fleet({ days: 2 })
      .host('i-origin', { type: 'm6i.large' })
      .cpu('i-origin', flat(5))
      .metric('i-origin', 'net.out.bytes', flat(40 * MIB))
      .metric('i-origin', 'net.in.bytes', flat(2 * MIB))
      .facts();
    const unit = unitOf(projectEvent(facts, { multiplier: 3 }), 'i-origin');
    expect(unit.firstCeiling?.kind).toBe('network');
    expect(unit.breaksAt).toBe(2.32);
    expect(unit.firstCeiling?.note).toMatch(/bursts to 12\.5 Gbit\/s.*minutes/);
    expect(unit.change).toMatch(/^m6i\.large → /);
  });

  it('sums the instance EBS throughput against the type baseline (the catalog has it)', () => {
    const facts = fleet({ days: 2 })
      .host('i-rep', { type: 'r6i.xlarge' })
      .cpu('i-rep', flat(5))
      .metric('i-rep', 'disk.read.bytes', flat(90e6))
      .metric('i-rep', 'disk.write.bytes', flat(10e6))
      .facts();
    const unit = unitOf(projectEvent(facts, { multiplier: 2 }), 'i-rep');
    // 100 MB/s against 156.25 MB/s: ×1.56.
    expect(unit.firstCeiling).toMatchObject({ kind: 'ebs-bandwidth', label: 'EBS throughput' });
    expect(unit.breaksAt).toBe(1.56);
    expect(unit.firstCeiling?.note).toMatch(/30 minutes a day/);
  });
});

describe('per-instance disk limits the catalogs lack', () => {
  const CASES = [
    ['gcp', 'n2-standard-4', 'the GCP catalog has no per-instance persistent-disk limit for n2-standard-4'],
    [
      'linode',
      'g6-standard-2',
      'the Linode catalog has no per-instance block-storage limit for g6-standard-2',
    ],
    ['ovh', 'b2-7', 'the OVHcloud catalog has no per-instance block-storage limit for b2-7'],
  ] as const;

  it.each(CASES)(
    'lists %s throughput and IOPS per instance as unknown, with the reason',
    (provider, type, why) => {
      const facts = fleet({ days: 2 })
        .host('vm-1', { provider, type })
        .cpu('vm-1', flat(5))
        .metric('vm-1', 'disk.read.bytes', flat(400e6))
        .metric('vm-1', 'disk.read.ops', flat(50_000))
        .facts();
      const unit = unitOf(projectEvent(facts, { multiplier: 3 }), 'vm-1');
      const disk = unit.checks.filter((c) => c.kind === 'ebs-bandwidth');
      expect(disk.map((c) => [c.label.replace(/^\S+ /, ''), c.status, c.source])).toEqual([
        ['throughput per instance', 'unknown', why],
        ['IOPS per instance', 'unknown', why],
      ]);
      // Never passed: the heavy disk load does not make the unit's first ceiling a disk one either.
      expect(unit.firstCeiling?.kind).not.toBe('ebs-bandwidth');
    },
  );

  it('says so when the host has no disk metrics either', () => {
    const facts = fleet({ days: 2 })
      .host('vm-2', { provider: 'gcp', type: 'n2-standard-4' })
      .cpu('vm-2', flat(5))
      .facts();
    const disk = unitOf(projectEvent(facts, { multiplier: 3 }), 'vm-2').checks.filter(
      (c) => c.kind === 'ebs-bandwidth',
    );
    expect(disk).toHaveLength(2);
    expect(disk[0]!.source).toMatch(/persistent-disk limit for n2-standard-4 \(and no disk metrics/);
  });

  it('lists an attached volume without metrics as unknown instead of dropping it', () => {
    const facts = fleet({ days: 2 })
      .host('i-quiet')
      .cpu('i-quiet', flat(5))
      .volume('vol-quiet', 'i-quiet', { type: 'gp3', sizeGiB: 100 })
      .facts();
    const volume = checkOf(unitOf(projectEvent(facts, { multiplier: 2 }), 'i-quiet'), 'volume');
    expect(volume).toMatchObject({ status: 'unknown', label: 'vol-quiet (gp3 100 GiB)' });
    expect(volume.source).toMatch(/no IOPS or throughput metrics/);
  });
});

describe('volume ceilings', () => {
  it("holds gp2 to its baseline and gives the burst bucket's hours at the projected rate", () => {
    const facts = fleet({ days: 2 })
      .host('i-blob')
      .cpu('i-blob', flat(5))
      .volume('vol-blob', 'i-blob', { type: 'gp2', sizeGiB: 150 })
      .volumeLoad('vol-blob', flat(300), flat(4))
      .facts();
    const unit = unitOf(projectEvent(facts, { multiplier: 2 }), 'i-blob');
    const iops = checkOf(unit, 'volume', 'IOPS');
    // 300 IOPS against 450 (3 × 150 GiB): ×1.5; at ×2, 600 IOPS spend 5.4 M credits in 5.4e6 ÷ 150 ÷ 3600 = 10 h.
    expect(iops.breaksAt).toBe(1.5);
    expect(iops.note).toContain('lasts 10 h');
    expect(unit.firstCeiling?.kind).toBe('volume');
    expect(unit.change).toMatch(/^vol-blob to gp3 3000 IOPS/);
  });
});

describe('group ceilings', () => {
  it('counts the members needed at ×N against the group max, and prices the scale-out', () => {
    // Three m6i.xlarge at 41.67 % of their 83.33 % CPU limit: 1.5 members of work; max 4 → ×2.66.
    const b = fleet({ days: 2 });
    for (const id of ['i-1', 'i-2', 'i-3']) b.host(id, { type: 'm6i.xlarge' }).cpu(id, flat(41.6667 / 1.15));
    const facts = b.group('us-east-1/web', ['i-1', 'i-2', 'i-3'], { max: 4 }).facts();
    const review = projectEvent(facts, { multiplier: 3 });
    const unit = unitOf(review, 'us-east-1/web');
    expect(review.units.map((u) => u.subject.id)).toEqual(['us-east-1/web']);
    expect(unit.firstCeiling).toMatchObject({ kind: 'group-max', limit: 4, demand: 5 });
    expect(unit.breaksAt).toBe(2.66);
    expect(unit.change).toBe('max to 5 and scale out to 5 members before the event');
    // Two more m6i.xlarge at $0.192/h for a month.
    expect(unit.monthlyCostDeltaUsd).toBeCloseTo(2 * 0.192 * 730, 2);
    expect(unit.firstCeiling?.note).toMatch(/no scale-out in the window/);
  });

  it('reads the scale-out time from the group history', () => {
    const b = fleet({ days: 1 });
    b.host('i-1').cpu('i-1', flat(20));
    b.group('us-east-1/web', ['i-1'], { max: 4 });
    // Desired steps 1 → 2 at point 10; in service catches up 2 points (10 min) later.
    b.metric('us-east-1/web', 'group.desired', (i) => (i >= 10 ? 2 : 1));
    b.metric('us-east-1/web', 'group.in-service', (i) => (i >= 12 ? 2 : 1), 'instances');
    const unit = unitOf(projectEvent(b.facts(), { multiplier: 2 }), 'us-east-1/web');
    expect(checkOf(unit, 'group-max').note).toMatch(/scale-out took up to 10 min \(1 steps/);
  });
});

describe('kernel and runtime ceilings from the captures', () => {
  const projectSample = async (name: string, n = 3) => {
    const facts = fleet({ days: 1 })
      .host('i-x', { type: 'm6i.xlarge' })
      .cpu('i-x', flat(1))
      .withOnHost(await onHostSample(name), 'i-x')
      .facts();
    return unitOf(projectEvent(facts, { multiplier: n }), 'i-x');
  };

  it('threads against RLIMIT_NPROC (thread-exhaustion: 500 of 500)', async () => {
    const unit = await projectSample('thread-exhaustion');
    expect(unit.firstCeiling).toMatchObject({ kind: 'threads', today: 500, limit: 500, breaksAt: 1 });
    expect(unit.firstCeiling?.source).toMatch(/RLIMIT_NPROC/);
    expect(unit.change).toMatch(/^raise RLIMIT_NPROC \(Max processes\) to 1800/);
  });

  it('open fds against nofile (fd-exhaustion: 256 of 256)', async () => {
    const unit = await projectSample('fd-exhaustion');
    expect(unit.firstCeiling).toMatchObject({ kind: 'fds', today: 256, limit: 256, breaksAt: 1 });
    expect(unit.change).toMatch(/^nofile \(LimitNOFILE=\) to 922/);
  });

  it('the accept queue against the backlog and somaxconn (listen-queue-overflow: 9 queued, backlog 8)', async () => {
    const unit = await projectSample('listen-queue-overflow');
    expect(unit.firstCeiling).toMatchObject({ kind: 'accept-queue', today: 9, limit: 8, breaksAt: 0.88 });
    expect(unit.firstCeiling?.note).toMatch(/ListenOverflows rose/);
    expect(unit.change).toBe('listen backlog and net.core.somaxconn to 64');
  });

  it("a bounded pool by Little's law (threadpool-starvation: λW above 16 workers)", async () => {
    const unit = await projectSample('threadpool-starvation');
    expect(unit.firstCeiling?.kind).toBe('pool');
    expect(unit.firstCeiling?.limit).toBe(16);
    expect(unit.breaksAt).toBeLessThan(1);
    expect(unit.firstCeiling?.source).toMatch(/L = λW/);
    expect(unit.change).toMatch(/^pool size to \d+ workers/);
  });

  it("an event loop's held share × N against 100 % (event-loop-blocked)", async () => {
    const unit = await projectSample('event-loop-blocked');
    const loop = checkOf(unit, 'event-loop');
    expect(loop.status).not.toBe('unknown');
    expect(loop.today).toBeGreaterThan(10);
    expect(loop.breaksAt).toBeCloseTo(100 / loop.today!, 1);
  });

  it('lists every kernel and runtime ceiling as unknown on a host without samples, never as passed', () => {
    const facts = fleet({ days: 1 }).host('i-bare').cpu('i-bare', flat(10)).facts();
    const unit = unitOf(projectEvent(facts, { multiplier: 2 }), 'i-bare');
    const unknown = unit.checks.filter((c) => c.status === 'unknown').map((c) => c.kind);
    expect(unknown).toEqual(expect.arrayContaining(['threads', 'fds', 'accept-queue', 'pool', 'event-loop']));
    expect(unit.checks.filter((c) => c.status === 'unknown').every((c) => c.breaksAt === null)).toBe(true);
  });
});

describe('verdicts', () => {
  it('is unknown when no ceiling could be judged', () => {
    const facts = fleet({ days: 1 }).host('i-dark').facts();
    const unit = unitOf(projectEvent(facts, { multiplier: 2 }), 'i-dark');
    expect(unit).toMatchObject({ verdict: 'unknown', firstCeiling: null, breaksAt: null, change: null });
  });

  it('gives go, at-risk and no-go against the multiplier, and breaksAt without one', () => {
    // CPU 46 % → breaks at ×1.81.
    const facts = fleet({ days: 1 }).host('i-web', { type: 'm6i.large' }).cpu('i-web', flat(40)).facts();
    const at = (multiplier: number | null) => unitOf(projectEvent(facts, { multiplier }), 'i-web');
    expect(at(1.2).verdict).toBe('go');
    expect(at(1.6).verdict).toBe('at-risk');
    expect(at(2).verdict).toBe('no-go');
    expect(at(null)).toMatchObject({ verdict: 'go', breaksAt: 1.81, change: null });
    expect(projectEvent(facts, { multiplier: null }).multiplier).toBeNull();
  });

  it('judges a unit at its own multiplier when the config gives one', () => {
    const facts = fleet({ days: 1 })
      .host('i-web', { type: 'm6i.large', name: 'web' })
      .cpu('i-web', flat(40))
      .host('i-api', { type: 'm6i.large', name: 'api' })
      .cpu('i-api', flat(40))
      .facts();
    const review = projectEvent(facts, { multiplier: 1.2, units: { web: 3 } });
    expect(unitOf(review, 'i-web')).toMatchObject({ multiplier: 3, verdict: 'no-go' });
    expect(unitOf(review, 'i-api')).toMatchObject({ multiplier: 1.2, verdict: 'go' });
  });

  it('leaves stopped hosts out: they serve nothing during the event', () => {
    const facts = fleet({ days: 1 }).host('i-off', { state: 'stopped' }).facts();
    expect(projectEvent(facts, { multiplier: 2 }).units).toEqual([]);
  });
});
