"""ASGI app for the `uvicorn --workers N` capture (one blocked event loop among the workers).

Every worker answers requests in a few milliseconds. One worker (the first to take BLOCKER_LOCK)
also refreshes a "cache" every REFRESH_EVERY_S seconds by calling the slow upstream synchronously
inside its event loop (REFRESH_MS, default 1500 ms): while it waits, that worker's loop runs
nothing else, its clients stall, the other workers are unaffected and the CPUs idle. With
PYTHONASYNCIODEBUG=1 asyncio logs `Executing <...> took N seconds` for each stall. Run by uvicorn:

    uvicorn --workers 2 --app-dir scripts/capture uvicorn_blocking_app:app
"""

import asyncio
import os

from workers_common import fetch_upstream, first_worker, setup_logging

log = setup_logging("app")
REFRESH_MS = float(os.environ.get("REFRESH_MS", "1500"))
REFRESH_EVERY_S = float(os.environ.get("REFRESH_EVERY_S", "2"))
state = {"refresher": None}


async def refresh_forever():
    while True:
        await asyncio.sleep(REFRESH_EVERY_S)
        fetch_upstream(REFRESH_MS)  # the bug: a blocking call on the loop


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                blocker = first_worker(os.environ.get("BLOCKER_LOCK", ""))
                if blocker:
                    state["refresher"] = asyncio.get_running_loop().create_task(refresh_forever())
                log.info("worker ready pid=%d blocking_refresh=%s", os.getpid(), blocker)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = b"ok\n"
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
