import { hashKey } from '../../scenarios/shapes.ts';
import type { CatalogInstanceType } from './catalog.ts';
import type { ActionContext, ActionResult } from './context.ts';
import {
  type FleetDetachedVolume,
  type FleetInstance,
  type FleetVolume,
  instanceStateCode,
} from './fleet.ts';
import {
  AwsApiError,
  decodePageToken,
  encodePageToken,
  type FormFilter,
  filterMatches,
  formFilters,
  formList,
  integerParam,
  isoTime,
  xmlDocument,
  xmlNamespaces,
} from './protocol.ts';

// EC2 query protocol: form-encoded requests, lowerCamel XML answers whose element names are the
// botocore `locationName`s, lists as <xxxSet><item>. Filters and paging as in
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/Query-Requests.html

type FilterFields<T> = Record<string, (item: T) => readonly (string | undefined)[]>;

function applyFilters<T>(items: readonly T[], filters: readonly FormFilter[], fields: FilterFields<T>): T[] {
  for (const filter of filters) {
    if (!fields[filter.name] && !filter.name.startsWith('tag:')) {
      throw new AwsApiError('InvalidParameterValue', 400, `The filter '${filter.name}' is invalid`);
    }
  }
  return items.filter((item) =>
    filters.every((filter) => {
      const read = fields[filter.name];
      return (read ? read(item) : []).some((value) => filterMatches(filter.values, value));
    }),
  );
}

function tagFilterFields<T>(
  tags: (item: T) => Readonly<Record<string, string>>,
  filters: readonly FormFilter[],
): FilterFields<T> {
  const fields: FilterFields<T> = {
    'tag-key': (item) => Object.keys(tags(item)),
    'tag-value': (item) => Object.values(tags(item)),
  };
  for (const filter of filters) {
    if (filter.name.startsWith('tag:')) fields[filter.name] = (item) => [tags(item)[filter.name.slice(4)]];
  }
  return fields;
}

function tagSet(tags: Readonly<Record<string, string>>): Record<string, unknown> {
  const entries = Object.entries(tags);
  return entries.length === 0 ? {} : { tagSet: { item: entries.map(([key, value]) => ({ key, value })) } };
}

interface Page<T> {
  readonly items: T[];
  readonly nextToken: string | undefined;
}

function pageOf<T>(
  items: readonly T[],
  form: URLSearchParams,
  pageSize: number | undefined,
  action: string,
): Page<T> {
  const identity = [...form.entries()].filter(([key]) => key !== 'NextToken' && key !== 'MaxResults').sort();
  const fingerprint = String(hashKey(`${action}|${JSON.stringify(identity)}`));
  const token = form.get('NextToken');
  const offset = token === null ? 0 : decodePageToken(token, fingerprint, 'InvalidPaginationToken');
  if (pageSize === undefined) return { items: items.slice(offset), nextToken: undefined };
  const end = offset + pageSize;
  return {
    items: items.slice(offset, end),
    nextToken: end < items.length ? encodePageToken(end, fingerprint) : undefined,
  };
}

function withNextToken(
  content: Record<string, unknown>,
  nextToken: string | undefined,
): Record<string, unknown> {
  return nextToken === undefined ? content : { ...content, nextToken };
}

function rejectDryRun(form: URLSearchParams): void {
  if (form.get('DryRun') === 'true') {
    throw new AwsApiError('DryRunOperation', 412, 'Request would have succeeded, but DryRun flag is set.');
  }
}

/** IDs that do not exist are an error naming them, as EC2 does (not an empty answer). */
function requireKnownIds(
  ids: readonly string[],
  known: ReadonlySet<string>,
  kind: 'instance' | 'volume',
): void {
  const pattern = kind === 'instance' ? /^i-[0-9a-f]{8,17}$/ : /^vol-[0-9a-f]{8,17}$/;
  const malformed = ids.find((id) => !pattern.test(id));
  const prefix = kind === 'instance' ? 'InvalidInstanceID' : 'InvalidVolumeID';
  if (malformed) throw new AwsApiError(`${prefix}.Malformed`, 400, `Invalid id: "${malformed}"`);
  const missing = ids.filter((id) => !known.has(id));
  if (missing.length === 0) return;
  if (kind === 'volume')
    throw new AwsApiError(
      'InvalidVolume.NotFound',
      400,
      `The volume '${missing.join(', ')}' does not exist.`,
    );
  const message =
    missing.length === 1
      ? `The instance ID '${missing[0]}' does not exist`
      : `The instance IDs '${missing.join(', ')}' do not exist`;
  throw new AwsApiError('InvalidInstanceID.NotFound', 400, message);
}

