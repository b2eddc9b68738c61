// On-host facts from the bundled captures in mocks/samples/, read once per test file.
import { deriveOnHost, type OnHostFacts } from '../../src/analysis/onhost/signals.ts';
import { readSampleDir } from '../../src/ingest/read-sample-dir.ts';
import { packagePath } from '../../src/paths.ts';

const cache = new Map<string, Promise<OnHostFacts>>();

export function sampleDir(name: string): string {
  return packagePath('mocks', 'samples', name);
}

export function onHostSample(name: string): Promise<OnHostFacts> {
  let facts = cache.get(name);
  if (!facts) {
    facts = readSampleDir(sampleDir(name)).then(deriveOnHost);
    cache.set(name, facts);
  }
  return facts;
}
