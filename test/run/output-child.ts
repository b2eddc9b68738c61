// The child process of test/run/output.test.ts: writes run A or B into a folder and, when told to,
// stops at a named step of the write and waits there until the test SIGKILLs it.
import { writeAuditReports } from '../../src/run/output.ts';
import { runA, runB } from './output-fixtures.ts';

const [out, run, stopAt] = process.argv.slice(2);
if (!out || (run !== 'a' && run !== 'b')) throw new Error('usage: output-child.ts OUT a|b [STEP]');

await writeAuditReports(run === 'a' ? runA() : runB(), ['md', 'json'], out, {
  concurrency: 1,
  onStep: async (step) => {
    if (step !== stopAt) return;
    process.stdout.write(`stopped at ${step}\n`);
    // NOTE: never resolves, and the interval keeps the process alive: it waits here for its SIGKILL.
    setInterval(() => {}, 60_000);
    await new Promise(() => {});
  },
});
process.stdout.write('done\n');