function requireNoMaxResultsWithIds(form: URLSearchParams, ids: readonly string[], setName: string): void {
  if (ids.length > 0 && form.has('MaxResults')) {
    throw new AwsApiError(
      'InvalidParameterCombination',
      400,
      `The parameter ${setName} cannot be used with the parameter maxResults`,
    );
  }
}

function attachedVolumes(instance: FleetInstance): readonly FleetVolume[] {
  // Terminated instances keep no volumes (DeleteOnTermination).
  return instance.state === 'terminated' ? [] : instance.volumes;
}

function instanceXml(instance: FleetInstance): Record<string, unknown> {
  const volumes = attachedVolumes(instance);
  const rootDevice = instance.volumes[0]?.device ?? '/dev/xvda';
  return {
    instanceId: instance.id,
    imageId: instance.imageId,
    instanceState: { code: instanceStateCode[instance.state], name: instance.state },
    privateDnsName: instance.privateDnsName,
    amiLaunchIndex: 0,
    instanceType: instance.type.name,
    launchTime: isoTime(instance.launchTimeSec),
    placement: { availabilityZone: instance.spec.az, tenancy: 'default' },
    monitoring: { state: instance.spec.detailedMonitoring ? 'enabled' : 'disabled' },
    privateIpAddress: instance.privateIp,
    architecture: instance.type.arch,
    rootDeviceType: 'ebs',
    rootDeviceName: rootDevice,
    ...(volumes.length === 0
      ? {}
      : {
          blockDeviceMapping: {
            item: volumes.map((volume) => ({
              deviceName: volume.device,
              ebs: {
                volumeId: volume.id,
                status: 'attached',
                attachTime: isoTime(volume.attachTimeSec),
                deleteOnTermination: true,
              },
            })),
          },
        }),
    virtualizationType: 'hvm',
    ...tagSet(instance.tags),
    // NOTE: EC2 reports "xen" for Nitro instances too; the model's enum has no "nitro" here.
    hypervisor: 'xen',
    ebsOptimized: true,
    enaSupport: true,
  };
}

const instanceFilterFields: FilterFields<FleetInstance> = {
  'instance-id': (instance) => [instance.id],
  'instance-state-name': (instance) => [instance.state],
  'instance-state-code': (instance) => [String(instanceStateCode[instance.state])],
  'instance-type': (instance) => [instance.type.name],
  'availability-zone': (instance) => [instance.spec.az],
  'image-id': (instance) => [instance.imageId],
  'private-ip-address': (instance) => [instance.privateIp],
  'private-dns-name': (instance) => [instance.privateDnsName],
  'reservation-id': (instance) => [instance.reservationId],
  architecture: (instance) => [instance.type.arch],
  'monitoring-state': (instance) => [instance.spec.detailedMonitoring ? 'enabled' : 'disabled'],
  'block-device-mapping.volume-id': (instance) => attachedVolumes(instance).map((volume) => volume.id),
  'block-device-mapping.device-name': (instance) => attachedVolumes(instance).map((volume) => volume.device),
};

export function describeInstances(ctx: ActionContext, form: URLSearchParams): ActionResult {
  rejectDryRun(form);
  const ids = formList(form, 'InstanceId');
  requireNoMaxResultsWithIds(form, ids, 'instancesSet');
  const pageSize = integerParam(form.get('MaxResults'), 'maxResults', 5, 1000);
  requireKnownIds(ids, new Set(ctx.fleet.instanceById.keys()), 'instance');
  const filters = formFilters(form, 'ec2');
  const fields = {
    ...instanceFilterFields,
    ...tagFilterFields((instance: FleetInstance) => instance.tags, filters),
  };
  const selected = applyFilters(ctx.fleet.instances, filters, fields).filter(
    (instance) => ids.length === 0 || ids.includes(instance.id),
  );
  const page = pageOf(selected, form, pageSize, 'DescribeInstances');
  // One reservation per instance: the scenario does not model launch batches.
  const reservations = page.items.map((instance) => ({
    reservationId: instance.reservationId,
    ownerId: ctx.accountId,
    instancesSet: { item: [instanceXml(instance)] },
  }));
  const content = withNextToken(
    {
      requestId: ctx.requestId,
      // NOTE: EC2 writes an empty <reservationSet/> when nothing matches, never leaves it out.
      reservationSet: reservations.length > 0 ? { item: reservations } : '',
    },
    page.nextToken,
  );
  return { body: xmlDocument('DescribeInstancesResponse', xmlNamespaces.ec2, content) };
}

