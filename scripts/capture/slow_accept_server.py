#!/usr/bin/env python3
"""A deliberately slow, single-threaded HTTP server with a tiny listen backlog.

It reproduces an accept-queue (listen queue) overflow: the socket is created with
listen(BACKLOG) (8 by default, far below net.core.somaxconn) and the accept loop
handles each connection synchronously (read the request, sleep SERVICE_MS, answer a
tiny HTTP/1.0 response, close) before it calls accept() again. Under a burst of
connections the kernel's accept queue fills to backlog+1 and further connection
attempts are dropped (TcpExt ListenOverflows / ListenDrops).

Stdlib only, single process, single thread, bound to 127.0.0.1 by default. It stops
on SIGTERM/SIGINT or after --max-seconds, whichever comes first.

Log lines use the host samples' format:
  2026-11-24T08:01:02.345Z LEVEL app [pid:thread] message
"""

import argparse
import logging
import os
import signal
import socket
import sys
import time

LOG = logging.getLogger("app")


class UTCFormatter(logging.Formatter):
    converter = time.gmtime

    def formatTime(self, record, datefmt=None):  # noqa: N802 (logging API)
        t = time.gmtime(record.created)
        return time.strftime("%Y-%m-%dT%H:%M:%S", t) + ".%03dZ" % int(record.msecs)


def setup_logging(path):
    handler = logging.FileHandler(path) if path else logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        UTCFormatter("%(asctime)s %(levelname)s %(name)s [%(process)d:%(threadName)s] %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


STOP = False


def _stop(signum, _frame):
    global STOP
    STOP = True


RESPONSE = (
    b"HTTP/1.0 200 OK\r\n"
    b"Content-Type: text/plain\r\n"
    b"Content-Length: 3\r\n"
    b"Connection: close\r\n"
    b"\r\n"
    b"ok\n"
)


def read_request(conn, limit=8192):
    """Read until the end of the HTTP headers (or EOF / limit). Returns bytes read."""
    buf = b""
    while b"\r\n\r\n" not in buf and len(buf) < limit:
        chunk = conn.recv(4096)
        if not chunk:
            break
        buf += chunk
    return buf


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--backlog", type=int, default=8, help="argument passed to listen()")
    ap.add_argument("--service-ms", type=float, default=80.0,
                    help="synchronous work per connection, between accept() calls")
    ap.add_argument("--read-timeout", type=float, default=2.0, help="per-connection socket timeout (s)")
    ap.add_argument("--max-seconds", type=float, default=300.0, help="hard stop after this long")
    ap.add_argument("--stats-every", type=float, default=5.0, help="seconds between summary log lines")
    ap.add_argument("--log", default=None, help="log file (default: stderr)")
    args = ap.parse_args()

    setup_logging(args.log)
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)

    somaxconn = None
    try:
        with open("/proc/sys/net/core/somaxconn") as f:
            somaxconn = int(f.read().strip())
    except OSError:
        pass

    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((args.host, args.port))
    srv.listen(args.backlog)
    # accept() wakes up at least every 0.5 s so SIGTERM / --max-seconds are honoured.
    srv.settimeout(0.5)

    effective = min(args.backlog, somaxconn) if somaxconn else args.backlog
    LOG.info(
        "listening on %s:%d backlog=%d somaxconn=%s effective_backlog=%d model=single-threaded-accept-loop "
        "service_ms=%.0f pid=%d",
        args.host, args.port, args.backlog, somaxconn, effective, args.service_ms, os.getpid(),
    )

    deadline = time.monotonic() + args.max_seconds
    served = errors = empty = 0
    win_served = win_errors = 0
    win_start = time.monotonic()
    service_s = args.service_ms / 1000.0

    while not STOP and time.monotonic() < deadline:
        now = time.monotonic()
        if now - win_start >= args.stats_every:
            if win_served or win_errors:
                LOG.info(
                    "served=%d errors=%d in last %.1fs (%.1f req/s); total served=%d errors=%d",
                    win_served, win_errors, now - win_start, win_served / (now - win_start), served, errors,
                )
            win_start, win_served, win_errors = now, 0, 0
        try:
            conn, peer = srv.accept()
        except socket.timeout:
            continue
        except OSError as e:  # EMFILE etc.: log and back off a little
            errors += 1
            win_errors += 1
            LOG.error("accept failed: %r", e)
            time.sleep(0.1)
            continue
        try:
            conn.settimeout(args.read_timeout)
            req = read_request(conn)
            if not req:
                # The client gave up (closed) while the connection waited in the accept queue.
                empty += 1
                errors += 1
                win_errors += 1
                LOG.warning("client %s:%d closed before sending a request (waited in accept queue)", *peer)
                continue
            time.sleep(service_s)  # the slow part: nothing else is accepted meanwhile
            conn.sendall(RESPONSE)
            served += 1
            win_served += 1
        except (OSError, socket.timeout) as e:
            errors += 1
            win_errors += 1
            LOG.warning("error handling %r: %r", peer, e)
        finally:
            try:
                conn.close()
            except OSError:
                pass

    srv.close()
    LOG.info("stopped served=%d errors=%d closed_before_request=%d", served, errors, empty)
    for h in logging.getLogger().handlers:
        h.flush()


if __name__ == "__main__":
    main()
