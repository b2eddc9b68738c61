#!/usr/bin/env bash
# Capture a real on-host sample of file-descriptor exhaustion: a single-threaded HTTP/1.1
# keep-alive server that never closes the sockets of clients that hung up (they stay in
# CLOSE_WAIT, one fd each), under RLIMIT_NOFILE 256 (prlimit --nofile=256:256 on the app alone),
# with clients that make one request per connection and hang up: the fd count climbs to the soft
# limit, accept() fails with EMFILE `[Errno 24] Too many open files`, new connections wait
# unaccepted in the listen queue and their clients time out.
#
#   flock /tmp/fleetlens-capture.lock scripts/capture/fd-exhaustion.sh [OUTPUT_DIR]
#
# OUTPUT_DIR defaults to mocks/samples/fd-exhaustion; the label goes to
# scripts/capture/labels/fd-exhaustion.json (LABEL=...), never into OUTPUT_DIR. Everything binds to
# 127.0.0.1; every child is bounded in time and killed by PID on exit. See scripts/capture/README.md.
#
# Tunables (environment): PORT (8020), NOFILE (256), BACKLOG (512), ACCEPT_RETRY_S (1),
# CLIENTS (5), THINK_S (1.0), LOAD_S (85), CLIENT_TIMEOUT_S (5), BACKOFF_S (1), BACKOFF_MAX_S (4),
# LEAD_S (15), TAIL_S (15), DISK, QUIET_WAIT_S (120), QUIET_RUN_S (5), QUIET_BUSY_PCT (10),
# MAX_OTHER_CPU_PCT, PYTHON (/usr/bin/python3), LABEL, LABEL_INPUTS, KEEP_WORK=1.
set -euo pipefail
SCENARIO=fd-exhaustion
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=resource_capture_lib.sh
source "$HERE/resource_capture_lib.sh"
cap_init "$@"

PORT="${PORT:-8020}"
NOFILE="${NOFILE:-256}"
BACKLOG="${BACKLOG:-512}"
ACCEPT_RETRY_S="${ACCEPT_RETRY_S:-1}"
CLIENTS="${CLIENTS:-5}"; THINK_S="${THINK_S:-1.0}"; LOAD_S="${LOAD_S:-85}"
CLIENT_TIMEOUT_S="${CLIENT_TIMEOUT_S:-5}"; BACKOFF_S="${BACKOFF_S:-1}"; BACKOFF_MAX_S="${BACKOFF_MAX_S:-4}"
LEAD_S="${LEAD_S:-15}"; TAIL_S="${TAIL_S:-15}"
cap_port_free "$PORT"

LOAD_BUDGET_S=$(( LOAD_S + ${CLIENT_TIMEOUT_S%.*} + 3 ))
N=$(( LEAD_S + LOAD_BUDGET_S + TAIL_S ))
APP_MAX_S=$(( N + 60 ))
log "window ${N}s = lead ${LEAD_S}s + load <= ${LOAD_BUDGET_S}s + tail >= ${TAIL_S}s; nofile $NOFILE; disk $DISK; port $PORT"

cap_dirs
cap_traps
cap_host_info
cap_quiet_wait

# ---- the app: RLIMIT_NOFILE set on it alone, started with only fds 0-2 open ---------------
APP_CMD=(prlimit "--nofile=$NOFILE:$NOFILE" "$PYTHON" "$HERE/leaky_fd_server.py" --host 127.0.0.1 --port "$PORT"
         --backlog "$BACKLOG" --accept-retry "$ACCEPT_RETRY_S" --max-seconds "$APP_MAX_S")
( cd /; run_clean "${APP_CMD[@]}" ) < /dev/null > "$OUT/app.stdout.log" 2> "$OUT/app.log" &
APP_PID=$!; PIDS+=("$APP_PID")
wait_listen "$APP_PID" "$PORT"
log "app pid $APP_PID ($(grep 'Max open files' "/proc/$APP_PID/limits" | tr -s ' '); $(ls "/proc/$APP_PID/fd" | wc -l) fds) listening"
sleep 2

cap_samplers "$APP_PID" "$PORT"
sleep "$LEAD_S"

# ---- the load ------------------------------------------------------------------------------
LOAD_CMD=("$PYTHON" "$HERE/conn_load.py" --host 127.0.0.1 --port "$PORT" --clients "$CLIENTS" --ramp 2
          --duration "$LOAD_S" --think "$THINK_S" --requests-per-conn 1 --timeout "$CLIENT_TIMEOUT_S"
          --backoff "$BACKOFF_S" --backoff-max "$BACKOFF_MAX_S" --out "$WORK/loadgen.json")
LOAD_FULL_CMD=(timeout --kill-after=5 "$(( LOAD_BUDGET_S + 10 ))" "${LOAD_CMD[@]}")
LOAD_START="$(utc_ms)"
log "load: $CLIENTS clients, one request per connection then hang up, think ${THINK_S}s, ${LOAD_S}s"
"${LOAD_FULL_CMD[@]}" > "$WORK/loadgen.out" 2>&1 &
LOAD_PID=$!; PIDS+=("$LOAD_PID")
wait_bounded "$LOAD_PID" $(( LOAD_BUDGET_S + 20 )); LOAD_RC=$WB_RC
LOAD_END="$(utc_ms)"
sed 's/^/  load: /' "$WORK/loadgen.out" >&2 || true
[ "$LOAD_RC" = 0 ] || log "load exited with $LOAD_RC"
log "tail: waiting for the samplers to finish the window"

cap_samplers_wait
kill -TERM "$APP_PID" 2>/dev/null || true
wait_bounded "$APP_PID" 10; APP_RC=$WB_RC
cap_sadf

# ---- run record + label --------------------------------------------------------------------
cap_record_common
rec description "Single-threaded selectors HTTP/1.1 keep-alive server that keeps every accepted connection in a session registry and, when the client hangs up, unregisters the socket but never closes it (the socket stays in CLOSE_WAIT and keeps its fd); RLIMIT_NOFILE $NOFILE (prlimit --nofile=$NOFILE:$NOFILE on the app), listen($BACKLOG). $CLIENTS clients make one request per connection and hang up (think ${THINK_S} s, ${CLIENT_TIMEOUT_S} s deadline, ${LOAD_S} s). The fd count climbs by one per connection to the soft limit; then accept() fails with EMFILE '[Errno 24] Too many open files' (retried every ${ACCEPT_RETRY_S} s), new connections wait unaccepted in the listen queue and their clients time out."
rec app_name "leaky_fd_server.py (single thread, selectors, keep-alive; never closes hung-up connections; RLIMIT_NOFILE $NOFILE)"
rec nofile_limit "$NOFILE"
rec note1 "captured by scripts/capture/fd-exhaustion.sh; no sysctl was changed (fs.file-max $(cat /proc/sys/fs/file-max), fs.nr_open $(cat /proc/sys/fs/nr_open), tcp_fin_timeout $(cat /proc/sys/net/ipv4/tcp_fin_timeout)); the limit is RLIMIT_NOFILE $NOFILE:$NOFILE on the app alone (prlimit; the host's ulimit -n is $(ulimit -n)); the app was started with only fds 0-2 open"
rec note2 "no Prometheus/node_exporter in this capture (no prometheus-queries/, prometheus-data/); sa.bin and sadf-A.csv are not kept (sadf-A.json.gz is)"
rec note3 "exit codes: sampler $SAMPLER_RC, sadc $SADC_RC, iostat $IOSTAT_RC, pidstat $PIDSTAT_RC, app $APP_RC, load $LOAD_RC"
cap_label
