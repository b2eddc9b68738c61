#!/usr/bin/env python3
"""Builds the label of a worker-pool capture (gunicorn-sync-starved, uvicorn-workers-blocked)
from the captured files: process-tree.jsonl (which processes were busy each second),
listen-queue.log (the shared accept queue), app.log, sadf-A.json.gz (host CPU), and the label
inputs kept beside it (run.env, loadgen.json). --check fails (exit 1) when the mechanism the
scenario is about does not show. Stdlib only; never writes into the sample folder.
"""

import argparse
import gzip
import json
import os
import re
import statistics
import sys

CLASS = {"gunicorn-sync-starved": "threadpool-starvation", "uvicorn-workers-blocked": "event-loop-blocked"}


def read_env(path):
    env = {}
    with open(path) as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition("=")
            env[key] = value
    return env


def tree(sample):
    procs, totals, root = {}, [], None
    with open(os.path.join(sample, "process-tree.jsonl")) as f:
        for line in f:
            r = json.loads(line)
            if r["kind"] == "start" and r.get("root"):
                root = r["pid"]
            elif r["kind"] == "proc":
                procs.setdefault(r["pid"], []).append(r)
            elif r["kind"] == "total":
                totals.append(r)
    return root, procs, totals


def in_load(t, env):
    return env["load_start_utc"][:19] <= t[:19] <= env["load_end_utc"][:19]


def accept_queue(sample, env):
    depths = []
    path = os.path.join(sample, "listen-queue.log")
    if not os.path.exists(path):
        return depths
    with open(path) as f:
        for line in f:
            parts = line.split()
            # 2026-11-24 08:40:58 LISTEN 0 2048 127.0.0.1:8040 0.0.0.0:*
            if len(parts) >= 5 and in_load(parts[0] + "T" + parts[1], env):
                depths.append(int(parts[3]))
    return depths


def host_cpu_busy(sample, env):
    path = os.path.join(sample, "sadf-A.json.gz")
    if not os.path.exists(path):
        return []
    doc = json.load(gzip.open(path, "rt"))
    busy = []
    for s in doc["sysstat"]["hosts"][0]["statistics"]:
        t = s["timestamp"]
        stamp = "%sT%s" % (t["date"], t["time"])
        cpu = next((c for c in s.get("cpu-load", []) if c["cpu"] == "all"), None)
        if cpu and in_load(stamp, env):
            busy.append(100 - cpu["idle"] - cpu["iowait"])
    return busy


def app_cpu(totals, env):
    """The app tree's CPU (% of one CPU) each second of the load, from process-tree.jsonl."""
    return [t["cpuPct"] for t in totals if in_load(t["t"], env)]


def count(pattern, text):
    return len(re.findall(pattern, text))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scenario", required=True, choices=sorted(CLASS))
    ap.add_argument("--sample", required=True)
    ap.add_argument("--inputs", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    env = read_env(os.path.join(a.inputs, "run.env"))
    load = json.load(open(os.path.join(a.inputs, "loadgen.json")))
    root, procs, totals = tree(a.sample)
    # the master's children that served (a never-busy helper such as multiprocessing's resource tracker is not a worker)
    workers = {pid: rs for pid, rs in procs.items() if pid != root and any(r["busy"] for r in rs)}
    load_totals = [t for t in totals if in_load(t["t"], env)]
    worker_pids = set(workers)
    all_busy = sum(1 for t in load_totals if worker_pids and worker_pids <= set(t["busyPids"]))
    busy_share = {pid: round(sum(1 for r in rs if r["busy"] and in_load(r["t"], env)) / max(1, sum(1 for r in rs if in_load(r["t"], env))), 3) for pid, rs in workers.items()}
    depths = accept_queue(a.sample, env)
    cpu = host_cpu_busy(a.sample, env)
    app_log = open(os.path.join(a.sample, "app.log"), errors="replace").read()
    slow = count(r"Executing .+ took \d+\.\d{3} seconds", app_log)
    outcomes = load.get("outcomes") or load.get("counts") or {}
    measured = {
        "workers": len(workers),
        "worker_busy_share_during_load": busy_share,
        "seconds_all_workers_busy_during_load": all_busy,
        "load_seconds_sampled": len(load_totals),
        "accept_queue_during_load": {"max": max(depths, default=0), "median": statistics.median(depths) if depths else 0},
        "host_cpu_busy_pct_during_load": {"mean": round(statistics.mean(cpu), 1) if cpu else None, "max": round(max(cpu), 1) if cpu else None},
        "app_tree_cpu_pct_of_one_cpu_during_load": {"mean": round(statistics.mean(app_cpu(totals, env)), 1) if load_totals else None, "max": max(app_cpu(totals, env), default=None)},
        "asyncio_slow_callback_warnings": slow,
        "gunicorn_worker_timeouts": count(r"WORKER TIMEOUT", app_log),
        "client_outcomes": outcomes,
    }
    checks = []
    if a.scenario == "gunicorn-sync-starved":
        checks = [
            ("every worker busy for >= 80 % of the load", all_busy >= 0.8 * len(load_totals)),
            ("the accept queue holds >= 5 connections (median)", measured["accept_queue_during_load"]["median"] >= 5),
            ("the app's processes use < 30 % of one CPU (mean): they wait, they do not compute", statistics.mean(app_cpu(totals, env)) < 30),
        ]
        headline = "both sync workers wait on the slow upstream; the rest of the connections wait in the shared accept queue; CPUs idle"
    else:
        shares = sorted(busy_share.values())
        checks = [
            ("one worker busy >= 50 % of the load", shares and shares[-1] >= 0.5),
            ("the other workers busy at most half as often", all(s <= shares[-1] / 2 for s in shares[:-1])),
            ("asyncio slow-callback warnings >= 10", slow >= 10),
            ("the app's processes use < 30 % of one CPU (mean)", statistics.mean(app_cpu(totals, env)) < 30),
        ]
        headline = "one worker's event loop is blocked by a synchronous upstream call; the other worker is idle; CPUs idle"
    label = {
        "scenario_id": a.scenario,
        "description": env.get("description", ""),
        "window": {"load_start_utc": env.get("load_start_utc"), "load_end_utc": env.get("load_end_utc")},
        "pids": {"master": env.get("pid.master"), "workers": sorted(workers)},
        "ground_truth": {"primary_bottleneck": CLASS[a.scenario], "secondary_signals": [name for name, ok in checks if ok]},
        "headline": headline,
        "measured": measured,
        "commands": {k: v for k, v in env.items() if k.startswith("cmd.")},
    }
    with open(a.out, "w") as f:
        json.dump(label, f, indent=2)
        f.write("\n")
    failed = [name for name, ok in checks if not ok]
    for name, ok in checks:
        print("%s %s" % ("ok  " if ok else "FAIL", name), file=sys.stderr)
    print(json.dumps(measured), file=sys.stderr)
    if a.check and failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
