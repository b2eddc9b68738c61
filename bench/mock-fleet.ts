// A scenario of any size for the mock clouds (issue 12 point 3): `hosts` per cloud, built from the
// demo's shape vocabulary (diurnal web tiers, idle leftovers, saturated batch, spiky APIs, burstable
// T instances on credits, gp2 volumes on I/O credits, agents on a share of hosts), seeded by index
// so the same arguments give the same scenario.
import { parseScenario, type Scenario } from '../mocks/scenarios/schema.ts';

export interface MockFleetOptions {
  /** Hosts per cloud; 0 leaves the cloud out. */
  aws: number;
  gcp: number;
  linode: number;
  ovh: number;
}

type LoadSpec = Record<string, unknown>;

/** One of five workloads by index: the share of each is fixed, so findings scale with the fleet. */
function cpuOf(n: number): LoadSpec {
  switch (n % 5) {
    case 0:
      return { shape: 'diurnal', base: 5 + (n % 7), peak: 20 + (n % 30) };
    case 1:
      return { shape: 'idle', base: 0.1, peak: 1 };
    case 2:
      return { shape: 'saturated', base: 90, peak: 99 };
    case 3:
      return { shape: 'spiky', base: 10, peak: 80, spikeChance: 0.05 };
    default:
      return { shape: 'steady', base: 30 + (n % 20) };
  }
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

function awsPart(hosts: number) {
  const regions = ['us-east-1', 'eu-west-1'];
  const byRegion = new Map<string, { instances: unknown[]; autoScalingGroups: unknown[] }>(
    regions.map((r) => [r, { instances: [], autoScalingGroups: [] }]),
  );
  for (let n = 0; n < hosts; n++) {
    // Blocks of 20 hosts share a region, so a group (the first 5 of a block) is in one region.
    const region = regions[Math.floor(n / 20) % regions.length]!;
    const fleet = byRegion.get(region)!;
    // One host in ten is a T instance whose credits the mock simulates; one in four has the agent.
    const burstable = n % 10 === 7;
    const group = n % 20 < 5 ? `web-${Math.floor(n / 20)}` : undefined;
    if (group && n % 20 === 0)
      fleet.autoScalingGroups.push({
        name: group,
        minSize: 2,
        maxSize: 10,
        desiredCapacity: 3,
        enabledMetrics: ['GroupDesiredCapacity', 'GroupInServiceInstances'],
      });
    fleet.instances.push({
      id: `i-0${hex(n, 16)}`,
      name: `aws-host-${n}`,
      type: burstable ? 't3.large' : n % 3 === 0 ? 'm5.2xlarge' : 'm6i.xlarge',
      az: `${region}${'abc'[n % 3]}`,
      // Ages from a week to over a year: the credit simulations of old hosts must not cost more.
      launchTime: `now-${7 + ((n * 37) % 400)}d`,
      ...(group ? { group } : {}),
      cpu: burstable ? { shape: 'diurnal', base: 10, peak: 60 } : cpuOf(n),
      network: { inMiBps: { shape: 'diurnal', base: 1, peak: 4 }, outMiBps: 2 },
      ...(n % 4 === 0 ? { agent: { memUsedPct: { shape: 'steady', base: 40 + (n % 50) } } } : {}),
      volumes: [
        {
          id: `vol-0${hex(n, 16)}`,
          device: '/dev/xvda',
          // Every other root volume is gp2 (an I/O credit simulation), the rest gp3.
          type: n % 2 === 0 ? 'gp2' : 'gp3',
          sizeGiB: 100,
          io: {
            readIops: { shape: 'diurnal', base: 20, peak: 400 },
            writeIops: 60,
            readMiBps: 2,
            writeMiBps: 3,
          },
        },
      ],
    });
  }
  return { regions: Object.fromEntries(byRegion) };
}

function gcpPart(hosts: number) {
  const projects: Record<string, { instances: unknown[] }> = {};
  for (let n = 0; n < hosts; n++) {
    // 250 VMs a project, as a real organisation splits them.
    const project = `bench-gcp-${Math.floor(n / 250)}`;
    projects[project] ??= { instances: [] };
    projects[project].instances.push({
      name: `gcp-vm-${n}`,
      zone: n % 2 === 0 ? 'us-central1-a' : 'europe-west1-b',
      machineType: n % 3 === 0 ? 'e2-standard-4' : 'n2-standard-4',
      createdAt: `now-${7 + ((n * 37) % 400)}d`,
      cpu: cpuOf(n),
      network: { inMiBps: 1, outMiBps: { shape: 'diurnal', base: 1, peak: 6 } },
      diskIo: { readIops: 20, writeIops: 40, readMiBps: 1, writeMiBps: 2 },
      ...(n % 4 === 0 ? { agent: { memUsedPct: 40 + (n % 50), iowaitPct: 1, stealPct: 0 } } : {}),
    });
  }
  return { accessToken: 'bench-token', projects };
}

function linodePart(hosts: number) {
  return {
    instances: Array.from({ length: hosts }, (_, n) => ({
      id: 70_000_000 + n,
      label: `linode-${n}`,
      type: n % 3 === 0 ? 'g6-dedicated-4' : 'g6-standard-2',
      region: n % 2 === 0 ? 'us-east' : 'eu-central',
      created: `now-${7 + ((n * 37) % 400)}d`,
      cpu: cpuOf(n),
      io: 30,
      network: { inMbps: 5, outMbps: { shape: 'diurnal', base: 2, peak: 30 } },
    })),
  };
}

function ovhPart(hosts: number) {
  const projects: Record<string, { instances: unknown[] }> = {};
  for (let n = 0; n < hosts; n++) {
    const project = `${hex(Math.floor(n / 250), 8)}aaaabbbbccccddddeeeeffff`;
    projects[project] ??= { instances: [] };
    projects[project].instances.push({
      id: `${hex(n, 8)}-1b7e-4c2d-9a8e-5d4c3b2a1f01`,
      name: `ovh-${n}`,
      flavor: n % 3 === 0 ? 'c3-8' : 'b3-16',
      region: n % 2 === 0 ? 'GRA11' : 'SBG5',
      created: `now-${7 + ((n * 37) % 400)}d`,
      cpu: cpuOf(n),
      memUsedPct: 30 + (n % 60),
      network: { inMiBps: 1, outMiBps: 2 },
    });
  }
  return { projects };
}

export function mockFleetScenario(options: MockFleetOptions): Scenario {
  return parseScenario({
    name: `bench-mock-fleet-${options.aws}-${options.gcp}-${options.linode}-${options.ovh}`,
    ...(options.aws > 0 ? { aws: awsPart(options.aws) } : {}),
    ...(options.gcp > 0 ? { gcp: gcpPart(options.gcp) } : {}),
    ...(options.linode > 0 ? { linode: linodePart(options.linode) } : {}),
    ...(options.ovh > 0 ? { ovh: ovhPart(options.ovh) } : {}),
  });
}
