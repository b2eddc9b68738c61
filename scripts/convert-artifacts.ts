// `npm run convert-artifacts -- FROM TO`: saved artifacts of version 1 (one artifacts.json) written
// again as a folder (version 3). A v1 folder also loads as it is; this makes its replays stream.
import { convertArtifacts } from '../src/run/artifacts.ts';

const [from, to] = process.argv.slice(2);
if (!from || !to) {
  process.stderr.write('usage: npm run convert-artifacts -- FROM_DIR TO_DIR\n');
  process.exitCode = 2;
} else {
  try {
    process.stdout.write(`${await convertArtifacts(from, to)}\n`);
  } catch (error) {
    const described = (error as { describe?: () => string }).describe?.() ?? (error as Error).message;
    process.stderr.write(`convert-artifacts: ${described}\n`);
    process.exitCode = 2;
  }
}
