#!/usr/bin/env python3
"""Build the ground-truth label of a thread-exhaustion, fd-exhaustion or busy-healthy capture.

Reads the captured folder (sadf-A.json.gz, iostat-x.json, pidstat-app.txt, threads.log, fds.log,
listen-queue.log, sockstat.log, proc-limits-*, proc-net-*-{start,end}.txt, ss-s-*, sysctl-a.txt,
app.log) and the label inputs kept beside the label (run.env: phase times, PIDs, commands, notes;
loadgen.json: conn_load.py's client results; tcp-states.jsonl.gz: per-second TCP states of the
app's port; app-metrics.jsonl.gz: the app's polled /metrics, busy-healthy only; host-cpu.json: the
per-second CPU of the capture's processes vs. everything else), and writes a label in the shape of
/work/shared/host-samples/labels/<folder>.json. Nothing in the headline is typed by hand.

With --check it also verifies that the capture shows the scenario's mechanism (and exits 1 when
it does not), and with --max-other-cpu exits 2 when other work on the host used more CPU than that
during the load. The small readers mirror make_label.py's (kept separate so that the two builders
can change independently).

  python3 scripts/capture/label_resources.py --scenario thread-exhaustion \
    --sample mocks/samples/thread-exhaustion --inputs scripts/capture/label-inputs/thread-exhaustion \
    --out scripts/capture/labels/thread-exhaustion.json --check
"""

import argparse
import gzip
import json
import os
import re
import shlex
import sys
from datetime import datetime, timedelta, timezone

from make_label import ceil_s, floor_s, in_win, iso_s, parse_iso, proc_table, read_env, sysctl_values

SCENARIOS = ("thread-exhaustion", "fd-exhaustion", "busy-healthy")

# ---- small readers -------------------------------------------------------------------------


def pct(values, p):
    v = sorted(values)
    if not v:
        return None
    k = min(len(v) - 1, max(0, int(round(p / 100.0 * (len(v) - 1)))))
    return v[k]


def stats(values, percentiles=False):
    values = [v for v in values if v is not None]
    if not values:
        return {}
    out = {"avg": round(sum(values) / len(values), 3), "max": max(values), "min": min(values), "samples": len(values)}
    if percentiles:
        out.update({"p50": pct(values, 50), "p95": pct(values, 95)})
    return out


def open_maybe_gz(path, mode="rb"):
    """A reader must accept `name` or `name.gz`."""
    if os.path.exists(path):
        return open(path, mode)
    if os.path.exists(path + ".gz"):
        return gzip.open(path + ".gz", mode)
    raise FileNotFoundError(path + "[.gz]")


def jsonl(path):
    try:
        with open_maybe_gz(path, "rt") as f:
            return [json.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        return []


def proc_limits(path):
    """/proc/PID/limits -> {'Max processes': (soft, hard), ...} (ints or 'unlimited')."""
    out = {}
    try:
        with open(path) as f:
            for line in f:
                m = re.match(r"^(Max [a-z ]+?)\s{2,}(\S+)\s+(\S+)", line)
                if m:
                    conv = [int(x) if x.isdigit() else x for x in (m.group(2), m.group(3))]
                    out[m.group(1)] = tuple(conv)
    except OSError:
        pass
    return out


LINE_RE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) - PID: (\d+), (Threads|FDs): (\d+)$")


def utc_sec(s):
    return datetime.strptime(s, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)


def per_second_log(path):
    rows = []
    with open(path) as f:
        for line in f:
            m = LINE_RE.match(line.strip())
            if m:
                rows.append((utc_sec(m.group(1)), int(m.group(4))))
    return rows


def series_summary(rows, base, load):
    if not rows:
        return {}
    mx = max(v for _, v in rows)
    at = next(t for t, v in rows if v == mx)
    b = [v for t, v in rows if in_win(t, base)]
    lo = [v for t, v in rows if in_win(t, load)]
    return {"first": rows[0][1], "last": rows[-1][1], "samples": len(rows), "max": mx, "max_at_utc": iso_s(at),
            "baseline": {k: v for k, v in stats(b).items() if k != "samples"},
            "load": {k: v for k, v in stats(lo).items() if k != "samples"}}


def sockstat_rows(path):
    """sockstat.log -> [(utc, {'inuse': n, 'orphan': n, 'tw': n, 'alloc': n})] from the TCP: lines."""
    rows = []
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) >= 4 and p[2] == "TCP:":
                kv = dict(zip(p[3::2], p[4::2]))
                rows.append((utc_sec(p[0] + " " + p[1]), {k: int(v) for k, v in kv.items() if v.isdigit()}))
    return rows


def listen_queue_rows(path):
    rows = []
    try:
        with open(path) as f:
            for line in f:
                p = line.split()
                if len(p) >= 5 and p[2] == "LISTEN":
                    rows.append((utc_sec(p[0] + " " + p[1]), int(p[3]), int(p[4])))
    except OSError:
        pass
    return rows


def pidstat_rows(path):
    """`pidstat -h ...` text -> [(utc, {column: float})]."""
    rows = []
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
            if day and cols and len(p_) >= 8 and re.match(r"^\d\d:\d\d:\d\d$", p_[0]):
                row = {}
                for k, v in zip(cols, p_):
                    try:
                        row[k] = float(v)
                    except ValueError:
                        pass
                rows.append((utc_sec(day + " " + p_[0]), row))
    return rows


INTERPRETERS = {"node", "python", "python3", "npm", "npx", "sh", "bash", "perl", "ruby", "java"}
OURS = ("thread_per_conn_server.py", "leaky_fd_server.py", "pool_busy_app.py", "conn_load.py", "tcp_state_counts.py",
        "metrics_poll.py", "label_resources.py", "sampler.py", "sadc", "iostat", "pidstat", "ps -T", "ss -",
        "sysctl -a", "thread-exhaustion.sh", "fd-exhaustion.sh", "busy-healthy.sh", "timeout ", "sadf", "prlimit",
        "setpriv")


def command_name(cmd):
    """A short, argument-free name for a command line: `node:tsc`, `kworker`, `python3:app.py`."""
    toks = cmd.split()
    if not toks:
        return "?"
    t0 = toks[0]
    exe = os.path.basename(t0) if t0.startswith("/") or "/" not in t0 else t0.split("/")[0]
    if exe.rstrip("0123456789.") in INTERPRETERS:
        for t in toks[1:]:
            if not t.startswith("-") and "=" not in t and not t.startswith("/dev/"):
                return "%s:%s" % (exe, os.path.basename(t))
    return exe


