#!/usr/bin/env python3
"""An aiohttp app whose handler makes a synchronous upstream call inside a coroutine.

Reproduces an asyncio event loop blocked by synchronous I/O. `GET /` answers after ~2 ms
of awaited (non-blocking) work, except for a share of requests (--block-share, drawn from
a seeded RNG) that call a slow upstream (slow_upstream.py) with blocking
`urllib.request.urlopen(...).read()` - the classic `requests.get()` inside `async def`.
For the whole upstream wait (--block-min-ms .. --block-max-ms) the one thread that runs the
loop is stuck in recv(): no other request, keep-alive connection or timer makes progress,
yet the CPU is idle.

What it leaves behind, in the host samples' formats:
  * asyncio debug mode (loop.set_debug(True); the orchestrator also sets PYTHONASYNCIODEBUG=1)
    with slow_callback_duration --slow-callback (0.1 s, the asyncio default): every task step
    that runs longer is logged by the `asyncio` logger as
    `Executing <Task ...> took N.NNN seconds` (WARNING);
  * --lag-csv: `utc_iso,unix_ts,lag_seconds`, one row per --lag-interval tick (100 ms): how late
    `asyncio.sleep(interval)` woke up;
  * Python logging on stderr (or --log): `2026-11-24T08:01:02.345Z LEVEL logger [pid:thread] message`;
  * /metrics (prometheus_client, if installed) on the app port: event_loop_lag_seconds,
    event_loop_lag_last_seconds, event_loop_lag_max_1s_seconds, process_threads,
    http_requests_total{path,status,kind}, http_request_duration_seconds,
    http_requests_in_flight, app_blocking_calls_total{kind}.

Bound to 127.0.0.1; stops on SIGTERM/SIGINT or after --max-seconds.
"""

import argparse
import asyncio
import logging
import os
import random
import signal
import sys
import threading
import time
import urllib.request

from aiohttp import web

try:  # optional, as in the public samples' apps
    import prometheus_client as prom
except ImportError:  # pragma: no cover
    prom = None

LOG = logging.getLogger("app")


class UTCFormatter(logging.Formatter):
    def formatTime(self, record, datefmt=None):  # noqa: N802 (logging API)
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + ".%03dZ" % int(record.msecs)


def setup_logging(path):
    handler = logging.FileHandler(path) if path else logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        UTCFormatter("%(asctime)s %(levelname)s %(name)s [%(process)d:%(threadName)s] %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


def utc_iso(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + ".%03dZ" % int((ts % 1) * 1000)


class Metrics:
    """prometheus_client metrics when available, plain counters always (for the periodic stats line)."""

    def __init__(self):
        self.requests = 0
        self.blocking = 0
        self.errors = 0
        self.in_flight = 0
        self.lag_max_1s = 0.0
        self.m = None
        if prom is not None:
            self.m = {
                "lag": prom.Histogram("event_loop_lag_seconds", "How late asyncio.sleep(tick) woke up",
                                      buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)),
                "lag_last": prom.Gauge("event_loop_lag_last_seconds", "Last measured loop lag"),
                "lag_max": prom.Gauge("event_loop_lag_max_1s_seconds", "Max loop lag over the last second"),
                "threads": prom.Gauge("process_threads", "OS threads of this process"),
                "req": prom.Counter("http_requests_total", "HTTP requests", ["path", "status", "kind"]),
                "dur": prom.Histogram("http_request_duration_seconds", "Handler time", ["path"]),
                "inflight": prom.Gauge("http_requests_in_flight", "Requests being handled"),
                "blocking": prom.Counter("app_blocking_calls_total", "Synchronous calls made on the loop",
                                         ["kind"]),
            }
            self.m["threads"].set_function(threading.active_count)
            self.m["inflight"].set_function(lambda: self.in_flight)


async def lag_ticker(interval, csv_path, metrics, stop):
    loop = asyncio.get_running_loop()
    window_max, window_start = 0.0, loop.time()
    with open(csv_path, "w", buffering=1) as f:
        f.write("utc_iso,unix_ts,lag_seconds\n")
        while not stop.is_set():
            t0 = loop.time()
            await asyncio.sleep(interval)
            now_mono = loop.time()
            lag = max(0.0, now_mono - t0 - interval)
            now = time.time()
            f.write("%s,%.3f,%.6f\n" % (utc_iso(now), now, lag))
            window_max = max(window_max, lag)
            if now_mono - window_start >= 1.0:
                metrics.lag_max_1s, window_max, window_start = window_max, 0.0, now_mono
            if metrics.m:
                metrics.m["lag"].observe(lag)
                metrics.m["lag_last"].set(lag)
                metrics.m["lag_max"].set(max(metrics.lag_max_1s, window_max))


async def stats_logger(every, metrics, stop):
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), every)
        except asyncio.TimeoutError:
            pass
        LOG.info("stats requests=%d blocking_calls=%d errors=%d in_flight=%d lag_max_1s=%.3f threads=%d",
                 metrics.requests, metrics.blocking, metrics.errors, metrics.in_flight, metrics.lag_max_1s,
                 threading.active_count())


