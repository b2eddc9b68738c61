// onHost.prometheus in fleetlens.yaml: strict like the rest, the list form of onHost still reads.
import { describe, expect, it } from 'vitest';
import { ConfigErrorList } from '../../src/config/config-errors.ts';
import { parseConfigText } from '../../src/config/load.ts';
import { onHostFolders, onHostPrometheus } from '../../src/config/schema.ts';

function errorsOf(text: string): string[] {
  try {
    parseConfigText(text, 'fleetlens.yaml');
  } catch (error) {
    if (error instanceof ConfigErrorList) return error.errors.map((e) => `${e.line} ${e.key}: ${e.message}`);
    throw error;
  }
  return [];
}

describe('onHost.prometheus', () => {
  it('reads folders and Prometheus servers, with defaults a small Prometheus survives', () => {
    const { config } = parseConfigText(
      'onHost:\n  folders:\n    - { dir: a, host: web-1 }\n  prometheus:\n    - url: https://user:secret@prom.example/api\n      match: [ip, name]\n',
      'f.yaml',
    );
    expect(onHostFolders(config)).toEqual([{ dir: 'a', host: 'web-1' }]);
    expect(onHostPrometheus(config)).toEqual([
      expect.objectContaining({
        nodeJob: 'node',
        appJob: 'app',
        match: ['ip', 'name'],
        concurrency: 2,
        queriesPerSec: 5,
        queryTimeoutSec: 120,
        busiestHours: 3,
      }),
    ]);
  });

  it('the list form is still the folders', () => {
    const { config } = parseConfigText('onHost:\n  - { dir: a, host: web-1 }\n', 'f.yaml');
    expect(onHostFolders(config)).toHaveLength(1);
    expect(onHostPrometheus(config)).toEqual([]);
  });

  it('names the file line and key of each mistake, inside either form', () => {
    expect(
      errorsOf(
        'onHost:\n  prometheus:\n    - url: ftp://x\n      nodeJb: node\n      match: [ip, hostname]\n',
      ),
    ).toEqual([
      '3 onHost.prometheus.0.url: Invalid URL (found "ftp://x")',
      '4 onHost.prometheus.0.nodeJb: unknown key (did you mean "nodeJob"?)',
      '5 onHost.prometheus.0.match.1: expected one of "instance-id", "ip", "name" (found "hostname")',
    ]);
    expect(errorsOf('onHost:\n  - dir: x\n    hots: y\n')).toEqual([
      '2 onHost.0.host: missing: expected a string',
      '3 onHost.0.hots: unknown key (did you mean "host"?)',
    ]);
  });
});