def host_cpu_from_pidstat(path, pids, ncpu, seconds):
    """`pidstat -u -l 1 N` of all processes -> per-second CPU % of the host used by the capture's own
    processes and by everything else, plus CPU-seconds per other command (names only)."""
    per_sec = {t: [0.0, 0.0] for t in seconds}  # pidstat lists only active tasks: idle seconds are 0
    by_cmd = {}
    day = None
    with open(path, errors="replace") as f:
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
            t = utc_sec(day + " " + p_[0])
            cmd = p_[9].strip()
            mine = any(o in cmd for o in OURS) or int(p_[2]) in pids
            slot = per_sec.setdefault(t, [0.0, 0.0])
            slot[0 if mine else 1] += cpu / ncpu
            if not mine:
                key = command_name(cmd)
                by_cmd[key] = by_cmd.get(key, 0.0) + cpu / 100.0
    return {"per_second": {iso_s(t): [round(a, 2), round(b, 2)] for t, (a, b) in sorted(per_sec.items())},
            "other_commands_cpu_seconds": {k: round(v, 2) for k, v in by_cmd.items()}}


# ---- the common part of every label ----------------------------------------------------------


def measure(args):
    """Everything the three labels share, as a dict `m`."""
    folder, inputs = args.sample, args.inputs
    env = read_env(os.path.join(inputs, "run.env"))
    disk = env.get("disk", "vda")
    ws, we = parse_iso(env["window_start_utc"]), parse_iso(env["window_end_utc"])
    ls, le = parse_iso(env["load_start_utc"]), parse_iso(env["load_end_utc"])
    base_win = (ceil_s(ws), floor_s(ls))
    load_win = (floor_s(ls) + timedelta(seconds=1), floor_s(le))
    tail_win = (floor_s(le) + timedelta(seconds=1), floor_s(we))
    m = {"env": env, "disk": disk, "ws": ws, "we": we, "ls": ls, "le": le,
         "base_win": base_win, "load_win": load_win, "tail_win": tail_win}

    with open_maybe_gz(os.path.join(folder, "sadf-A.json")) as f:
        sadf = json.load(f)
    recs = []
    for st in sadf["sysstat"]["hosts"][0]["statistics"]:
        ts = st["timestamp"]
        recs.append((utc_sec(ts["date"] + " " + ts["time"]), st))
    m["ncpu"] = sadf["sysstat"]["hosts"][0].get("number-of-cpus", 1) or 1
    m["sar_seconds"] = [t for t, _ in recs]

    def sar_block(win):
        sel = [s for t, s in recs if in_win(t, win)]
        cpu = [next(c for c in s["cpu-load"] if c["cpu"] == "all") for s in sel]
        dsk = [d for d in (next((d for d in s.get("disk", []) if d.get("disk-device") == disk), None)
                           for s in sel) if d]
        return {
            "cpu_all_percent": {k: stats([c[k] for c in cpu]) for k in ("usr", "sys", "iowait", "idle", "steal",
                                                                         "soft")},
            "cpu_busy_percent": stats([round(100.0 - c["idle"], 2) for c in cpu], percentiles=True),
            "runq_sz": stats([s["queue"]["runq-sz"] for s in sel], percentiles=True),
            "plist_sz": stats([s["queue"]["plist-sz"] for s in sel]),
            "ldavg_1": stats([s["queue"]["ldavg-1"] for s in sel]),
            "blocked": stats([s["queue"]["blocked"] for s in sel]),
            "cswch_per_s": stats([s["process-and-context-switch"]["cswch"] for s in sel]),
            "proc_per_s": stats([s["process-and-context-switch"]["proc"] for s in sel]),
            "disk_%s" % disk: {
                "tps": stats([d["tps"] for d in dsk]),
                "await_ms": stats([d["await"] for d in dsk]),
                "aqu_sz": stats([d["aqu-sz"] for d in dsk]),
                "util_percent": stats([d["util-percent"] for d in dsk]),
            },
            "tcp_sockets": stats([s["network"]["net-sock"]["tcpsck"] for s in sel]),
            "tcp_tw": stats([s["network"]["net-sock"]["tcp-tw"] for s in sel]),
            "tcp_active_opens_per_s": stats([s["network"]["net-tcp"]["active"] for s in sel]),
            "tcp_passive_opens_per_s": stats([s["network"]["net-tcp"]["passive"] for s in sel]),
            "file_nr": stats([s["kernel"]["file-nr"] for s in sel]),
            "psi_cpu_some_avg10": stats([s["psi"]["psi-cpu"]["some_avg10"] for s in sel]),
            "psi_io_some_avg10": stats([s["psi"]["psi-io"]["some_avg10"] for s in sel]),
        }

    m["sar"] = {"baseline": sar_block(base_win), "load": sar_block(load_win), "tail": sar_block(tail_win)}

    with open_maybe_gz(os.path.join(folder, "iostat-x.json")) as f:
        io = json.load(f)
    io_rows = []
    for st in io["sysstat"]["hosts"][0]["statistics"]:
        t = datetime.strptime(st["timestamp"], "%Y-%m-%dT%H:%M:%S%z").astimezone(timezone.utc)
        d = next((d for d in st["disk"] if d["disk_device"] == disk), None)
        if d:
            io_rows.append((t, d))
    m["iostat"] = {name: {k: stats([d[k] for t, d in io_rows if in_win(t, win)])
                          for k in ("r/s", "w/s", "r_await", "w_await", "aqu-sz", "util")}
                   for name, win in (("baseline", base_win), ("load", load_win))}

    m["threads_rows"] = per_second_log(os.path.join(folder, "threads.log"))
    m["threads_status_rows"] = per_second_log(os.path.join(folder, "threads-proc-status.log"))
    m["fds_rows"] = per_second_log(os.path.join(folder, "fds.log"))
    m["threads"] = series_summary(m["threads_rows"], base_win, load_win)
    m["fds"] = series_summary(m["fds_rows"], base_win, load_win)
    m["limits_start"] = proc_limits(os.path.join(folder, "proc-limits-start.txt"))
    m["limits_end"] = proc_limits(os.path.join(folder, "proc-limits-end.txt"))

    ps = pidstat_rows(os.path.join(folder, "pidstat-app.txt"))
    m["pidstat_rows"] = ps

    def pblock(win):
        sel = [r for t, r in ps if in_win(t, win)]
        return {k: stats([r.get(k) for r in sel]) for k in ("%CPU", "%usr", "%system", "cswch/s", "nvcswch/s",
                                                             "VSZ", "RSS", "minflt/s")}
    m["pidstat_app"] = {"baseline": pblock(base_win), "load": pblock(load_win), "tail": pblock(tail_win)}

    ss = sockstat_rows(os.path.join(folder, "sockstat.log"))
    m["sockstat_rows"] = ss
    m["sockstat_tcp"] = {name: {k: stats([r.get(k) for t, r in ss if in_win(t, win)])
                                for k in ("inuse", "orphan", "tw", "alloc")}
                         for name, win in (("baseline", base_win), ("load", load_win), ("tail", tail_win))}
    lq = listen_queue_rows(os.path.join(folder, "listen-queue.log"))
    m["listen_queue"] = {
        "samples": len(lq),
        "send_q_backlog": sorted({s for _, _, s in lq}),
        "recv_q": {name: stats([r for t, r, _ in lq if in_win(t, win)])
                   for name, win in (("baseline", base_win), ("load", load_win), ("tail", tail_win))},
        "recv_q_max": max((r for _, r, _ in lq), default=None),
        "seconds_recv_q_ge_send_q": sum(1 for _, r, s in lq if r >= s),
    }
    m["lq_rows"] = lq

    n0 = proc_table(os.path.join(folder, "proc-net-netstat-start.txt"))
    n1 = proc_table(os.path.join(folder, "proc-net-netstat-end.txt"))
    s0 = proc_table(os.path.join(folder, "proc-net-snmp-start.txt"))
    s1 = proc_table(os.path.join(folder, "proc-net-snmp-end.txt"))
    nd = {}
    for k in ("ListenOverflows", "ListenDrops", "TCPTimeouts", "TCPSynRetrans", "TCPAbortOnClose", "TCPAbortOnData",
              "TCPBacklogDrop", "EmbryonicRsts"):
        if "TcpExt." + k in n0 and "TcpExt." + k in n1:
            nd["TcpExt." + k] = n1["TcpExt." + k] - n0["TcpExt." + k]
    for k in ("ActiveOpens", "PassiveOpens", "AttemptFails", "EstabResets", "OutRsts", "CurrEstab"):
        if "Tcp." + k in s0 and "Tcp." + k in s1:
            nd["Tcp." + k] = s1["Tcp." + k] - s0["Tcp." + k]
    m["netstat_delta"] = nd
    m["ss_s"] = {}
    for edge in ("start", "end"):
        try:
            with open(os.path.join(folder, "ss-s-%s.txt" % edge)) as f:
                mm = re.search(r"^TCP:\s+(\d+) \(estab (\d+), closed (\d+), orphaned (\d+), timewait (\d+)\)", f.read(),
                               re.M)
            if mm:
                m["ss_s"][edge] = dict(zip(("total", "estab", "closed", "orphaned", "timewait"),
                                           (int(x) for x in mm.groups())))
        except OSError:
            pass
    m["sysctls"] = sysctl_values(os.path.join(folder, "sysctl-a.txt"),
                                 {"net.core.somaxconn", "kernel.threads-max", "kernel.pid_max", "fs.file-max",
                                  "fs.nr_open", "net.ipv4.tcp_fin_timeout", "vm.max_map_count"})

    with open(os.path.join(folder, "app.log"), errors="replace") as f:
        app_log = f.read()
    m["app_log_text"] = app_log

    def times_of(pattern):
        """UTC seconds of the log lines that match, or of the record a traceback line belongs to."""
        out, last = [], None
        for line in app_log.splitlines():
            mt = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.\d+Z ", line)
            if mt:
                last = datetime.strptime(mt.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
            if re.search(pattern, line) and last is not None:
                out.append(last)
        return out
    m["times_of"] = times_of
    m["app_log"] = {
        "lines": len(app_log.splitlines()),
        "bytes": len(app_log.encode()),
        "cant_start_new_thread_lines": len(re.findall(r"can't start new thread", app_log)),
        "emfile_too_many_open_files_lines": len(re.findall(r"Too many open files", app_log)),
        "traceback_lines": len(re.findall(r"^Traceback \(most recent call last\):", app_log, re.M)),
        "broken_pipe_or_reset_lines": len(re.findall(r"BrokenPipe|ConnectionReset|Connection reset", app_log)),
        "warning_lines": len(re.findall(r"^\S+ WARNING ", app_log, re.M)),
        "error_lines": len(re.findall(r"^\S+ (ERROR|CRITICAL) ", app_log, re.M)),
        "gevent_appears_blocked_reports": len(re.findall(r"appears to be blocked", app_log)),
    }

    with open(os.path.join(inputs, "loadgen.json")) as f:
        m["lg"] = json.load(f)
    m["tcp_states"] = [(parse_iso(r["utc"]), r) for r in jsonl(os.path.join(inputs, "tcp-states.jsonl"))]
    m["app_metrics"] = [(parse_iso(r["utc"]), r) for r in jsonl(os.path.join(inputs, "app-metrics.jsonl"))]

    # other processes on the host
    host_cpu = None
    hc_path = os.path.join(inputs, "host-cpu.json")
    if args.pidstat_all and os.path.exists(args.pidstat_all):
        pids = set(int(v) for k, v in env.items() if k.startswith("pid.") and v.isdigit())
        host_cpu = host_cpu_from_pidstat(args.pidstat_all, pids, m["ncpu"], m["sar_seconds"])
        with open(hc_path, "w") as f:
            json.dump(host_cpu, f, indent=0)
            f.write("\n")
    elif os.path.exists(hc_path):
        with open(hc_path) as f:
            host_cpu = json.load(f)
    other = None
    if host_cpu:
        per_sec = {parse_iso(k): v for k, v in host_cpu["per_second"].items()}

        def blk(win):
            sel = [v for t, v in per_sec.items() if in_win(t, win)]
            return {"capture_processes_cpu_pct_of_host": stats([a for a, _ in sel]),
                    "other_processes_cpu_pct_of_host": stats([b for _, b in sel])}
        other = {"baseline": blk(base_win), "load": blk(load_win), "tail": blk(tail_win),
                 "window": blk((ceil_s(ws), floor_s(we))),
                 "top_other_commands_cpu_seconds": dict(sorted(host_cpu["other_commands_cpu_seconds"].items(),
                                                               key=lambda kv: -kv[1])[:8])}
    m["other"] = other
    m["other_load_avg"] = (other or {}).get("load", {}).get("other_processes_cpu_pct_of_host", {}).get("avg")
    # The worst phase: other work in the lead-in or the tail distorts the baseline as much as in the load.
    phase_avgs = [(other or {}).get(p, {}).get("other_processes_cpu_pct_of_host", {}).get("avg")
                  for p in ("baseline", "load", "tail")]
    phase_avgs = [v for v in phase_avgs if v is not None]
    m["other_phase_max_avg"] = max(phase_avgs) if phase_avgs else None
    return m


def r1(x, nd=1):
    return None if x is None else round(x, nd)


def common_headline(m):
    L, B = m["sar"]["load"], m["sar"]["baseline"]
    lg = m["lg"]["total"]
    kinds = lg.get("errors_by_kind", {})
    dk = L["disk_%s" % m["disk"]]
    return {
        "cpu_busy_pct_load_avg": L["cpu_busy_percent"].get("avg"),
        "cpu_busy_pct_load_p50": L["cpu_busy_percent"].get("p50"),
        "cpu_busy_pct_load_p95": L["cpu_busy_percent"].get("p95"),
        "cpu_busy_pct_load_max": L["cpu_busy_percent"].get("max"),
        "cpu_user_pct_load_avg": L["cpu_all_percent"]["usr"].get("avg"),
        "cpu_system_pct_load_avg": L["cpu_all_percent"]["sys"].get("avg"),
        "cpu_iowait_pct_load_avg": L["cpu_all_percent"]["iowait"].get("avg"),
        "runq_sz_load_avg": L["runq_sz"].get("avg"),
        "runq_sz_load_p95": L["runq_sz"].get("p95"),
        "runq_sz_load_max": L["runq_sz"].get("max"),
        "plist_sz_baseline_max": B["plist_sz"].get("max"),
        "plist_sz_load_max": L["plist_sz"].get("max"),
        "cswch_per_s_baseline_avg": B["cswch_per_s"].get("avg"),
        "cswch_per_s_load_avg": L["cswch_per_s"].get("avg"),
        "cswch_per_s_load_max": L["cswch_per_s"].get("max"),
        "%s_util_pct_load_avg" % m["disk"]: dk["util_percent"].get("avg"),
        "app_cpu_pct_load_avg": m["pidstat_app"]["load"]["%CPU"].get("avg"),
        "app_cswch_per_s_load_avg": m["pidstat_app"]["load"]["cswch/s"].get("avg"),
        "app_nvcswch_per_s_load_avg": m["pidstat_app"]["load"]["nvcswch/s"].get("avg"),
        "app_vsz_kb_baseline_max": m["pidstat_app"]["baseline"]["VSZ"].get("max"),
        "app_vsz_kb_max": max((r.get("VSZ", 0) for _, r in m["pidstat_rows"]), default=None),
        "app_rss_kb_max": max((r.get("RSS", 0) for _, r in m["pidstat_rows"]), default=None),
        "app_threads_baseline": m["threads"].get("baseline", {}).get("max"),
        "app_threads_max": m["threads"].get("max"),
        "app_fds_baseline": m["fds"].get("baseline", {}).get("max"),
        "app_fds_max": m["fds"].get("max"),
        "app_fd_soft_limit": m["limits_start"].get("Max open files", (None,))[0],
        "app_nproc_soft_limit": m["limits_start"].get("Max processes", (None,))[0],
        "cant_start_new_thread_lines": m["app_log"]["cant_start_new_thread_lines"],
        "emfile_too_many_open_files_lines": m["app_log"]["emfile_too_many_open_files_lines"],
        "listen_overflows_delta": m["netstat_delta"].get("TcpExt.ListenOverflows"),
        "listen_drops_delta": m["netstat_delta"].get("TcpExt.ListenDrops"),
        "listen_recv_q_max": m["listen_queue"]["recv_q_max"],
        "client_load_requests": lg["requests"],
        "client_load_ok": lg["ok"],
        "client_load_errors": lg["errors"],
        "client_load_errors_by_kind": kinds,
        "client_load_timeouts": sum(v for k, v in kinds.items() if "timeout" in k),
        "client_load_rps_ok": lg["achieved_rps_ok"],
        "client_load_clients": m["lg"]["clients"],
        "client_load_latency_ok_p50_s": lg["latency_ok_s"].get("p50"),
        "client_load_latency_ok_p99_s": lg["latency_ok_s"].get("p99"),
        "client_load_latency_ok_max_s": lg["latency_ok_s"].get("max"),
        "other_processes_cpu_pct_load_avg": m["other_load_avg"],
    }


def seconds_since(t, t0):
    return None if t is None else round((t - t0).total_seconds(), 1)


# ---- per scenario ----------------------------------------------------------------------------


def thread_exhaustion(m):
    h = common_headline(m)
    limit = h["app_nproc_soft_limit"]
    rows = m["threads_rows"]
    near = [t for t, v in rows if isinstance(limit, int) and v >= 0.98 * limit]
    lg = m["lg"]["total"]
    cant = m["times_of"](r"can't start new thread")
    failures = m["times_of"](r"Exception occurred during processing of request")
    ls = m["ls"]
    load_threads = [v for t, v in rows if in_win(t, m["load_win"])]
    plateau = [v for t, v in rows if near and near[0] <= t <= near[-1]]
    ts = [r for t, r in m["tcp_states"] if in_win(t, m["load_win"])]
    estab_max = max((r["server"].get("ESTABLISHED", 0) for r in ts), default=None)
    vsz0 = h["app_vsz_kb_baseline_max"] or 0
    vsz1 = h["app_vsz_kb_max"] or 0
    dthreads = (h["app_threads_max"] or 0) - (h["app_threads_baseline"] or 0)
    h.update({
        "app_threads_seconds_at_limit": len(near),
        "app_threads_first_at_limit_utc": iso_s(near[0]) if near else None,
        "app_threads_first_at_limit_s_after_load_start": seconds_since(near[0] if near else None, ls),
        "app_threads_plateau_avg": r1(sum(plateau) / len(plateau)) if plateau else None,
        "app_threads_plateau_min": min(plateau) if plateau else None,
        "thread_start_failures_logged": len(failures),
        "first_cant_start_utc": iso_s(cant[0]) if cant else None,
        "last_cant_start_utc": iso_s(cant[-1]) if cant else None,
        "app_vsz_growth_kb_per_thread": round((vsz1 - vsz0) / dthreads) if dthreads > 0 else None,
        "server_established_max": estab_max,
        "client_open_connections_max": lg.get("open_connections_max"),
        "client_first_error_utc": lg.get("first_error_utc"),
    })
    kinds = lg.get("errors_by_kind", {})
    L = m["sar"]["load"]
    secondary = [
        "threads.log climbs from %s (idle) with the open keep-alive connections to %s and plateaus at the "
        "RLIMIT_NPROC soft limit of %s (proc-limits-*.txt 'Max processes'; the app runs as an unprivileged "
        "user, the limit counts every thread of that user) for %d s (first at %s, %.0f s after the load "
        "started; plateau avg %s, min %s)"
        % (h["app_threads_baseline"], h["app_threads_max"], limit, len(near), h["app_threads_first_at_limit_utc"],
           h["app_threads_first_at_limit_s_after_load_start"] or 0, h["app_threads_plateau_avg"],
           h["app_threads_plateau_min"]),
        "app.log: %d x 'RuntimeError: can't start new thread' (each an ERROR 'Exception occurred during "
        "processing of request from ...' with the socketserver traceback through ThreadingMixIn.process_request "
        "-> Thread.start), from %s to %s" % (h["cant_start_new_thread_lines"], h["first_cant_start_utc"],
                                             h["last_cant_start_utc"]),
        "clients: %d of %d requests failed (%s): the accepted connection is closed unanswered when its thread "
        "cannot start; %d ok at p50 %.2f s (= the 2-5 s upstream wait: requests that got a thread are not slowed "
        "down), %d clients held up to %s connections open"
        % (lg["errors"], lg["requests"], ", ".join("%s %d" % kv for kv in sorted(kinds.items())), lg["ok"],
           lg["latency_ok_s"].get("p50") or 0, m["lg"]["clients"], lg.get("open_connections_max")),
        "address space grows with the threads: app VSZ %s MiB idle -> %s MiB at the plateau (+%s MiB per "
        "thread: a stack of RLIMIT_STACK %s MiB each plus glibc malloc arenas), RSS only %s MiB"
        % (round(vsz0 / 1024), round(vsz1 / 1024), r1((h["app_vsz_growth_kb_per_thread"] or 0) / 1024),
           r1(stack_mib(m["limits_start"])), round((h["app_rss_kb_max"] or 0) / 1024)),
        "host tasks (sar plist-sz) %s -> %s; context switches %s/s idle -> %s/s avg (max %s) under load; the "
        "app's main thread %s voluntary switches/s (pidstat -w counts the main thread only)"
        % (h["plist_sz_baseline_max"], h["plist_sz_load_max"], r1(h["cswch_per_s_baseline_avg"], 0),
           r1(h["cswch_per_s_load_avg"], 0), r1(h["cswch_per_s_load_max"], 0), r1(h["app_cswch_per_s_load_avg"])),
        "host CPU %.1f %% busy on average during the load (max %.1f %%; run queue avg %.2f), the app %.1f %% of "
        "one CPU: the threads are waiting, not working; fds max %s of %s; disk idle (%s util avg %.2f %%); "
        "ListenOverflows +%s"
        % (L["cpu_busy_percent"].get("avg", 0), L["cpu_busy_percent"].get("max", 0), L["runq_sz"].get("avg", 0),
           h["app_cpu_pct_load_avg"] or 0, h["app_fds_max"], h["app_fd_soft_limit"], m["disk"],
           L["disk_%s" % m["disk"]]["util_percent"].get("avg", 0), h["listen_overflows_delta"]),
    ]
    remedies = [
        "bound the concurrency: serve from a fixed worker pool (ThreadPoolExecutor / a server with a maximum "
        "worker count, e.g. gunicorn gthread workers x threads) sized from Little's law (workers >= arrival "
        "rate x service time) with a bounded queue that sheds load (503) instead of one unbounded thread per "
        "keep-alive connection (socketserver.ThreadingMixIn / ThreadingHTTPServer)",
        "make the slow upstream call asynchronous (asyncio/aiohttp) or give it a timeout, so a connection does "
        "not hold a thread for seconds; close idle keep-alive connections sooner",
        "raise RLIMIT_NPROC (LimitNPROC=, limits.conf nproc; it counts all threads of the user) or the "
        "cgroup pids.max / TasksMax only with headroom above the measured peak and after bounding the "
        "thread count: a higher limit only moves the cliff",
        "alert on process thread count vs 'Max processes' and on 'can't start new thread' in the logs",
    ]
    not_cause = ["cpu-saturated", "disk-saturated", "threadpool-starvation", "fd-exhaustion",
                 "listen-queue-overflow", "event-loop-blocked", "gevent-loop-blocked"]
    checks = {
        ">= 1 'can't start new thread' in app.log": h["cant_start_new_thread_lines"] >= 1,
        "threads peak >= 95% of RLIMIT_NPROC": bool(isinstance(limit, int) and h["app_threads_max"]
                                                    and h["app_threads_max"] >= 0.95 * limit),
        "threads at the limit for >= 10 s": len(near) >= 10,
        "threads climbed (baseline <= 5)": (h["app_threads_baseline"] or 99) <= 5,
        "clients saw failures": lg["errors"] > 0,
        "clients saw successes": lg["ok"] > 0,
        "no EMFILE (fds far from their limit)": h["emfile_too_many_open_files_lines"] == 0,
        "host CPU not saturated (load busy avg < 50%)": (L["cpu_busy_percent"].get("avg") or 100) < 50,
        "no listen overflows": (h["listen_overflows_delta"] or 0) == 0,
    }
    measured = {"threads_at_limit": {"limit": limit, "seconds": len(near), "load_threads": stats(load_threads)},
                "thread_start_failures_per_second": per_second_counts(failures)}
    app_extra = {"user": m["env"].get("app_user"), "rlimit_nproc": limit}
    summary = "threads max=%s limit=%s at_limit=%ss cant_start=%s client_errors=%s ok=%s cpu_busy_avg=%s" % (
        h["app_threads_max"], limit, len(near), h["cant_start_new_thread_lines"], lg["errors"], lg["ok"],
        h["cpu_busy_pct_load_avg"])
    return "thread-exhaustion", h, secondary, remedies, not_cause, checks, measured, app_extra, summary


def stack_mib(limits):
    v = limits.get("Max stack size", (None,))[0]
    return v / 1048576.0 if isinstance(v, int) else None


def per_second_counts(times):
    out = {}
    for t in times:
        out[iso_s(t)] = out.get(iso_s(t), 0) + 1
    return out


def fd_exhaustion(m):
    h = common_headline(m)
    limit = h["app_fd_soft_limit"]
    rows = m["fds_rows"]
    at = [t for t, v in rows if isinstance(limit, int) and v >= limit]
    lg = m["lg"]["total"]
    emfile = m["times_of"](r"accept\(\) failed: \[Errno 24\] Too many open files")
    ts = m["tcp_states"]
    cw = [(t, r["server"].get("CLOSE_WAIT", 0)) for t, r in ts]
    cw_max = max((v for _, v in cw), default=None)
    cw_end = cw[-1][1] if cw else None
    fw2_max = max((r["client"].get("FIN_WAIT2", 0) for _, r in ts), default=None)
    ss = m["sockstat_rows"]
    inuse_b = m["sockstat_tcp"]["baseline"]["inuse"].get("max")
    inuse_max = max((r.get("inuse", 0) for _, r in ss), default=None)
    lqmax = m["listen_queue"]["recv_q_max"]
    ls = m["ls"]
    h.update({
        "app_fds_seconds_at_limit": len(at),
        "app_fds_first_at_limit_utc": iso_s(at[0]) if at else None,
        "app_fds_first_at_limit_s_after_load_start": seconds_since(at[0] if at else None, ls),
        "accept_emfile_errors_logged": len(emfile),
        "first_emfile_utc": iso_s(emfile[0]) if emfile else None,
        "server_close_wait_max": cw_max,
        "server_close_wait_end": cw_end,
        "client_fin_wait2_max": fw2_max,
        "sockstat_tcp_inuse_baseline_max": inuse_b,
        "sockstat_tcp_inuse_max": inuse_max,
        "ss_s_tcp_total_start": m["ss_s"].get("start", {}).get("total"),
        "ss_s_tcp_total_end": m["ss_s"].get("end", {}).get("total"),
        "client_connections_opened": lg.get("connections_opened"),
        "client_first_error_utc": lg.get("first_error_utc"),
    })
    kinds = lg.get("errors_by_kind", {})
    L = m["sar"]["load"]
    secondary = [
        "fds.log climbs by one per client connection from %s to %s = the RLIMIT_NOFILE soft limit %s "
        "(proc-limits-*.txt 'Max open files') and stays there for %d s (first at %s, %.0f s after the load started)"
        % (h["app_fds_baseline"], h["app_fds_max"], limit, len(at), h["app_fds_first_at_limit_utc"],
           h["app_fds_first_at_limit_s_after_load_start"] or 0),
        "app.log: %d x 'accept() failed: [Errno 24] Too many open files' (EMFILE, with traceback; the server "
        "retries every second), first at %s"
        % (len(emfile), h["first_emfile_utc"]),
        "the leaked fds are sockets of connections the clients already closed: server sockets in CLOSE_WAIT up to "
        "%s (%s at the end; the ~%s leaked accepted sockets plus connections the clients gave up on while they "
        "waited unaccepted; per-second TCP states of the app's port, a label input); /proc/net/sockstat TCP "
        "inuse %s -> %s; ss -s TCP total %s -> %s"
        % (cw_max, cw_end, (h["app_fds_max"] or 0) - (h["app_fds_baseline"] or 0), inuse_b, inuse_max,
           h["ss_s_tcp_total_start"], h["ss_s_tcp_total_end"]),
        "new connections complete the handshake but wait unaccepted: listen-queue.log Recv-Q up to %s (Send-Q %s; "
        "no overflow, ListenOverflows +%s)"
        % (lqmax, m["listen_queue"]["send_q_backlog"], h["listen_overflows_delta"]),
        "clients: %d of %d requests failed (%s) once the fds ran out; before that %d ok at p50 %.1f ms"
        % (lg["errors"], lg["requests"], ", ".join("%s %d" % kv for kv in sorted(kinds.items())), lg["ok"],
           (lg["latency_ok_s"].get("p50") or 0) * 1000),
        "host CPU %.1f %% busy on average during the load (max %.1f %%), app %.1f %% of one CPU, one thread "
        "(threads max %s), disk idle: nothing is slow, the process is out of descriptors"
        % (L["cpu_busy_percent"].get("avg", 0), L["cpu_busy_percent"].get("max", 0), h["app_cpu_pct_load_avg"] or 0,
           h["app_threads_max"]),
    ]
    remedies = [
        "fix the leak: close the socket when the peer hangs up (recv() == b'', errors, idle timeout) and drop it "
        "from the session registry (context managers / try-finally); CLOSE_WAIT sockets that grow without bound "
        "are always the application's missing close()",
        "then size RLIMIT_NOFILE (LimitNOFILE=, ulimit -n) above the legitimate peak (connections + files + "
        "pipes) with headroom; raising it alone only delays a leak",
        "alert on process_open_fds / process_max_fds (or ls /proc/PID/fd | wc -l vs 'Max open files') and on "
        "the CLOSE_WAIT count of the service port",
        "back off in the accept loop on EMFILE (as asyncio does) and consider a reserve fd to shed connections "
        "cleanly instead of leaving them in the listen queue",
    ]
    not_cause = ["cpu-saturated", "disk-saturated", "thread-exhaustion", "threadpool-starvation",
                 "listen-queue-overflow", "event-loop-blocked", "gevent-loop-blocked"]
    checks = {
        "EMFILE 'Too many open files' in app.log": h["emfile_too_many_open_files_lines"] > 0,
        "fds peak at the soft limit": bool(isinstance(limit, int) and h["app_fds_max"] and h["app_fds_max"] >= limit),
        "fds at the limit for >= 10 s": len(at) >= 10,
        "fds climbed (baseline <= 10)": (h["app_fds_baseline"] or 99) <= 10,
        "CLOSE_WAIT peak >= 80% of the limit": bool(cw_max and isinstance(limit, int) and cw_max >= 0.8 * limit),
        "clients saw failures": lg["errors"] > 0,
        "clients saw successes": lg["ok"] > 0,
        "no 'can't start new thread'": h["cant_start_new_thread_lines"] == 0,
        "host CPU not saturated (load busy avg < 50%)": (L["cpu_busy_percent"].get("avg") or 100) < 50,
        "no listen overflows": (h["listen_overflows_delta"] or 0) == 0,
    }
    measured = {"fds_at_limit": {"limit": limit, "seconds": len(at)},
                "emfile_per_second": per_second_counts(emfile),
                "server_close_wait_per_second": {iso_s(t): v for t, v in cw}}
    app_extra = {"rlimit_nofile": limit}
    summary = "fds max=%s limit=%s at_limit=%ss emfile=%s close_wait_max=%s client_errors=%s ok=%s" % (
        h["app_fds_max"], limit, len(at), h["emfile_too_many_open_files_lines"], cw_max, lg["errors"], lg["ok"])
    return "fd-exhaustion", h, secondary, remedies, not_cause, checks, measured, app_extra, summary


def busy_healthy(m):
    h = common_headline(m)
    lg = m["lg"]["total"]
    L = m["sar"]["load"]
    am = [r for t, r in m["app_metrics"] if in_win(t, m["load_win"]) and "error" not in r]
    qd = [r.get("threadpool_queue_depth") for r in am]
    aw = [r.get("threadpool_active_workers") for r in am]
    inf = [r.get("http_requests_in_flight") for r in am]
    pth = [r.get("process_threads") for r in am]
    maxw = next((r.get("threadpool_max_workers") for r in am if r.get("threadpool_max_workers")), None)
    qwait = dur = None
    if len(am) >= 2:
        a, b = am[0], am[-1]
        n = (b.get("threadpool_queue_wait_seconds_count") or 0) - (a.get("threadpool_queue_wait_seconds_count") or 0)
        if n > 0:
            qwait = ((b["threadpool_queue_wait_seconds_sum"] - a["threadpool_queue_wait_seconds_sum"]) / n)
            dur = ((b["http_request_duration_seconds_sum"] - a["http_request_duration_seconds_sum"]) / n)
    h.update({
        "threadpool_max_workers": maxw,
        "threadpool_queue_depth_load_max": max(qd) if qd else None,
        "threadpool_queue_depth_load_avg": r1(sum(qd) / len(qd), 3) if qd else None,
        "threadpool_active_workers_load_avg": r1(sum(aw) / len(aw), 2) if aw else None,
        "threadpool_active_workers_load_max": max(aw) if aw else None,
        "http_requests_in_flight_load_max": max(inf) if inf else None,
        "process_threads_metric_max": max(pth) if pth else None,
        "threadpool_queue_wait_mean_ms": r1(qwait * 1000, 2) if qwait is not None else None,
        "http_request_duration_mean_ms": r1(dur * 1000, 1) if dur is not None else None,
        "app_metrics_samples_load": len(am),
    })
    kinds = lg.get("errors_by_kind", {})
    secondary = [
        "host CPU busy p50 %.1f %% / p95 %.1f %% / max %.1f %% during the load (avg %.1f %%, user %.1f %%, system "
        "%.1f %%); the app used %.0f %% of one CPU on average (zlib/hashlib release the GIL, so both CPUs work)"
        % (L["cpu_busy_percent"].get("p50", 0), L["cpu_busy_percent"].get("p95", 0),
           L["cpu_busy_percent"].get("max", 0), L["cpu_busy_percent"].get("avg", 0),
           L["cpu_all_percent"]["usr"].get("avg", 0), L["cpu_all_percent"]["sys"].get("avg", 0),
           h["app_cpu_pct_load_avg"] or 0),
        "some CPU contention, as on any busy host: run queue avg %.2f (p50 %s, p95 %s; runnable tasks including the "
        "running ones, on %d CPUs) and PSI cpu some avg10 %.1f %% on average (max %.1f %%) while workers' bursts "
        "overlap, but busy never reached 90 %% and nothing waits in the application"
        % (L["runq_sz"].get("avg", 0), L["runq_sz"].get("p50"), L["runq_sz"].get("p95"), m["ncpu"],
           L["psi_cpu_some_avg10"].get("avg", 0), L["psi_cpu_some_avg10"].get("max", 0)),
        "clients: %d requests, %d errors%s, %.1f req/s; latency p50 %.1f ms, p99 %.1f ms, max %.1f ms (work + "
        "10-30 ms upstream): flat, no timeouts"
        % (lg["requests"], lg["errors"], (" (%s)" % ", ".join("%s %d" % kv for kv in sorted(kinds.items())))
           if kinds else "", lg["achieved_rps_ok"], (lg["latency_ok_s"].get("p50") or 0) * 1000,
           (lg["latency_ok_s"].get("p99") or 0) * 1000, (lg["latency_ok_s"].get("max") or 0) * 1000),
        "the pool is not the limit: threadpool_active_workers avg %s, max %s of threadpool_max_workers %s; "
        "threadpool_queue_depth max %s; mean queue wait %s ms (app /metrics polled every second)"
        % (h["threadpool_active_workers_load_avg"], h["threadpool_active_workers_load_max"], maxw,
           h["threadpool_queue_depth_load_max"], h["threadpool_queue_wait_mean_ms"]),
        "threads at most %s (pool threads start on demand, up to the pool size), fds %s of %s; no errors in "
        "app.log (%d ERROR lines); disk idle (%s util avg %.2f %%); ListenOverflows +%s"
        % (h["app_threads_max"], h["app_fds_max"], h["app_fd_soft_limit"], m["app_log"]["error_lines"], m["disk"],
           L["disk_%s" % m["disk"]]["util_percent"].get("avg", 0), h["listen_overflows_delta"]),
    ]
    remedies = ["none"]
    not_cause = ["cpu-saturated", "threadpool-starvation", "thread-exhaustion", "fd-exhaustion",
                 "listen-queue-overflow", "disk-saturated", "event-loop-blocked", "gevent-loop-blocked"]
    p50 = L["cpu_busy_percent"].get("p50") or 0
    checks = {
        "host CPU busy p50 >= 40%": p50 >= 40,
        "host CPU busy p50 <= 85% (busy, not saturated)": p50 <= 85,
        "host CPU busy max < 90%": (L["cpu_busy_percent"].get("max") or 100) < 90,
        "zero client errors": lg["errors"] == 0,
        "clients served (>= 1000 ok)": lg["ok"] >= 1000,
        "latency p99 < 0.5 s": (lg["latency_ok_s"].get("p99") or 99) < 0.5,
        "pool never queued (queue depth max <= 2) or no metrics": (not qd) or max(qd) <= 2,
        "no 'can't start new thread' / EMFILE": h["cant_start_new_thread_lines"] == 0
        and h["emfile_too_many_open_files_lines"] == 0,
        "no listen overflows": (h["listen_overflows_delta"] or 0) == 0,
    }
    measured = {"app_metrics_load": {"threadpool_queue_depth": stats(qd), "threadpool_active_workers": stats(aw),
                                     "http_requests_in_flight": stats(inf), "process_threads": stats(pth)}}
    app_extra = {}
    summary = "cpu_busy p50=%s p95=%s requests=%s errors=%s p99=%s queue_depth_max=%s active_max=%s" % (
        L["cpu_busy_percent"].get("p50"), L["cpu_busy_percent"].get("p95"), lg["requests"], lg["errors"],
        lg["latency_ok_s"].get("p99"), h["threadpool_queue_depth_load_max"], h["threadpool_active_workers_load_max"])
    return "healthy", h, secondary, remedies, not_cause, checks, measured, app_extra, summary


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", required=True, choices=SCENARIOS)
    ap.add_argument("--sample", required=True, help="captured folder")
    ap.add_argument("--inputs", required=True, help="label inputs folder (run.env, loadgen.json, ...)")
    ap.add_argument("--out", required=True, help="label JSON to write")
    ap.add_argument("--pidstat-all", default=None,
                    help="`pidstat -u -l 1 N` of all processes; writes <inputs>/host-cpu.json (else it is read)")
    ap.add_argument("--max-other-cpu", type=float, default=None,
                    help="with --check: exit 2 if other processes used more than this %% of the host CPU "
                         "(average over the lead-in, the load or the tail, whichever is highest)")
    ap.add_argument("--check", action="store_true", help="exit 1 unless the mechanism shows cleanly")
    args = ap.parse_args()

    m = measure(args)
    env = m["env"]
    build = {"thread-exhaustion": thread_exhaustion, "fd-exhaustion": fd_exhaustion,
             "busy-healthy": busy_healthy}[args.scenario]
    primary, headline, secondary, remedies, not_cause, checks, extra_measured, app_extra, summary = build(m)

    other = m["other"]
    if other:
        secondary.append("other processes on the host used %.1f %% of the host CPU on average during the load "
                         "(pidstat of all processes, not in the folder)"
                         % other["load"]["other_processes_cpu_pct_of_host"].get("avg", 0))
    pids = {k[4:]: int(v) for k, v in env.items() if k.startswith("pid.") and v.isdigit()}
    commands = {k[4:]: (["sh", "-c", v] if "|" in v else shlex.split(v))
                for k, v in env.items() if k.startswith("cmd.")}
    app = {"name": env.get("app_name"), "pid": pids.get("app"), "port": int(env["port"]),
           "metrics_url": env.get("metrics_url")}
    app.update(app_extra)
    lg = m["lg"]
    label = {
        "scenario_id": env.get("scenario_id", args.scenario),
        "description": env.get("description", ""),
        "window": {"start_utc": env["window_start_utc"], "end_utc": env["window_end_utc"],
                   "duration_s": round((m["we"] - m["ws"]).total_seconds(), 1)},
        "phases": [
            {"name": "lead-in", "start_utc": env["window_start_utc"], "end_utc": env["load_start_utc"]},
            {"name": "load", "start_utc": env["load_start_utc"], "end_utc": env["load_end_utc"],
             "exit_code": int(env.get("load_exit_code", "-1"))},
            {"name": "tail", "start_utc": env["load_end_utc"], "end_utc": env["window_end_utc"]},
        ],
        "app": app,
        "pids": pids,
        "ground_truth": {
            "primary_bottleneck": primary,
            "secondary_signals": secondary,
            "remedies": remedies,
            "not_the_cause": not_cause,
        },
        "headline": headline,
        "measured": dict({
            "measurement_windows_utc": {
                "window": [iso_s(floor_s(m["ws"])), iso_s(floor_s(m["we"]))],
                "baseline": [iso_s(m["base_win"][0]), iso_s(m["base_win"][1])],
                "load": [iso_s(m["load_win"][0]), iso_s(m["load_win"][1])],
                "tail": [iso_s(m["tail_win"][0]), iso_s(m["tail_win"][1])],
            },
            "sar": m["sar"],
            "iostat_%s" % m["disk"]: m["iostat"],
            "app_pidstat": m["pidstat_app"],
            "app_threads": m["threads"],
            "app_fds": m["fds"],
            "app_limits_start": {k: list(v) for k, v in m["limits_start"].items()
                                 if k in ("Max processes", "Max open files", "Max stack size", "Max address space")},
            "sockstat_tcp": m["sockstat_tcp"],
            "listen_queue": m["listen_queue"],
            "ss_s": m["ss_s"],
            "host_settings": m["sysctls"],
            "app_log": m["app_log"],
            "host_processes_pidstat": other,
            "netstat_delta_window": m["netstat_delta"],
            "loadgen": {k: v for k, v in lg.items() if k != "timeline"},
        }, **extra_measured),
        "commands": commands,
        "notes": env.get("notes", []) + ([
            "other processes on the host (not part of the capture) used %.1f %% of the host CPU on average during "
            "the load (max %.1f %%); top: %s"
            % (other["load"]["other_processes_cpu_pct_of_host"].get("avg", 0),
               other["load"]["other_processes_cpu_pct_of_host"].get("max", 0),
               ", ".join("%s %.1f s" % kv for kv in list(other["top_other_commands_cpu_seconds"].items())[:3])
               or "none")] if other else []),
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(label, f, indent=2)
        f.write("\n")

    for k, v in checks.items():
        print("%s %s" % ("PASS" if v else "FAIL", k))
    oth = m["other_phase_max_avg"]
    if oth is not None:
        print("%s other processes on the host used %.1f %% of the host CPU on average during the load (%.1f %% in "
              "the worst phase of lead-in / load / tail)" % ("OK  " if oth < 5 else "WARN", m["other_load_avg"], oth))
    print("headline: " + summary)
    if args.check and args.max_other_cpu is not None and oth is not None and oth > args.max_other_cpu:
        sys.exit(2)  # contaminated by other work on the host: re-run (takes precedence over FAILs)
    if args.check and not all(checks.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