# No proxy from the environment: the upstream is on 127.0.0.1.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def sync_upstream_call(url, timeout):
    """The bug: a synchronous HTTP call (what requests.get() does) made directly on the event loop."""
    with _OPENER.open(url, timeout=timeout) as resp:
        return resp.read()


def make_app(args, metrics):
    rng = random.Random(args.seed)

    async def index(request):
        t0 = time.perf_counter()
        metrics.requests += 1
        metrics.in_flight += 1
        kind, status = "fast", 200
        try:
            if rng.random() < args.block_share:
                kind = "sync_upstream"
                ms = rng.uniform(args.block_min_ms, args.block_max_ms)
                metrics.blocking += 1
                if metrics.m:
                    metrics.m["blocking"].labels(kind).inc()
                try:
                    body = sync_upstream_call("%s?ms=%.0f" % (args.upstream, ms), args.upstream_timeout)
                except OSError as e:
                    metrics.errors += 1
                    status = 502
                    LOG.warning("upstream call failed: %r", e)
                    body = b'{"ok": false}\n'
            else:
                await asyncio.sleep(args.fast_ms / 1000.0)  # awaited work: other requests run meanwhile
                body = b'{"ok": true}\n'
            return web.Response(body=body, status=status, content_type="application/json")
        finally:
            metrics.in_flight -= 1
            if metrics.m:
                metrics.m["req"].labels("/", str(status), kind).inc()
                metrics.m["dur"].labels("/").observe(time.perf_counter() - t0)

    async def metrics_view(request):
        data = prom.generate_latest() if prom else b""
        return web.Response(body=data, headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"})

    app = web.Application()
    app.router.add_get("/", index)
    if prom is not None:
        app.router.add_get("/metrics", metrics_view)
    return app


async def amain(args):
    loop = asyncio.get_running_loop()
    loop.set_debug(True)
    loop.slow_callback_duration = args.slow_callback
    metrics = Metrics()
    stop = asyncio.Event()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)

    runner = web.AppRunner(make_app(args, metrics), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, args.host, args.port, backlog=args.backlog)
    await site.start()
    LOG.info("listening on %s:%d mode=sync-upstream-in-coroutine block_share=%.2f block_ms=%.0f-%.0f "
             "upstream=%s asyncio_debug=%s slow_callback_duration=%s backlog=%d metrics=%s pid=%d",
             args.host, args.port, args.block_share, args.block_min_ms, args.block_max_ms, args.upstream,
             loop.get_debug(), loop.slow_callback_duration, args.backlog,
             "/metrics" if prom else "off", os.getpid())
    tasks = [asyncio.create_task(lag_ticker(args.lag_interval, args.lag_csv, metrics, stop)),
             asyncio.create_task(stats_logger(args.stats_every, metrics, stop))]
    try:
        await asyncio.wait_for(stop.wait(), args.max_seconds)
        LOG.info("SIGTERM received, shutting down")
    except asyncio.TimeoutError:
        LOG.info("max-seconds reached, shutting down")
    stop.set()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await runner.cleanup()
    LOG.info("stopped requests=%d blocking_calls=%d errors=%d", metrics.requests, metrics.blocking, metrics.errors)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--backlog", type=int, default=128)
    ap.add_argument("--upstream", default="http://127.0.0.1:8001/lookup")
    ap.add_argument("--upstream-timeout", type=float, default=5.0)
    ap.add_argument("--block-share", type=float, default=0.1, help="share of requests making the sync call")
    ap.add_argument("--block-min-ms", type=float, default=150.0)
    ap.add_argument("--block-max-ms", type=float, default=350.0)
    ap.add_argument("--fast-ms", type=float, default=2.0, help="awaited work of a normal request")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--slow-callback", type=float, default=0.1, help="loop.slow_callback_duration (s)")
    ap.add_argument("--lag-interval", type=float, default=0.1)
    ap.add_argument("--lag-csv", required=True)
    ap.add_argument("--stats-every", type=float, default=10.0)
    ap.add_argument("--log", default=None, help="log file (default stderr)")
    ap.add_argument("--max-seconds", type=float, default=600.0)
    args = ap.parse_args()
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("refusing to bind a non-loopback address: %s" % args.host)
    if not args.upstream.startswith(("http://127.0.0.1:", "http://localhost:")):
        sys.exit("refusing a non-loopback upstream: %s" % args.upstream)
    setup_logging(args.log)
    asyncio.run(amain(args))


if __name__ == "__main__":
    main()
