import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** ../shared, read-only reference data: real host captures and other projects' tool outputs. */
export const sharedDir = fileURLToPath(new URL('../../../shared/', import.meta.url));

export const hostFolders = ['healthy', 'cpu-saturation', 'disk-saturation', 'threadpool-starvation'] as const;
export type HostFolder = (typeof hostFolders)[number];

export function hostSample(folder: HostFolder, file: string): string {
  return join(sharedDir, 'host-samples', folder, file);
}

export function conformance(file: string): string {
  return join(sharedDir, 'conformance', file);
}

/** A fresh folder under the OS temp dir, and its removal. */
export async function tempFolder(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetlens-ingest-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Epoch ms of a UTC wall-clock time, for readable expectations. */
export function utc(text: string): number {
  return Date.parse(`${text.replace(' ', 'T')}Z`);
}