/** What DescribeVolumes shows of a volume, attached to an instance or to nothing. */
interface ListedVolume {
  readonly id: string;
  readonly az: string;
  readonly type: string;
  readonly sizeGiB: number;
  readonly encrypted: boolean;
  readonly tags: Readonly<Record<string, string>>;
  readonly reportedIops: number | undefined;
  readonly reportedThroughputMiBps: number | undefined;
  readonly createTimeSec: number;
  readonly attachment?: { instanceId: string; device: string; attachTimeSec: number };
}

function attachedListing(volume: FleetVolume): ListedVolume {
  return {
    id: volume.id,
    az: volume.az,
    type: volume.spec.type,
    sizeGiB: volume.spec.sizeGiB,
    encrypted: volume.spec.encrypted,
    tags: volume.spec.tags,
    reportedIops: volume.reportedIops,
    reportedThroughputMiBps: volume.reportedThroughputMiBps,
    createTimeSec: volume.attachTimeSec,
    attachment: { instanceId: volume.instanceId, device: volume.device, attachTimeSec: volume.attachTimeSec },
  };
}

function detachedListing(volume: FleetDetachedVolume): ListedVolume {
  return {
    id: volume.id,
    az: volume.spec.az,
    type: volume.spec.type,
    sizeGiB: volume.spec.sizeGiB,
    encrypted: volume.spec.encrypted,
    tags: volume.spec.tags,
    reportedIops: volume.reportedIops,
    reportedThroughputMiBps: volume.reportedThroughputMiBps,
    createTimeSec: volume.createTimeSec,
  };
}

function volumeXml(volume: ListedVolume): Record<string, unknown> {
  const attachment = volume.attachment;
  return {
    volumeId: volume.id,
    size: volume.sizeGiB,
    availabilityZone: volume.az,
    status: attachment ? 'in-use' : 'available',
    createTime: isoTime(volume.createTimeSec),
    // NOTE: EC2 writes an empty <attachmentSet/> for a volume attached to nothing.
    attachmentSet: attachment
      ? {
          item: [
            {
              volumeId: volume.id,
              instanceId: attachment.instanceId,
              device: attachment.device,
              status: 'attached',
              attachTime: isoTime(attachment.attachTimeSec),
              deleteOnTermination: true,
            },
          ],
        }
      : '',
    volumeType: volume.type,
    ...(volume.reportedIops === undefined ? {} : { iops: volume.reportedIops }),
    ...tagSet(volume.tags),
    encrypted: volume.encrypted,
    ...(volume.reportedThroughputMiBps === undefined ? {} : { throughput: volume.reportedThroughputMiBps }),
    multiAttachEnabled: false,
  };
}

const volumeFilterFields: FilterFields<ListedVolume> = {
  'volume-id': (volume) => [volume.id],
  'volume-type': (volume) => [volume.type],
  size: (volume) => [String(volume.sizeGiB)],
  'availability-zone': (volume) => [volume.az],
  status: (volume) => [volume.attachment ? 'in-use' : 'available'],
  encrypted: (volume) => [String(volume.encrypted)],
  'attachment.instance-id': (volume) => [volume.attachment?.instanceId],
  'attachment.device': (volume) => [volume.attachment?.device],
  'attachment.status': (volume) => [volume.attachment ? 'attached' : undefined],
  'attachment.delete-on-termination': (volume) => [volume.attachment ? 'true' : undefined],
};

// DescribeVolumes pages at most 500 volumes whatever MaxResults says (up to 1,000 accepted):
// the API reference's old wording, "if you specify a value larger than 500, only 500 items are returned".
const volumePageCap = 500;

export function describeVolumes(ctx: ActionContext, form: URLSearchParams): ActionResult {
  rejectDryRun(form);
  const ids = formList(form, 'VolumeId');
  requireNoMaxResultsWithIds(form, ids, 'volumeSet');
  const maxResults = integerParam(form.get('MaxResults'), 'maxResults', 5, 1000);
  const volumes = [
    ...ctx.fleet.instances.flatMap(attachedVolumes).map(attachedListing),
    ...ctx.fleet.detachedVolumes.map(detachedListing),
  ];
  requireKnownIds(ids, new Set(volumes.map((volume) => volume.id)), 'volume');
  const filters = formFilters(form, 'ec2');
  const fields = {
    ...volumeFilterFields,
    ...tagFilterFields((volume: ListedVolume) => volume.tags, filters),
  };
  const selected = applyFilters(volumes, filters, fields).filter(
    (volume) => ids.length === 0 || ids.includes(volume.id),
  );
  const page = pageOf(
    selected,
    form,
    maxResults === undefined ? undefined : Math.min(maxResults, volumePageCap),
    'DescribeVolumes',
  );
  const content = withNextToken(
    {
      requestId: ctx.requestId,
      volumeSet: page.items.length > 0 ? { item: page.items.map(volumeXml) } : '',
    },
    page.nextToken,
  );
  return { body: xmlDocument('DescribeVolumesResponse', xmlNamespaces.ec2, content) };
}

