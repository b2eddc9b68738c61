// Sample files of one line repeated until a size, one per on-host file kind, written in chunks so
// the test that makes them never holds a file in memory. They show whether a reader streams (or
// caps what it keeps) instead of holding the file: see test/ingest/memory.test.ts and bench.

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export interface RepeatedLineFile {
  /** The `inputs` kind diagnose reports for the file. */
  kind: string;
  /** Its name in a sample folder. */
  file: string;
  head?: string;
  /** Repeated until the file reaches its size; ends with a newline unless the format has none. */
  line: string;
  tail?: string;
}

const time = '2026-11-24 08:41:00';
const sadfRecord =
  '{"timestamp": {"date": "2026-11-24", "time": "08:41:00", "utc": 1, "interval": 1}, ' +
  '"queue": {"runq-sz": 1, "plist-sz": 95, "ldavg-1": 0.12, "ldavg-5": 0.1, "ldavg-15": 0.1, "blocked": 0}, ' +
  '"cpu-load": [{"cpu": "all", "user": 5.0, "nice": 0.0, "system": 2.0, "iowait": 0.0, "steal": 0.0, "idle": 93.0}]},\n';
const iostatRecord =
  '{"timestamp": "2026-11-24T08:41:00+0000", "disk": [{"disk_device": "vda", "r/s": 1.0, "w/s": 2.0, ' +
  '"rkB/s": 4.0, "wkB/s": 8.0, "r_await": 0.2, "w_await": 0.3, "aqu-sz": 0.01, "util": 1.5}]},\n';
const sysstatHead = (key: string) =>
  `{"sysstat": {"hosts": [{"nodename": "vm", "release": "6.1", "number-of-cpus": 2, "${key}": [\n`;
const lastSadf = sadfRecord.replace(/,\n$/, '\n');
const lastIostat = iostatRecord.replace(/,\n$/, '\n');

export const repeatedLineFiles: readonly RepeatedLineFile[] = [
  {
    kind: 'sysstat-json',
    file: 'sadf-A.json',
    head: sysstatHead('statistics'),
    line: sadfRecord,
    tail: `${lastSadf}]}]}}\n`,
  },
  {
    kind: 'sysstat-csv',
    file: 'sadf-A.csv',
    head: '# hostname;interval;timestamp;CPU;%user;%nice;%system;%iowait;%steal;%idle\n',
    line: `vm;1;${time} UTC;-1;5.00;0.00;2.00;0.00;0.00;93.00\n`,
  },
  {
    kind: 'iostat-json',
    file: 'iostat-x.json',
    head: sysstatHead('statistics'),
    line: iostatRecord,
    tail: `${lastIostat}]}]}}\n`,
  },
  {
    kind: 'pidstat',
    file: 'pidstat-app.txt',
    head:
      'Linux 6.1 (vm) \t2026-11-24 \t_x86_64_\t(2 CPU)\n\n' +
      '# Time        UID       PID    %usr %system  %guest   %wait    %CPU   CPU  Command\n',
    line: ' 1795509660         0      4242    1.00    0.00    0.00    0.00    1.00     1  python3\n',
  },
  { kind: 'thread-log', file: 'threads.log', line: `${time} - PID: 4242, Threads: 18\n` },
  { kind: 'fd-log', file: 'fds.log', line: `${time} - PID: 4242, FDs: 464\n` },
  {
    kind: 'listen-queue-log',
    file: 'listen-queue.log',
    line: `${time} LISTEN 0 1024 127.0.0.1:8000 0.0.0.0:*\n`,
  },
  {
    kind: 'sockstat-log',
    file: 'sockstat.log',
    line: `${time} TCP: inuse 8 orphan 0 tw 53 alloc 8 mem 60\n`,
  },
  {
    kind: 'proc-net-netstat',
    file: 'proc-net-netstat-end.txt',
    line: 'TcpExt: ListenOverflows ListenDrops\nTcpExt: 7 7\n',
  },
  { kind: 'proc-net-snmp', file: 'proc-net-snmp-end.txt', line: 'Tcp: ActiveOpens PassiveOpens\nTcp: 1 2\n' },
  { kind: 'sysctl', file: 'sysctl-a.txt', line: 'net.core.somaxconn = 4096\n' },
  {
    kind: 'proc-limits',
    file: 'proc-limits-end.txt',
    head: `${'Limit'.padEnd(26)}${'Soft Limit'.padEnd(21)}${'Hard Limit'.padEnd(21)}Units\n`,
    line: `${'Max open files'.padEnd(26)}${'1024'.padEnd(21)}${'4096'.padEnd(21)}files\n`,
  },
  {
    kind: 'fd-count',
    file: 'app-fd-count-end.txt',
    line: '2026-11-24T08:43:14.415Z ls /proc/4242/fd | wc -l = 10\n',
  },
  {
    kind: 'ss-summary',
    file: 'ss-s-end.txt',
    line: 'Total: 18\nTCP:   28 (estab 4, closed 20, orphaned 0, timewait 20)\n',
  },
  {
    kind: 'app-log',
    file: 'app.log',
    line: '2026-11-24T08:41:00.000Z ERROR app [4242:MainThread] OSError: [Errno 24] Too many open files\n',
  },
  { kind: 'lag-csv', file: 'lag.csv', line: '2026-11-24T08:41:00.000Z,1795509660.000,0.000512\n' },
  {
    kind: 'prometheus-text',
    file: 'node.prom',
    line: 'node_sockstat_TCP_inuse{instance="vm:9100",job="node"} 8 1795509660000\n',
  },
  {
    kind: 'host-info',
    file: 'host-info.txt',
    line: 'Model name:            Intel(R) Xeon(R) CPU @ 2.20GHz\n',
  },
  {
    kind: 'prometheus-range',
    file: 'prometheus-queries/node_load1.json',
    head: '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":"node"},"values":[\n',
    line: '[1795509660,"0.12"],\n',
    tail: '[1795509661,"0.12"]\n]}]}}\n',
  },
  { kind: 'long-line', file: 'threads.log', line: 'x'.repeat(1024) },
];

/** Writes `spec` into `dir` at about `bytes` bytes, a chunk at a time (never the whole file in memory). */
export async function writeRepeatedLineFile(
  dir: string,
  spec: RepeatedLineFile,
  bytes: number,
): Promise<string> {
  const path = join(dir, spec.file);
  await mkdir(dirname(path), { recursive: true });
  const out = createWriteStream(path);
  const chunk = spec.line.repeat(Math.max(1, Math.floor((1024 * 1024) / spec.line.length)));
  let written = 0;
  const write = async (text: string) => {
    written += text.length;
    if (!out.write(text)) await once(out, 'drain');
  };
  if (spec.head) await write(spec.head);
  const bodyBytes = bytes - (spec.head?.length ?? 0) - (spec.tail?.length ?? 0);
  while (written + chunk.length <= bodyBytes) await write(chunk);
  while (written + spec.line.length <= bodyBytes) await write(spec.line);
  if (spec.tail) await write(spec.tail);
  out.end();
  await once(out, 'finish');
  return path;
}
