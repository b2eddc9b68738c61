#!/usr/bin/env python3
"""Bounded burst load: many short HTTP/1.0 connections to one 127.0.0.1 port, in waves.

Each wave runs CONCURRENCY closed-loop workers for SECONDS; each worker repeatedly opens a
new TCP connection, sends `GET / HTTP/1.0`, reads the whole response and closes, with a
per-attempt deadline (--timeout, covering connect + request + response). After an error
the worker sleeps a short random back-off so that failures do not spin the CPU. Waves
are separated by --gap seconds of silence. Everything is bounded in count and time: the
run ends at sum(wave seconds) + gaps + timeout at the latest, and --max-attempts caps the
number of connection attempts.

Outcomes are counted as ok / connect_timeout / read_timeout / reset / refused / other, with
latency percentiles. A JSON summary goes to --out (and a one-line summary to stdout).

Stdlib only (asyncio), single process.
"""

import argparse
import asyncio
import json
import random
import sys
import time
from datetime import datetime, timezone

REQUEST = b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\nUser-Agent: burst_load\r\n\r\n"


def utc_iso(ts=None):
    dt = datetime.fromtimestamp(time.time() if ts is None else ts, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond // 1000)


def pct(values, p):
    if not values:
        return None
    v = sorted(values)
    k = min(len(v) - 1, max(0, int(round(p / 100.0 * (len(v) - 1)))))
    return round(v[k], 6)


def summarize(values):
    if not values:
        return {}
    return {
        "p50": pct(values, 50),
        "p95": pct(values, 95),
        "p99": pct(values, 99),
        "max": round(max(values), 6),
        "mean": round(sum(values) / len(values), 6),
    }


class Stats:
    def __init__(self):
        self.attempts = 0
        self.kinds = {}
        self.lat_ok = []
        self.lat_all = []
        self.connect = []

    def add(self, kind, latency, connect_s=None):
        self.attempts += 1
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        self.lat_all.append(latency)
        if kind == "ok":
            self.lat_ok.append(latency)
        if connect_s is not None:
            self.connect.append(connect_s)

    def to_dict(self):
        ok = self.kinds.get("ok", 0)
        errors = {k: v for k, v in sorted(self.kinds.items()) if k != "ok"}
        n_err = sum(errors.values())
        return {
            "requests": self.attempts,
            "ok": ok,
            "errors": n_err,
            "error_rate": round(n_err / self.attempts, 4) if self.attempts else 0.0,
            "errors_by_kind": errors,
            "latency_ok_s": summarize(self.lat_ok),
            "latency_all_attempts_s": summarize(self.lat_all),
            "connect_s": summarize(self.connect),
        }


async def one_attempt(host, port, timeout):
    """Returns (kind, latency_s, connect_s_or_None)."""
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    deadline = t0 + timeout
    writer = None
    connect_s = None
    try:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        except asyncio.TimeoutError:
            return "connect_timeout", loop.time() - t0, None
        connect_s = loop.time() - t0
        writer.write(REQUEST)
        try:
            await asyncio.wait_for(writer.drain(), max(0.001, deadline - loop.time()))
            data = await asyncio.wait_for(reader.read(), max(0.001, deadline - loop.time()))
        except asyncio.TimeoutError:
            return "read_timeout", loop.time() - t0, connect_s
        if data.startswith(b"HTTP/1.0 200") or data.startswith(b"HTTP/1.1 200"):
            return "ok", loop.time() - t0, connect_s
        return ("empty_response" if not data else "bad_response"), loop.time() - t0, connect_s
    except ConnectionResetError:
        return "reset", loop.time() - t0, connect_s
    except ConnectionRefusedError:
        return "refused", loop.time() - t0, connect_s
    except (BrokenPipeError, ConnectionAbortedError):
        return "reset", loop.time() - t0, connect_s
    except OSError as e:
        return "oserror_%s" % (e.errno,), loop.time() - t0, connect_s
    finally:
        if writer is not None:
            writer.close()
            try:
                await asyncio.wait_for(writer.wait_closed(), 1.0)
            except (asyncio.TimeoutError, OSError):
                pass


async def worker(host, port, timeout, stop_at, backoff, budget, stats_list):
    loop = asyncio.get_running_loop()
    while loop.time() < stop_at and budget["left"] > 0:
        budget["left"] -= 1
        kind, lat, conn_s = await one_attempt(host, port, timeout)
        for s in stats_list:
            s.add(kind, lat, conn_s)
        if kind != "ok":
            await asyncio.sleep(random.uniform(0.5, 1.5) * backoff)


def parse_waves(spec):
    waves = []
    for part in spec.split(","):
        conc, secs = part.strip().split("x")
        waves.append((int(conc), float(secs)))
    return waves


async def run(args):
    loop = asyncio.get_running_loop()
    waves = parse_waves(args.waves)
    total = Stats()
    budget = {"left": args.max_attempts}
    result = {
        "host": args.host,
        "port": args.port,
        "timeout_s": args.timeout,
        "error_backoff_s": args.error_backoff,
        "waves_spec": args.waves,
        "gap_s": args.gap,
        "start_utc": utc_iso(),
        "waves": [],
    }
    t_start = time.time()
    for i, (conc, secs) in enumerate(waves):
        if i > 0 and args.gap > 0:
            await asyncio.sleep(args.gap)
        ws = Stats()
        w_start = time.time()
        stop_at = loop.time() + secs
        tasks = [
            asyncio.create_task(worker(args.host, args.port, args.timeout, stop_at, args.error_backoff,
                                       budget, [ws, total]))
            for _ in range(conc)
        ]
        # Each worker stops issuing new attempts at stop_at; an attempt in flight ends by its timeout.
        await asyncio.wait(tasks, timeout=secs + args.timeout + 5)
        for t in tasks:
            if not t.done():
                t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        w_end = time.time()
        d = ws.to_dict()
        d.update({
            "concurrency": conc,
            "seconds": secs,
            "start_utc": utc_iso(w_start),
            "end_utc": utc_iso(w_end),
            "achieved_rps_ok": round(d["ok"] / (w_end - w_start), 2),
            "attempts_per_s": round(d["requests"] / (w_end - w_start), 2),
        })
        result["waves"].append(d)
        print("wave %d: %s" % (i + 1, json.dumps({k: d[k] for k in ("concurrency", "requests", "ok", "errors",
                                                                       "errors_by_kind")})),
              flush=True)
    t_end = time.time()
    d = total.to_dict()
    d.update({
        "concurrency_max": max(c for c, _ in waves),
        "end_utc": utc_iso(t_end),
        "duration_s": round(t_end - t_start, 3),
        "achieved_rps_ok": round(d["ok"] / (t_end - t_start), 2),
        "attempts_per_s": round(d["requests"] / (t_end - t_start), 2),
        "attempt_budget_exhausted": budget["left"] <= 0,
    })
    result["total"] = d
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--waves", default="100x20,300x25,200x20",
                    help="comma-separated CONCURRENCYxSECONDS waves (default %(default)s)")
    ap.add_argument("--gap", type=float, default=5.0, help="silence between waves (s)")
    ap.add_argument("--timeout", type=float, default=5.0, help="per-attempt deadline (s)")
    ap.add_argument("--error-backoff", type=float, default=0.2,
                    help="mean sleep after a failed attempt (s, uniform 0.5x-1.5x)")
    ap.add_argument("--max-attempts", type=int, default=100000, help="hard cap on connection attempts")
    ap.add_argument("--out", default=None, help="write the JSON summary here")
    args = ap.parse_args()
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print("refusing to load a non-loopback host: %s" % args.host, file=sys.stderr)
        sys.exit(2)

    result = asyncio.run(run(args))
    text = json.dumps(result, indent=2)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    t = result["total"]
    print("total: requests=%d ok=%d errors=%d %s" % (t["requests"], t["ok"], t["errors"],
                                                   json.dumps(t["errors_by_kind"])), flush=True)


if __name__ == "__main__":
    main()
