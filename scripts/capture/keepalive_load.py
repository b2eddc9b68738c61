#!/usr/bin/env python3
"""Bounded keep-alive HTTP/1.1 load on one 127.0.0.1 port, at a modest paced rate.

--clients connections, each kept open and used for one request at a time, paced at --rate
requests/s per client (the next request is due 1/rate after the previous one was due; if a
response comes back late the next one is sent at once, so a slow server sees a closed loop,
never a pile-up). Clients start spread over --ramp seconds. Each request has a deadline
(--timeout); after a timeout or error the connection is dropped and re-opened after a short
back-off. The run is bounded by --duration (+ one timeout for requests in flight) and
--max-requests.

Outcomes are counted as ok / timeout / reset / refused / closed / bad_response / other, with
latency percentiles and a per-second timeline. A JSON summary goes to --out (and a one-line
summary to stdout). Stdlib only (asyncio, Python >= 3.11 for asyncio.timeout), one process.
Used by event-loop-blocked.sh and gevent-loop-blocked.sh.
"""

import argparse
import asyncio
import json
import random
import sys
import time
from datetime import datetime, timezone


def utc_iso(ts=None, ms=True):
    dt = datetime.fromtimestamp(time.time() if ts is None else ts, tz=timezone.utc)
    if not ms:
        return dt.strftime("%Y-%m-%dT%H:%M:%SZ")
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
    return {"p50": pct(values, 50), "p90": pct(values, 90), "p95": pct(values, 95), "p99": pct(values, 99),
            "max": round(max(values), 6), "mean": round(sum(values) / len(values), 6)}


class Stats:
    def __init__(self):
        self.attempts = 0
        self.kinds = {}
        self.lat_ok = []
        self.lat_all = []
        self.connect = []
        self.connections = 0
        self.per_sec = {}  # unix second -> [ok, errors, max latency]

    def add(self, kind, latency, t_end):
        self.attempts += 1
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        self.lat_all.append(latency)
        s = self.per_sec.setdefault(int(t_end), [0, 0, 0.0])
        if kind == "ok":
            self.lat_ok.append(latency)
            s[0] += 1
        else:
            s[1] += 1
        s[2] = max(s[2], latency)


class ProtocolError(Exception):
    pass


