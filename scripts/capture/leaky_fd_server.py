#!/usr/bin/env python3
"""A single-threaded selectors HTTP/1.1 keep-alive server that leaks the sockets of clients that hung up.

Every accepted connection is kept in a session registry (for per-client stats). When a client
hangs up (recv() returns b""), the server unregisters the socket from the selector and marks the
session closed, but never calls close() and keeps the session (the bug): the kernel keeps the
socket in CLOSE_WAIT and the process keeps its file descriptor. Under RLIMIT_NOFILE (e.g.
`prlimit --nofile=256:256`) the descriptors run out and accept() fails with EMFILE
`[Errno 24] Too many open files`; the server logs it with its traceback and pauses accepting for
--accept-retry seconds (as asyncio's accept loop does), while new connections pile up unaccepted
in the listen queue and their clients time out.

Requests are answered at once (tiny JSON). Log lines use the host samples' format:
  2026-11-24T08:01:02.345Z LEVEL app [pid:thread] message
with a summary line every --stats-every seconds. Stdlib only, single thread, bound to
127.0.0.1 by default; stops on SIGTERM/SIGINT or after --max-seconds.
"""

import argparse
import json
import logging
import os
import selectors
import signal
import socket
import sys
import time

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


class Session:
    __slots__ = ("sock", "peer", "buf", "requests", "state", "opened")

    def __init__(self, sock, peer):
        self.sock, self.peer, self.buf, self.requests, self.state = sock, peer, b"", 0, "open"
        self.opened = time.time()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8020)
    ap.add_argument("--backlog", type=int, default=512, help="listen() backlog")
    ap.add_argument("--accept-retry", type=float, default=1.0, help="pause after an accept() failure (s)")
    ap.add_argument("--max-seconds", type=float, default=300.0, help="hard stop after this long")
    ap.add_argument("--stats-every", type=float, default=5.0)
    args = ap.parse_args()
    setup_logging()
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)

    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((args.host, args.port))
    lsock.listen(args.backlog)
    lsock.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(lsock, selectors.EVENT_READ, None)
    sessions = {}  # id -> Session (the registry that keeps every socket alive)
    next_id = 0
    served = accepted = accept_errors = hangups = 0
    accept_paused_until = None
    with open("/proc/self/limits") as f:
        nofile = next((ln.split()[3] for ln in f if ln.startswith("Max open files")), "?")
    LOG.info("listening on %s:%d model=single-thread-selectors (HTTP/1.1 keep-alive) backlog=%d nofile_limit=%s pid=%d",
             args.host, args.port, args.backlog, nofile, os.getpid())

    deadline = time.monotonic() + args.max_seconds
    next_stats = time.monotonic() + args.stats_every
    while not STOP and time.monotonic() < deadline:
        now = time.monotonic()
        if accept_paused_until is not None and now >= accept_paused_until:
            sel.register(lsock, selectors.EVENT_READ, None)
            accept_paused_until = None
        if now >= next_stats:
            n_open = sum(1 for s in sessions.values() if s.state == "open")
            LOG.info("sessions=%d open=%d closed_by_peer=%d served=%d accepted=%d accept_errors=%d",
                     len(sessions), n_open, len(sessions) - n_open, served, accepted, accept_errors)
            next_stats = now + args.stats_every
        for key, _mask in sel.select(timeout=0.2):
            if key.data is None:  # the listener: accept everything that is pending
                while True:
                    try:
                        conn, peer = lsock.accept()
                    except BlockingIOError:
                        break
                    except OSError as e:
                        accept_errors += 1
                        LOG.error("accept() failed: %s; pausing accepts for %.1f s", e, args.accept_retry,
                                  exc_info=True)
                        sel.unregister(lsock)
                        accept_paused_until = time.monotonic() + args.accept_retry
                        break
                    conn.setblocking(False)
                    accepted += 1
                    s = Session(conn, peer)
                    sessions[next_id] = s
                    sel.register(conn, selectors.EVENT_READ, next_id)
                    next_id += 1
                continue
            s = sessions[key.data]
            try:
                data = s.sock.recv(65536)
            except (ConnectionResetError, BlockingIOError) as e:
                data = b"" if isinstance(e, ConnectionResetError) else None
            if data is None:
                continue
            if not data:
                # The client hung up. BUG: the socket is unregistered but never closed, and the
                # session stays in the registry, so the fd stays open (CLOSE_WAIT).
                sel.unregister(s.sock)
                s.state = "closed_by_peer"
                hangups += 1
                continue
            s.buf += data
            while b"\r\n\r\n" in s.buf:
                _req, s.buf = s.buf.split(b"\r\n\r\n", 1)
                s.requests += 1
                body = json.dumps({"ok": True, "session": key.data, "n": s.requests}).encode()
                resp = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
                        + body)
                try:
                    s.sock.send(resp)
                    served += 1
                except OSError as e:
                    LOG.warning("send to %s:%d failed: %r", s.peer[0], s.peer[1], e)

    LOG.info("stopped sessions=%d served=%d accepted=%d accept_errors=%d hangups_not_closed=%d",
             len(sessions), served, accepted, accept_errors, hangups)
    logging.shutdown()


if __name__ == "__main__":
    main()
