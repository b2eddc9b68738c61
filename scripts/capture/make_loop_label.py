#!/usr/bin/env python3
"""Build the ground-truth label of a loop-blocked capture from what the capture itself measured.

For the two captures where one event loop is stalled by a blocking call while the CPU idles:

  event-loop-blocked   asyncio (aiohttp) app in debug mode, sync upstream call inside a coroutine
  gevent-loop-blocked  gunicorn -k gevent with the gevent monitor thread, blocking C-level call

(the scenario is `scenario_id` in the run record). Reads the captured folder (sadf-A.json.gz,
iostat-x.json, pidstat-app.txt, threads.log, fds.log, listen-queue.log, proc-net-*, lag.csv,
app.log or app.log.gz), the load generator's JSON summary (keepalive_load.py) and the
orchestrator's run record (run.env), and writes a label in the shape of
/work/shared/host-samples/labels/<folder>.json. Nothing in the headline is typed by hand.

With --check it also verifies that the mechanism shows: enough slow-callback warnings or
gevent blocking reports during the load (and next to none before it), loop lag p99 >= 100 ms
during the load and low before it, the host CPU not saturated (busy p95 < 60 %), the disk idle,
clients served; exit 1 when it does not, 2 when other processes on the host used more than
--max-other-cpu % of the CPU during the load.
"""

import argparse
import json
import os
import re
import shlex
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone

from make_label import (OURS, ceil_s, floor_s, host_cpu_from_pidstat, in_win, iostat_block, iso_s, load_iostat,
                        load_sadf, netstat_deltas, open_maybe_gz, parse_iso, per_second_log, pidstat_rows,
                        read_env, sar_block, series_summary, stats)

LOOP_OURS = OURS + ("asyncio_blocking_app.py", "keepalive_load.py", "slow_upstream.py", "make_loop_label.py",
                    "gunicorn", "gevent_blocking_app", "event-loop-blocked.sh", "gevent-loop-blocked.sh")

SCENARIOS = ("event-loop-blocked", "gevent-loop-blocked")


def pct(values, p):
    """Nearest-rank percentile (the load generator's definition)."""
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(round(p / 100.0 * (len(v) - 1)))))]


def dist(values, nd=4):
    if not values:
        return {"samples": 0}
    return {"samples": len(values), "p50": round(pct(values, 50), nd), "p90": round(pct(values, 90), nd),
            "p95": round(pct(values, 95), nd), "p99": round(pct(values, 99), nd), "max": round(max(values), nd),
            "mean": round(sum(values) / len(values), nd)}


def read_lag(folder):
    """lag.csv -> [(utc datetime, lag seconds)]."""
    rows = []
    with open_maybe_gz(folder, "lag.csv") as f:
        for raw in f:
            line = raw.decode("utf-8", "replace").strip()
            parts = line.split(",")
            if len(parts) != 3 or parts[0] == "utc_iso":
                continue
            try:
                rows.append((parse_iso(parts[0]), float(parts[2])))
            except ValueError:
                pass
    return rows


PY_LOG = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (\w+) (\S+) \[(\d+):([^\]]*)\] (.*)$")
SLOW_CB = re.compile(r"Executing (?P<handle>.+) took (?P<seconds>\d+\.\d{3}) seconds")
GEVENT_BLOCKED = re.compile(r"^(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) : Greenlet (?P<greenlet>.+) appears to be blocked")
FRAME = re.compile(r'^\s+File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<func>\S+)')
GUNICORN = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) ([+-]\d{4})\] \[(\d+)\] \[(\w+)\] (.*)$")
STATS = re.compile(r"stats requests=(\d+) blocking_calls=(\d+) errors=(\d+)")


