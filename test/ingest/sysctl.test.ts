import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSysctl } from '../../src/ingest/sysctl.ts';
import { hostFolders, hostSample } from './shared-files.ts';

describe('parseSysctl', () => {
  it.each(hostFolders)('reads %s: somaxconn 4096 and every key', (folder) => {
    const sysctl = parseSysctl(readFileSync(hostSample(folder, 'sysctl-a.txt'), 'utf8'), 'sysctl-a.txt');
    expect(sysctl['net.core.somaxconn']).toBe('4096');
    expect(sysctl['fs.file-max']).toBe('2466170');
    expect(sysctl['fs.nr_open']).toBe('1048576');
    // 1304 lines; kernel.core_modes takes three of them
    expect(Object.keys(sysctl)).toHaveLength(1302);
  });

  it('turns tabs inside values into single spaces, joins repeated keys, keeps empty values', () => {
    const sysctl = parseSysctl(readFileSync(hostSample('healthy', 'sysctl-a.txt'), 'utf8'), 'sysctl-a.txt');
    expect(sysctl['fs.file-nr']).toBe('421 0 2466170');
    expect(sysctl['kernel.core_modes']).toBe('file pipe socket');
    expect(sysctl['net.ipv4.ip_local_reserved_ports']).toBe('');
  });

  it('skips sysctl diagnostics and names a bad line', () => {
    const text =
      'sysctl: permission denied on key "fs.protected_regular"\nvm.swappiness = 60\nnot a setting\n';
    expect(() => parseSysctl(text, 'sysctl-a.txt')).toThrow(expect.objectContaining({ line: 3 }));
    expect(parseSysctl(text.split('\n').slice(0, 2).join('\n'), 'sysctl-a.txt')).toEqual({
      'vm.swappiness': '60',
    });
  });
});
