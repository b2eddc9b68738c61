#!/usr/bin/env bash
# Capture a real on-host sample of gevent hubs blocked by a blocking C-level call.
#
#   scripts/capture/gevent-loop-blocked.sh [OUTPUT_DIR]
#
# gunicorn -k gevent with 2 workers and the gevent monitor thread on
# (GEVENT_MONITOR_THREAD_ENABLE=1, GEVENT_MAX_BLOCKING_TIME=0.1). For BLOCK_SHARE of the
# requests the WSGI handler fetches from a slow upstream through the C socket type
# (`_socket.socket`, which gevent's monkey-patching never replaces; what a C client library
# does), so the worker's hub stops for 150-350 ms at a time; the monitor thread prints
# "... appears to be blocked" reports with the blocked stack to the worker's stderr. CPU stays
# low. A 50 ms lag ticker greenlet in the first worker writes lag.csv.
#
# OUTPUT_DIR defaults to mocks/samples/gevent-loop-blocked (relative to the repo root). The
# ground-truth label goes to scripts/capture/labels/gevent-loop-blocked.json (LABEL=...), never
# into OUTPUT_DIR. Everything binds to 127.0.0.1, every child is bounded in time and killed by
# PID on exit (also on failure or Ctrl-C). See scripts/capture/README.md.
#
# Tunables (environment): PORT (8000), UPSTREAM_PORT (PORT+1), WORKERS (2), LEAD_S (15),
# LOAD_S (90), TAIL_S (15), CLIENTS (20), RATE (1 req/s per client), RAMP_S (5),
# CLIENT_TIMEOUT_S (10), BLOCK_SHARE (0.1), BLOCK_MIN_MS (150), BLOCK_MAX_MS (350),
# MAX_BLOCKING_TIME_S (0.1), APP_LOG_GZ_OVER_KB (600: a bigger app.log is kept as app.log.gz,
# which readers accept like app.log), DISK (auto), QUIET_WAIT_S (120), QUIET_RUN_S (5),
# QUIET_BUSY_PCT (10), MAX_OTHER_CPU_PCT (unset: only warn), GUNICORN (/usr/bin/gunicorn),
# PYTHON (/usr/bin/python3), LABEL, LABEL_INPUTS, KEEP_WORK=1.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="${1:-$ROOT/mocks/samples/gevent-loop-blocked}"
LABEL="${LABEL:-$HERE/labels/gevent-loop-blocked.json}"
PYTHON="${PYTHON:-/usr/bin/python3}"
[ -x "$PYTHON" ] || PYTHON="$(command -v python3)"
GUNICORN="${GUNICORN:-/usr/bin/gunicorn}"
# shellcheck source=capture-lib.sh
. "$HERE/capture-lib.sh"

PORT="${PORT:-8000}"
UPSTREAM_PORT="${UPSTREAM_PORT:-$(( PORT + 1 ))}"
WORKERS="${WORKERS:-2}"
LEAD_S="${LEAD_S:-15}"
LOAD_S="${LOAD_S:-90}"
TAIL_S="${TAIL_S:-15}"
CLIENTS="${CLIENTS:-20}"
RATE="${RATE:-1}"
RAMP_S="${RAMP_S:-5}"
CLIENT_TIMEOUT_S="${CLIENT_TIMEOUT_S:-10}"
BLOCK_SHARE="${BLOCK_SHARE:-0.1}"
BLOCK_MIN_MS="${BLOCK_MIN_MS:-150}"
BLOCK_MAX_MS="${BLOCK_MAX_MS:-350}"
MAX_BLOCKING_TIME_S="${MAX_BLOCKING_TIME_S:-0.1}"
APP_LOG_GZ_OVER_KB="${APP_LOG_GZ_OVER_KB:-600}"

cap_prereqs
[ -x "$GUNICORN" ] || die "gunicorn not found at $GUNICORN (apt-get install -y gunicorn python3-gevent)"
"$PYTHON" -c 'import gevent' 2>/dev/null || die "gevent not importable by $PYTHON (apt-get install -y python3-gevent)"
port_free "$PORT" || die "port $PORT is already in use (set PORT=...)"
port_free "$UPSTREAM_PORT" || die "port $UPSTREAM_PORT is already in use (set UPSTREAM_PORT=...)"

