#!/usr/bin/env bash
# Capture a real on-host sample of a busy but healthy host: a threaded HTTP/1.1 app whose
# requests (JSON + zlib/hashlib CPU work + a 10-30 ms upstream wait) run in a well-sized
# ThreadPoolExecutor(32), under a steady keep-alive load that keeps the 2 CPUs roughly 50-70 %
# busy with nothing queueing: no errors, no timeouts, flat latency. Not a fault: the label's
# class is `healthy`.
#
#   flock /tmp/fleetlens-capture.lock scripts/capture/busy-healthy.sh [OUTPUT_DIR]
#
# OUTPUT_DIR defaults to mocks/samples/busy-healthy; the label goes to
# scripts/capture/labels/busy-healthy.json (LABEL=...), never into OUTPUT_DIR. Everything binds to
# 127.0.0.1; every child is bounded in time and killed by PID on exit. See scripts/capture/README.md.
#
# Tunables (environment): PORT (8030), METRICS_PORT (8031; 0 = no metrics), WORKERS (32),
# CPU_UNITS (11), ITEMS (200), IO_MIN_S (0.010), IO_MAX_S (0.030), CLIENTS (24), THINK_S (0.25),
# RAMP_S (5), LOAD_S (85), CLIENT_TIMEOUT_S (5), LEAD_S (15), TAIL_S (15), DISK, QUIET_WAIT_S (120),
# QUIET_RUN_S (5), QUIET_BUSY_PCT (10), MAX_OTHER_CPU_PCT, PYTHON (/usr/bin/python3), LABEL,
# LABEL_INPUTS, KEEP_WORK=1.
set -euo pipefail
SCENARIO=busy-healthy
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=resource_capture_lib.sh
source "$HERE/resource_capture_lib.sh"
cap_init "$@"

PORT="${PORT:-8030}"; METRICS_PORT="${METRICS_PORT:-8031}"
WORKERS="${WORKERS:-32}"; CPU_UNITS="${CPU_UNITS:-11}"; ITEMS="${ITEMS:-200}"
IO_MIN_S="${IO_MIN_S:-0.010}"; IO_MAX_S="${IO_MAX_S:-0.030}"
CLIENTS="${CLIENTS:-24}"; THINK_S="${THINK_S:-0.25}"; RAMP_S="${RAMP_S:-5}"; LOAD_S="${LOAD_S:-85}"
CLIENT_TIMEOUT_S="${CLIENT_TIMEOUT_S:-5}"
LEAD_S="${LEAD_S:-15}"; TAIL_S="${TAIL_S:-15}"
cap_port_free "$PORT"
[ "$METRICS_PORT" = 0 ] || cap_port_free "$METRICS_PORT"
if [ "$METRICS_PORT" != 0 ] && ! "$PYTHON" -c 'import prometheus_client' 2>/dev/null; then
  log "prometheus_client not importable (apt-get install -y python3-prometheus-client): no metrics"
  METRICS_PORT=0
fi

LOAD_BUDGET_S=$(( LOAD_S + ${CLIENT_TIMEOUT_S%.*} + 3 ))
N=$(( LEAD_S + LOAD_BUDGET_S + TAIL_S ))
APP_MAX_S=$(( N + 60 ))
log "window ${N}s = lead ${LEAD_S}s + load <= ${LOAD_BUDGET_S}s + tail >= ${TAIL_S}s; disk $DISK; port $PORT (metrics $METRICS_PORT)"

cap_dirs
cap_traps
cap_host_info
cap_quiet_wait

# ---- the app -------------------------------------------------------------------------------
APP_CMD=("$PYTHON" "$HERE/pool_busy_app.py" --host 127.0.0.1 --port "$PORT" --metrics-port "$METRICS_PORT"
         --workers "$WORKERS" --cpu-units "$CPU_UNITS" --items "$ITEMS" --io-min "$IO_MIN_S" --io-max "$IO_MAX_S"
         --max-seconds "$APP_MAX_S")
( cd /; run_clean "${APP_CMD[@]}" ) < /dev/null > "$OUT/app.stdout.log" 2> "$OUT/app.log" &
APP_PID=$!; PIDS+=("$APP_PID")
wait_listen "$APP_PID" "$PORT"
log "app pid $APP_PID listening"
sleep 2