function present(
  entries: Record<string, number | string | null | undefined>,
): Record<string, number | string> {
  return Object.fromEntries(
    Object.entries(entries).filter((entry): entry is [string, number | string] => entry[1] != null),
  );
}

/** Catalog entry to InstanceTypeInfo; catalog nulls stay absent rather than being made up. */
function instanceTypeXml(type: CatalogInstanceType): Record<string, unknown> {
  const bareMetal = type.name.includes('.metal');
  const ebsOptimizedInfo = present({
    baselineBandwidthInMbps: type.ebsBaselineMbps,
    baselineThroughputInMBps: type.ebsBaselineThroughputMBps,
    baselineIops: type.ebsBaselineIops,
    maximumBandwidthInMbps: type.ebsMaxMbps,
    maximumThroughputInMBps: type.ebsMaxThroughputMBps,
    maximumIops: type.ebsMaxIops,
  });
  const networkCard = present({
    networkCardIndex: 0,
    networkPerformance: type.networkPerformanceLabel2023,
    baselineBandwidthInGbps: type.networkBaselineGbps,
    peakBandwidthInGbps: type.networkPeakGbps,
  });
  return {
    instanceType: type.name,
    currentGeneration: true,
    bareMetal,
    // Every family in the bundled catalog is built on Nitro; metal sizes run without a hypervisor.
    ...(bareMetal ? {} : { hypervisor: 'nitro' }),
    processorInfo: { supportedArchitectures: { item: [type.arch] } },
    vCpuInfo: { defaultVCpus: type.vcpu },
    memoryInfo: { sizeInMiB: type.memoryMiB },
    instanceStorageSupported: type.family === 'i4i',
    ebsInfo: {
      ebsOptimizedSupport: 'default',
      encryptionSupport: 'supported',
      ...(Object.keys(ebsOptimizedInfo).length > 0 ? { ebsOptimizedInfo } : {}),
      nvmeSupport: 'required',
    },
    networkInfo: {
      ...present({ networkPerformance: type.networkPerformanceLabel2023 }),
      defaultNetworkCardIndex: 0,
      networkCards: { item: [networkCard] },
      enaSupport: 'required',
    },
    burstablePerformanceSupported: type.burstable,
  };
}

const instanceTypeFilterFields: FilterFields<CatalogInstanceType> = {
  'instance-type': (type) => [type.name],
  'burstable-performance-supported': (type) => [String(type.burstable)],
  'current-generation': () => ['true'],
  'bare-metal': (type) => [String(type.name.includes('.metal'))],
  'processor-info.supported-architecture': (type) => [type.arch],
  'vcpu-info.default-vcpus': (type) => [String(type.vcpu)],
  'memory-info.size-in-mib': (type) => [String(type.memoryMiB)],
};

export function describeInstanceTypes(
  ctx: ActionContext,
  form: URLSearchParams,
  catalog: ReadonlyMap<string, CatalogInstanceType>,
): ActionResult {
  rejectDryRun(form);
  const names = formList(form, 'InstanceType');
  if (names.length > 100) {
    throw new AwsApiError(
      'InvalidParameterValue',
      400,
      'The maximum number of instance types that can be specified is 100.',
    );
  }
  const unknown = names.filter((name) => !catalog.has(name));
  if (unknown.length > 0) {
    throw new AwsApiError(
      'InvalidInstanceType',
      400,
      `The following supplied instance types do not exist: [${unknown.join(', ')}]`,
    );
  }
  const pageSize = integerParam(form.get('MaxResults'), 'MaxResults', 5, 100);
  const filters = formFilters(form, 'ec2');
  const candidates =
    names.length > 0 ? names.flatMap((name) => catalog.get(name) ?? []) : [...catalog.values()];
  const selected = applyFilters(candidates, filters, instanceTypeFilterFields);
  // Without MaxResults the API still pages, 100 types at a time.
  const page = pageOf(selected, form, pageSize ?? 100, 'DescribeInstanceTypes');
  const content = withNextToken(
    {
      requestId: ctx.requestId,
      ...(page.items.length > 0 ? { instanceTypeSet: { item: page.items.map(instanceTypeXml) } } : {}),
    },
    page.nextToken,
  );
  return { body: xmlDocument('DescribeInstanceTypesResponse', xmlNamespaces.ec2, content) };
}
