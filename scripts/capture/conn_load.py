#!/usr/bin/env python3
"""Bounded keep-alive HTTP/1.1 load: N closed-loop clients on one 127.0.0.1 port.

Each client opens a TCP connection and sends `GET PATH HTTP/1.1` requests on it one after the
other (keep-alive), reading each response (Content-Length), with a pause of --think seconds
(uniform 0.5x-1.5x) between requests. It reconnects after --requests-per-conn requests (0 = keep
the connection until an error or until the server closes it; 1 = one request per connection, then
hang up without `Connection: close`, as a discarded HTTP session does). Clients start evenly over
--ramp seconds and stop issuing requests --duration seconds after the start; an attempt in flight
ends by its --timeout (connect + request + response). After an error a client closes its
connection and backs off --backoff seconds, doubling per consecutive error up to --backoff-max
(uniform 0.5x-1.5x), so that failures do not spin. A request that fails before any byte of the
response on a connection that already served a request (the server closed an idle keep-alive
connection) is retried once on a new connection and counted as `stale_retries`, as HTTP client
libraries do.

Outcomes: ok / connect_timeout / read_timeout / reset / refused / empty_response (the server
closed without answering) / bad_response / http_<status> / oserror_<errno>, with latency
percentiles and a per-second timeline. Everything is bounded in count and time (--max-requests).
JSON summary to --out, one line to stdout. Stdlib only (asyncio), single process.
"""

import argparse
import asyncio
import json
import random
import sys
import time
from datetime import datetime, timezone


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
    return {"p50": pct(values, 50), "p95": pct(values, 95), "p99": pct(values, 99),
            "max": round(max(values), 6), "mean": round(sum(values) / len(values), 6)}


class Stats:
    def __init__(self):
        self.attempts = 0
        self.kinds = {}
        self.lat_ok = []
        self.lat_all = []
        self.connect = []
        self.timeline = {}  # unix second -> [ok, errors]
        self.first_error = None
        self.last_error = None
        self.connections_opened = 0
        self.open_now = 0
        self.open_max = 0
        self.stale_retries = 0

    def add(self, kind, latency, t_end):
        self.attempts += 1
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        self.lat_all.append(latency)
        sec = int(t_end)
        slot = self.timeline.setdefault(sec, [0, 0])
        if kind == "ok":
            self.lat_ok.append(latency)
            slot[0] += 1
        else:
            slot[1] += 1
            self.first_error = self.first_error or t_end
            self.last_error = t_end

    def to_dict(self, t_start, t_end):
        ok = self.kinds.get("ok", 0)
        errors = {k: v for k, v in sorted(self.kinds.items()) if k != "ok"}
        n_err = sum(errors.values())
        dur = max(t_end - t_start, 1e-9)
        return {
            "requests": self.attempts,
            "ok": ok,
            "errors": n_err,
            "error_rate": round(n_err / self.attempts, 4) if self.attempts else 0.0,
            "errors_by_kind": errors,
            "latency_ok_s": summarize(self.lat_ok),
            "latency_all_attempts_s": summarize(self.lat_all),
            "connect_s": summarize(self.connect),
            "connections_opened": self.connections_opened,
            "open_connections_max": self.open_max,
            "stale_retries": self.stale_retries,
            "first_error_utc": utc_iso(self.first_error) if self.first_error else None,
            "last_error_utc": utc_iso(self.last_error) if self.last_error else None,
            "start_utc": utc_iso(t_start),
            "end_utc": utc_iso(t_end),
            "duration_s": round(dur, 3),
            "achieved_rps_ok": round(ok / dur, 2),
            "attempts_per_s": round(self.attempts / dur, 2),
        }


class Conn:
    def __init__(self, reader, writer):
        self.reader, self.writer, self.used = reader, writer, 0


async def close_conn(stats, conn):
    if conn is None:
        return
    stats.open_now -= 1
    conn.writer.close()
    try:
        await asyncio.wait_for(conn.writer.wait_closed(), 1.0)
    except (asyncio.TimeoutError, OSError):
        pass


async def request(args, stats, conn, deadline):
    """One request on conn (opened if None). Returns (kind, conn_or_None, got_bytes)."""
    loop = asyncio.get_running_loop()
    if conn is None:
        t0 = loop.time()
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(args.host, args.port),
                                                    max(0.001, deadline - t0))
        except asyncio.TimeoutError:
            return "connect_timeout", None, False
        except ConnectionRefusedError:
            return "refused", None, False
        except OSError as e:
            return "oserror_%s" % (e.errno,), None, False
        stats.connect.append(loop.time() - t0)
        stats.connections_opened += 1
        stats.open_now += 1
        stats.open_max = max(stats.open_max, stats.open_now)
        conn = Conn(reader, writer)
    got = False
    try:
        conn.writer.write(("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: conn_load\r\nAccept: */*\r\n\r\n"
                           % (args.path, args.host, args.port)).encode())
        await asyncio.wait_for(conn.writer.drain(), max(0.001, deadline - loop.time()))
        try:
            head = await asyncio.wait_for(conn.reader.readuntil(b"\r\n\r\n"), max(0.001, deadline - loop.time()))
        except asyncio.IncompleteReadError as e:
            return ("empty_response" if not e.partial else "bad_response"), conn, bool(e.partial)
        got = True
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        status = int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else 0
        hdr = {}
        for ln in lines[1:]:
            if ":" in ln:
                k, v = ln.split(":", 1)
                hdr[k.strip().lower()] = v.strip()
        n = int(hdr.get("content-length", "0") or 0)
        if n:
            await asyncio.wait_for(conn.reader.readexactly(n), max(0.001, deadline - loop.time()))
        conn.used += 1
        if hdr.get("connection", "").lower() == "close":
            await close_conn(stats, conn)
            conn = None
        if status == 200:
            return "ok", conn, True
        return ("http_%d" % status if status else "bad_response"), conn, True
    except asyncio.TimeoutError:
        return "read_timeout", conn, got
    except asyncio.IncompleteReadError:
        return "bad_response", conn, True
    except asyncio.LimitOverrunError:
        return "bad_response", conn, True
    except (ConnectionResetError, BrokenPipeError, ConnectionAbortedError):
        return "reset", conn, got
    except OSError as e:
        return "oserror_%s" % (e.errno,), conn, got


