#!/usr/bin/env python3
"""1 s counts of TCP socket states on one 127.0.0.1 port, from /proc/net/tcp (and tcp6).

One JSON line per second: {"utc": "...", "server": {"ESTABLISHED": n, "CLOSE_WAIT": n, ...},
"client": {...}} where `server` are sockets whose local port is PORT (the listener, accepted
connections and connections still waiting in the accept queue) and `client` those whose remote
port is PORT (the load generator's side). A label input (what `ss -tan` would show), not a file
of the public samples. Bounded by --count; SIGTERM/SIGINT stop it.
"""

import argparse
import json
import signal
import time
from datetime import datetime, timezone

STATES = {1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1", 5: "FIN_WAIT2", 6: "TIME_WAIT",
          7: "CLOSE", 8: "CLOSE_WAIT", 9: "LAST_ACK", 10: "LISTEN", 11: "CLOSING", 12: "NEW_SYN_RECV"}
STOP = False


def _stop(signum, _frame):
    global STOP
    STOP = True


def counts(port):
    server, client = {}, {}
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(path) as f:
                next(f, None)
                for line in f:
                    p = line.split()
                    if len(p) < 4:
                        continue
                    lport = int(p[1].rsplit(":", 1)[1], 16)
                    rport = int(p[2].rsplit(":", 1)[1], 16)
                    st = STATES.get(int(p[3], 16), p[3])
                    if lport == port:
                        server[st] = server.get(st, 0) + 1
                    elif rport == port:
                        client[st] = client.get(st, 0) + 1
        except OSError:
            pass
    return server, client


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--interval", type=float, default=1.0)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    t0 = time.monotonic()
    with open(args.out, "w", buffering=1) as f:
        for i in range(1, args.count + 1):
            delay = t0 + i * args.interval - time.monotonic()
            while delay > 0 and not STOP:
                time.sleep(min(delay, 0.2))
                delay = t0 + i * args.interval - time.monotonic()
            if STOP:
                break
            server, client = counts(args.port)
            f.write(json.dumps({"utc": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                                "server": server, "client": client}, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
