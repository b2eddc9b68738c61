import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseProcLimits } from '../../src/ingest/proc-limits.ts';
import { hostFolders, hostSample } from './shared-files.ts';

describe('parseProcLimits', () => {
  it.each(hostFolders)('reads %s: nofile 20000, 16 limits', (folder) => {
    for (const file of ['proc-limits-start.txt', 'proc-limits-end.txt']) {
      const limits = parseProcLimits(readFileSync(hostSample(folder, file), 'utf8'), file);
      expect(limits['Max open files']).toEqual({ soft: 20000, hard: 20000, units: 'files' });
      expect(Object.keys(limits)).toHaveLength(16);
    }
  });

  it('reads unlimited as null and a limit without units', () => {
    const limits = parseProcLimits(readFileSync(hostSample('healthy', 'proc-limits-start.txt'), 'utf8'), 'l');
    expect(limits['Max cpu time']).toEqual({ soft: null, hard: null, units: 'seconds' });
    expect(limits['Max stack size']).toEqual({ soft: 8388608, hard: null, units: 'bytes' });
    expect(limits['Max processes']).toEqual({ soft: 96365, hard: 96365, units: 'processes' });
    expect(limits['Max nice priority']).toEqual({ soft: 0, hard: 0, units: null });
  });

  it('rejects a file without the header, and names a garbled limit', () => {
    expect(() => parseProcLimits('Max open files 1024 4096 files\n', 'limits')).toThrow(
      expect.objectContaining({ line: 1 }),
    );
    const text = readFileSync(hostSample('healthy', 'proc-limits-start.txt'), 'utf8').replace(
      '20000 ',
      'lots  ',
    );
    expect(() => parseProcLimits(text, 'limits')).toThrow(expect.objectContaining({ line: 9 }));
  });
});