LOAD_BUDGET_S=$(( LOAD_S + ${CLIENT_TIMEOUT_S%.*} + 3 ))
N=$(( LEAD_S + LOAD_BUDGET_S + TAIL_S ))        # samples (1 s) in the window
APP_MAX_S=$(( N + 60 ))                          # gunicorn is stopped by `timeout` even if we are killed -9
log "window ${N}s = lead ${LEAD_S}s + load <= ${LOAD_BUDGET_S}s (${LOAD_S}s planned) + tail >= ${TAIL_S}s; disk $DISK; port $PORT, upstream $UPSTREAM_PORT"

cap_dirs glb
cap_traps
cap_host_info
cap_wait_quiet

# ---- the slow upstream and the app ------------------------------------------------------------
UPSTREAM_CMD=("$PYTHON" "$HERE/slow_upstream.py" --host 127.0.0.1 --port "$UPSTREAM_PORT" --max-seconds "$APP_MAX_S")
"${UPSTREAM_CMD[@]}" > /dev/null 2> "$WORK/upstream.log" &
UPSTREAM_PID=$!; PIDS+=("$UPSTREAM_PID")
wait_listening "$UPSTREAM_PORT" "$UPSTREAM_PID" 10 || die "upstream is not listening on $UPSTREAM_PORT: $(tail -5 "$WORK/upstream.log")"

APP_ENV=(GEVENT_MONITOR_THREAD_ENABLE=1 GEVENT_MAX_BLOCKING_TIME="$MAX_BLOCKING_TIME_S"
         UPSTREAM_PORT="$UPSTREAM_PORT" BLOCK_SHARE="$BLOCK_SHARE" BLOCK_MIN_MS="$BLOCK_MIN_MS"
         BLOCK_MAX_MS="$BLOCK_MAX_MS" LAG_CSV="$OUT/lag.csv" LAG_INTERVAL=0.05)
GUNICORN_CMD=("$GUNICORN" -k gevent -w "$WORKERS" -b "127.0.0.1:$PORT" --keep-alive 10 --graceful-timeout 5
              --error-logfile - --log-level info -c "$HERE/gevent_gunicorn_conf.py" --pythonpath "$HERE"
              gevent_blocking_app:app)
# `timeout` bounds gunicorn's life; it forwards our SIGTERM to the gunicorn master.
env "${APP_ENV[@]}" timeout --kill-after=10 "$APP_MAX_S" "${GUNICORN_CMD[@]}" > "$OUT/app.stdout.log" 2> "$OUT/app.log" &
APP_WRAP_PID=$!; PIDS+=("$APP_WRAP_PID")
wait_listening "$PORT" "$APP_WRAP_PID" 20 || die "gunicorn is not listening on $PORT: $(tail -5 "$OUT/app.log")"
# Worker PIDs from gunicorn's own log; the first worker (age 1) runs the lag ticker and is sampled.
for i in $(seq 1 100); do
  [ "$(grep -c 'Booting worker with pid:' "$OUT/app.log" || true)" -ge "$WORKERS" ] \
    && grep -q 'worker ready pid=[0-9]* age=1 ' "$OUT/app.log" && break
  kill -0 "$APP_WRAP_PID" 2>/dev/null || die "gunicorn exited early: $(tail -5 "$OUT/app.log")"
  sleep 0.2
done
MASTER_PID="$(sed -n 's/.*\[\([0-9]*\)\] \[INFO\] Starting gunicorn.*/\1/p' "$OUT/app.log" | head -1)"
WORKER_PIDS=($(sed -n 's/.*Booting worker with pid: \([0-9]*\).*/\1/p' "$OUT/app.log"))
W1="$(sed -n 's/.*worker ready pid=\([0-9]*\) age=1 .*/\1/p' "$OUT/app.log" | head -1)"
[ -n "$MASTER_PID" ] && [ -n "$W1" ] && [ "${#WORKER_PIDS[@]}" -ge "$WORKERS" ] \
  || die "could not find the gunicorn master/worker PIDs in app.log: $(tail -5 "$OUT/app.log")"
grep -q "Using worker: gevent" "$OUT/app.log" || die "gunicorn did not start gevent workers"
log "gunicorn master $MASTER_PID, workers ${WORKER_PIDS[*]} (sampled: $W1, lag ticker); $(ss -ltnH "sport = :$PORT" | tr -s ' ')"
sleep 2

