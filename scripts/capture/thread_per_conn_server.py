#!/usr/bin/env python3
"""A thread-per-connection HTTP/1.1 server (http.server.ThreadingHTTPServer) with a slow handler.

socketserver's ThreadingMixIn starts one new threading.Thread per accepted connection, with no
pool and no cap; with HTTP/1.1 keep-alive a connection keeps its thread for as long as the client
keeps it open. The handler waits --upstream-min..--upstream-max seconds for a (simulated) slow
upstream and answers a small JSON body. Under many concurrent keep-alive clients the thread count
climbs with the open connections until the OS refuses a new thread (RLIMIT_NPROC of the app's
user, cgroup pids.max, threads-max, address space): Thread.start() raises
`RuntimeError: can't start new thread` inside ThreadingMixIn.process_request, socketserver calls
handle_error() and closes the accepted connection (the client sees a reset / an empty response).

handle_error() is routed into Python logging (as apps usually do), so the failure and its
traceback land in the log in the host samples' format:
  2026-11-24T08:01:02.345Z LEVEL app [pid:thread] message
There is no access log (log_message is silenced); a summary line every --stats-every seconds.

Stdlib only, bound to 127.0.0.1 by default; stops on SIGTERM/SIGINT or after --max-seconds.
"""

import argparse
import json
import logging
import os
import random
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOG = logging.getLogger("app")


class UTCFormatter(logging.Formatter):
    def formatTime(self, record, datefmt=None):  # noqa: N802 (logging API)
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + ".%03dZ" % int(record.msecs)


def setup_logging():
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(UTCFormatter("%(asctime)s %(levelname)s %(name)s [%(process)d:%(threadName)s] %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


class Stop(BaseException):  # not caught by socketserver's `except Exception`
    pass


def _stop(signum, _frame):
    raise Stop(signal.Signals(signum).name)


class Counters:
    def __init__(self):
        self.lock = threading.Lock()
        self.served = self.open = self.open_max = self.start_failures = self.handler_errors = 0

    def add(self, name, n=1):
        with self.lock:
            setattr(self, name, getattr(self, name) + n)
            if name == "open":
                self.open_max = max(self.open_max, self.open)


C = Counters()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    server_version = "catalog-api/1.4"
    sys_version = ""
    timeout = 30  # idle keep-alive connections are closed after 30 s (socket timeout)

    def setup(self):
        super().setup()
        C.add("open")

    def finish(self):
        try:
            super().finish()
        finally:
            C.add("open", -1)

    def do_GET(self):  # noqa: N802 (http.server API)
        if self.path.startswith("/health"):
            body = b'{"status":"ok"}'
        else:
            wait = random.uniform(self.server.upstream_min, self.server.upstream_max)
            time.sleep(wait)  # the slow upstream call
            body = json.dumps({"item": random.randint(1, 10000), "upstream_ms": round(wait * 1000)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        C.add("served")

    def log_message(self, format, *args):  # noqa: A002 (http.server API): no access log
        pass

    def log_error(self, format, *args):  # noqa: A002
        LOG.warning("%s: " + format, self.address_string(), *args)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # listen() backlog (socketserver's default is 5)

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionResetError, BrokenPipeError, TimeoutError)):
            C.add("handler_errors")
            LOG.warning("client %s:%d: %r", client_address[0], client_address[1], exc)
            return
        if isinstance(exc, RuntimeError) and "can't start new thread" in str(exc):
            C.add("start_failures")
        else:
            C.add("handler_errors")
        LOG.exception("Exception occurred during processing of request from %s", client_address)


def stats_loop(every, stop_evt):
    while not stop_evt.wait(every):
        LOG.info("threads=%d open_connections=%d (max %d) served=%d thread_start_failures=%d handler_errors=%d",
                 threading.active_count(), C.open, C.open_max, C.served, C.start_failures, C.handler_errors)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8010)
    ap.add_argument("--upstream-min", type=float, default=2.0, help="slow upstream wait, min (s)")
    ap.add_argument("--upstream-max", type=float, default=5.0, help="slow upstream wait, max (s)")
    ap.add_argument("--max-seconds", type=int, default=300, help="hard stop after this long")
    ap.add_argument("--stats-every", type=float, default=5.0)
    args = ap.parse_args()
    setup_logging()
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGALRM, _stop)
    signal.alarm(args.max_seconds)

    srv = Server((args.host, args.port), Handler)
    srv.upstream_min, srv.upstream_max = args.upstream_min, args.upstream_max
    stop_evt = threading.Event()
    threading.Thread(target=stats_loop, args=(args.stats_every, stop_evt), name="stats", daemon=True).start()
    with open("/proc/self/limits") as f:
        nproc = next((ln.split()[2] for ln in f if ln.startswith("Max processes")), "?")
    LOG.info("listening on %s:%d model=thread-per-connection (ThreadingHTTPServer, HTTP/1.1 keep-alive) "
             "backlog=%d upstream=%.1f-%.1fs uid=%d nproc_limit=%s pid=%d", args.host, args.port,
             Server.request_queue_size, args.upstream_min, args.upstream_max, os.getuid(), nproc, os.getpid())
    reason = "max-seconds"
    try:
        srv.serve_forever(poll_interval=0.5)
    except Stop as e:
        reason = str(e)
    stop_evt.set()
    LOG.info("stopped (%s) threads=%d served=%d thread_start_failures=%d handler_errors=%d open_connections_max=%d",
             reason, threading.active_count(), C.served, C.start_failures, C.handler_errors, C.open_max)
    srv.server_close()
    logging.shutdown()
    os._exit(0)  # do not wait for the handler threads


if __name__ == "__main__":
    main()
