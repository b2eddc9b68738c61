import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Host } from '../../src/model/index.ts';
import { addressOf, machinesOf, matchMachines } from '../../src/onhost-prometheus/match.ts';

const OPTIONS = {
  order: ['instance-id', 'ip', 'name'] as const,
  instanceIdLabel: 'instance_id',
  hostnameLabel: 'nodename',
};
const host = (id: string, name: string, privateIp: string | null = null): Host => ({
  provider: 'aws',
  id,
  name,
  region: 'r',
  zone: null,
  instanceType: 't',
  state: 'running',
  vcpu: 2,
  memoryMiB: 1024,
  launchedAtMs: null,
  groupId: null,
  volumeIds: [],
  tags: {},
  privateIp,
});

describe('addressOf', () => {
  it('drops the port of host:port and [v6]:port, keeps anything else', () => {
    expect(addressOf('10.0.3.7:9100')).toBe('10.0.3.7');
    expect(addressOf('[fd00::7]:9100')).toBe('fd00::7');
    expect(addressOf('fd00::7')).toBe('fd00::7');
    expect(addressOf('web-1')).toBe('web-1');
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 1, max: 65535 }), (ip, port) => {
        expect(addressOf(`${ip}:${port}`)).toBe(ip);
      }),
    );
    fc.assert(fc.property(fc.string(), (text) => void expect(typeof addressOf(text)).toBe('string')));
  });
});

describe('matchMachines', () => {
  it('joins node and app targets of one machine and tries the methods in the configured order', () => {
    const machines = machinesOf(
      [
        { job: 'node', instance: '10.0.0.1:9100', labels: { instance_id: 'i-2' } },
        { job: 'app', instance: '10.0.0.1:8000', labels: {} },
        { job: 'node', instance: '10.0.0.3:9100', labels: { nodename: 'db-1.internal' } },
      ],
      OPTIONS,
    );
    expect(machines[0]!.instances).toEqual({ node: '10.0.0.1:9100', app: '10.0.0.1:8000' });
    const hosts = [host('i-1', 'web', '10.0.0.1'), host('i-2', 'api'), host('i-3', 'db-1')];
    const byId = matchMachines(machines, hosts, OPTIONS);
    expect(byId.matched.map((m) => [m.host.id, m.by])).toEqual([
      ['i-2', 'instance-id'],
      ['i-3', 'name'],
    ]);
    expect(byId.unmatchedHosts.map((h) => h.id)).toEqual(['i-1']);
    const byIp = matchMachines(machines, hosts, { ...OPTIONS, order: ['ip', 'instance-id', 'name'] });
    expect(byIp.matched.map((m) => [m.host.id, m.by])).toEqual([
      ['i-1', 'ip'],
      ['i-3', 'name'],
    ]);
  });

  it('never picks one of several hosts sharing a Name, and lists the series with why', () => {
    const machines = machinesOf(
      [{ job: 'node', instance: '10.0.0.9:9100', labels: { nodename: 'web' } }],
      OPTIONS,
    );
    const result = matchMachines(machines, [host('i-1', 'web'), host('i-2', 'web')], OPTIONS);
    expect(result.matched).toEqual([]);
    expect(result.unmatchedSeries[0]!.reason).toBe('name names 2 hosts (i-1, i-2)');
  });
});
