import { describe, expect, it } from 'vitest';
import { createLogger, prettyStderr, stderrColour } from '../src/log.ts';
import { createProgress } from '../src/run/progress.ts';

describe('log colour', () => {
  it('colours only a terminal, and never with NO_COLOR or FORCE_COLOR=0', () => {
    expect(stderrColour({}, true)).toBe(true);
    expect(stderrColour({}, false)).toBe(false);
    expect(stderrColour({ FORCE_COLOR: '1', CI: 'true' }, false)).toBe(false);
    expect(stderrColour({ NO_COLOR: '1' }, true)).toBe(false);
    expect(stderrColour({ NO_COLOR: '' }, true)).toBe(true);
    expect(stderrColour({ FORCE_COLOR: '0' }, true)).toBe(false);
    expect(stderrColour({ TERM: 'dumb' }, true)).toBe(false);
  });
});

describe('log lines while the progress list draws', () => {
  it('never land inside the task list: they are held and printed whole below it when it ends', async () => {
    const chunks: string[] = [];
    const terminal = { isTTY: true, columns: 100, write: (chunk: string) => chunks.push(String(chunk)) > 0 };
    // The logger looks the stream's write up at each line, as it looks up process.stderr.write in the CLI.
    const log = createLogger(
      'info',
      prettyStderr(false, () => terminal),
    );
    const progress = createProgress({
      plan: { clouds: ['aws'], onHostFolders: 0, writers: ['report.md'] },
      stream: terminal,
      log,
      animate: false,
    });
    await progress.started();
    progress.update({ type: 'step', cloud: 'aws', step: 'inventory', state: 'running' });
    log.warn({ provider: 'aws', operation: 'ec2.DescribeInstances' }, 'provider call failed, retrying');
    progress.update({ type: 'step', cloud: 'aws', step: 'inventory', state: 'done', detail: '3 hosts' });
    await progress.finish();
    const text = chunks.join('');
    const line = text.indexOf('provider call failed, retrying');
    expect(line).toBeGreaterThan(text.lastIndexOf('inventory, 3 hosts'));
    // One piece, after the last redraw: no cursor movement follows or splits it.
    const tail = text.slice(text.lastIndexOf('\n', line));
    expect(tail).toMatch(
      /WARN.*provider call failed, retrying\n\s+provider: "aws"\n\s+operation: "ec2.DescribeInstances"/,
    );
    expect(tail.includes(`${String.fromCharCode(0x1b)}[1A`)).toBe(false);
  });

  it('go straight to the stream off a terminal, as they come', () => {
    const written: string[] = [];
    const log = createLogger(
      'info',
      prettyStderr(false, () => ({ write: (line: string) => written.push(line) })),
    );
    log.info({ hosts: 3 }, 'inventory listed');
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/INFO.*inventory listed\n\s+hosts: 3\n$/);
  });
});
