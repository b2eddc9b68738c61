import { describe, expect, it } from 'vitest';
import { bundledCatalog } from '../../providers/aws/catalog.ts';
import { bundledCatalog as bundledGcpCatalog } from '../../providers/gcp/catalog.ts';
import { bundledCatalog as bundledLinodeCatalog } from '../../providers/linode/catalog.ts';
import { bundledCatalog as bundledOvhCatalog } from '../../providers/ovh/catalog.ts';
import { SizingConfig } from '../../src/config/schema.ts';
import type { InstanceType } from '../../src/model/index.ts';
import {
  allowedTypes,
  cheapestFitting,
  purposeClass,
  requirementsFor,
  rightsize,
} from '../../src/recommend/sizing.ts';

const catalog = bundledCatalog();
const type = (name: string) => catalog.find((t) => t.name === name)!;
const options = SizingConfig.parse({});
const days = (n: number, value: number) => Array.from({ length: (n * 86_400) / 300 }, () => value);

describe('rightsize', () => {
  it('follows Compute Optimizer: P99.5 of per-5-minute maxima + 20 %, shown step by step', () => {
    const result = rightsize(
      type('m6i.4xlarge'),
      catalog,
      { cpuMaxPct: days(14, 10), stepSec: 300, memUsedPct: days(14, 20) },
      options,
    );
    expect(result.verdict).toBe('over-provisioned');
    // 16 vCPU × 10 % × 1.2 = 1.92 vCPU; 64 GiB × 20 % × 1.2 = 15.4 GiB.
    expect(result.requirements.find((r) => r.dimension === 'cpu')!.needed).toBeCloseTo(1.92);
    expect(result.recommended!.vcpu).toBeGreaterThanOrEqual(2);
    expect(result.recommended!.memoryMiB).toBeGreaterThanOrEqual(15.36 * 1024);
    expect(result.arithmetic.steps.map((s) => s.label)).toEqual(
      expect.arrayContaining([
        'P99.5 of per-period CPU maxima',
        'vCPUs needed',
        'memory needed',
        'cheapest fitting type',
        'performance risk',
      ]),
    );
  });

  it('keeps memory when it was not measured, and counts that as risk 1, not 4', () => {
    const result = rightsize(type('m6i.2xlarge'), catalog, { cpuMaxPct: days(14, 8), stepSec: 300 }, options);
    expect(result.recommended!.memoryMiB).toBeGreaterThanOrEqual(type('m6i.2xlarge').memoryMiB);
    expect(result.unmeasured).toEqual(['memory']);
    expect(result.risk).toBe(1);
  });

  it('prefers the newer generation at the same price', () => {
    const pick = cheapestFitting(
      catalog.filter((t) => ['r5.large', 'r6i.large'].includes(t.name)),
      [{ dimension: 'cpu', observed: 1, needed: 1, unit: 'vCPU' }],
    );
    expect(pick.pick!.name).toBe('r6i.large');
  });

  it('does not pick a type because its limit is unknown when the need is above every known one', () => {
    const needs = [
      { dimension: 'cpu' as const, observed: 2, needed: 2, unit: 'vCPU' },
      { dimension: 'ebs-iops' as const, observed: 15000, needed: 18000, unit: 'IOPS' },
    ];
    const pick = cheapestFitting(
      catalog.filter((t) => /^(m5|m7i)\./.test(t.name)),
      needs,
    );
    expect(pick.pick?.family).toBe('m5');
    expect(pick.unknownOnPick).toEqual([]);
  });

  it('needs 30 h from every group member, not 30 h pooled', () => {
    const result = rightsize(
      type('m6i.large'),
      catalog,
      { cpuMaxPct: days(1.25, 5), stepSec: 300, coveredHours: 3 },
      options,
    );
    expect(result.verdict).toBe('insufficient-data');
    expect(result.reason).toMatch(/^3 h of CPU data/);
  });

  it('survives 40 agent hosts pooled (no spread over a huge array)', () => {
    const many = Array.from({ length: 40 * 4032 }, (_, i) => 20 + (i % 7));
    expect(() =>
      requirementsFor(type('m6i.xlarge'), { cpuMaxPct: many, memUsedPct: many, stepSec: 300 }, options),
    ).not.toThrow();
  });

  it('shows no saving when the current price is unknown', () => {
    const unpriced: InstanceType = {
      ...type('m6i.4xlarge'),
      name: 'm4.4xlarge',
      family: 'm4',
      priceUsdPerHour: null,
    };
    const result = rightsize(unpriced, catalog, { cpuMaxPct: days(14, 5), stepSec: 300 }, options);
    expect(result.verdict).toBe('optimized');
    expect(result.recommended).toBeNull();
  });
});

