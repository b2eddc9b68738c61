import { readPackageJson } from '../../../src/paths.ts';
import type { GcpScenario, GcpScenarioGroup, GcpScenarioInstance } from '../../scenarios/gcp.ts';
import { hashKey } from '../../scenarios/shapes.ts';

// The scenario's projects as the Compute API describes them: ids, URLs, created-by metadata,
// attached disks, machine types from the bundled catalog.

export interface CatalogEntry {
  name: string;
  vcpu: number;
  memoryMiB: number;
  sharedCore: boolean;
  family: string;
}

let catalog: Map<string, CatalogEntry> | undefined;

export function machineCatalog(): Map<string, CatalogEntry> {
  catalog ??= new Map(
    readPackageJson<{ machineTypes: CatalogEntry[] }>(
      'providers',
      'gcp',
      'data',
      'gcp-machine-types.json',
    ).machineTypes.map((entry) => [entry.name, entry]),
  );
  return catalog;
}

export interface FleetInstance {
  project: string;
  id: string;
  spec: GcpScenarioInstance;
  vcpu: number;
  createdSec: number;
  /** The Compute API resource, JSON as the REST API sends it. */
  resource: Record<string, unknown>;
}

export interface FleetProject {
  id: string;
  number: string;
  instances: FleetInstance[];
  groups: GcpScenarioGroup[];
  /** Disks no instance uses. */
  disks: GcpScenario['projects'][string]['disks'];
}

export const COMPUTE_BASE = 'https://www.googleapis.com/compute/v1';

export function regionOf(zone: string): string {
  return zone.replace(/-[a-z]$/, '');
}

function numericId(key: string, digits: number): string {
  const a = hashKey(key).toString().padStart(10, '0');
  const b = hashKey(`${key}#2`).toString().padStart(10, '0');
  return `${(Number(a[0]) % 9) + 1}${a.slice(1)}${b}`.slice(0, digits);
}

function resolveSec(value: string, nowSec: number): number {
  const relative = /^now-(\d+)([smhd])$/.exec(value);
  const unit = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
  if (relative) return nowSec - Number(relative[1]) * unit[relative[2] as keyof typeof unit];
  return Math.floor(Date.parse(value) / 1000);
}

export function buildFleet(gcp: GcpScenario, nowSec: number): Map<string, FleetProject> {
  const projects = new Map<string, FleetProject>();
  for (const [id, spec] of Object.entries(gcp.projects)) {
    const number = spec.number ?? numericId(`project/${id}`, 12);
    const instances = spec.instances.map((instance) => {
      const instanceId = instance.id ?? numericId(`instance/${id}/${instance.zone}/${instance.name}`, 19);
      const type = machineCatalog().get(instance.machineType);
      if (!type)
        throw new Error(`gcp mock: machine type ${instance.machineType} is not in the bundled catalog`);
      const createdSec = resolveSec(instance.createdAt, nowSec);
      const zoneUrl = `${COMPUTE_BASE}/projects/${id}/zones/${instance.zone}`;
      const disks = instance.disks ?? [{ name: instance.name, sizeGb: 20, type: 'pd-balanced' }];
      const resource: Record<string, unknown> = {
        kind: 'compute#instance',
        id: instanceId,
        name: instance.name,
        zone: zoneUrl,
        machineType: `${zoneUrl}/machineTypes/${instance.machineType}`,
        status: instance.status,
        creationTimestamp: new Date(createdSec * 1000).toISOString(),
        labels: instance.labels,
        selfLink: `${zoneUrl}/instances/${instance.name}`,
        cpuPlatform: 'Intel Cascade Lake',
        disks: disks.map((disk, index) => ({
          kind: 'compute#attachedDisk',
          type: 'PERSISTENT',
          mode: 'READ_WRITE',
          source: `${zoneUrl}/disks/${disk.name}`,
          deviceName: index === 0 ? 'persistent-disk-0' : disk.name,
          index,
          boot: index === 0,
          autoDelete: index === 0,
          interface: 'SCSI',
          diskSizeGb: String(disk.sizeGb),
        })),
        metadata: {
          kind: 'compute#metadata',
          fingerprint: 'mock',
          items: instance.group
            ? [
                {
                  key: 'created-by',
                  value: `projects/${number}/zones/${instance.zone}/instanceGroupManagers/${instance.group}`,
                },
              ]
            : [],
        },
      };
      return { project: id, id: instanceId, spec: instance, vcpu: type.vcpu, createdSec, resource };
    });
    projects.set(id, { id, number, instances, groups: spec.instanceGroups, disks: spec.disks });
  }
  return projects;
}

/** The persistent disks of every instance, and those of none, as disks.aggregatedList describes them. */
export function diskResources(project: FleetProject): { zone: string; value: Record<string, unknown> }[] {
  const detached = project.disks.map((disk) => {
    const zoneUrl = `${COMPUTE_BASE}/projects/${project.id}/zones/${disk.zone}`;
    return {
      zone: disk.zone,
      value: {
        kind: 'compute#disk',
        id: numericId(`disk/${project.id}/${disk.zone}/${disk.name}`, 19),
        name: disk.name,
        zone: zoneUrl,
        sizeGb: String(disk.sizeGb),
        type: `${zoneUrl}/diskTypes/${disk.type}`,
        status: 'READY',
        labels: disk.labels,
        physicalBlockSizeBytes: '4096',
        selfLink: `${zoneUrl}/disks/${disk.name}`,
      },
    };
  });
  return [...attachedDiskResources(project), ...detached];
}

