// One audit process of a concurrency test: records COUNT runs named PREFIX-N into STORE, opening
// and closing the store around each run as `fleetlens audit` does, then prints `done`.
import { openStore } from '../../../src/store/index.ts';
import { fleetResult } from '../../helpers/history-builder.ts';

const [spec, prefix, countText, cloud] = process.argv.slice(2);
for (let index = 0; index < Number(countText); index += 1) {
  // A generous wait: the other writers hold the file for one run's transaction at a time.
  const store = await openStore(spec!, { lockWaitMs: 300_000, retryDelayMs: 20 });
  try {
    await store.recordRun(
      fleetResult({
        runId: `${prefix}-${index}`,
        week: index,
        ...(cloud ? { clouds: [cloud as 'aws' | 'gcp' | 'linode' | 'ovh'] } : {}),
      }),
    );
  } finally {
    await store.close();
  }
}
process.stdout.write('done\n');
