// Another fleetlens process holding a history store: opens it, says `held`, and lets go when its
// stdin says `release` (then says `released` and exits).
import { createInterface } from 'node:readline';
import { openStore } from '../../../src/store/index.ts';

const store = await openStore(process.argv[2]!);
process.stdout.write('held\n');
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === 'release') break;
}
await store.close();
process.stdin.destroy();
process.stdout.write('released\n');
