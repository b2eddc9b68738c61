#!/usr/bin/env python3
"""A slow "upstream" HTTP service for the loop-blocked reproductions.

`GET /lookup?ms=N` sleeps N milliseconds (default --default-ms, capped at --max-ms) and
answers a small JSON body over HTTP/1.0 (one connection per request, closed after the
answer). Thread per connection (ThreadingHTTPServer), so a slow answer never delays
another: the slowness the apps see is exactly the delay they asked for.

It stands in for a slow dependency (a database, an internal API). The apps call it the
wrong way: the asyncio app with a synchronous urllib call inside a coroutine, the gevent
app through an unpatched, blocking C-level socket (as a C client library would); both
block their event loop for the whole wait.

Stdlib only, bound to 127.0.0.1, no request log (the load is not logged per request).
Stops on SIGTERM/SIGINT or after --max-seconds. Log lines use the host samples' format
on stderr: 2026-11-24T08:01:02.345Z LEVEL upstream [pid:thread] message
"""

import argparse
import json
import logging
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOG = logging.getLogger("upstream")


class UTCFormatter(logging.Formatter):
    def formatTime(self, record, datefmt=None):  # noqa: N802 (logging API)
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + ".%03dZ" % int(record.msecs)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    server_version = "slow-upstream/1"
    default_ms = 250.0
    max_ms = 2000.0
    served = 0
    lock = threading.Lock()

    def do_GET(self):  # noqa: N802 (http.server API)
        q = parse_qs(urlsplit(self.path).query)
        try:
            ms = float(q.get("ms", [self.default_ms])[0])
        except ValueError:
            ms = self.default_ms
        ms = max(0.0, min(ms, self.max_ms))
        time.sleep(ms / 1000.0)
        body = json.dumps({"ok": True, "slept_ms": round(ms, 1)}).encode() + b"\n"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        with Handler.lock:
            Handler.served += 1

    def log_message(self, fmt, *args):  # no per-request log
        pass


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8001)
    ap.add_argument("--default-ms", type=float, default=250.0)
    ap.add_argument("--max-ms", type=float, default=2000.0)
    ap.add_argument("--max-seconds", type=float, default=600.0, help="stop by itself after this long")
    args = ap.parse_args()
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("refusing to bind a non-loopback address: %s" % args.host)

    h = logging.StreamHandler(sys.stderr)
    h.setFormatter(UTCFormatter("%(asctime)s %(levelname)s %(name)s [%(process)d:%(threadName)s] %(message)s"))
    logging.getLogger().handlers[:] = [h]
    logging.getLogger().setLevel(logging.INFO)

    Handler.default_ms, Handler.max_ms = args.default_ms, args.max_ms
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.allow_reuse_address = True
    srv = ThreadingHTTPServer((args.host, args.port), Handler)
    stop = threading.Event()

    def _stop(signum, _frame):
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2}, name="serve", daemon=True)
    t.start()
    LOG.info("listening on %s:%d default_ms=%.0f max_seconds=%.0f", args.host, args.port, args.default_ms,
             args.max_seconds)
    stop.wait(args.max_seconds)
    srv.shutdown()
    srv.server_close()
    LOG.info("stopped served=%d", Handler.served)


if __name__ == "__main__":
    main()
