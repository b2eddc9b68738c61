#!/usr/bin/env python3
"""A threaded HTTP/1.1 keep-alive app with a well-sized ThreadPoolExecutor: busy but healthy.

The main thread runs a selectors loop: it accepts connections, reads requests from idle
keep-alive connections and submits each complete request to a ThreadPoolExecutor(--workers,
32 by default). A worker does the request's work -- build a JSON report (pure Python, holds the
GIL), compress it --cpu-units times with zlib and hash it (C code that releases the GIL, so two
CPUs can be used), and wait --io-min..--io-max seconds for a fast upstream -- then answers and
hands the connection back to the main thread. With the pool larger than the concurrency the load
needs, the CPU is busy while nothing queues: no errors, no timeouts, flat latency.

prometheus_client metrics on --metrics-port (127.0.0.1): threadpool_queue_depth,
threadpool_active_workers, threadpool_max_workers, threadpool_queue_wait_seconds,
http_requests_in_flight, http_request_duration_seconds, http_requests_total,
http_handler_errors_total, process_threads, and the default process_* metrics (Debian's
python3-prometheus-client). Without prometheus_client it runs without metrics.

Log lines use the host samples' format:
  2026-11-24T08:01:02.345Z LEVEL app [pid:thread] message
with a summary line every --stats-every seconds. Bound to 127.0.0.1 by default; stops on
SIGTERM/SIGINT or after --max-seconds.
"""

import argparse
import hashlib
import json
import logging
import os
import queue
import random
import selectors
import signal
import socket
import sys
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor

try:
    import prometheus_client as prom
except ImportError:  # metrics are optional
    prom = None

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


STOP = False


def _stop(signum, _frame):
    global STOP
    STOP = True


class Conn:
    __slots__ = ("sock", "peer", "buf")

    def __init__(self, sock, peer):
        self.sock, self.peer, self.buf = sock, peer, b""


