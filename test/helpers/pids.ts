import { existsSync, readFileSync } from 'node:fs';

/** A PID no process has now: the highest free one below the kernel's pid_max. */
export function unusedPid(): number {
  const max = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
  for (let pid = max - 1; pid > 300; pid -= 1) if (!existsSync(`/proc/${pid}`)) return pid;
  throw new Error('no free PID');
}
