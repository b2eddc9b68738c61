#!/usr/bin/env bash
# Capture a real on-host sample of thread exhaustion: a thread-per-connection HTTP server
# (http.server.ThreadingHTTPServer, socketserver.ThreadingMixIn: one unbounded thread per
# keep-alive connection) with a slow handler (2-5 s upstream), running as an unprivileged user
# under RLIMIT_NPROC (prlimit --nproc; it counts every thread of that user and is not enforced
# for root), under a ramp of keep-alive clients: threads climb to the limit, Thread.start()
# fails with `RuntimeError: can't start new thread`, clients beyond the limit are cut off.
#
#   flock /tmp/fleetlens-capture.lock scripts/capture/thread-exhaustion.sh [OUTPUT_DIR]
#
# OUTPUT_DIR defaults to mocks/samples/thread-exhaustion; the label goes to
# scripts/capture/labels/thread-exhaustion.json (LABEL=...), never into OUTPUT_DIR. Everything
# binds to 127.0.0.1; every child is bounded in time and killed by PID on exit (also on failure or
# Ctrl-C); the limit applies to the app only. See scripts/capture/README.md.
#
# Tunables (environment): PORT (8010), NPROC_LIMIT (500), APP_USER (nobody), APP_GROUP (nogroup),
# UPSTREAM_MIN_S (2), UPSTREAM_MAX_S (5), CLIENTS (540), RAMP_S (40), LOAD_S (85), THINK_S (0.2),
# REQS_PER_CONN (0 = keep each connection), CLIENT_TIMEOUT_S (10), BACKOFF_S (1), BACKOFF_MAX_S (20), LEAD_S (15),
# TAIL_S (15), DISK, QUIET_WAIT_S (120), QUIET_RUN_S (5), QUIET_BUSY_PCT (10), MAX_OTHER_CPU_PCT,
# PYTHON (/usr/bin/python3), LABEL, LABEL_INPUTS, KEEP_WORK=1.
set -euo pipefail
SCENARIO=thread-exhaustion
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=resource_capture_lib.sh
source "$HERE/resource_capture_lib.sh"
cap_init "$@"

PORT="${PORT:-8010}"
NPROC_LIMIT="${NPROC_LIMIT:-500}"
APP_USER="${APP_USER:-nobody}"; APP_GROUP="${APP_GROUP:-nogroup}"
UPSTREAM_MIN_S="${UPSTREAM_MIN_S:-2}"; UPSTREAM_MAX_S="${UPSTREAM_MAX_S:-5}"
CLIENTS="${CLIENTS:-540}"; RAMP_S="${RAMP_S:-40}"; LOAD_S="${LOAD_S:-85}"; THINK_S="${THINK_S:-0.2}"
REQS_PER_CONN="${REQS_PER_CONN:-0}"; CLIENT_TIMEOUT_S="${CLIENT_TIMEOUT_S:-10}"
BACKOFF_S="${BACKOFF_S:-1}"; BACKOFF_MAX_S="${BACKOFF_MAX_S:-20}"
LEAD_S="${LEAD_S:-15}"; TAIL_S="${TAIL_S:-15}"

command -v setpriv >/dev/null || die "setpriv not found (util-linux)"
[ "$(id -u)" = 0 ] || die "run as root: the app is started as $APP_USER with setpriv (RLIMIT_NPROC is not enforced for root)"
APP_UID="$(id -u "$APP_USER")" || die "no user $APP_USER"
# RLIMIT_NPROC counts every process/thread of the user: the app must be the only one.
USER_TASKS="$( (ps -L -u "$APP_USER" --no-headers 2>/dev/null || true) | wc -l)"
[ "$USER_TASKS" = 0 ] || die "$APP_USER already runs $USER_TASKS tasks (they would count against RLIMIT_NPROC); set APP_USER=..."
cap_port_free "$PORT"

LOAD_BUDGET_S=$(( LOAD_S + ${CLIENT_TIMEOUT_S%.*} + 3 ))
N=$(( LEAD_S + LOAD_BUDGET_S + TAIL_S ))
APP_MAX_S=$(( N + 60 ))
log "window ${N}s = lead ${LEAD_S}s + load <= ${LOAD_BUDGET_S}s + tail >= ${TAIL_S}s; nproc limit $NPROC_LIMIT for $APP_USER; disk $DISK; port $PORT"

cap_dirs
cap_traps
cap_host_info
cap_quiet_wait

