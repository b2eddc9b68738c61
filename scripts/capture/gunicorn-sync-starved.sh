#!/usr/bin/env bash
# Capture a gunicorn `sync` worker pool starved on a slow upstream.
#
#   scripts/capture/gunicorn-sync-starved.sh [OUTPUT_DIR]   (default mocks/samples/gunicorn-sync-starved)
#
# gunicorn -k sync -w WORKERS; every request waits UPSTREAM_MS on slow_upstream.py, so at most
# WORKERS requests are in service and the rest wait in the listener's accept queue while the CPUs
# idle; CLIENTS closed-loop clients (burst_load.py: a new HTTP/1.0 connection per request,
# CLIENT_TIMEOUT_S deadline) time out. Sampled by `fleetlens sample --pid MASTER --port PORT`.
# Everything binds to 127.0.0.1 and is bounded in time; every child is stopped by PID.
# Tunables: PORT (8040), UPSTREAM_PORT (PORT+1), WORKERS (2), UPSTREAM_MS (2000), CLIENTS (16),
# CLIENT_TIMEOUT_S (5), LEAD_S (15), LOAD_S (60), TAIL_S (15), GUNICORN, PYTHON, LABEL, KEEP_WORK=1.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SCENARIO=gunicorn-sync-starved
OUT="${1:-$ROOT/mocks/samples/$SCENARIO}"
LABEL="${LABEL:-$HERE/labels/$SCENARIO.json}"
PYTHON="${PYTHON:-/usr/bin/python3}"
GUNICORN="${GUNICORN:-/usr/bin/gunicorn}"
PORT="${PORT:-8040}"; UPSTREAM_PORT="${UPSTREAM_PORT:-$(( PORT + 1 ))}"
WORKERS="${WORKERS:-2}"; UPSTREAM_MS="${UPSTREAM_MS:-2000}"
CLIENTS="${CLIENTS:-16}"; CLIENT_TIMEOUT_S="${CLIENT_TIMEOUT_S:-5}"
LEAD_S="${LEAD_S:-15}"; LOAD_S="${LOAD_S:-60}"; TAIL_S="${TAIL_S:-15}"
# shellcheck source=workers-lib.sh
. "$HERE/workers-lib.sh"

workers_prereqs
[ -x "$GUNICORN" ] || die "gunicorn not found at $GUNICORN (apt-get install -y gunicorn)"
workers_dirs gss
cap_traps
cap_wait_quiet
workers_start_upstream
workers_start_app UPSTREAM_PORT="$UPSTREAM_PORT" UPSTREAM_MS="$UPSTREAM_MS" -- \
  "$GUNICORN" -k sync -w "$WORKERS" -b "127.0.0.1:$PORT" --timeout 30 --graceful-timeout 5 \
  --error-logfile - --log-level info --pythonpath "$HERE" sync_pool_app:app
workers_wait_children "$WORKERS"
workers_start_sample
workers_load "$PYTHON" "$HERE/burst_load.py" --host 127.0.0.1 --port "$PORT" --waves "${CLIENTS}x${LOAD_S}" \
  --timeout "$CLIENT_TIMEOUT_S" --out "$WORK/loadgen.json"
rec description "gunicorn -k sync -w $WORKERS; each request waits ${UPSTREAM_MS} ms on a slow upstream (synchronous urllib); $CLIENTS closed-loop clients open a new HTTP/1.0 connection per request with a ${CLIENT_TIMEOUT_S} s deadline for ${LOAD_S} s: both workers stay busy, the rest wait in the accept queue, the CPUs idle"
rec workers "$WORKERS"; rec worker_class sync; rec upstream_ms "$UPSTREAM_MS"; rec clients "$CLIENTS"
rec client_timeout_s "$CLIENT_TIMEOUT_S"
workers_finish
