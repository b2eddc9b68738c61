#!/usr/bin/env bash
# Capture `uvicorn --workers 2` with one blocked event loop.
#
#   scripts/capture/uvicorn-workers-blocked.sh [OUTPUT_DIR]   (default mocks/samples/uvicorn-workers-blocked)
#
# uvicorn --workers WORKERS (one event loop per process) running uvicorn_blocking_app.py in
# asyncio debug mode (PYTHONASYNCIODEBUG=1); one worker refreshes a cache every REFRESH_EVERY_S by
# a synchronous REFRESH_MS call to slow_upstream.py inside its loop. CLIENTS keep-alive clients
# (keepalive_load.py) at RATE req/s each. Sampled by `fleetlens sample --pid MASTER --port PORT`.
# Everything binds to 127.0.0.1 and is bounded in time; every child is stopped by PID.
# Tunables: PORT (8050), UPSTREAM_PORT (PORT+1), WORKERS (2), REFRESH_MS (1500), REFRESH_EVERY_S (2),
# CLIENTS (8), RATE (5), CLIENT_TIMEOUT_S (5), LEAD_S (15), LOAD_S (60), TAIL_S (15), PYTHON, LABEL, KEEP_WORK=1.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SCENARIO=uvicorn-workers-blocked
OUT="${1:-$ROOT/mocks/samples/$SCENARIO}"
LABEL="${LABEL:-$HERE/labels/$SCENARIO.json}"
PYTHON="${PYTHON:-/usr/bin/python3}"
PORT="${PORT:-8050}"; UPSTREAM_PORT="${UPSTREAM_PORT:-$(( PORT + 1 ))}"
WORKERS="${WORKERS:-2}"; REFRESH_MS="${REFRESH_MS:-1500}"; REFRESH_EVERY_S="${REFRESH_EVERY_S:-2}"
CLIENTS="${CLIENTS:-8}"; RATE="${RATE:-5}"; CLIENT_TIMEOUT_S="${CLIENT_TIMEOUT_S:-5}"
LEAD_S="${LEAD_S:-15}"; LOAD_S="${LOAD_S:-60}"; TAIL_S="${TAIL_S:-15}"
# shellcheck source=workers-lib.sh
. "$HERE/workers-lib.sh"

workers_prereqs
"$PYTHON" -c 'import uvicorn' 2>/dev/null || die "uvicorn not importable (apt-get install -y python3-uvicorn)"
workers_dirs uwb
cap_traps
cap_wait_quiet
workers_start_upstream
workers_start_app UPSTREAM_PORT="$UPSTREAM_PORT" REFRESH_MS="$REFRESH_MS" REFRESH_EVERY_S="$REFRESH_EVERY_S" \
  BLOCKER_LOCK="$WORK/blocker.lock" PYTHONASYNCIODEBUG=1 -- \
  "$PYTHON" -m uvicorn --workers "$WORKERS" --host 127.0.0.1 --port "$PORT" --app-dir "$HERE" \
  --timeout-keep-alive 10 uvicorn_blocking_app:app
workers_wait_children "$WORKERS"
workers_start_sample
workers_load "$PYTHON" "$HERE/keepalive_load.py" --host 127.0.0.1 --port "$PORT" --clients "$CLIENTS" --rate "$RATE" \
  --duration "$LOAD_S" --ramp 5 --timeout "$CLIENT_TIMEOUT_S" --out "$WORK/loadgen.json"
rec description "uvicorn --workers $WORKERS (one event loop per process), asyncio debug mode; one worker calls a slow upstream synchronously (${REFRESH_MS} ms) inside its loop every ${REFRESH_EVERY_S} s; $CLIENTS keep-alive clients at $RATE req/s each for ${LOAD_S} s: clients of that worker stall, the other worker is fine, the CPUs idle"
rec workers "$WORKERS"; rec refresh_ms "$REFRESH_MS"; rec refresh_every_s "$REFRESH_EVERY_S"; rec clients "$CLIENTS"
rec blocker_pid "$(cat "$WORK/blocker.lock" 2>/dev/null || echo unknown)"
workers_finish
