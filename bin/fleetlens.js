#!/usr/bin/env node
// The published entry point: runs the tsc build in dist/ (npm ci builds it through `prepare`).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/src/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write(
    'fleetlens: dist/ is missing; run `npm ci` (or `npm run build`) in the fleetlens checkout first\n',
  );
  process.exit(1);
}
await import(cli.href);