async def client(args, stats, start_delay, stop_at, budget):
    loop = asyncio.get_running_loop()
    await asyncio.sleep(start_delay)
    conn = None
    fails = 0
    try:
        while loop.time() < stop_at and budget["left"] > 0:
            budget["left"] -= 1
            t0 = loop.time()
            reused = conn is not None and conn.used > 0
            kind, conn, got = await request(args, stats, conn, t0 + args.timeout)
            if kind in ("empty_response", "reset") and reused and not got:
                # The server closed an idle keep-alive connection: retry once on a new one.
                stats.stale_retries += 1
                await close_conn(stats, conn)
                kind, conn, got = await request(args, stats, None, t0 + args.timeout)
            stats.add(kind, loop.time() - t0, time.time())
            if kind == "ok":
                fails = 0
                if args.requests_per_conn and conn is not None and conn.used >= args.requests_per_conn:
                    await close_conn(stats, conn)  # hang up (no `Connection: close`)
                    conn = None
                if args.think > 0:
                    await asyncio.sleep(min(random.uniform(0.5, 1.5) * args.think, max(0.0, stop_at - loop.time())))
            else:
                await close_conn(stats, conn)
                conn = None
                fails += 1
                pause = min(args.backoff_max, args.backoff * (2 ** min(fails - 1, 20)))
                # never sleep past the end of the load
                await asyncio.sleep(min(random.uniform(0.5, 1.5) * pause, max(0.0, stop_at - loop.time())))
    finally:
        await close_conn(stats, conn)


async def run(args):
    loop = asyncio.get_running_loop()
    stats = Stats()
    budget = {"left": args.max_requests}
    t_start = time.time()
    stop_at = loop.time() + args.duration
    tasks = [asyncio.create_task(client(args, stats, args.ramp * i / max(1, args.clients), stop_at, budget))
             for i in range(args.clients)]
    await asyncio.wait(tasks, timeout=args.duration + 2 * args.timeout + 5)
    for t in tasks:
        if not t.done():
            t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    t_end = time.time()
    total = stats.to_dict(t_start, t_end)
    total.update({"concurrency_max": args.clients, "attempt_budget_exhausted": budget["left"] <= 0})
    return {
        "host": args.host, "port": args.port, "path": args.path, "clients": args.clients, "ramp_s": args.ramp,
        "duration_s": args.duration, "think_s": args.think, "requests_per_conn": args.requests_per_conn,
        "timeout_s": args.timeout, "backoff_s": args.backoff, "backoff_max_s": args.backoff_max,
        "start_utc": utc_iso(t_start),
        "total": total,
        "timeline": [[datetime.fromtimestamp(s, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), v[0], v[1]]
                     for s, v in sorted(stats.timeline.items())],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--path", default="/")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--ramp", type=float, default=0.0, help="start the clients evenly over this many seconds")
    ap.add_argument("--duration", type=float, default=60.0, help="seconds from the start to the last new request")
    ap.add_argument("--think", type=float, default=0.0, help="mean pause between requests of a client (s)")
    ap.add_argument("--requests-per-conn", type=int, default=0, help="reconnect after K requests (0 = never)")
    ap.add_argument("--timeout", type=float, default=10.0, help="per-request deadline (s)")
    ap.add_argument("--backoff", type=float, default=1.0, help="first pause after an error (s)")
    ap.add_argument("--backoff-max", type=float, default=16.0, help="cap of the doubling back-off (s)")
    ap.add_argument("--max-requests", type=int, default=200000, help="hard cap on requests")
    ap.add_argument("--out", default=None, help="write the JSON summary here")
    args = ap.parse_args()
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print("refusing to load a non-loopback host: %s" % args.host, file=sys.stderr)
        sys.exit(2)
    result = asyncio.run(run(args))
    if args.out:
        with open(args.out, "w") as f:
            f.write(json.dumps(result, indent=1) + "\n")
    t = result["total"]
    print("total: requests=%d ok=%d errors=%d %s open_max=%d p50=%s p99=%s" % (
        t["requests"], t["ok"], t["errors"], json.dumps(t["errors_by_kind"]), t["open_connections_max"],
        t["latency_ok_s"].get("p50"), t["latency_ok_s"].get("p99")), flush=True)


if __name__ == "__main__":
    main()