cap_start_samplers "$W1" "$PORT" "$N"
log "lead-in ${LEAD_S}s"
sleep "$LEAD_S"

# ---- the load ------------------------------------------------------------------------------
LOAD_CMD=("$PYTHON" "$HERE/keepalive_load.py" --host 127.0.0.1 --port "$PORT" --clients "$CLIENTS" --rate "$RATE"
          --duration "$LOAD_S" --ramp "$RAMP_S" --timeout "$CLIENT_TIMEOUT_S" --out "$WORK/loadgen.json")
LOAD_START="$(utc_ms)"
log "load: $CLIENTS keep-alive clients x $RATE req/s for ${LOAD_S}s"
timeout --kill-after=5 "$(( LOAD_BUDGET_S + 10 ))" "${LOAD_CMD[@]}" > "$WORK/loadgen.out" 2>&1 &
LOAD_PID=$!; PIDS+=("$LOAD_PID")
wait_bounded "$LOAD_PID" $(( LOAD_BUDGET_S + 20 )); LOAD_RC=$WB_RC
LOAD_END="$(utc_ms)"
sed 's/^/  load: /' "$WORK/loadgen.out" >&2 || true
[ "$LOAD_RC" = 0 ] || log "load exited with $LOAD_RC"
log "tail: waiting for the samplers to finish the window"

# ---- end of window -------------------------------------------------------------------------
cap_wait_samplers $(( N + 30 ))
kill -TERM "$APP_WRAP_PID" 2>/dev/null || true
wait_bounded "$APP_WRAP_PID" 20; APP_RC=$WB_RC
kill -TERM "$UPSTREAM_PID" 2>/dev/null || true
wait_bounded "$UPSTREAM_PID" 10; UPSTREAM_RC=$WB_RC
for p in "$MASTER_PID" "${WORKER_PIDS[@]}"; do   # gunicorn stops its workers; make sure
  if kill -0 "$p" 2>/dev/null && grep -q gunicorn "/proc/$p/cmdline" 2>/dev/null; then
    log "gunicorn pid $p still running: killing it"; kill -KILL "$p" 2>/dev/null || true
  fi
done
APP_LOG_NAME=app.log
APP_LOG_BYTES="$(stat -c %s "$OUT/app.log")"
if [ "$APP_LOG_BYTES" -gt $(( APP_LOG_GZ_OVER_KB * 1024 )) ]; then
  gzip -9 "$OUT/app.log"; APP_LOG_NAME=app.log.gz
  log "app.log is $(( APP_LOG_BYTES / 1024 )) KiB: kept as app.log.gz ($(( $(stat -c %s "$OUT/app.log.gz") / 1024 )) KiB)"
fi
cap_sadf

