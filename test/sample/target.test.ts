import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { readIdentity } from '../../src/sample/proc.ts';
import { deniedHint, inspectTarget, stillRunning } from '../../src/sample/target.ts';
import { unusedPid } from '../helpers/pids.ts';

describe('inspectTarget', () => {
  it('finds everything readable in a process of our own, in our network namespace', async () => {
    const target = await inspectTarget(process.pid);
    expect(target).toMatchObject({
      pid: process.pid,
      readable: { threads: true, fds: true, limits: true },
      otherNetns: false,
      netDir: '/proc/net',
      denied: [],
      notes: [],
    });
    expect(target.startTime).toBe((await readIdentity(process.pid)).startTime);
  });

  it('names a PID that does not exist in a --pid error', async () => {
    const pid = unusedPid();
    const error = await inspectTarget(pid).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).describe()).toBe(
      `--pid: no process with PID ${pid} (/proc/${pid} does not exist)`,
    );
  });

  it('says what to do about a permission error', () => {
    expect(deniedHint('EACCES')).toBe(
      'EACCES: owned by another user; run fleetlens sample as that user or as root',
    );
    expect(deniedHint('EIO')).toBe('EIO');
  });
});

describe('stillRunning', () => {
  it('is true for the same process and false for another one under the same PID', async () => {
    const { startTime } = await inspectTarget(process.pid);
    expect(await stillRunning({ pid: process.pid, startTime })).toBe(true);
    // a reused PID: same number, another start time
    expect(await stillRunning({ pid: process.pid, startTime: `${startTime}0` })).toBe(false);
    expect(await stillRunning({ pid: unusedPid(), startTime })).toBe(false);
  });
});
