import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  bundledScenarioPath,
  loadScenario,
  parseScenario,
  resolveTimeSec,
  ScenarioError,
} from '../../mocks/scenarios/schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'fleetlens-scenario-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function minimal(instance: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { name: 't', aws: { regions: { 'eu-west-1': { instances: [instance], ...extra } } } };
}

const host = { id: 'i-0123456789abcdef0', type: 'm5.large', az: 'eu-west-1a' };

describe('scenario schema', () => {
  it('loads the test fleet with YAML merge keys and fills the defaults', () => {
    const scenario = loadScenario(bundledScenarioPath('test-fleet'));
    const eu = scenario.aws.regions['eu-west-1'];
    expect(eu?.instances).toHaveLength(7);
    const web2 = eu?.instances[1];
    expect(web2?.type).toBe('m5.large');
    expect(web2?.group).toBe('web-asg');
    expect(web2?.state).toBe('running');
    expect(eu?.instances[3]?.volumes[1]?.io.readIops).toMatchObject({
      shape: 'diurnal',
      base: 800,
      peak: 3200,
    });
    expect(scenario.aws.faults).toEqual([]);
  });

  it('fills an instance with an idle CPU, no traffic and no volumes', () => {
    const instance = parseScenario(minimal(host)).aws.regions['eu-west-1']?.instances[0];
    expect(instance?.cpu).toMatchObject({ shape: 'idle', base: 0, peak: 1 });
    expect(instance?.network.inMiBps).toMatchObject({ shape: 'steady', base: 0 });
    expect(instance?.volumes).toEqual([]);
    expect(instance?.launchTime).toBe('now-30d');
  });

  it('names the file and the key of every mistake', () => {
    const path = join(dir, 'bad.yaml');
    writeFileSync(
      path,
      [
        'name: bad',
        'aws:',
        '  regions:',
        '    eu-west-1:',
        '      instances:',
        '        - { id: i-xyz, type: m5.large, az: us-east-1a, group: nope, colour: red }',
      ].join('\n'),
    );
    const error = (() => {
      try {
        loadScenario(path);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ScenarioError);
    const message = String((error as Error).message);
    expect(message).toContain(path);
    expect(message).toContain('aws.regions.eu-west-1.instances.0.id');
    expect(message).toContain('colour');
  });

  it('checks references across the fleet', () => {
    const wrongZone = () => parseScenario(minimal({ ...host, az: 'us-east-1a' }));
    expect(wrongZone).toThrow(/us-east-1a is not in eu-west-1/);
    const unknownGroup = () => parseScenario(minimal({ ...host, group: 'ghost' }));
    expect(unknownGroup).toThrow(/no Auto Scaling group ghost/);
    const duplicate = () =>
      parseScenario({ name: 't', aws: { regions: { 'eu-west-1': { instances: [host, { ...host }] } } } });
    expect(duplicate).toThrow(/duplicate id/);
    const io1WithoutIops = () =>
      parseScenario(
        minimal({
          ...host,
          volumes: [{ id: 'vol-0123456789abcdef0', device: '/dev/xvda', type: 'io1', sizeGiB: 100 }],
        }),
      );
    expect(io1WithoutIops).toThrow(/io1 volumes need provisioned iops/);
    const badGroup = { name: 'g', minSize: 3, maxSize: 2, desiredCapacity: 2 };
    expect(() => parseScenario(minimal(host, { autoScalingGroups: [badGroup] }))).toThrow(
      /minSize <= desiredCapacity/,
    );
  });

  it('resolves relative times against the clock', () => {
    const nowSec = 1_736_899_200;
    expect(resolveTimeSec('now-2d', nowSec)).toBe(nowSec - 172_800);
    expect(resolveTimeSec('now-90m', nowSec)).toBe(nowSec - 5400);
    expect(resolveTimeSec('2025-01-01T00:00:00Z', nowSec)).toBe(1_735_689_600);
  });
});