function attachedDiskResources(project: FleetProject): { zone: string; value: Record<string, unknown> }[] {
  return project.instances.flatMap((instance) => {
    const zoneUrl = `${COMPUTE_BASE}/projects/${project.id}/zones/${instance.spec.zone}`;
    const disks = instance.spec.disks ?? [{ name: instance.spec.name, sizeGb: 20, type: 'pd-balanced' }];
    return disks.map((disk) => ({
      zone: instance.spec.zone,
      value: {
        kind: 'compute#disk',
        id: numericId(`disk/${project.id}/${instance.spec.zone}/${disk.name}`, 19),
        name: disk.name,
        zone: zoneUrl,
        sizeGb: String(disk.sizeGb),
        type: `${zoneUrl}/diskTypes/${disk.type}`,
        status: 'READY',
        users: [instance.resource.selfLink],
        creationTimestamp: instance.resource.creationTimestamp,
        physicalBlockSizeBytes: '4096',
        ...(disk.type === 'pd-extreme' || disk.type.startsWith('hyperdisk')
          ? { provisionedIops: '10000' }
          : {}),
        ...(disk.type.startsWith('hyperdisk') ? { provisionedThroughput: '280' } : {}),
        selfLink: `${zoneUrl}/disks/${disk.name}`,
      },
    }));
  });
}

export function groupManagerResource(
  project: FleetProject,
  group: GcpScenarioGroup,
): Record<string, unknown> {
  const zoneUrl = `${COMPUTE_BASE}/projects/${project.id}/zones/${group.zone}`;
  return {
    kind: 'compute#instanceGroupManager',
    id: numericId(`igm/${project.id}/${group.zone}/${group.name}`, 19),
    name: group.name,
    zone: zoneUrl,
    baseInstanceName: group.name,
    instanceGroup: `${zoneUrl}/instanceGroups/${group.name}`,
    instanceTemplate: `${COMPUTE_BASE}/projects/${project.id}/global/instanceTemplates/${group.name}-template`,
    targetSize: group.targetSize,
    selfLink: `${zoneUrl}/instanceGroupManagers/${group.name}`,
    status: {
      isStable: true,
      ...(group.autoscaler ? { autoscaler: `${zoneUrl}/autoscalers/${group.name}-autoscaler` } : {}),
    },
  };
}

export function autoscalerResource(
  project: FleetProject,
  group: GcpScenarioGroup,
): Record<string, unknown> | undefined {
  const a = group.autoscaler;
  if (!a) return undefined;
  const zoneUrl = `${COMPUTE_BASE}/projects/${project.id}/zones/${group.zone}`;
  return {
    kind: 'compute#autoscaler',
    id: numericId(`as/${project.id}/${group.zone}/${group.name}`, 19),
    name: `${group.name}-autoscaler`,
    zone: zoneUrl,
    target: `${zoneUrl}/instanceGroupManagers/${group.name}`,
    autoscalingPolicy: {
      minNumReplicas: a.min,
      maxNumReplicas: a.max,
      coolDownPeriodSec: 60,
      ...(a.cpuTarget === null
        ? {}
        : { cpuUtilization: { utilizationTarget: a.cpuTarget, predictiveMethod: 'NONE' } }),
      ...(a.loadBalancingTarget === undefined
        ? {}
        : { loadBalancingUtilization: { utilizationTarget: a.loadBalancingTarget } }),
      ...(a.customMetrics.length === 0
        ? {}
        : {
            customMetricUtilizations: a.customMetrics.map((m) => ({
              metric: m.metric,
              utilizationTarget: m.target,
              utilizationTargetType: 'GAUGE',
            })),
          }),
      mode: a.mode,
    },
    recommendedSize: group.targetSize,
    status: 'ACTIVE',
    selfLink: `${zoneUrl}/autoscalers/${group.name}-autoscaler`,
  };
}

export function machineTypeResource(
  project: string,
  zone: string,
  entry: CatalogEntry,
): Record<string, unknown> {
  const zoneUrl = `${COMPUTE_BASE}/projects/${project}/zones/${zone}`;
  return {
    kind: 'compute#machineType',
    id: numericId(`mt/${entry.name}`, 7),
    name: entry.name,
    description: `${entry.vcpu} vCPU${entry.vcpu > 1 ? 's' : ''}, ${Math.round((entry.memoryMiB / 1024) * 100) / 100} GB RAM`,
    guestCpus: entry.vcpu,
    memoryMb: entry.memoryMiB,
    maximumPersistentDisks: entry.sharedCore ? 16 : 128,
    maximumPersistentDisksSizeGb: '263168',
    zone,
    isSharedCpu: entry.sharedCore,
    architecture: entry.family === 't2a' ? 'ARM64' : 'X86_64',
    selfLink: `${zoneUrl}/machineTypes/${entry.name}`,
  };
}
