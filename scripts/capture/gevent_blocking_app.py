"""A WSGI app for gunicorn -k gevent whose handler makes a blocking C-level call.

Reproduces a gevent hub (event loop) blocked by a call gevent cannot patch. `GET /` answers
after ~2 ms of cooperative work (gevent.sleep), except for a share of requests
(BLOCK_SHARE, seeded RNG per worker) that fetch from a slow upstream (slow_upstream.py)
through `_socket.socket`: the C socket type that gevent's monkey-patching never replaces,
i.e. what a C client library (a database driver without gevent support, a C SDK) does with
its own blocking connect()/recv(). For the whole upstream wait (BLOCK_MIN_MS .. BLOCK_MAX_MS)
the worker's one OS thread sits in recv(): no other greenlet (other keep-alive clients, the
lag ticker, gunicorn's heartbeat) runs, yet the CPU is idle.

Run by gunicorn with the gevent monitor thread on (GEVENT_MONITOR_THREAD_ENABLE=1,
GEVENT_MAX_BLOCKING_TIME=0.1): each hub starts a native monitor thread that prints
`<time> : Greenlet <...> appears to be blocked` reports with the blocked stack to the worker's
stderr. gevent_gunicorn_conf.py starts, in the first worker only, a lag ticker greenlet that
writes LAG_CSV (`utc_iso,unix_ts,lag_seconds`, one row per LAG_INTERVAL = 50 ms: how late
gevent.sleep(interval) woke up), and in every worker a stats line every STATS_EVERY seconds.

Configuration from the environment (the app is loaded by gunicorn): UPSTREAM_PORT (8001),
BLOCK_SHARE (0.1), BLOCK_MIN_MS (150), BLOCK_MAX_MS (350), FAST_MS (2), SEED (1), LAG_CSV,
LAG_INTERVAL (0.05), STATS_EVERY (10). Logging: `2026-11-24T08:01:02.345Z LEVEL app [pid:thread] message`
on stderr, next to gunicorn's own error-log lines.
"""

import _socket  # the C socket module: gevent's monkey-patching replaces socket.socket, never this
import logging
import os
import random
import sys
import time

import gevent

LOG = logging.getLogger("app")

UPSTREAM_PORT = int(os.environ.get("UPSTREAM_PORT", "8001"))
BLOCK_SHARE = float(os.environ.get("BLOCK_SHARE", "0.1"))
BLOCK_MIN_MS = float(os.environ.get("BLOCK_MIN_MS", "150"))
BLOCK_MAX_MS = float(os.environ.get("BLOCK_MAX_MS", "350"))
FAST_MS = float(os.environ.get("FAST_MS", "2"))
SEED = int(os.environ.get("SEED", "1"))
LAG_CSV = os.environ.get("LAG_CSV", "")
LAG_INTERVAL = float(os.environ.get("LAG_INTERVAL", "0.05"))
STATS_EVERY = float(os.environ.get("STATS_EVERY", "10"))


class UTCFormatter(logging.Formatter):
    def formatTime(self, record, datefmt=None):  # noqa: N802 (logging API)
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + ".%03dZ" % int(record.msecs)


def _setup_logging():
    if LOG.handlers:
        return
    h = logging.StreamHandler(sys.stderr)
    h.setFormatter(UTCFormatter("%(asctime)s %(levelname)s %(name)s [%(process)d:%(threadName)s] %(message)s"))
    LOG.addHandler(h)
    LOG.setLevel(logging.INFO)
    LOG.propagate = False  # gunicorn configures its own loggers; keep ours in our format


_setup_logging()


class State:
    requests = 0
    blocking = 0
    errors = 0
    lag_max = 0.0  # max lag since the last stats line
    rng = random.Random(SEED)


def legacy_client_lookup(ms, timeout=5.0):
    """Blocking upstream call through the C socket type: the hub cannot run while we wait in recv()."""
    s = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
    try:
        s.settimeout(timeout)
        s.connect(("127.0.0.1", UPSTREAM_PORT))
        s.sendall(b"GET /lookup?ms=%d HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" % int(ms))
        chunks = []
        while True:
            data = s.recv(65536)
            if not data:
                break
            chunks.append(data)
        return b"".join(chunks)
    finally:
        s.close()


def app(environ, start_response):
    State.requests += 1
    status = "200 OK"
    if State.rng.random() < BLOCK_SHARE:
        State.blocking += 1
        ms = State.rng.uniform(BLOCK_MIN_MS, BLOCK_MAX_MS)
        try:
            raw = legacy_client_lookup(ms)
            body = raw.split(b"\r\n\r\n", 1)[-1] or b'{"ok": false}\n'
        except OSError as e:
            State.errors += 1
            LOG.warning("upstream call failed: %r", e)
            status, body = "502 Bad Gateway", b'{"ok": false}\n'
    else:
        gevent.sleep(FAST_MS / 1000.0)  # cooperative work: other greenlets run meanwhile
        body = b'{"ok": true}\n'
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _utc_iso(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + ".%03dZ" % int((ts % 1) * 1000)


def lag_ticker(path, interval):
    with open(path, "w", buffering=1) as f:
        f.write("utc_iso,unix_ts,lag_seconds\n")
        while True:
            t0 = time.perf_counter()
            gevent.sleep(interval)
            lag = max(0.0, time.perf_counter() - t0 - interval)
            now = time.time()
            f.write("%s,%.3f,%.6f\n" % (_utc_iso(now), now, lag))
            State.lag_max = max(State.lag_max, lag)


def stats_logger(every):
    while True:
        gevent.sleep(every)
        LOG.info("stats requests=%d blocking_calls=%d errors=%d lag_max=%.3f",
                 State.requests, State.blocking, State.errors, State.lag_max)
        State.lag_max = 0.0


def start_worker_background(age, pid):
    """Called from gunicorn's post_worker_init hook, in the worker (after gevent's monkey-patching)."""
    State.rng = random.Random(SEED * 1000 + age)
    ticker = bool(LAG_CSV) and age == 1
    if ticker:
        gevent.spawn(lag_ticker, LAG_CSV, LAG_INTERVAL)
    gevent.spawn(stats_logger, STATS_EVERY)
    from gevent import config as gcfg
    LOG.info("worker ready pid=%d age=%d block_share=%.2f block_ms=%.0f-%.0f upstream=127.0.0.1:%d "
             "gevent=%s monitor_thread=%s max_blocking_time=%s lag_ticker=%s",
             pid, age, BLOCK_SHARE, BLOCK_MIN_MS, BLOCK_MAX_MS, UPSTREAM_PORT, gevent.__version__,
             gcfg.monitor_thread, gcfg.max_blocking_time,
             ("%s every %.0f ms" % (os.path.basename(LAG_CSV), LAG_INTERVAL * 1000)) if ticker else "no")