# ---- run record + label --------------------------------------------------------------------
rec scenario_id gevent-loop-blocked
rec description "gunicorn -k gevent, $WORKERS workers, gevent monitor thread on (GEVENT_MONITOR_THREAD_ENABLE=1, GEVENT_MAX_BLOCKING_TIME=${MAX_BLOCKING_TIME_S}); for ~$(awk -v s="$BLOCK_SHARE" 'BEGIN{printf "%.0f", s*100}') % of requests the WSGI handler fetches from a slow upstream (${BLOCK_MIN_MS}-${BLOCK_MAX_MS} ms) through the C socket type (_socket.socket: gevent's monkey-patching never replaces it; what a C client library does), so the worker's hub cannot switch greenlets until recv() returns; $CLIENTS keep-alive clients at $RATE req/s each for ${LOAD_S}s. The monitor thread prints 'Greenlet ... appears to be blocked' reports with the blocked stack; the other greenlets of that worker (keep-alive clients, the 50 ms lag ticker) wait; the CPU stays low."
rec app_name "gunicorn -k gevent -w $WORKERS gevent_blocking_app:app (blocking C-level socket call to a slow upstream in the WSGI handler)"
rec port "$PORT"
rec upstream_port "$UPSTREAM_PORT"
rec disk "$DISK"
rec workers "$WORKERS"
rec lag_interval_s 0.05
rec max_blocking_time_s "$MAX_BLOCKING_TIME_S"
rec block_share "$BLOCK_SHARE"
rec block_ms "$BLOCK_MIN_MS-$BLOCK_MAX_MS"
rec app_log_file "$APP_LOG_NAME"
rec sampled_pid_role "worker (the first gunicorn worker, age 1, which also runs the lag ticker; pidstat-app.txt, threads.log, fds.log, proc-limits-*, app-fd-count-* are of this worker; the listen queue is the shared gunicorn listener)"
rec window_start_utc "$(meta start_utc)"
rec window_end_utc "$(meta end_utc)"
rec load_start_utc "$LOAD_START"
rec load_end_utc "$LOAD_END"
rec load_exit_code "$LOAD_RC"
rec pid.app "$W1"; rec pid.master "$MASTER_PID"
i=0; for p in "${WORKER_PIDS[@]}"; do i=$(( i + 1 )); rec "pid.worker$i" "$p"; done
rec pid.timeout_wrapper "$APP_WRAP_PID"; rec pid.upstream "$UPSTREAM_PID"; rec pid.load "$LOAD_PID"
rec_sampler_cmds
rec cmd.upstream "$(q "${UPSTREAM_CMD[@]}")"
rec cmd.app "$(q env "${APP_ENV[@]}" timeout --kill-after=10 "$APP_MAX_S" "${GUNICORN_CMD[@]}")"
rec cmd.load "$(q timeout --kill-after=5 "$(( LOAD_BUDGET_S + 10 ))" "${LOAD_CMD[@]}")"
rec note1 "captured by scripts/capture/gevent-loop-blocked.sh; gunicorn $("$GUNICORN" --version 2>&1 | awk '{print $NF}' | tr -d '()'), gevent $("$PYTHON" -c 'import gevent; print(gevent.__version__)'), greenlet $("$PYTHON" -c 'import greenlet; print(greenlet.__version__)'), Python $("$PYTHON" -c 'import platform; print(platform.python_version())'); the slow upstream (slow_upstream.py) is a separate process on 127.0.0.1:$UPSTREAM_PORT, its log is not part of the folder: $(tail -1 "$WORK/upstream.log" | sed 's/^.*\] //')"
rec note2 "app.log is gunicorn's error log (--error-logfile -), the app's own log lines and the gevent monitor reports, all on the workers' (inherited) stderr$([ "$APP_LOG_NAME" = app.log.gz ] && echo "; it was $(( APP_LOG_BYTES / 1024 )) KiB (every report carries the thread stacks and the greenlet tree), so it is kept gzip -9 as app.log.gz")"
rec note3 "no Prometheus/node_exporter in this capture; sa.bin and sadf-A.csv are not kept (sadf-A.json.gz is)"
rec note4 "exit codes: sampler $SAMPLER_RC, sadc $SADC_RC, iostat $IOSTAT_RC, pidstat $PIDSTAT_RC, app (timeout wrapper of gunicorn) $APP_RC, upstream $UPSTREAM_RC, load $LOAD_RC"

INPUTS="${LABEL_INPUTS:-$HERE/label-inputs/$(basename "${LABEL%.json}")}"
rm -rf "$INPUTS"; mkdir -p "$INPUTS"
cp "$RUN" "$INPUTS/run.env"; cp "$WORK/loadgen.json" "$INPUTS/loadgen.json"
CHECK_RC=0
"$PYTHON" "$HERE/make_loop_label.py" --sample "$OUT" --run-env "$INPUTS/run.env" --loadgen "$INPUTS/loadgen.json" \
  --pidstat-all "$WORK/pidstat-all.txt" --host-cpu-out "$INPUTS/host-cpu.json" \
  --out "$LABEL" --check ${MAX_OTHER_CPU_PCT:+--max-other-cpu "$MAX_OTHER_CPU_PCT"} >&2 || CHECK_RC=$?
log "wrote $OUT ($(du -sh "$OUT" | cut -f1)) and $LABEL"
case "$CHECK_RC" in
  0) ;;
  2) log "other processes used more than ${MAX_OTHER_CPU_PCT}% of the host CPU during the load: re-run when the host is quiet"; exit 2 ;;
  *) die "the capture does not show the mechanism cleanly (see FAIL lines above)" ;;
esac
