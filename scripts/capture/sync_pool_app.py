"""WSGI app for the gunicorn `sync` capture (worker-pool starvation on a slow upstream).

Each request calls the slow upstream synchronously (UPSTREAM_MS, default 2000 ms): a sync worker
serves one request at a time, so with -w 2 at most 2 requests are in service and the rest wait in
the kernel's accept queue of the shared listener while the CPUs idle. Run by gunicorn:

    gunicorn -k sync -w 2 --pythonpath scripts/capture sync_pool_app:app
"""

import os

from workers_common import fetch_upstream, setup_logging

log = setup_logging("app")
UPSTREAM_MS = float(os.environ.get("UPSTREAM_MS", "2000"))
log.info("worker ready pid=%d upstream_ms=%d", os.getpid(), UPSTREAM_MS)


def app(environ, start_response):
    body = fetch_upstream(UPSTREAM_MS)
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
