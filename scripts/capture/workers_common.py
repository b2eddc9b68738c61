"""What the two worker-pool apps share (sync_pool_app.py, uvicorn_blocking_app.py).

Logging lines in the captures' format (`2026-11-24T08:01:02.345Z LEVEL app [pid:thread] message`,
on stderr, which the orchestrator sends to app.log), the call to the slow upstream
(slow_upstream.py on 127.0.0.1, `GET /lookup?ms=N`, synchronous urllib with a timeout: what a
`requests` call in a handler does), and the choice of one worker among several (the first to
take a lock file). Stdlib only.
"""

import logging
import os
import sys
import time
import urllib.request


class UtcFormatter(logging.Formatter):
    def formatTime(self, record, datefmt=None):  # noqa: N802 (logging's name)
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + ".%03dZ" % int(record.msecs)


def setup_logging(name="app"):
    """Root logger on stderr; asyncio's slow-callback warnings (debug mode) come out the same way."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(UtcFormatter("%(asctime)s %(levelname)s " + name + " [%(process)d:%(threadName)s] %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    return logging.getLogger(name)


def upstream_url(ms):
    port = int(os.environ.get("UPSTREAM_PORT", "8101"))
    return "http://127.0.0.1:%d/lookup?ms=%d" % (port, int(ms))


def fetch_upstream(ms, timeout_s=30.0):
    """Blocks the calling thread until the upstream answers (socket with a timeout: poll + recv)."""
    with urllib.request.urlopen(upstream_url(ms), timeout=timeout_s) as response:
        return response.read()


def first_worker(lock_path):
    """True in exactly one process: the first to create `lock_path` (O_EXCL)."""
    if not lock_path:
        return False
    try:
        fd = os.open(lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return False
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    return True
