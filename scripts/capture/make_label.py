#!/usr/bin/env python3
"""Build the ground-truth label of a capture from what the capture itself measured.

Reads the captured folder (sadf-A.json.gz, iostat-x.json, threads.log, fds.log,
listen-queue.log, proc-net-*-{start,end}.txt, proc-limits-start.txt, sysctl-a.txt, app.log),
the load generator's JSON summary and the orchestrator's run record (run.env: phase times,
PIDs, commands, notes), and writes a label in the shape of
/work/shared/host-samples/labels/<folder>.json. Nothing in the headline is typed by hand.

With --check it also verifies that the capture shows the listen-queue mechanism cleanly
(ListenOverflows delta > 0, Recv-Q reached Send-Q, host CPU not saturated, disk idle) and
exits 1 when it does not.
"""

import argparse
import gzip
import json
import os
import re
import shlex
import sys
from datetime import datetime, timedelta, timezone


def parse_iso(s):
    s = s.strip()
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    return datetime.fromisoformat(s).astimezone(timezone.utc)


def iso_s(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def floor_s(dt):
    return dt.replace(microsecond=0)


def ceil_s(dt):
    return floor_s(dt) + timedelta(seconds=1) if dt.microsecond else dt


def stats(values):
    values = [v for v in values if v is not None]
    if not values:
        return {}
    return {"avg": round(sum(values) / len(values), 3), "max": max(values), "min": min(values),
            "samples": len(values)}


def read_env(path):
    env = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if "=" in line:
                k, v = line.split("=", 1)
                if k.startswith("note"):
                    env.setdefault("notes", []).append(v)
                else:
                    env[k] = v
    return env


def open_maybe_gz(folder, name):
    """A reader must accept `name` or `name.gz`."""
    p = os.path.join(folder, name)
    if os.path.exists(p):
        return open(p, "rb")
    if os.path.exists(p + ".gz"):
        return gzip.open(p + ".gz", "rb")
    raise FileNotFoundError(p + "[.gz]")


def proc_table(path):
    """/proc/net/netstat or /proc/net/snmp -> {'TcpExt.ListenOverflows': n, ...}."""
    out = {}
    with open(path) as f:
        lines = f.read().splitlines()
    for hdr, val in zip(lines[0::2], lines[1::2]):
        h, v = hdr.split(), val.split()
        prefix = h[0].rstrip(":")
        for k, x in zip(h[1:], v[1:]):
            try:
                out["%s.%s" % (prefix, k)] = int(x)
            except ValueError:
                pass
    return out


def sysctl_values(path, keys):
    vals = {}
    try:
        with open(path) as f:
            for line in f:
                if " = " in line:
                    k, v = line.rstrip("\n").split(" = ", 1)
                    if k in keys:
                        vals[k] = v
    except OSError:
        pass
    return vals


LINE_RE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) - PID: (\d+), (Threads|FDs): (\d+)$")


def per_second_log(path):
    rows = []
    with open(path) as f:
        for line in f:
            m = LINE_RE.match(line.strip())
            if m:
                rows.append((datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc),
                             int(m.group(4))))
    return rows


def series_summary(rows, base, load):
    if not rows:
        return {}
    mx = max(v for _, v in rows)
    at = next(t for t, v in rows if v == mx)
    b = [v for t, v in rows if base[0] <= t <= base[1]]
    lo = [v for t, v in rows if load[0] <= t <= load[1]]
    return {"first": rows[0][1], "last": rows[-1][1], "samples": len(rows), "max": mx, "max_at_utc": iso_s(at),
            "baseline": {k: v for k, v in stats(b).items() if k != "samples"},
            "load": {k: v for k, v in stats(lo).items() if k != "samples"}}


INTERPRETERS = {"node", "python", "python3", "npm", "npx", "sh", "bash", "perl", "ruby", "java"}
OURS = ("slow_accept_server.py", "burst_load.py", "sampler.py", "make_label.py", "sadc", "iostat", "pidstat",
        "ps -T", "ss -", "sysctl -a", "listen-queue-overflow.sh", "timeout ", "sadf")