cap_samplers "$APP_PID" "$PORT"
if [ "$METRICS_PORT" != 0 ]; then
  # The app's own metrics, 1 s (work dir -> label inputs): what a Prometheus scrape would store.
  POLL_CMD=("$PYTHON" "$HERE/metrics_poll.py" --url "http://127.0.0.1:$METRICS_PORT/metrics" --count "$N"
            --out "$WORK/app-metrics.jsonl" --metric threadpool_queue_depth --metric threadpool_active_workers
            --metric threadpool_max_workers --metric http_requests_in_flight --metric process_threads
            --metric threadpool_queue_wait_seconds_count --metric threadpool_queue_wait_seconds_sum
            --metric http_request_duration_seconds_count --metric http_request_duration_seconds_sum
            --metric http_handler_errors_total --metric process_open_fds)
  "${POLL_CMD[@]}" > "$WORK/metrics-poll.out" 2>&1 & POLL_PID=$!; PIDS+=("$POLL_PID")
fi
sleep "$LEAD_S"

# ---- the load ------------------------------------------------------------------------------
LOAD_CMD=("$PYTHON" "$HERE/conn_load.py" --host 127.0.0.1 --port "$PORT" --clients "$CLIENTS" --ramp "$RAMP_S"
          --duration "$LOAD_S" --think "$THINK_S" --requests-per-conn 0 --timeout "$CLIENT_TIMEOUT_S"
          --out "$WORK/loadgen.json")
LOAD_FULL_CMD=(timeout --kill-after=5 "$(( LOAD_BUDGET_S + 10 ))" "${LOAD_CMD[@]}")
LOAD_START="$(utc_ms)"
log "load: $CLIENTS keep-alive clients, think ${THINK_S}s, ${LOAD_S}s"
"${LOAD_FULL_CMD[@]}" > "$WORK/loadgen.out" 2>&1 &
LOAD_PID=$!; PIDS+=("$LOAD_PID")
wait_bounded "$LOAD_PID" $(( LOAD_BUDGET_S + 20 )); LOAD_RC=$WB_RC
LOAD_END="$(utc_ms)"
sed 's/^/  load: /' "$WORK/loadgen.out" >&2 || true
[ "$LOAD_RC" = 0 ] || log "load exited with $LOAD_RC"
log "tail: waiting for the samplers to finish the window"

cap_samplers_wait
[ -z "${POLL_PID:-}" ] || wait_bounded "$POLL_PID" 15
kill -TERM "$APP_PID" 2>/dev/null || true
wait_bounded "$APP_PID" 10; APP_RC=$WB_RC
cap_sadf

# ---- run record + label --------------------------------------------------------------------
cap_record_common
rec description "Threaded HTTP/1.1 keep-alive app: a selectors loop hands each request to a ThreadPoolExecutor(max_workers=$WORKERS); a request builds a JSON report ($ITEMS items, pure Python), compresses it $CPU_UNITS times with zlib and hashes it (C code that releases the GIL), then waits ${IO_MIN_S}-${IO_MAX_S} s for a fast upstream. $CLIENTS keep-alive clients (think ${THINK_S} s, ${LOAD_S} s, ${CLIENT_TIMEOUT_S} s deadline) keep the CPUs busy while the pool never fills: no queueing, no errors, flat latency. Busy but healthy."
rec app_name "pool_busy_app.py (ThreadPoolExecutor max_workers=$WORKERS)"
[ "$METRICS_PORT" = 0 ] || rec metrics_url "http://127.0.0.1:$METRICS_PORT/metrics"
[ -z "${POLL_PID:-}" ] || { rec pid.metrics_poll "$POLL_PID"; rec cmd.metrics_poll "$(q "${POLL_CMD[@]}")"; }
rec workers "$WORKERS"
rec note1 "captured by scripts/capture/busy-healthy.sh; no sysctl was changed and no limit was set on the app"
rec note2 "no Prometheus/node_exporter in this capture (no prometheus-queries/, prometheus-data/); the app's /metrics was polled every second into the label inputs (app-metrics.jsonl.gz), not into the folder; sa.bin and sadf-A.csv are not kept (sadf-A.json.gz is)"
rec note3 "exit codes: sampler $SAMPLER_RC, sadc $SADC_RC, iostat $IOSTAT_RC, pidstat $PIDSTAT_RC, app $APP_RC, load $LOAD_RC"
cap_label