def parse_app_log(folder):
    with open_maybe_gz(folder, "app.log") as f:
        lines = f.read().decode("utf-8", "replace").splitlines()
    out = {"lines": len(lines), "slow_callbacks": [], "gevent_reports": [], "gunicorn": [], "py": [],
           "tracebacks": 0, "stats_last_by_pid": {}}
    i = 0
    while i < len(lines):
        line = lines[i]
        if "Traceback (most recent call last):" in line:
            out["tracebacks"] += 1
        m = PY_LOG.match(line)
        if m:
            t = parse_iso(m.group(1))
            out["py"].append((t, m.group(2), m.group(3), int(m.group(4)), m.group(6)))
            s = SLOW_CB.search(m.group(6))
            if s:
                out["slow_callbacks"].append((t, float(s.group("seconds")), s.group("handle")))
            st = STATS.search(m.group(6))
            if st:
                out["stats_last_by_pid"][m.group(4)] = {"requests": int(st.group(1)),
                                                        "blocking_calls": int(st.group(2)),
                                                        "errors": int(st.group(3))}
            i += 1
            continue
        g = GUNICORN.match(line)
        if g:
            t = datetime.strptime(g.group(1) + " " + g.group(2), "%Y-%m-%d %H:%M:%S %z").astimezone(timezone.utc)
            out["gunicorn"].append((t, int(g.group(3)), g.group(4), g.group(5)))
            i += 1
            continue
        b = GEVENT_BLOCKED.match(line)
        if b:
            t = parse_iso(b.group("ts"))
            # The blocked stack: the frames after "Blocked Stack (for thread id ...):" up to "Info:".
            frames, j = [], i + 1
            while j < len(lines) and not lines[j].startswith("Blocked Stack"):
                j += 1
            j += 1
            while j < len(lines) and lines[j].strip() != "Info:" and not GEVENT_BLOCKED.match(lines[j]):
                fm = FRAME.match(lines[j])
                if fm:
                    code = lines[j + 1].strip() if j + 1 < len(lines) else ""
                    frames.append((os.path.basename(fm.group("file")), int(fm.group("line")), fm.group("func"), code))
                j += 1
            out["gevent_reports"].append((t, b.group("greenlet"), frames))
            i = j
            continue
        i += 1
    return out


