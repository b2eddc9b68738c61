#!/usr/bin/env python3
"""1 s on-host sampler for one process (and optionally one listening port).

Writes, into --out, the per-second files of the host samples (same names and formats as
/work/shared/host-samples/*):

  threads.log              YYYY-MM-DD HH:MM:SS - PID: <pid>, Threads: <n>   (ps -T -p PID | wc -l, minus 1)
  threads-proc-status.log  YYYY-MM-DD HH:MM:SS - PID: <pid>, Threads: <n>   (Threads: in /proc/PID/status)
  fds.log                  YYYY-MM-DD HH:MM:SS - PID: <pid>, FDs: <n>       (ls /proc/PID/fd | wc -l)
  listen-queue.log         YYYY-MM-DD HH:MM:SS LISTEN <Recv-Q> <Send-Q> <local> <peer>   (ss -ltnH 'sport = :PORT')
  sockstat.log             every /proc/net/sockstat line prefixed with YYYY-MM-DD HH:MM:SS

and, with --snapshots, the start/end copies:

  proc-net-netstat-{start,end}.txt, proc-net-snmp-{start,end}.txt, ss-s-{start,end}.txt,
  proc-limits-{start,end}.txt, app-fd-count-{start,end}.txt, sysctl-a.txt (start only)

All times are UTC. The run is bounded by --count samples; SIGTERM/SIGINT stop it early
(the end snapshots are still taken). --meta writes a small JSON with the start/end times.
"""

import argparse
import json
import os
import signal
import subprocess
import time
from datetime import datetime, timezone

STOP = False


def _stop(signum, _frame):
    global STOP
    STOP = True


def now_utc():
    return datetime.now(timezone.utc)


def ts_sec(dt):
    return dt.strftime("%Y-%m-%d %H:%M:%S")


def ts_iso_ms(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond // 1000)


def run(cmd, timeout=5):
    try:
        return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=timeout,
                              text=True, env=dict(os.environ, LC_ALL="C", TZ="UTC")).stdout
    except (subprocess.TimeoutExpired, OSError):
        return ""


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def fd_count(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return None


def ps_threads(pid):
    out = run(["ps", "-T", "-p", str(pid)])
    lines = out.splitlines()
    return len(lines) - 1 if lines else None


def status_threads(pid):
    txt = read("/proc/%d/status" % pid)
    if txt is None:
        return None
    for line in txt.splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return None


def snapshots(out, pid, suffix, with_sysctl):
    def write(name, text):
        if text is not None:
            with open(os.path.join(out, name), "w") as f:
                f.write(text)

    t = now_utc()
    write("proc-net-netstat-%s.txt" % suffix, read("/proc/net/netstat"))
    write("proc-net-snmp-%s.txt" % suffix, read("/proc/net/snmp"))
    write("ss-s-%s.txt" % suffix, run(["ss", "-s"]))
    if pid:
        write("proc-limits-%s.txt" % suffix, read("/proc/%d/limits" % pid))
        n = fd_count(pid)
        if n is not None:
            write("app-fd-count-%s.txt" % suffix, "%s ls /proc/%d/fd | wc -l = %d\n" % (ts_iso_ms(t), pid, n))
    if with_sysctl:
        write("sysctl-a.txt", run(["sysctl", "-a"], timeout=20))
    return t


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pid", type=int, required=True, help="process to sample")
    ap.add_argument("--port", type=int, default=None, help="listening port for listen-queue.log")
    ap.add_argument("--count", type=int, required=True, help="number of samples")
    ap.add_argument("--interval", type=float, default=1.0)
    ap.add_argument("--out", required=True, help="output folder")
    ap.add_argument("--snapshots", action="store_true", help="also write the start/end copies")
    ap.add_argument("--meta", default=None, help="write start/end times as JSON here")
    args = ap.parse_args()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    os.makedirs(args.out, exist_ok=True)
    o = lambda name: open(os.path.join(args.out, name), "a", buffering=1)  # noqa: E731
    f_thr, f_thr_st, f_fds, f_sock = o("threads.log"), o("threads-proc-status.log"), o("fds.log"), o("sockstat.log")
    f_lq = o("listen-queue.log") if args.port else None

    start = snapshots(args.out, args.pid, "start", True) if args.snapshots else now_utc()
    t0 = time.monotonic()
    samples = 0
    for i in range(1, args.count + 1):
        # Drift-free ticks: sample i is taken at t0 + i * interval.
        delay = t0 + i * args.interval - time.monotonic()
        while delay > 0 and not STOP:
            time.sleep(min(delay, 0.2))
            delay = t0 + i * args.interval - time.monotonic()
        if STOP:
            break
        ts = ts_sec(now_utc())
        pid = args.pid
        if os.path.isdir("/proc/%d" % pid):
            n = ps_threads(pid)
            if n is not None:
                f_thr.write("%s - PID: %d, Threads: %d\n" % (ts, pid, n))
            n = status_threads(pid)
            if n is not None:
                f_thr_st.write("%s - PID: %d, Threads: %d\n" % (ts, pid, n))
            n = fd_count(pid)
            if n is not None:
                f_fds.write("%s - PID: %d, FDs: %d\n" % (ts, pid, n))
        if f_lq is not None:
            for line in run(["ss", "-ltnH", "sport = :%d" % args.port]).splitlines():
                if line.strip():
                    f_lq.write("%s %s\n" % (ts, " ".join(line.split())))
        sock = read("/proc/net/sockstat") or ""
        for line in sock.splitlines():
            f_sock.write("%s %s\n" % (ts, line))
        samples += 1

    end = snapshots(args.out, args.pid, "end", False) if args.snapshots else now_utc()
    for f in (f_thr, f_thr_st, f_fds, f_sock, f_lq):
        if f is not None:
            f.close()
    if args.meta:
        with open(args.meta, "w") as f:
            json.dump({"start_utc": ts_iso_ms(start), "end_utc": ts_iso_ms(end), "samples": samples,
                       "pid": args.pid, "port": args.port, "interval_s": args.interval}, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