def command_name(cmd):
    """A short, argument-free name for a command line: `node:tsc`, `kdamond.0`, `python3:app.py`."""
    toks = cmd.split()
    if not toks:
        return "?"
    t0 = toks[0]
    # /usr/bin/node -> node; kernel threads (kworker/0:1-events, ksoftirqd/1) -> kworker, ksoftirqd
    exe = os.path.basename(t0) if t0.startswith("/") or "/" not in t0 else t0.split("/")[0]
    if exe.rstrip("0123456789.") in INTERPRETERS:
        for t in toks[1:]:
            if not t.startswith("-") and "=" not in t and not t.startswith("/dev/"):
                return "%s:%s" % (exe, os.path.basename(t))
    return exe


def host_cpu_from_pidstat(path, env, ncpu, seconds, ours=OURS):
    """`pidstat -u -l 1 N` of all processes -> per-second CPU % of the host used by the capture's own
    processes and by everything else, plus CPU-seconds per other command (names only, no arguments)."""
    pids = set(int(v) for k, v in env.items() if k.startswith("pid.") and v.isdigit())
    per_sec = {t: [0.0, 0.0] for t in seconds}  # pidstat lists only active tasks: idle seconds are 0
    by_cmd = {}
    day = None
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", errors="replace") as f:
        for line in f:
            m = re.match(r"^Linux .*\s(\d{4}-\d\d-\d\d)\s", line)
            if m:
                day = m.group(1)
                continue
            p_ = line.split(None, 9)
            if day is None or len(p_) < 10 or not re.match(r"^\d\d:\d\d:\d\d$", p_[0]) or p_[2] == "PID":
                continue
            try:
                cpu = float(p_[7])
            except ValueError:
                continue
            t = datetime.strptime(day + " " + p_[0], "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
            cmd = p_[9].strip()
            mine = any(o in cmd for o in ours) or int(p_[2]) in pids
            slot = per_sec.setdefault(t, [0.0, 0.0])
            slot[0 if mine else 1] += cpu / ncpu
            if not mine:
                key = command_name(cmd)
                by_cmd[key] = by_cmd.get(key, 0.0) + cpu / 100.0
    return {"per_second": {iso_s(t): [round(a, 2), round(b, 2)] for t, (a, b) in sorted(per_sec.items())},
            "other_commands_cpu_seconds": {k: round(v, 2) for k, v in by_cmd.items()}}


def in_win(t, w):
    return w[0] <= t <= w[1]


def load_sadf(folder):
    """sadf-A.json[.gz] -> (the parsed JSON, [(utc datetime, record)])."""
    with open_maybe_gz(folder, "sadf-A.json") as f:
        sadf = json.load(f)
    recs = []
    for st in sadf["sysstat"]["hosts"][0]["statistics"]:
        ts = st["timestamp"]
        t = datetime.strptime(ts["date"] + " " + ts["time"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
        recs.append((t, st))
    return sadf, recs


def sar_block(recs, win, disk):
    """Summary of the sar records inside the window (inclusive)."""
    sel = [s for t, s in recs if in_win(t, win)]
    cpu = [next(c for c in s["cpu-load"] if c["cpu"] == "all") for s in sel]
    dsk = [next((d for d in s.get("disk", []) if d.get("disk-device") == disk), None) for s in sel]
    dsk = [d for d in dsk if d]
    return {
        "cpu_all_percent": {k: stats([c[k] for c in cpu]) for k in ("usr", "sys", "iowait", "idle", "steal",
                                                                     "soft")},
        "cpu_busy_percent": stats([round(100.0 - c["idle"], 2) for c in cpu]),
        "runq_sz": stats([s["queue"]["runq-sz"] for s in sel]),
        "plist_sz": stats([s["queue"]["plist-sz"] for s in sel]),
        "ldavg_1": stats([s["queue"]["ldavg-1"] for s in sel]),
        "blocked": stats([s["queue"]["blocked"] for s in sel]),
        "cswch_per_s": stats([s["process-and-context-switch"]["cswch"] for s in sel]),
        "proc_per_s": stats([s["process-and-context-switch"]["proc"] for s in sel]),
        "disk_%s" % disk: {
            "tps": stats([d["tps"] for d in dsk]),
            "rkB_per_s": stats([d["rkB"] for d in dsk]),
            "wkB_per_s": stats([d["wkB"] for d in dsk]),
            "await_ms": stats([d["await"] for d in dsk]),
            "aqu_sz": stats([d["aqu-sz"] for d in dsk]),
            "util_percent": stats([d["util-percent"] for d in dsk]),
        },
        "tcp_sockets": stats([s["network"]["net-sock"]["tcpsck"] for s in sel]),
        "tcp_tw": stats([s["network"]["net-sock"]["tcp-tw"] for s in sel]),
        "tcp_active_opens_per_s": stats([s["network"]["net-tcp"]["active"] for s in sel]),
        "tcp_passive_opens_per_s": stats([s["network"]["net-tcp"]["passive"] for s in sel]),
        "tcp_retrans_per_s": stats([s["network"]["net-etcp"]["retrans"] for s in sel]),
        "file_nr": stats([s["kernel"]["file-nr"] for s in sel]),
        "psi_cpu_some_avg10": stats([s["psi"]["psi-cpu"]["some_avg10"] for s in sel]),
        "psi_io_some_avg10": stats([s["psi"]["psi-io"]["some_avg10"] for s in sel]),
        "psi_io_full_avg10": stats([s["psi"]["psi-io"]["full_avg10"] for s in sel]),
    }


def load_iostat(folder, disk):
    """iostat-x.json[.gz] -> [(utc datetime, the disk's record)]."""
    with open_maybe_gz(folder, "iostat-x.json") as f:
        io = json.load(f)
    io_rows = []
    for st in io["sysstat"]["hosts"][0]["statistics"]:
        t = datetime.strptime(st["timestamp"], "%Y-%m-%dT%H:%M:%S%z").astimezone(timezone.utc)
        d = next((d for d in st["disk"] if d["disk_device"] == disk), None)
        if d:
            io_rows.append((t, d))
    return io_rows


def iostat_block(io_rows, win):
    sel = [d for t, d in io_rows if in_win(t, win)]
    return {k: stats([d[k] for d in sel]) for k in ("r/s", "w/s", "r_await", "w_await", "aqu-sz", "util",
                                                     "rkB/s", "wkB/s")}


def pidstat_rows(path):
    """`pidstat -h ...` text -> [(utc datetime, {column: float})]; [] when the file is missing."""
    rows = []
    try:
        day, cols = None, None
        with open(path) as f:
            for line in f:
                m = re.match(r"^Linux .*\s(\d{4}-\d\d-\d\d)\s", line)
                if m:
                    day = m.group(1)
                    continue
                if line.startswith("# Time"):
                    cols = line[1:].split()
                    continue
                p_ = line.split()
                if day and len(p_) >= 8 and re.match(r"^\d\d:\d\d:\d\d$", p_[0]) and p_[2] != "PID":
                    t = datetime.strptime(day + " " + p_[0], "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
                    row = {}
                    for k, v in zip(cols or [], p_):
                        try:
                            row[k] = float(v)
                        except ValueError:
                            pass
                    row.setdefault("%CPU", float(p_[7]))
                    rows.append((t, row))
    except OSError:
        pass
    return rows


NETSTAT_EXT_KEYS = ["ListenOverflows", "ListenDrops", "TCPTimeouts", "TCPSynRetrans", "SyncookiesSent",
                    "SyncookiesRecv", "SyncookiesFailed", "TCPReqQFullDrop", "TCPReqQFullDoCookies",
                    "TCPAbortOnClose", "TCPAbortOnData", "TCPLostRetransmit", "TCPBacklogDrop", "EmbryonicRsts"]
SNMP_TCP_KEYS = ["ActiveOpens", "PassiveOpens", "AttemptFails", "EstabResets", "RetransSegs", "OutRsts", "InErrs"]


def netstat_deltas(folder):
    """End minus start of the TcpExt/Tcp counters in proc-net-{netstat,snmp}-{start,end}.txt."""
    n0 = proc_table(os.path.join(folder, "proc-net-netstat-start.txt"))
    n1 = proc_table(os.path.join(folder, "proc-net-netstat-end.txt"))
    s0 = proc_table(os.path.join(folder, "proc-net-snmp-start.txt"))
    s1 = proc_table(os.path.join(folder, "proc-net-snmp-end.txt"))
    netstat_delta = {}
    for k in NETSTAT_EXT_KEYS:
        kk = "TcpExt." + k
        if kk in n0 and kk in n1:
            netstat_delta[kk] = n1[kk] - n0[kk]
    for k in SNMP_TCP_KEYS:
        kk = "Tcp." + k
        if kk in s0 and kk in s1:
            netstat_delta[kk] = s1[kk] - s0[kk]
    return netstat_delta


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sample", required=True, help="captured folder")
    ap.add_argument("--run-env", required=True, help="orchestrator's run record (key=value lines)")
    ap.add_argument("--loadgen", required=True, help="burst_load.py JSON summary")
    ap.add_argument("--out", required=True, help="label JSON to write")
    ap.add_argument("--pidstat-all", default=None,
                    help="`pidstat -u -l 1 N` of all processes, to measure CPU used by other work on the host")
    ap.add_argument("--host-cpu-out", default=None,
                    help="with --pidstat-all: write the derived per-second host CPU split here (JSON)")
    ap.add_argument("--host-cpu", default=None,
                    help="read that derived JSON instead of --pidstat-all (to rebuild a label)")
    ap.add_argument("--max-other-cpu", type=float, default=None,
                    help="with --check: exit 2 if other processes used more than this %% of the host CPU "
                         "(average over the load phase)")
    ap.add_argument("--check", action="store_true", help="exit 1 unless the mechanism shows cleanly")
    args = ap.parse_args()

    env = read_env(args.run_env)
    folder = args.sample
    disk = env.get("disk", "vda")
    port = int(env["port"])
    ws, we = parse_iso(env["window_start_utc"]), parse_iso(env["window_end_utc"])
    ls, le = parse_iso(env["load_start_utc"]), parse_iso(env["load_end_utc"])
    base_win = (ceil_s(ws), floor_s(ls))
    load_win = (floor_s(ls) + timedelta(seconds=1), floor_s(le))

    # ---- sar (sadf -j) -------------------------------------------------------------------
    sadf, recs = load_sadf(folder)
    sar = {"baseline": sar_block(recs, base_win, disk), "load": sar_block(recs, load_win, disk)}

    # ---- iostat ----------------------------------------------------------------------------
    io_rows = load_iostat(folder, disk)
    iostat = {name: iostat_block(io_rows, win) for name, win in (("baseline", base_win), ("load", load_win))}

    # ---- sampler files ---------------------------------------------------------------------
    threads = series_summary(per_second_log(os.path.join(folder, "threads.log")), base_win, load_win)
    fds = series_summary(per_second_log(os.path.join(folder, "fds.log")), base_win, load_win)
    limits = {}
    with open(os.path.join(folder, "proc-limits-start.txt")) as f:
        for line in f:
            if line.startswith("Max open files"):
                limits["nofile_soft"] = int(line.split()[3])
    fds["rlimit_nofile_soft"] = limits.get("nofile_soft")

    lq = []
    with open(os.path.join(folder, "listen-queue.log")) as f:
        for line in f:
            p = line.split()
            if len(p) >= 5 and p[2] == "LISTEN":
                t = datetime.strptime(p[0] + " " + p[1], "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
                lq.append((t, int(p[3]), int(p[4])))
    sendq = sorted({s for _, _, s in lq})
    recvq_max = max(r for _, r, _ in lq)
    at_backlog = [(t, r, s) for t, r, s in lq if r >= s]
    over_backlog = [(t, r, s) for t, r, s in lq if r > s]
    load_lq = [(t, r, s) for t, r, s in lq if in_win(t, load_win)]
    listen_queue = {
        "port": port,
        "samples": len(lq),
        "send_q_effective_backlog": sendq[0] if len(sendq) == 1 else sendq,
        "recv_q_max": recvq_max,
        "recv_q_max_at_utc": iso_s(next(t for t, r, _ in lq if r == recvq_max)),
        "seconds_recv_q_ge_send_q": len(at_backlog),
        "seconds_recv_q_gt_send_q": len(over_backlog),
        "first_full_utc": iso_s(at_backlog[0][0]) if at_backlog else None,
        "last_full_utc": iso_s(at_backlog[-1][0]) if at_backlog else None,
        "baseline": stats([r for t, r, _ in lq if in_win(t, base_win)]),
        "load": stats([r for t, r, _ in load_lq]),
        "load_fraction_of_seconds_at_backlog": round(
            sum(1 for _, r, s in load_lq if r >= s) / len(load_lq), 3) if load_lq else None,
    }

    app_cpu = [(t, r["%CPU"]) for t, r in pidstat_rows(os.path.join(folder, "pidstat-app.txt"))]
    app_cpu_stats = {"baseline": stats([c for t, c in app_cpu if in_win(t, base_win)]),
                     "load": stats([c for t, c in app_cpu if in_win(t, load_win)])}

    # ---- kernel counters -------------------------------------------------------------------
    netstat_delta = netstat_deltas(folder)

    sysctls = sysctl_values(os.path.join(folder, "sysctl-a.txt"),
                            {"net.core.somaxconn", "net.ipv4.tcp_syncookies", "net.ipv4.tcp_max_syn_backlog",
                             "net.ipv4.tcp_abort_on_overflow", "net.ipv4.tcp_syn_retries",
                             "net.ipv4.tcp_synack_retries", "net.ipv4.ip_local_port_range"})

    # ---- app log ---------------------------------------------------------------------------
    with open(os.path.join(folder, "app.log"), errors="replace") as f:
        app_log = f.read()
    m = re.search(r"listening on \S+ backlog=(\d+)", app_log)
    app_backlog = int(m.group(1)) if m else None
    log_counts = {
        "gevent_appears_blocked_reports": len(re.findall(r"appears to be blocked", app_log)),
        "emfile_too_many_open_files_lines": len(re.findall(r"Too many open files", app_log)),
        "asyncio_accept_out_of_system_resource": len(re.findall(r"out of system resource", app_log)),
        "broken_pipe_or_reset_lines": len(re.findall(r"BrokenPipe|ConnectionReset|Connection reset", app_log)),
        "cant_start_new_thread_lines": len(re.findall(r"can't start new thread", app_log)),
        "closed_before_request_lines": len(re.findall(r"closed before sending a request", app_log)),
        "server_read_timeout_lines": len(re.findall(r"error handling .*TimeoutError", app_log)),
        "warning_lines": len(re.findall(r"^\S+ WARNING ", app_log, re.M)),
        "error_lines": len(re.findall(r"^\S+ (ERROR|CRITICAL) ", app_log, re.M)),
    }
    served = re.findall(r"stopped served=(\d+)", app_log)

    # ---- load generator --------------------------------------------------------------------
    with open(args.loadgen) as f:
        lg = json.load(f)
    tot = lg["total"]
    kinds = tot.get("errors_by_kind", {})
    timeouts = sum(v for k, v in kinds.items() if "timeout" in k)
    resets = kinds.get("reset", 0)
    lg_load = dict(tot)
    lg_load.update({"start_utc": lg["start_utc"], "timeout_s": lg["timeout_s"], "waves_spec": lg["waves_spec"],
                    "gap_s": lg["gap_s"], "error_backoff_s": lg["error_backoff_s"]})

    # ---- other processes on the host (pidstat -u -l of everything) --------------------------
    other = None
    host_cpu = None  # {"per_second": {iso: [capture_pct, other_pct]}, "other_commands_cpu_seconds": {...}}
    if args.pidstat_all and os.path.exists(args.pidstat_all):
        host_cpu = host_cpu_from_pidstat(args.pidstat_all, env,
                                         sadf["sysstat"]["hosts"][0].get("number-of-cpus", 1) or 1,
                                         [t for t, _ in recs])
        if args.host_cpu_out:
            with open(args.host_cpu_out, "w") as f:
                json.dump(host_cpu, f, indent=1)
                f.write("\n")
    elif args.host_cpu and os.path.exists(args.host_cpu):
        with open(args.host_cpu) as f:
            host_cpu = json.load(f)
    if host_cpu:
        per_sec = {parse_iso(k): v for k, v in host_cpu["per_second"].items()}

        def blk(win):
            sel = [v for t, v in per_sec.items() if in_win(t, win)]
            return {"capture_processes_cpu_pct_of_host": stats([round(a, 2) for a, _ in sel]),
                    "other_processes_cpu_pct_of_host": stats([round(b, 2) for _, b in sel])}
        other = {"baseline": blk(base_win), "load": blk(load_win),
                 "window": blk((ceil_s(ws), floor_s(we))),
                 "top_other_commands_cpu_seconds": dict(sorted(host_cpu["other_commands_cpu_seconds"].items(),
                                                               key=lambda kv: -kv[1])[:8])}

    # ---- assemble --------------------------------------------------------------------------
    L, B = sar["load"], sar["baseline"]
    dk = L["disk_%s" % disk]
    ov = netstat_delta.get("TcpExt.ListenOverflows")
    dr = netstat_delta.get("TcpExt.ListenDrops")
    somaxconn = int(sysctls["net.core.somaxconn"]) if "net.core.somaxconn" in sysctls else None
    eff = listen_queue["send_q_effective_backlog"]
    headline = {
        "listen_overflows_delta": ov,
        "listen_drops_delta": dr,
        "listen_queue_send_q": eff,
        "listen_queue_recv_q_max": recvq_max,
        "listen_queue_seconds_at_backlog": len(at_backlog),
        "listen_queue_load_fraction_at_backlog": listen_queue["load_fraction_of_seconds_at_backlog"],
        "app_listen_backlog_arg": app_backlog,
        "net_core_somaxconn": somaxconn,
        "net_ipv4_tcp_syncookies": int(sysctls["net.ipv4.tcp_syncookies"]) if "net.ipv4.tcp_syncookies" in sysctls
        else None,
        "syncookies_sent_delta": netstat_delta.get("TcpExt.SyncookiesSent"),
        "tcp_reqq_full_do_cookies_delta": netstat_delta.get("TcpExt.TCPReqQFullDoCookies"),
        "tcp_reqq_full_drop_delta": netstat_delta.get("TcpExt.TCPReqQFullDrop"),
        "tcp_syn_retrans_delta": netstat_delta.get("TcpExt.TCPSynRetrans"),
        "tcp_active_opens_delta": netstat_delta.get("Tcp.ActiveOpens"),
        "tcp_passive_opens_delta": netstat_delta.get("Tcp.PassiveOpens"),
        "cpu_busy_pct_load_avg": L["cpu_busy_percent"].get("avg"),
        "app_cpu_pct_load_avg": app_cpu_stats["load"].get("avg"),
        "app_cpu_pct_load_max": app_cpu_stats["load"].get("max"),
        "cpu_busy_pct_load_max": L["cpu_busy_percent"].get("max"),
        "cpu_user_pct_load_avg": L["cpu_all_percent"]["usr"].get("avg"),
        "cpu_system_pct_load_avg": L["cpu_all_percent"]["sys"].get("avg"),
        "cpu_iowait_pct_load_avg": L["cpu_all_percent"]["iowait"].get("avg"),
        "cpu_iowait_pct_baseline_avg": B["cpu_all_percent"]["iowait"].get("avg"),
        "runq_sz_load_avg": L["runq_sz"].get("avg"),
        "runq_sz_load_max": L["runq_sz"].get("max"),
        "ldavg_1_max": L["ldavg_1"].get("max"),
        "cswch_per_s_baseline_avg": B["cswch_per_s"].get("avg"),
        "cswch_per_s_load_avg": L["cswch_per_s"].get("avg"),
        "cswch_per_s_load_max": L["cswch_per_s"].get("max"),
        "%s_util_pct_load_avg" % disk: dk["util_percent"].get("avg"),
        "%s_await_ms_load_avg" % disk: dk["await_ms"].get("avg"),
        "%s_aqu_sz_load_avg" % disk: dk["aqu_sz"].get("avg"),
        "%s_tps_load_avg" % disk: dk["tps"].get("avg"),
        "app_threads_baseline": threads.get("baseline", {}).get("max"),
        "app_threads_max": threads.get("max"),
        "app_fds_baseline": fds.get("baseline", {}).get("max"),
        "app_fds_max": fds.get("max"),
        "app_fd_soft_limit": limits.get("nofile_soft"),
        "app_served_total": int(served[-1]) if served else None,
        "gevent_appears_blocked_reports": log_counts["gevent_appears_blocked_reports"],
        "emfile_too_many_open_files_lines": log_counts["emfile_too_many_open_files_lines"],
        "cant_start_new_thread_lines": log_counts["cant_start_new_thread_lines"],
        "client_load_requests": tot["requests"],
        "client_load_ok": tot["ok"],
        "client_load_errors": tot["errors"],
        "client_load_timeouts": timeouts,
        "client_load_resets": resets,
        "client_load_errors_by_kind": kinds,
        "client_load_rps_ok": tot["achieved_rps_ok"],
        "client_load_attempts_per_s": tot["attempts_per_s"],
        "client_load_concurrency_max": tot["concurrency_max"],
        "client_load_latency_ok_p50_s": tot["latency_ok_s"].get("p50"),
        "client_load_latency_ok_p99_s": tot["latency_ok_s"].get("p99"),
        "client_load_latency_ok_max_s": tot["latency_ok_s"].get("max"),
        "other_processes_cpu_pct_load_avg": (other or {}).get("load", {}).get(
            "other_processes_cpu_pct_of_host", {}).get("avg"),
        "iostat_%s_w_await_ms_load_avg" % disk: iostat["load"]["w_await"].get("avg"),
        "iostat_%s_r_await_ms_load_avg" % disk: iostat["load"]["r_await"].get("avg"),
        "iostat_%s_aqu_sz_load_avg" % disk: iostat["load"]["aqu-sz"].get("avg"),
    }

    secondary = [
        "Recv-Q of the listener sat at %d with Send-Q %d (backlog+1 = full on Linux) in %d of %d load seconds"
        % (recvq_max, eff if isinstance(eff, int) else -1,
           sum(1 for _, r, s in load_lq if r >= s), len(load_lq)),
        "TcpExt ListenOverflows +%s and ListenDrops +%s over the window (0 before the load)" % (ov, dr),
        "clients: %d of %d attempts failed (%s); successful requests took p50 %.2f s (about (backlog+1) x "
        "service time: the wait in the full accept queue), max %.2f s; attempts whose SYN was dropped waited for "
        "SYN retransmissions (TCPSynRetrans +%s, connect p95 %.2f s) and mostly hit the %.0f s client deadline"
        % (tot["errors"], tot["requests"], ", ".join("%s %d" % kv for kv in sorted(kinds.items())),
           tot["latency_ok_s"].get("p50") or 0, tot["latency_ok_s"].get("max") or 0,
           netstat_delta.get("TcpExt.TCPSynRetrans"), tot["connect_s"].get("p95") or 0, lg["timeout_s"]),
        "server throughput capped near 1 / service time (~%.1f req/s ok) by the single synchronous accept loop"
        % tot["achieved_rps_ok"],
        "host CPU busy %.1f %% avg during load (max %.1f %%), of which other work on the host %s; the app "
        "itself used %.1f %% of one CPU on average: the server is slow, not starved; app threads flat at %s; "
        "fds max %s"
        % (L["cpu_busy_percent"].get("avg", 0), L["cpu_busy_percent"].get("max", 0),
           ("%.1f %%" % other["load"]["other_processes_cpu_pct_of_host"]["avg"]) if other else "n/a (not measured)",
           app_cpu_stats["load"].get("avg", 0), threads.get("max"), fds.get("max")),
        "disk idle (%s util avg %.2f %%)" % (disk, dk["util_percent"].get("avg", 0)),
    ]
    if log_counts["server_read_timeout_lines"]:
        secondary.append("app.log: %d accepted connections sent no request within the server's read timeout "
                         "(WARNING ... TimeoutError), each stalling the single accept loop further"
                         % log_counts["server_read_timeout_lines"])
    if netstat_delta.get("TcpExt.TCPReqQFullDoCookies") or netstat_delta.get("TcpExt.SyncookiesSent"):
        secondary.append("SYN cookies were sent (TCPReqQFullDoCookies +%s, SyncookiesSent +%s; tcp_syncookies=1): "
                         "the SYN (request) queue limit is the same small listen backlog"
                         % (netstat_delta.get("TcpExt.TCPReqQFullDoCookies"),
                            netstat_delta.get("TcpExt.SyncookiesSent")))

    phases = [
        {"name": "lead-in", "start_utc": env["window_start_utc"], "end_utc": env["load_start_utc"]},
        {"name": "load", "start_utc": env["load_start_utc"], "end_utc": env["load_end_utc"],
         "exit_code": int(env.get("load_exit_code", "-1"))},
        {"name": "tail", "start_utc": env["load_end_utc"], "end_utc": env["window_end_utc"]},
    ]
    pids = {k[4:]: int(v) for k, v in env.items() if k.startswith("pid.") and v.isdigit()}
    commands = {k[4:]: (["sh", "-c", v] if "|" in v else shlex.split(v))
                for k, v in env.items() if k.startswith("cmd.")}

    label = {
        "scenario_id": env.get("scenario_id", "listen-queue-overflow"),
        "description": env.get("description", ""),
        "window": {"start_utc": env["window_start_utc"], "end_utc": env["window_end_utc"],
                   "duration_s": round((we - ws).total_seconds(), 1)},
        "phases": phases,
        "app": {"name": env.get("app_name", "slow_accept_server.py"), "pid": pids.get("app"), "port": port,
                "listen_backlog_arg": app_backlog, "metrics_url": None},
        "pids": pids,
        "ground_truth": {
            "primary_bottleneck": "listen-queue-overflow",
            "secondary_signals": secondary,
            "remedies": [
                "raise the application's listen backlog (listen(8) here; e.g. gunicorn/uvicorn --backlog 2048) AND "
                "make sure net.core.somaxconn is at least as large: the effective backlog is min(app backlog, "
                "somaxconn) (%s here); size it from the observed burst (backlog >= peak pending connections), "
                "this is derived, not a universal number" % somaxconn,
                "fix the slow accept loop: accept continuously and hand each connection to workers (thread/"
                "process pool, asyncio) or add worker processes, so the queue drains faster than it fills; a "
                "bigger backlog alone only adds queueing",
                "watch TcpExt ListenOverflows/ListenDrops (node_netstat_TcpExt_ListenOverflows) and ss -ltn "
                "Recv-Q vs Send-Q; alert on any increase",
            ],
            "not_the_cause": ["cpu-saturated", "disk-saturated", "thread-exhaustion", "fd-exhaustion",
                              "threadpool-starvation"],
        },
        "headline": headline,
        "measured": {
            "measurement_windows_utc": {
                "window": [iso_s(floor_s(ws)), iso_s(floor_s(we))],
                "baseline": [iso_s(base_win[0]), iso_s(base_win[1])],
                "load": [iso_s(load_win[0]), iso_s(load_win[1])],
            },
            "sar": sar,
            "iostat_%s" % disk: iostat,
            "app_cpu_percent_pidstat": app_cpu_stats,
            "app_threads": threads,
            "app_fds": fds,
            "listen_queue": listen_queue,
            "host_settings": sysctls,
            "app_log": log_counts,
            "host_processes_pidstat": other,
            "netstat_delta_window": netstat_delta,
            "loadgen": {"load": lg_load, "waves": lg["waves"]},
        },
        "commands": commands,
        "notes": env.get("notes", []) + ([
            "other processes on the host (not part of the capture; pidstat -u -l of all processes, kept out of "
            "the folder) used %.1f %% of the host CPU on average during the load (max %.1f %%); top: %s"
            % (other["load"]["other_processes_cpu_pct_of_host"].get("avg", 0),
               other["load"]["other_processes_cpu_pct_of_host"].get("max", 0),
               ", ".join("%s %.1f s" % kv for kv in list(other["top_other_commands_cpu_seconds"].items())[:3])
               or "none")] if other else []),
    }

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(label, f, indent=2)
        f.write("\n")

    checks = {
        "ListenOverflows delta > 0": bool(ov and ov > 0),
        "ListenDrops delta >= ListenOverflows delta": bool(dr is not None and ov is not None and dr >= ov),
        "Recv-Q reached Send-Q": bool(at_backlog),
        "queue at backlog in >= 50% of load seconds": (listen_queue["load_fraction_of_seconds_at_backlog"] or 0) >= 0.5,
        "effective backlog < somaxconn": bool(isinstance(eff, int) and somaxconn and eff < somaxconn),
        "host CPU not saturated (load busy avg < 50%)": (L["cpu_busy_percent"].get("avg") or 100) < 50,
        "disk idle (util avg < 10%)": (dk["util_percent"].get("avg") or 0) < 10,
        "clients saw failures": tot["errors"] > 0,
        "clients saw successes": tot["ok"] > 0,
    }
    for k, v in checks.items():
        print("%s %s" % ("PASS" if v else "FAIL", k))
    oth = headline.get("other_processes_cpu_pct_load_avg")
    if oth is not None:
        print("%s other processes on the host used %.1f %% of the host CPU on average during the load"
              % ("OK  " if oth < 5 else "WARN", oth))
    print("headline: overflows=%s drops=%s recvq_max=%s sendq=%s ok=%s errors=%s cpu_busy_avg=%s"
          % (ov, dr, recvq_max, eff, tot["ok"], tot["errors"], headline["cpu_busy_pct_load_avg"]))
    if args.check and args.max_other_cpu is not None and oth is not None and oth > args.max_other_cpu:
        sys.exit(2)  # contaminated by other work on the host: re-run (takes precedence over FAILs)
    if args.check and not all(checks.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
