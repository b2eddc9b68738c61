#!/usr/bin/env python3
"""1 s poll of an app's Prometheus /metrics on 127.0.0.1: selected gauges/counters as JSON lines.

One line per second: {"utc": "...", "<metric>": value, ...} for the metric names given with
--metric (summed over label sets; histograms as <name>_count and <name>_sum). A label input
(what a Prometheus scrape would have stored), not a file of the public samples. Bounded by
--count; SIGTERM/SIGINT stop it; a failed scrape writes {"utc": ..., "error": "..."}.
"""

import argparse
import json
import signal
import time
import urllib.request
from datetime import datetime, timezone

STOP = False


def _stop(signum, _frame):
    global STOP
    STOP = True


def scrape(url, names, timeout):
    out = {}
    with urllib.request.urlopen(url, timeout=timeout) as r:
        text = r.read().decode("utf-8", "replace")
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name = line.split("{", 1)[0].split(" ", 1)[0]
        if name in names:
            try:
                out[name] = out.get(name, 0.0) + float(line.rsplit(" ", 1)[1])
            except ValueError:
                pass
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", required=True)
    ap.add_argument("--metric", action="append", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--interval", type=float, default=1.0)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    if not args.url.startswith(("http://127.0.0.1:", "http://localhost:")):
        raise SystemExit("refusing a non-loopback URL")
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    names = set(args.metric)
    t0 = time.monotonic()
    with open(args.out, "w", buffering=1) as f:
        for i in range(1, args.count + 1):
            delay = t0 + i * args.interval - time.monotonic()
            while delay > 0 and not STOP:
                time.sleep(min(delay, 0.2))
                delay = t0 + i * args.interval - time.monotonic()
            if STOP:
                break
            row = {"utc": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
            try:
                row.update(scrape(args.url, names, 0.8))
            except OSError as e:
                row["error"] = repr(e)
            f.write(json.dumps(row, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
