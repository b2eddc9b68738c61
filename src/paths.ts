import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// NOTE: data files (catalogs, knowledge, demo samples) live in the source tree and are read
// from the package root, so the same path works from src/ under tsx and from dist/ after a build.
function findPackageRoot(start: string): string {
  let dir = start;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'fleetlens') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`fleetlens package root not found above ${start}`);
    dir = parent;
  }
}

export const packageRoot = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

export function packagePath(...segments: string[]): string {
  return join(packageRoot, ...segments);
}

export function readPackageJson<T = unknown>(...segments: string[]): T {
  return JSON.parse(readFileSync(packagePath(...segments), 'utf8')) as T;
}

export const packageVersion: string = readPackageJson<{ version: string }>('package.json').version;
