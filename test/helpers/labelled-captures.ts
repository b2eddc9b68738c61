// Every capture with a ground-truth label: the public host samples (../shared/host-samples, labels
// beside them) and our own reproductions (mocks/samples, labels in scripts/capture/labels). Only
// tests and scripts/confusion.ts read labels; the analyzer never does.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packagePath } from '../../src/paths.ts';

export const SHARED_SAMPLES = packagePath('..', 'shared', 'host-samples');
export const OUR_SAMPLES = packagePath('mocks', 'samples');

export interface LabelledCapture {
  name: string;
  origin: 'public' | 'reproduction';
  dir: string;
  expected: string;
}

function fromLabels(labels: string, samples: string, origin: LabelledCapture['origin']): LabelledCapture[] {
  if (!existsSync(labels)) return [];
  return readdirSync(labels)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      const label = JSON.parse(readFileSync(join(labels, file), 'utf8'));
      const name = file.replace(/\.json$/, '');
      return {
        name,
        origin,
        dir: join(samples, name),
        expected: String(label.ground_truth.primary_bottleneck),
      };
    });
}

export function labelledCaptures(): LabelledCapture[] {
  return [
    ...fromLabels(join(SHARED_SAMPLES, 'labels'), SHARED_SAMPLES, 'public'),
    ...fromLabels(packagePath('scripts', 'capture', 'labels'), OUR_SAMPLES, 'reproduction'),
  ];
}
