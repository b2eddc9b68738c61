// Each cloud's private address of an instance, as its API writes it, becomes Host.privateIp: the
// Prometheus matcher pairs `instance="10.0.3.7:9100"` with it (issue 14 point 1).
import { describe, expect, it } from 'vitest';
import { toHost as awsHost } from '../../providers/aws/inventory.ts';
import { Ec2Instance } from '../../providers/aws/schema.ts';
import { toHost as gcpHost } from '../../providers/gcp/inventory.ts';
import { GceInstance } from '../../providers/gcp/schema.ts';
import { toHost as linodeHost } from '../../providers/linode/inventory.ts';
import { LinodeInstance } from '../../providers/linode/schema.ts';
import { toHost as ovhHost } from '../../providers/ovh/inventory.ts';
import { OvhInstance } from '../../providers/ovh/schema.ts';

describe('Host.privateIp', () => {
  it('is EC2’s PrivateIpAddress', () => {
    const instance = Ec2Instance.parse({
      InstanceId: 'i-1',
      InstanceType: 'm6i.large',
      PrivateIpAddress: '10.0.3.7',
      Tags: [],
    });
    expect(awsHost(instance, 'us-east-1').privateIp).toBe('10.0.3.7');
    expect(
      awsHost(Ec2Instance.parse({ InstanceId: 'i-2', InstanceType: 'm6i.large' }), 'us-east-1').privateIp,
    ).toBeNull();
  });

  it('is the first network interface’s networkIP on GCE', () => {
    const instance = GceInstance.parse({
      id: '42',
      name: 'web-1',
      machineType: 'zones/us-central1-a/machineTypes/e2-standard-4',
      networkInterfaces: [{ name: 'nic0' }, { networkIP: '10.128.0.9' }],
    });
    expect(gcpHost(instance, 'p').privateIp).toBe('10.128.0.9');
  });

  it('is the Linode address in 192.168.128.0/17, never a public one', () => {
    const linode = (ipv4: string[]) =>
      linodeHost(LinodeInstance.parse({ id: 1, region: 'us-east', ipv4 })).privateIp;
    expect(linode(['45.79.1.2', '192.168.139.4'])).toBe('192.168.139.4');
    expect(linode(['45.79.1.2', '192.168.1.4'])).toBeNull();
    expect(linode(['45.79.1.2'])).toBeNull();
  });

  it('is the OVH address whose type is private', () => {
    const instance = OvhInstance.parse({
      id: 'abc',
      ipAddresses: [
        { ip: '51.2.3.4', type: 'public', version: 4 },
        { ip: '10.1.0.5', type: 'private', version: 4 },
      ],
    });
    expect(ovhHost(instance, 'p', undefined).privateIp).toBe('10.1.0.5');
  });
});