async def read_response(reader):
    """Reads one HTTP/1.x response; returns (status, keep_alive)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        raise ProtocolError("bad status line %r" % lines[0][:80])
    status = int(parts[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip().lower()
    keep = parts[0] == "HTTP/1.1" and headers.get("connection") != "close"
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.read()
        keep = False
    return status, keep


async def client(i, args, stats, stop_at, budget, t_first):
    loop = asyncio.get_running_loop()
    request = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: keepalive_load/%d\r\nConnection: keep-alive\r\n\r\n"
               % (args.path, args.host, args.port, i)).encode()
    interval = 1.0 / args.rate
    due = t_first
    reader = writer = None
    while budget["left"] > 0:
        now = loop.time()
        if due > now:
            await asyncio.sleep(due - now)
        if loop.time() >= stop_at:
            break
        budget["left"] -= 1
        t0 = loop.time()
        kind = "ok"
        try:
            async with asyncio.timeout(args.timeout):
                if writer is None:
                    reader, writer = await asyncio.open_connection(args.host, args.port)
                    stats.connections += 1
                    stats.connect.append(loop.time() - t0)
                writer.write(request)
                await writer.drain()
                status, keep = await read_response(reader)
            if status != 200:
                kind = "http_%d" % status
            if not keep:
                writer.close()
                reader = writer = None
        except TimeoutError:
            kind = "timeout"
        except asyncio.IncompleteReadError:
            kind = "closed"
        except ConnectionResetError:
            kind = "reset"
        except ConnectionRefusedError:
            kind = "refused"
        except (BrokenPipeError, ConnectionAbortedError):
            kind = "reset"
        except (ProtocolError, ValueError, asyncio.LimitOverrunError):
            kind = "bad_response"
        except OSError as e:
            kind = "oserror_%s" % (e.errno,)
        stats.add(kind, loop.time() - t0, time.time())
        if kind != "ok" and not kind.startswith("http_"):
            if writer is not None:
                writer.close()
            reader = writer = None
            await asyncio.sleep(random.uniform(0.5, 1.5) * args.error_backoff)
        due += interval
        if due < loop.time():  # late (slow response or back-off): send the next one at once
            due = loop.time()
    if writer is not None:
        writer.close()
        try:
            await asyncio.wait_for(writer.wait_closed(), 1.0)
        except (asyncio.TimeoutError, OSError):
            pass


async def run(args):
    loop = asyncio.get_running_loop()
    stats = Stats()
    budget = {"left": args.max_requests}
    t_start = time.time()
    start = loop.time()
    stop_at = start + args.duration
    rng = random.Random(args.seed)
    tasks = [asyncio.create_task(client(i, args, stats, stop_at, budget,
                                        start + args.ramp * i / max(1, args.clients)
                                        + rng.uniform(0, 1.0 / args.rate)))
             for i in range(args.clients)]
    await asyncio.wait(tasks, timeout=args.duration + args.timeout + 5)
    for t in tasks:
        if not t.done():
            t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    t_end = time.time()
    ok = stats.kinds.get("ok", 0)
    errors = {k: v for k, v in sorted(stats.kinds.items()) if k != "ok"}
    n_err = sum(errors.values())
    load_s = max(1e-9, t_end - t_start)
    total = {
        "requests": stats.attempts, "ok": ok, "errors": n_err,
        "error_rate": round(n_err / stats.attempts, 4) if stats.attempts else 0.0,
        "errors_by_kind": errors,
        "latency_ok_s": summarize(stats.lat_ok),
        "latency_all_attempts_s": summarize(stats.lat_all),
        "connect_s": summarize(stats.connect),
        "connections_opened": stats.connections,
        "concurrency_max": args.clients,
        "end_utc": utc_iso(t_end),
        "duration_s": round(load_s, 3),
        "achieved_rps_ok": round(ok / load_s, 2),
        "attempts_per_s": round(stats.attempts / load_s, 2),
        "attempt_budget_exhausted": budget["left"] <= 0,
    }
    return {
        "host": args.host, "port": args.port, "path": args.path, "clients": args.clients,
        "rate_per_client": args.rate, "target_rps": round(args.clients * args.rate, 2),
        "duration_s": args.duration, "ramp_s": args.ramp, "timeout_s": args.timeout,
        "error_backoff_s": args.error_backoff, "keepalive": True, "start_utc": utc_iso(t_start),
        "total": total,
        "per_second": [{"t": utc_iso(s, ms=False), "ok": v[0], "errors": v[1], "latency_max_s": round(v[2], 4)}
                       for s, v in sorted(stats.per_sec.items())],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--path", default="/")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--rate", type=float, default=1.0, help="requests/s per client")
    ap.add_argument("--duration", type=float, default=90.0)
    ap.add_argument("--ramp", type=float, default=5.0, help="spread client starts over this many seconds")
    ap.add_argument("--timeout", type=float, default=10.0, help="per-request deadline (s)")
    ap.add_argument("--error-backoff", type=float, default=0.5, help="mean sleep after an error (s)")
    ap.add_argument("--max-requests", type=int, default=50000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print("refusing to load a non-loopback host: %s" % args.host, file=sys.stderr)
        sys.exit(2)
    result = asyncio.run(run(args))
    if args.out:
        with open(args.out, "w") as f:
            f.write(json.dumps(result, indent=1) + "\n")
    t = result["total"]
    print("total: requests=%d ok=%d errors=%d %s rps_ok=%.1f p50=%s p99=%s max=%s" % (
        t["requests"], t["ok"], t["errors"], json.dumps(t["errors_by_kind"]), t["achieved_rps_ok"],
        t["latency_ok_s"].get("p50"), t["latency_ok_s"].get("p99"), t["latency_ok_s"].get("max")), flush=True)


if __name__ == "__main__":
    main()
