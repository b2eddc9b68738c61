import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { counterDelta, parseProcNet } from '../../src/ingest/proc-net.ts';
import { conformance, type HostFolder, hostSample } from './shared-files.ts';

const read = (folder: HostFolder, file: string) =>
  parseProcNet(readFileSync(hostSample(folder, file), 'utf8'), file);

describe('parseProcNet on the host samples', () => {
  it.each([
    ['healthy', 62894, 68124, 68144],
    ['cpu-saturation', 26766, 56468, 56478],
    ['disk-saturation', 62894, 67804, 67814],
    ['threadpool-starvation', 62894, 68302, 69943],
  ] as const)(
    'reads %s: ListenOverflows and PassiveOpens at start and end',
    (folder, overflows, opensStart, opensEnd) => {
      const netstatStart = read(folder, 'proc-net-netstat-start.txt');
      const netstatEnd = read(folder, 'proc-net-netstat-end.txt');
      const snmpStart = read(folder, 'proc-net-snmp-start.txt');
      const snmpEnd = read(folder, 'proc-net-snmp-end.txt');
      expect(netstatStart['TcpExt.ListenOverflows']).toBe(overflows);
      expect(netstatEnd['TcpExt.ListenOverflows']).toBe(overflows);
      expect(netstatEnd['TcpExt.ListenDrops']).toBe(overflows);
      expect([snmpStart['Tcp.PassiveOpens'], snmpEnd['Tcp.PassiveOpens']]).toEqual([opensStart, opensEnd]);
      expect(Object.keys(netstatStart)).toHaveLength(229);
      expect(Object.keys(snmpStart)).toHaveLength(83);
    },
  );

  it('gives end − start per counter', () => {
    const start = read('threadpool-starvation', 'proc-net-snmp-start.txt');
    const end = read('threadpool-starvation', 'proc-net-snmp-end.txt');
    const delta = counterDelta(start, end);
    expect(delta['Tcp.PassiveOpens']).toBe(69943 - 68302);
    expect(delta['Tcp.MaxConn']).toBe(0);
    expect(counterDelta({ 'Tcp.A': 1, 'Tcp.B': 2 }, { 'Tcp.B': 5, 'Tcp.C': 9 })).toEqual({ 'Tcp.B': 3 });
  });
});

describe("parseProcNet on another kernel's files", () => {
  it('reads netstat with other counters', () => {
    const counters = parseProcNet(
      readFileSync(conformance('node_exporter/proc/net/netstat'), 'utf8'),
      'netstat',
    );
    expect(Object.keys(counters)).toHaveLength(96);
    expect(counters['TcpExt.ListenOverflows']).toBe(0);
    expect(counters['TcpExt.TCPRcvQDrop']).toBe(131);
    expect(counters['IpExt.InOctets']).toBe(6286396970);
  });

  it('reads snmp, negative values included', () => {
    const counters = parseProcNet(readFileSync(conformance('node_exporter/proc/net/snmp'), 'utf8'), 'snmp');
    expect(Object.keys(counters)).toHaveLength(77);
    expect(counters['Tcp.PassiveOpens']).toBe(230);
    expect(counters['Tcp.MaxConn']).toBe(-1);
    expect(counters['Udp.InErrors']).toBe(0);
    expect(counters['Udp.RcvbufErrors']).toBe(9);
  });
});

describe('parseProcNet on broken files', () => {
  it('names a names line without its values line', () => {
    expect(() => parseProcNet('Tcp: A B\nUdp: 1 2\n', 'snmp')).toThrow(
      expect.objectContaining({ line: 2, message: '"Tcp:" names line without its values line' }),
    );
  });

  it('names a values line with too few values', () => {
    expect(() => parseProcNet('Tcp: A B C\nTcp: 1 2\n', 'snmp')).toThrow(
      expect.objectContaining({ line: 2, message: '"Tcp:" has 3 names but 2 values' }),
    );
  });

  it('rejects a file that is not /proc/net output', () => {
    expect(() => parseProcNet('net.core.somaxconn = 4096\n', 'netstat')).toThrow(
      expect.objectContaining({ line: 1 }),
    );
  });
});