describe('allowedTypes keeps a resize within what the type is for', () => {
  const linode = bundledLinodeCatalog();
  const ovh = bundledOvhCatalog();
  const gcp = bundledGcpCatalog();
  const config = SizingConfig.parse({});
  const classes = (types: readonly InstanceType[]) => [...new Set(types.map(purposeClass))];

  it('never moves a dedicated-CPU Linode to a shared plan', () => {
    const dedicated = linode.find((t) => t.family === 'dedicated')!;
    expect(classes(allowedTypes(dedicated, linode, config))).toEqual(['dedicated']);
    const nanode = linode.find((t) => t.family === 'nanode')!;
    expect(classes(allowedTypes(nanode, linode, config))).toEqual(['standard']);
  });

  it('keeps the OVH range letter and the GCP series class', () => {
    const b3 = ovh.find((t) => t.family.startsWith('b'))!;
    expect(new Set(allowedTypes(b3, ovh, config).map((t) => t.family.charAt(0)))).toEqual(new Set(['b']));
    const c3 = gcp.find((t) => t.family === 'c3');
    if (c3) expect(classes(allowedTypes(c3, gcp, config))).toEqual(['compute']);
    const e2 = gcp.find((t) => t.family === 'e2')!;
    expect(classes(allowedTypes(e2, gcp, config))).toEqual(['general']);
  });
});

describe('memory measured on the host', () => {
  const source = 'on-host sadf-A.json.gz %memused in /samples/db-1';

  it('sizes on it and names where it came from when it covers the sizing minimum', () => {
    const result = rightsize(
      type('m6i.4xlarge'),
      catalog,
      { cpuMaxPct: days(14, 10), stepSec: 300, memUsedPct: days(14, 20), memory: { source, hours: 336 } },
      options,
    );
    expect(result.held).toEqual([]);
    expect(result.unmeasured).toEqual([]);
    const step = result.arithmetic.steps.find((s) => s.label === 'memory needed')!;
    expect(step.formula).toContain(source);
    expect(result.recommended!.memoryMiB).toBeLessThan(type('m6i.4xlarge').memoryMiB);
  });

  it('holds it at no less than the current size when the capture is shorter than 30 h, and says why', () => {
    const result = rightsize(
      type('m6i.4xlarge'),
      catalog,
      { cpuMaxPct: days(14, 10), stepSec: 300, memUsedPct: [20, 21, 22], memory: { source, hours: 0.04 } },
      options,
    );
    expect(result.unmeasured).toEqual([]);
    expect(result.held).toEqual([
      { dimension: 'memory', why: `measured for 2 min only (${source}), short of the 30 h sizing needs` },
    ]);
    expect(result.recommended!.memoryMiB).toBeGreaterThanOrEqual(type('m6i.4xlarge').memoryMiB);
    expect(result.risk).toBeGreaterThanOrEqual(1);
  });

  it('lets a short capture grow memory: its peak is a floor of the window peak', () => {
    const needs = requirementsFor(
      type('m6i.large'),
      { cpuMaxPct: days(14, 30), stepSec: 300, memUsedPct: [95], memory: { source, hours: 0.04 } },
      options,
    );
    const memory = needs.requirements.find((r) => r.dimension === 'memory')!;
    expect(memory.needed).toBeCloseTo(type('m6i.large').memoryMiB * 0.95 * 1.2);
  });
});