# ---- the app: unprivileged, RLIMIT_NPROC set on it alone -----------------------------------
APP_CMD=(prlimit "--nproc=$NPROC_LIMIT:$NPROC_LIMIT" setpriv "--reuid=$APP_USER" "--regid=$APP_GROUP" --clear-groups --
         "$PYTHON" "$HERE/thread_per_conn_server.py" --host 127.0.0.1 --port "$PORT"
         --upstream-min "$UPSTREAM_MIN_S" --upstream-max "$UPSTREAM_MAX_S" --max-seconds "$APP_MAX_S")
( cd /; run_clean "${APP_CMD[@]}" ) < /dev/null > "$OUT/app.stdout.log" 2> "$OUT/app.log" &
APP_PID=$!; PIDS+=("$APP_PID")
wait_listen "$APP_PID" "$PORT"
[ "$(stat -c %u "/proc/$APP_PID")" = "$APP_UID" ] || die "app pid $APP_PID does not run as $APP_USER"
log "app pid $APP_PID ($APP_USER, $(grep 'Max processes' "/proc/$APP_PID/limits" | tr -s ' ')) listening"
sleep 2

cap_samplers "$APP_PID" "$PORT"
sleep "$LEAD_S"

# ---- the load ------------------------------------------------------------------------------
LOAD_CMD=("$PYTHON" "$HERE/conn_load.py" --host 127.0.0.1 --port "$PORT" --clients "$CLIENTS" --ramp "$RAMP_S"
          --duration "$LOAD_S" --think "$THINK_S" --requests-per-conn "$REQS_PER_CONN" --timeout "$CLIENT_TIMEOUT_S"
          --backoff "$BACKOFF_S" --backoff-max "$BACKOFF_MAX_S" --out "$WORK/loadgen.json")
LOAD_FULL_CMD=(timeout --kill-after=5 "$(( LOAD_BUDGET_S + 10 ))" "${LOAD_CMD[@]}")
LOAD_START="$(utc_ms)"
log "load: $CLIENTS keep-alive clients over ${RAMP_S}s, ${LOAD_S}s"
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
if [ "$REQS_PER_CONN" = 0 ]; then PER_CONN_TXT="each client keeps its connection"; else PER_CONN_TXT="$REQS_PER_CONN requests per connection"; fi
rec description "Thread-per-connection HTTP/1.1 server (http.server.ThreadingHTTPServer = socketserver.ThreadingMixIn: one new, unbounded thread per keep-alive connection) whose handler waits ${UPSTREAM_MIN_S}-${UPSTREAM_MAX_S} s for a slow upstream; it runs as $APP_USER with RLIMIT_NPROC $NPROC_LIMIT (prlimit --nproc; counts every thread of the user). $CLIENTS keep-alive clients ramp up over ${RAMP_S} s (${LOAD_S} s of load, $PER_CONN_TXT, ${CLIENT_TIMEOUT_S} s deadline, back-off ${BACKOFF_S}-${BACKOFF_MAX_S} s after errors). The thread count climbs with the open connections to the limit and plateaus; further Thread.start() calls fail with 'RuntimeError: can't start new thread' and those connections are closed unanswered."
rec app_name "thread_per_conn_server.py (ThreadingHTTPServer, thread per keep-alive connection, ${UPSTREAM_MIN_S}-${UPSTREAM_MAX_S} s upstream; user $APP_USER, RLIMIT_NPROC $NPROC_LIMIT)"
rec app_user "$APP_USER"
rec nproc_limit "$NPROC_LIMIT"
rec user_tasks_before "$USER_TASKS"
rec note1 "captured by scripts/capture/thread-exhaustion.sh; no sysctl was changed (kernel.threads-max $(cat /proc/sys/kernel/threads-max), kernel.pid_max $(cat /proc/sys/kernel/pid_max)); the limit is RLIMIT_NPROC $NPROC_LIMIT on the app alone (prlimit), which runs as $APP_USER (uid $APP_UID, no other tasks of that user before the run: $USER_TASKS) because RLIMIT_NPROC is not enforced for root"
rec note2 "no Prometheus/node_exporter in this capture (no prometheus-queries/, prometheus-data/); sa.bin and sadf-A.csv are not kept (sadf-A.json.gz is)"
rec note3 "exit codes: sampler $SAMPLER_RC, sadc $SADC_RC, iostat $IOSTAT_RC, pidstat $PIDSTAT_RC, app $APP_RC, load $LOAD_RC"
cap_label