def frame_str(fr):
    return "%s:%d in %s: %s" % fr if fr else None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sample", required=True, help="captured folder")
    ap.add_argument("--run-env", required=True, help="orchestrator's run record (key=value lines)")
    ap.add_argument("--loadgen", required=True, help="keepalive_load.py JSON summary")
    ap.add_argument("--out", required=True, help="label JSON to write")
    ap.add_argument("--pidstat-all", default=None, help="`pidstat -u -l 1 N` of all processes")
    ap.add_argument("--host-cpu-out", default=None, help="with --pidstat-all: write the per-second CPU split here")
    ap.add_argument("--host-cpu", default=None, help="read that derived JSON instead of --pidstat-all")
    ap.add_argument("--max-other-cpu", type=float, default=None,
                    help="with --check: exit 2 if other processes used more than this %% of the host CPU")
    ap.add_argument("--check", action="store_true", help="exit 1 unless the mechanism shows cleanly")
    args = ap.parse_args()

    env = read_env(args.run_env)
    scenario = env.get("scenario_id")
    if scenario not in SCENARIOS:
        sys.exit("scenario_id %r is not one of %s" % (scenario, ", ".join(SCENARIOS)))
    is_gevent = scenario == "gevent-loop-blocked"
    folder = args.sample
    disk = env.get("disk", "vda")
    port = int(env["port"])
    tick = float(env.get("lag_interval_s", "0.1"))
    ws, we = parse_iso(env["window_start_utc"]), parse_iso(env["window_end_utc"])
    ls, le = parse_iso(env["load_start_utc"]), parse_iso(env["load_end_utc"])
    base_win = (ceil_s(ws), floor_s(ls))
    load_win = (floor_s(ls) + timedelta(seconds=1), floor_s(le))
    tail_win = (floor_s(le) + timedelta(seconds=1), floor_s(we))
    wins = {"baseline": base_win, "load": load_win, "tail": tail_win}
    # Sub-second events (log lines, lag ticks) are placed by their exact time.
    exact = {"baseline": (ws, ls), "load": (ls, le), "tail": (le, we)}

    def phase_of(t):
        for name, (a, b) in exact.items():
            if a <= t < b:
                return name
        return "outside_window"

    # ---- sysstat ---------------------------------------------------------------------------
    sadf, recs = load_sadf(folder)
    sar = {name: sar_block(recs, w, disk) for name, w in wins.items()}
    busy = {name: [round(100.0 - next(c for c in s["cpu-load"] if c["cpu"] == "all")["idle"], 2)
                   for t, s in recs if in_win(t, w)] for name, w in wins.items()}
    busy_dist = {name: dist(v, 2) for name, v in busy.items()}
    io_rows = load_iostat(folder, disk)
    iostat = {name: iostat_block(io_rows, w) for name, w in wins.items()}

    # ---- sampled process -------------------------------------------------------------------
    threads = series_summary(per_second_log(os.path.join(folder, "threads.log")), base_win, load_win)
    fds = series_summary(per_second_log(os.path.join(folder, "fds.log")), base_win, load_win)
    nofile = None
    with open(os.path.join(folder, "proc-limits-start.txt")) as f:
        for line in f:
            if line.startswith("Max open files"):
                nofile = int(line.split()[3])
    fds["rlimit_nofile_soft"] = nofile
    prow = pidstat_rows(os.path.join(folder, "pidstat-app.txt"))
    app_pidstat = {name: {k: stats([r.get(c) for t, r in prow if in_win(t, w)])
                          for k, c in (("cpu_percent", "%CPU"), ("usr_percent", "%usr"), ("system_percent", "%system"),
                                       ("cswch_per_s", "cswch/s"), ("nvcswch_per_s", "nvcswch/s"), ("rss_kb", "RSS"))}
                   for name, w in wins.items()}

    lq = []
    with open(os.path.join(folder, "listen-queue.log")) as f:
        for line in f:
            p = line.split()
            if len(p) >= 5 and p[2] == "LISTEN":
                t = datetime.strptime(p[0] + " " + p[1], "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
                lq.append((t, int(p[3]), int(p[4])))
    listen_queue = {"port": port, "samples": len(lq), "send_q": sorted({s for _, _, s in lq}),
                    "recv_q_max": max((r for _, r, _ in lq), default=None),
                    "seconds_recv_q_gt_0": sum(1 for _, r, _ in lq if r > 0)}
    netstat_delta = netstat_deltas(folder)

    # ---- lag.csv ---------------------------------------------------------------------------
    lag = read_lag(folder)
    lag_by = {name: [v for t, v in lag if phase_of(t) == name] for name in exact}
    lag_dist = {name: dist(v) for name, v in lag_by.items()}
    stalls = {name: sum(1 for v in vals if v >= 0.1) for name, vals in lag_by.items()}
    load_span = max(1e-9, (le - ls).total_seconds())
    lag_info = {
        "file": "lag.csv", "tick_s": tick, "rows": len(lag),
        "first_utc": iso_s(lag[0][0]) if lag else None, "last_utc": iso_s(lag[-1][0]) if lag else None,
        **lag_dist,
        "ticks_late_ge_100ms": stalls,
        "load_lag_seconds_total": round(sum(lag_by["load"]), 3),
        "load_share_of_time_lost_to_late_ticks": round(sum(lag_by["load"]) / load_span, 3),
        "load_max_at_utc": iso_s(max((x for x in lag if phase_of(x[0]) == "load"), key=lambda x: x[1])[0])
        if lag_by["load"] else None,
    }

    # ---- app.log ---------------------------------------------------------------------------
    app_log_name = "app.log.gz" if os.path.exists(os.path.join(folder, "app.log.gz")) and not os.path.exists(
        os.path.join(folder, "app.log")) else "app.log"
    al = parse_app_log(folder)
    slow = al["slow_callbacks"]
    slow_by = {name: [s for t, s, _ in slow if phase_of(t) == name] for name in list(exact) + ["outside_window"]}
    coro = Counter()
    for _, _, h in slow:
        m = re.search(r"coro=<([\w.]+)\(", h)
        coro[m.group(1) if m else h.split(" ")[0]] += 1
    asyncio_info = {
        "slow_callback_warnings": len(slow),
        "by_phase": {k: len(v) for k, v in slow_by.items()},
        "seconds_load": dist(slow_by["load"], 3),
        "seconds_all": dist([s for _, s, _ in slow], 3),
        "blocked_seconds_reported_load": round(sum(slow_by["load"]), 3),
        "by_coroutine": dict(coro.most_common(5)),
        "example": ("%s WARNING asyncio Executing %s took %.3f seconds" % (iso_s(slow[0][0]), slow[0][2], slow[0][1]))
        if slow else None,
    }
    reps = al["gevent_reports"]
    rep_by = Counter(phase_of(t) for t, _, _ in reps)
    innermost = Counter(frame_str(fr[-1]) if fr else None for _, _, fr in reps)
    app_frames = Counter()
    for _, _, fr in reps:
        mine = [x for x in fr if x[0] == "gevent_blocking_app.py"]
        app_frames[" <- ".join(frame_str(x) for x in reversed(mine)) if mine else None] += 1
    greenlet_fn = Counter()
    for _, g, _ in reps:
        m = re.search(r": ([\w.]+)\(", g)
        greenlet_fn[m.group(1) if m else g[:60]] += 1
    gunicorn = al["gunicorn"]
    gmsg = [x[3] for x in gunicorn]
    booted = [int(m.group(1)) for m in (re.search(r"Booting worker with pid: (\d+)", s) for s in gmsg) if m]
    gevent_info = {
        "appears_blocked_reports": len(reps),
        "by_phase": dict(rep_by),
        "per_load_second": round(rep_by.get("load", 0) / load_span, 3),
        "innermost_blocked_frame": dict(innermost.most_common(3)),
        "app_frames_in_blocked_stack": dict(app_frames.most_common(3)),
        "blocked_greenlet_function": dict(greenlet_fn.most_common(3)),
        "report_time_resolution": "1 s (gevent prints gmctime(): %Y-%m-%dT%H:%M:%SZ)",
    } if is_gevent else None
    gunicorn_info = {
        "lines": len(gunicorn),
        "version": next((m.group(1) for m in (re.search(r"Starting gunicorn (\S+)", s) for s in gmsg) if m), None),
        "worker_class": next((m.group(1) for m in (re.search(r"Using worker: (\S+)", s) for s in gmsg) if m), None),
        "booted_worker_pids": booted,
        "worker_timeouts": sum(1 for s in gmsg if "WORKER TIMEOUT" in s),
        "worker_exits": sum(1 for s in gmsg if re.search(r"Worker \(pid:\d+\) (exited|was sent)", s)),
    } if is_gevent else None
    py = al["py"]
    app_log = {
        "file": app_log_name, "lines": al["lines"],
        "python_logging_lines": len(py),
        "warning_lines": sum(1 for x in py if x[1] == "WARNING"),
        "error_lines": sum(1 for x in py if x[1] in ("ERROR", "CRITICAL")),
        "tracebacks": al["tracebacks"],
        "upstream_failures": sum(1 for x in py if "upstream call failed" in x[4]),
        "app_stats_last_by_pid": al["stats_last_by_pid"],
        "asyncio_slow_callback_warnings": len(slow),
        "gevent_appears_blocked_reports": len(reps),
        "gunicorn_worker_timeouts": gunicorn_info["worker_timeouts"] if gunicorn_info else 0,
        "emfile_too_many_open_files_lines": sum(1 for x in py if "Too many open files" in x[4]),
        "cant_start_new_thread_lines": sum(1 for x in py if "can't start new thread" in x[4]),
    }
    blocking_calls = sum(v["blocking_calls"] for v in al["stats_last_by_pid"].values())
    app_requests = sum(v["requests"] for v in al["stats_last_by_pid"].values())

    # ---- load generator --------------------------------------------------------------------
    with open(args.loadgen) as f:
        lg = json.load(f)
    tot = lg["total"]

    # ---- other processes on the host --------------------------------------------------------
    other = None
    host_cpu = None
    if args.pidstat_all and os.path.exists(args.pidstat_all):
        pids_env = dict(env)
        host_cpu = host_cpu_from_pidstat(args.pidstat_all, pids_env,
                                         sadf["sysstat"]["hosts"][0].get("number-of-cpus", 1) or 1,
                                         [t for t, _ in recs], ours=LOOP_OURS)
        if args.host_cpu_out:
            with open(args.host_cpu_out, "w") as f:
                json.dump(host_cpu, f, indent=1)
                f.write("\n")
    elif args.host_cpu and os.path.exists(args.host_cpu):
        with open(args.host_cpu) as f:
            host_cpu = json.load(f)
    if host_cpu:
        per_sec = {parse_iso(k): v for k, v in host_cpu["per_second"].items()}

        def blk(w):
            sel = [v for t, v in per_sec.items() if in_win(t, w)]
            return {"capture_processes_cpu_pct_of_host": stats([round(a, 2) for a, _ in sel]),
                    "other_processes_cpu_pct_of_host": stats([round(b, 2) for _, b in sel])}
        other = {"baseline": blk(base_win), "load": blk(load_win), "window": blk((ceil_s(ws), floor_s(we))),
                 "top_other_commands_cpu_seconds": dict(sorted(host_cpu["other_commands_cpu_seconds"].items(),
                                                               key=lambda kv: -kv[1])[:8])}
    oth = (other or {}).get("load", {}).get("other_processes_cpu_pct_of_host", {})

    # ---- headline ----------------------------------------------------------------------------
    L, B = sar["load"], sar["baseline"]
    dk = L["disk_%s" % disk]
    ap_load = app_pidstat["load"]
    headline = {
        "cpu_busy_pct_load_avg": L["cpu_busy_percent"].get("avg"),
        "cpu_busy_pct_load_p95": busy_dist["load"].get("p95"),
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
        "app_cpu_pct_load_avg": ap_load["cpu_percent"].get("avg"),
        "app_cpu_pct_load_max": ap_load["cpu_percent"].get("max"),
        "app_threads_baseline": threads.get("baseline", {}).get("max"),
        "app_threads_max": threads.get("max"),
        "app_fds_baseline": fds.get("baseline", {}).get("max"),
        "app_fds_max": fds.get("max"),
        "app_fd_soft_limit": nofile,
        "lag_tick_s": tick,
        "lag_p50_s_load": lag_dist["load"].get("p50"),
        "lag_p99_s_load": lag_dist["load"].get("p99"),
        "lag_max_s_load": lag_dist["load"].get("max"),
        "lag_p99_s_baseline": lag_dist["baseline"].get("p99"),
        "lag_ticks_late_ge_100ms_load": stalls["load"],
        "asyncio_slow_callback_warnings": len(slow),
        "asyncio_slow_callback_warnings_load": len(slow_by["load"]),
        "asyncio_slow_callback_warnings_baseline": len(slow_by["baseline"]),
        "asyncio_slow_callback_seconds_p50_load": asyncio_info["seconds_load"].get("p50"),
        "asyncio_slow_callback_seconds_max": asyncio_info["seconds_all"].get("max"),
        "gevent_appears_blocked_reports": len(reps),
        "gevent_appears_blocked_reports_load": rep_by.get("load", 0),
        "gevent_appears_blocked_reports_baseline": rep_by.get("baseline", 0),
        "gevent_blocked_frame": innermost.most_common(1)[0][0] if reps else None,
        "gunicorn_workers_booted": len(booted) if is_gevent else None,
        "gunicorn_worker_timeouts": gunicorn_info["worker_timeouts"] if gunicorn_info else None,
        "app_blocking_calls": blocking_calls,
        "app_requests": app_requests,
        "emfile_too_many_open_files_lines": app_log["emfile_too_many_open_files_lines"],
        "cant_start_new_thread_lines": app_log["cant_start_new_thread_lines"],
        "listen_overflows_delta": netstat_delta.get("TcpExt.ListenOverflows"),
        "listen_drops_delta": netstat_delta.get("TcpExt.ListenDrops"),
        "listen_queue_recv_q_max": listen_queue["recv_q_max"],
        "client_load_requests": tot["requests"],
        "client_load_ok": tot["ok"],
        "client_load_errors": tot["errors"],
        "client_load_errors_by_kind": tot["errors_by_kind"],
        "client_load_rps": tot["achieved_rps_ok"],
        "client_load_target_rps": lg.get("target_rps"),
        "client_load_latency_ok_p50_s": tot["latency_ok_s"].get("p50"),
        "client_load_latency_ok_p99_s": tot["latency_ok_s"].get("p99"),
        "client_load_latency_ok_max_s": tot["latency_ok_s"].get("max"),
        "other_processes_cpu_pct_load_avg": oth.get("avg"),
        "other_processes_cpu_pct_load_max": oth.get("max"),
        "iostat_%s_w_await_ms_load_avg" % disk: iostat["load"]["w_await"].get("avg"),
        "iostat_%s_r_await_ms_load_avg" % disk: iostat["load"]["r_await"].get("avg"),
        "iostat_%s_aqu_sz_load_avg" % disk: iostat["load"]["aqu-sz"].get("avg"),
    }
    if not is_gevent:
        for k in [k for k in headline if k.startswith("gevent_") or k.startswith("gunicorn_")]:
            del headline[k]

    # ---- secondary signals (from the numbers above) -------------------------------------------
    ld, bd = lag_dist["load"], lag_dist["baseline"]
    other_txt = ("%.1f %%" % oth["avg"]) if oth.get("avg") is not None else "n/a (not measured)"
    cpu_txt = ("host CPU busy %.1f %% on average during the load (p95 %.1f %%, max %.1f %%; other processes on "
               "the host %s of it); the %s used %.1f %% of one CPU on average (max %.1f %%): the loop is stuck "
               "waiting, not computing; runq-sz avg %.2f, no iowait (%.2f %%), disk idle (%s util avg %.2f %%)"
               % (L["cpu_busy_percent"].get("avg", 0), busy_dist["load"].get("p95", 0),
                  L["cpu_busy_percent"].get("max", 0), other_txt,
                  "sampled worker" if is_gevent else "app", ap_load["cpu_percent"].get("avg") or 0,
                  ap_load["cpu_percent"].get("max") or 0, L["runq_sz"].get("avg") or 0,
                  L["cpu_all_percent"]["iowait"].get("avg") or 0, disk, dk["util_percent"].get("avg") or 0))
    lag_txt = ("%s (%.0f ms ticker, lag.csv): p50 %.1f ms, p99 %.0f ms, max %.0f ms during the load vs p99 %.1f ms "
               "in the lead-in; %d of %d ticks woke >= 100 ms late"
               % ("the worker's gevent.sleep() ticker" if is_gevent else "event-loop lag",
                  tick * 1000, (ld.get("p50") or 0) * 1000, (ld.get("p99") or 0) * 1000, (ld.get("max") or 0) * 1000,
                  (bd.get("p99") or 0) * 1000, stalls["load"], ld.get("samples", 0)))
    client_txt = ("clients (%d keep-alive connections, %.1f req/s offered): %d ok, %d failed; latency p50 %.1f ms "
                  "but p99 %.0f ms and max %.0f ms: requests that never block wait behind the ones that do"
                  % (lg.get("clients", 0), lg.get("target_rps") or 0, tot["ok"], tot["errors"],
                     (tot["latency_ok_s"].get("p50") or 0) * 1000, (tot["latency_ok_s"].get("p99") or 0) * 1000,
                     (tot["latency_ok_s"].get("max") or 0) * 1000))
    flat_txt = ("%s threads flat at %s (max), fds max %s; listen queue Recv-Q max %s; TcpExt ListenOverflows +%s: "
                "no thread, fd or accept-queue shortage"
                % ("worker" if is_gevent else "app", threads.get("max"), fds.get("max"), listen_queue["recv_q_max"],
                   netstat_delta.get("TcpExt.ListenOverflows")))
    if not is_gevent:
        secondary = [
            "app.log: %d asyncio debug-mode warnings 'Executing <Task ... coro=<%s() ...> took N.NNN seconds' "
            "(slow_callback_duration %s s): %d during the load (took p50 %.3f s, max %.3f s), %d in the lead-in"
            % (len(slow), (coro.most_common(1)[0][0] if coro else "?"), env.get("slow_callback_duration_s", "0.1"),
               len(slow_by["load"]), asyncio_info["seconds_load"].get("p50") or 0,
               asyncio_info["seconds_all"].get("max") or 0, len(slow_by["baseline"])),
            lag_txt,
            "the app's own counters: %d of %d requests made the synchronous upstream call on the loop"
            % (blocking_calls, app_requests),
            client_txt,
            cpu_txt,
            flat_txt + "; one thread: the blocking call runs on the loop's thread (no executor)",
        ]
    else:
        secondary = [
            "%s: %d gevent monitor-thread reports 'Greenlet ... appears to be blocked' (max_blocking_time %s s), "
            "%d during the load (%.2f per second), %d in the lead-in; the blocked stack ends in %s"
            % (app_log_name, len(reps), env.get("max_blocking_time_s", "0.1"), rep_by.get("load", 0),
               gevent_info["per_load_second"], rep_by.get("baseline", 0),
               innermost.most_common(1)[0][0] if reps else "?"),
            "gunicorn %s, worker class %s, %d workers booted (pids %s), %d WORKER TIMEOUT lines (blocks are far "
            "shorter than the 30 s timeout)"
            % (gunicorn_info["version"], gunicorn_info["worker_class"], len(booted),
               ", ".join(map(str, booted)), gunicorn_info["worker_timeouts"]),
            lag_txt + " (first worker only)",
            "the app's own counters (both workers): %d of %d requests made the blocking call" % (blocking_calls,
                                                                                             app_requests),
            client_txt,
            cpu_txt,
            flat_txt + "; the worker's 2nd thread is gevent's monitor thread",
        ]

    if not is_gevent:
        remedies = [
            "take the blocking call off the event loop: use an async client (aiohttp.ClientSession / httpx.AsyncClient) "
            "with a timeout, or, for a call that must stay synchronous, `await asyncio.to_thread(...)` / "
            "`loop.run_in_executor(executor, ...)` with a bounded executor sized for the upstream's latency",
            "keep the detection on in staging/canary: asyncio debug mode (PYTHONASYNCIODEBUG=1) with "
            "loop.slow_callback_duration ~0.1 s, and an event-loop lag metric (e.g. event_loop_lag_seconds) with an "
            "alert on p99 >= 100 ms",
            "do not scale CPU or add instances for this: the host is idle; more processes only spread the stalls",
        ]
        not_cause = ["cpu-saturated", "disk-saturated", "thread-exhaustion", "threadpool-starvation",
                     "listen-queue-overflow", "fd-exhaustion", "gevent-loop-blocked", "healthy"]
    else:
        remedies = [
            "make the call cooperative: a pure-Python/gevent-aware client (patched sockets), or a driver hook "
            "(e.g. psycogreen for psycopg2); for a C call that cannot yield, run it in gevent's threadpool "
            "(`gevent.get_hub().threadpool.spawn(fn, ...).get()`) with a timeout",
            "keep gevent's monitor thread (GEVENT_MONITOR_THREAD_ENABLE=1, GEVENT_MAX_BLOCKING_TIME ~0.1 s) on in "
            "staging/canary and alert on 'appears to be blocked' reports / gevent.events.EventLoopBlocked",
            "more gunicorn workers only dilute the stalls (each worker's hub still blocks); do not add CPU: the host "
            "is idle",
        ]
        not_cause = ["cpu-saturated", "disk-saturated", "thread-exhaustion", "threadpool-starvation",
                     "listen-queue-overflow", "fd-exhaustion", "event-loop-blocked", "healthy"]

    phases = [
        {"name": "lead-in", "start_utc": env["window_start_utc"], "end_utc": env["load_start_utc"]},
        {"name": "load", "start_utc": env["load_start_utc"], "end_utc": env["load_end_utc"],
         "exit_code": int(env.get("load_exit_code", "-1"))},
        {"name": "tail", "start_utc": env["load_end_utc"], "end_utc": env["window_end_utc"]},
    ]
    pids = {k[4:]: int(v) for k, v in env.items() if k.startswith("pid.") and v.isdigit()}
    commands = {k[4:]: (["sh", "-c", v] if "|" in v else shlex.split(v))
                for k, v in env.items() if k.startswith("cmd.")}
    app = {"name": env.get("app_name"), "pid": pids.get("app"), "port": port,
           "metrics_url": None if is_gevent else "http://127.0.0.1:%d/metrics" % port,
           "sampled_pid_role": env.get("sampled_pid_role")}
    if is_gevent:
        app.update({"master_pid": pids.get("master"), "worker_pids": booted, "workers": int(env.get("workers", 0))})

    label = {
        "scenario_id": scenario,
        "description": env.get("description", ""),
        "window": {"start_utc": env["window_start_utc"], "end_utc": env["window_end_utc"],
                   "duration_s": round((we - ws).total_seconds(), 1)},
        "phases": phases,
        "app": app,
        "pids": pids,
        "ground_truth": {
            "primary_bottleneck": scenario,
            "secondary_signals": secondary,
            "remedies": remedies,
            "not_the_cause": not_cause,
        },
        "headline": headline,
        "measured": {
            "measurement_windows_utc": {
                "window": [iso_s(floor_s(ws)), iso_s(floor_s(we))],
                "baseline": [iso_s(base_win[0]), iso_s(base_win[1])],
                "load": [iso_s(load_win[0]), iso_s(load_win[1])],
                "tail": [iso_s(tail_win[0]), iso_s(tail_win[1])],
            },
            "sar": sar,
            "cpu_busy_percent_per_second": busy_dist,
            "iostat_%s" % disk: iostat,
            "app_pidstat": app_pidstat,
            "app_threads": threads,
            "app_fds": fds,
            "event_loop_lag_s": lag_info,
            "asyncio_slow_callbacks": asyncio_info if not is_gevent else None,
            "gevent_monitor": gevent_info,
            "gunicorn": gunicorn_info,
            "app_log": app_log,
            "listen_queue": listen_queue,
            "netstat_delta_window": netstat_delta,
            "host_processes_pidstat": other,
            "loadgen": {k: v for k, v in lg.items() if k != "per_second"},
        },
        "commands": commands,
        "notes": env.get("notes", []) + ([
            "other processes on the host (not part of the capture; pidstat -u -l of all processes, kept out of "
            "the folder) used %.1f %% of the host CPU on average during the load (max %.1f %%); top: %s"
            % (oth.get("avg", 0), oth.get("max", 0),
               ", ".join("%s %.1f s" % kv for kv in list(other["top_other_commands_cpu_seconds"].items())[:3])
               or "none")] if other else []),
    }
    if is_gevent:
        label["measured"].pop("asyncio_slow_callbacks")
    else:
        label["measured"].pop("gevent_monitor")
        label["measured"].pop("gunicorn")

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(label, f, indent=2)
        f.write("\n")

    # ---- checks ------------------------------------------------------------------------------
    n_req = max(1, tot["requests"])
    checks = {}
    if not is_gevent:
        checks["asyncio slow-callback warnings during the load >= 20"] = len(slow_by["load"]) >= 20
        checks["no more than 1 slow-callback warning in the lead-in"] = len(slow_by["baseline"]) <= 1
        checks["sampled process is single-threaded (threads max <= 2)"] = (threads.get("max") or 99) <= 2
    else:
        checks["gevent 'appears to be blocked' reports during the load >= 20"] = rep_by.get("load", 0) >= 20
        checks["no more than 1 report in the lead-in"] = rep_by.get("baseline", 0) <= 1
        app_share = sum(v for k, v in app_frames.items() if k) / max(1, len(reps))
        checks["blocked stack is in the app's blocking call in >= 90% of reports"] = app_share >= 0.9
        checks["gunicorn booted %s gevent workers" % env.get("workers", "?")] = (
            gunicorn_info["worker_class"] == "gevent" and len(booted) >= int(env.get("workers", 1)))
        checks["no WORKER TIMEOUT"] = gunicorn_info["worker_timeouts"] == 0
    checks["lag p99 during the load >= 100 ms"] = (ld.get("p99") or 0) >= 0.1
    checks["lag p99 in the lead-in < 20 ms"] = (bd.get("p99") or 1) < 0.02
    checks["host CPU not saturated (busy p95 during the load < 60%)"] = (busy_dist["load"].get("p95") or 100) < 60
    checks["disk idle (util avg < 10%)"] = (dk["util_percent"].get("avg") or 0) < 10
    checks["clients served (ok > 0, errors < 1%)"] = tot["ok"] > 0 and tot["errors"] / n_req < 0.01
    checks["no listen-queue overflow"] = (netstat_delta.get("TcpExt.ListenOverflows") or 0) == 0
    for k, v in checks.items():
        print("%s %s" % ("PASS" if v else "FAIL", k))
    if oth.get("avg") is not None:
        print("%s other processes on the host used %.1f %% of the host CPU on average during the load (max %.1f %%)"
              % ("OK  " if oth["avg"] < 5 else "WARN", oth["avg"], oth.get("max") or 0))
    print("headline: %s lag p50/p99/max %s/%s/%s s; cpu busy p95 %s %%; clients ok %d errors %d; latency p99 %s s"
          % (("gevent reports %d (load %d), frame %s;" % (len(reps), rep_by.get("load", 0), headline.get(
              "gevent_blocked_frame"))) if is_gevent else ("slow callbacks %d (load %d);" % (len(slow),
                                                                                             len(slow_by["load"]))),
             ld.get("p50"), ld.get("p99"), ld.get("max"), busy_dist["load"].get("p95"), tot["ok"], tot["errors"],
             tot["latency_ok_s"].get("p99")))
    if args.check and args.max_other_cpu is not None and oth.get("avg") is not None and oth["avg"] > args.max_other_cpu:
        sys.exit(2)
    if args.check and not all(checks.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