class App:
    def __init__(self, args):
        self.args = args
        self.pool = ThreadPoolExecutor(max_workers=args.workers, thread_name_prefix="pool")
        self.back = queue.SimpleQueue()  # connections handed back by the workers
        self.wake_r, self.wake_w = socket.socketpair()
        self.wake_r.setblocking(False)
        self.lock = threading.Lock()
        self.active = self.in_flight = self.active_max = self.in_flight_max = 0
        self.served = self.errors = 0
        self.blob = os.urandom(1 << 16)
        self.metrics = None
        if prom is not None and args.metrics_port:
            m = {
                "queue_depth": prom.Gauge("threadpool_queue_depth", "Work items waiting in the executor queue"),
                "active": prom.Gauge("threadpool_active_workers", "Workers running a request"),
                "max_workers": prom.Gauge("threadpool_max_workers", "Executor size (0 = unbounded)"),
                "queue_wait": prom.Histogram("threadpool_queue_wait_seconds", "Time from submit to start",
                                             buckets=(.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5)),
                "in_flight": prom.Gauge("http_requests_in_flight", "Requests submitted and not yet answered"),
                "duration": prom.Histogram("http_request_duration_seconds", "Submit to response sent",
                                           buckets=(.01, .025, .05, .075, .1, .15, .25, .5, 1, 2.5, 5)),
                "requests": prom.Counter("http_requests_total", "Requests answered", ["status"]),
                "errors": prom.Counter("http_handler_errors_total", "Handler errors"),
                "threads": prom.Gauge("process_threads", "Threads of the process"),
            }
            m["queue_depth"].set_function(lambda: self.pool._work_queue.qsize())
            m["max_workers"].set(args.workers)
            m["threads"].set_function(threading.active_count)
            m["active"].set_function(lambda: self.active)
            m["in_flight"].set_function(lambda: self.in_flight)
            self.metrics = m

    # ---- worker side -------------------------------------------------------------------------
    def work(self):
        a = self.args
        items = [{"id": i, "sku": "sku-%06d" % random.randint(0, 999999), "price": round(random.random() * 100, 2),
                  "tags": ["a", "b", "c"][: i % 4]} for i in range(a.items)]
        report = json.dumps({"items": items, "generated": time.time()}).encode()
        size = 0
        for _ in range(a.cpu_units):  # zlib and hashlib release the GIL on large buffers
            size = len(zlib.compress(report + self.blob, 6))
        digest = hashlib.sha256(report).hexdigest()[:16]
        time.sleep(random.uniform(a.io_min, a.io_max))  # fast upstream call
        return json.dumps({"items": len(items), "compressed": size, "digest": digest}).encode()

    def handle(self, conn, t_submit):
        t_start = time.monotonic()
        with self.lock:
            self.active += 1
            self.active_max = max(self.active_max, self.active)
        status, ok = 200, False
        try:
            try:
                body = self.work()
            except Exception:  # noqa: BLE001
                LOG.exception("handler failed")
                status, body = 500, b'{"error":"internal"}'
                with self.lock:
                    self.errors += 1
                if self.metrics:
                    self.metrics["errors"].inc()
            resp = (b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                    % (status, b"OK" if status == 200 else b"Internal Server Error", len(body)) + body)
            conn.sock.settimeout(5.0)
            try:
                conn.sock.sendall(resp)
                ok = True
            except OSError as e:
                LOG.warning("send to %s:%d failed: %r", conn.peer[0], conn.peer[1], e)
                ok = False
        finally:
            t_end = time.monotonic()
            with self.lock:
                self.active -= 1
                self.in_flight -= 1
                self.served += 1
            if self.metrics:
                self.metrics["queue_wait"].observe(t_start - t_submit)
                self.metrics["duration"].observe(t_end - t_submit)
                self.metrics["requests"].labels(str(status)).inc()
        self.back.put(conn if ok else (conn, "close"))
        try:
            self.wake_w.send(b"x")
        except OSError:
            pass

    # ---- main thread -------------------------------------------------------------------------
    def submit(self, conn):
        with self.lock:
            self.in_flight += 1
            self.in_flight_max = max(self.in_flight_max, self.in_flight)
        self.pool.submit(self.handle, conn, time.monotonic())

    def try_dispatch(self, sel, conn):
        """Submit the next complete request of conn, or watch it for more bytes."""
        if b"\r\n\r\n" in conn.buf:
            _req, conn.buf = conn.buf.split(b"\r\n\r\n", 1)
            self.submit(conn)
        else:
            conn.sock.setblocking(False)
            sel.register(conn.sock, selectors.EVENT_READ, conn)

    def run(self):
        a = self.args
        lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsock.bind((a.host, a.port))
        lsock.listen(a.backlog)
        lsock.setblocking(False)
        sel = selectors.DefaultSelector()
        sel.register(lsock, selectors.EVENT_READ, "listen")
        sel.register(self.wake_r, selectors.EVENT_READ, "wake")
        if self.metrics:
            prom.start_http_server(a.metrics_port, addr=a.host)
        LOG.info("listening on %s:%d model=pool workers=%d backlog=%d metrics=%s cpu_units=%d items=%d io=%.0f-%.0fms "
                 "pid=%d", a.host, a.port, a.workers, a.backlog,
                 (":%d" % a.metrics_port) if self.metrics else "off", a.cpu_units, a.items, a.io_min * 1000,
                 a.io_max * 1000, os.getpid())
        deadline = time.monotonic() + a.max_seconds
        next_stats = time.monotonic() + a.stats_every
        last_served = 0
        while not STOP and time.monotonic() < deadline:
            now = time.monotonic()
            if now >= next_stats:
                LOG.info("served=%d (%.1f req/s) in_flight=%d (max %d) active_workers_max=%d/%d queue=%d errors=%d "
                         "threads=%d", self.served, (self.served - last_served) / a.stats_every, self.in_flight,
                         self.in_flight_max, self.active_max, a.workers, self.pool._work_queue.qsize(), self.errors,
                         threading.active_count())
                last_served = self.served
                self.in_flight_max = self.active_max = 0
                next_stats = now + a.stats_every
            for key, _mask in sel.select(timeout=0.2):
                if key.data == "listen":
                    while True:
                        try:
                            s, peer = lsock.accept()
                        except BlockingIOError:
                            break
                        except OSError as e:
                            LOG.error("accept() failed: %s", e, exc_info=True)
                            break
                        s.setblocking(False)
                        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                        sel.register(s, selectors.EVENT_READ, Conn(s, peer))
                elif key.data == "wake":
                    try:
                        self.wake_r.recv(4096)
                    except BlockingIOError:
                        pass
                    while True:
                        try:
                            item = self.back.get_nowait()
                        except queue.Empty:
                            break
                        if isinstance(item, tuple):
                            item[0].sock.close()
                        else:
                            self.try_dispatch(sel, item)
                else:
                    conn = key.data
                    try:
                        data = conn.sock.recv(65536)
                    except BlockingIOError:
                        continue
                    except OSError:
                        data = b""
                    if not data:
                        sel.unregister(conn.sock)
                        conn.sock.close()
                        continue
                    conn.buf += data
                    if b"\r\n\r\n" in conn.buf:
                        sel.unregister(conn.sock)
                        self.try_dispatch(sel, conn)
        LOG.info("stopped served=%d errors=%d", self.served, self.errors)
        self.pool.shutdown(wait=False, cancel_futures=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8030)
    ap.add_argument("--metrics-port", type=int, default=8031, help="0 = no metrics endpoint")
    ap.add_argument("--workers", type=int, default=32)
    ap.add_argument("--backlog", type=int, default=1024)
    ap.add_argument("--items", type=int, default=200, help="items in the JSON report (pure Python work)")
    ap.add_argument("--cpu-units", type=int, default=4, help="zlib passes over the report (GIL released)")
    ap.add_argument("--io-min", type=float, default=0.010, help="upstream wait, min (s)")
    ap.add_argument("--io-max", type=float, default=0.030, help="upstream wait, max (s)")
    ap.add_argument("--max-seconds", type=float, default=300.0, help="hard stop after this long")
    ap.add_argument("--stats-every", type=float, default=5.0)
    args = ap.parse_args()
    setup_logging()
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    App(args).run()
    logging.shutdown()
    os._exit(0)


if __name__ == "__main__":
    main()
