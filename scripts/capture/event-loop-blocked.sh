#!/usr/bin/env bash
# Capture a real on-host sample of an asyncio event loop blocked by synchronous I/O.
#
#   scripts/capture/event-loop-blocked.sh [OUTPUT_DIR]
#
# An aiohttp app (asyncio debug mode, slow_callback_duration 0.1 s) whose handler makes a
# synchronous HTTP call (urllib, like requests.get) to a slow upstream inside the coroutine
# for BLOCK_SHARE of the requests, under a modest keep-alive load: the loop stalls for
# 150-350 ms at a time while the CPU stays nearly idle.
#
# OUTPUT_DIR defaults to mocks/samples/event-loop-blocked (relative to the repo root). The
# ground-truth label goes to scripts/capture/labels/event-loop-blocked.json (LABEL=...), never
# into OUTPUT_DIR. Everything binds to 127.0.0.1, every child is bounded in time and killed by
# PID on exit (also on failure or Ctrl-C). See scripts/capture/README.md.
#
# Tunables (environment): PORT (8000), UPSTREAM_PORT (PORT+1), LEAD_S (15), LOAD_S (90),
# TAIL_S (15), CLIENTS (20), RATE (1 req/s per client), RAMP_S (5), CLIENT_TIMEOUT_S (10),
# BLOCK_SHARE (0.1), BLOCK_MIN_MS (150), BLOCK_MAX_MS (350), SLOW_CALLBACK_S (0.1), DISK (auto),
# QUIET_WAIT_S (120), QUIET_RUN_S (5), QUIET_BUSY_PCT (10), MAX_OTHER_CPU_PCT (unset: only warn;
# set e.g. 5 to exit 2 when other work used more CPU than that during the load),
# PYTHON (/usr/bin/python3: Debian's python3-aiohttp), LABEL, LABEL_INPUTS, KEEP_WORK=1.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="${1:-$ROOT/mocks/samples/event-loop-blocked}"
LABEL="${LABEL:-$HERE/labels/event-loop-blocked.json}"
PYTHON="${PYTHON:-/usr/bin/python3}"
[ -x "$PYTHON" ] || PYTHON="$(command -v python3)"
# shellcheck source=capture-lib.sh
. "$HERE/capture-lib.sh"

PORT="${PORT:-8000}"
UPSTREAM_PORT="${UPSTREAM_PORT:-$(( PORT + 1 ))}"
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
SLOW_CALLBACK_S="${SLOW_CALLBACK_S:-0.1}"

cap_prereqs
"$PYTHON" -c 'import aiohttp' 2>/dev/null || die "aiohttp not importable by $PYTHON (apt-get install -y python3-aiohttp)"
port_free "$PORT" || die "port $PORT is already in use (set PORT=...)"
port_free "$UPSTREAM_PORT" || die "port $UPSTREAM_PORT is already in use (set UPSTREAM_PORT=...)"

LOAD_BUDGET_S=$(( LOAD_S + ${CLIENT_TIMEOUT_S%.*} + 3 ))
N=$(( LEAD_S + LOAD_BUDGET_S + TAIL_S ))        # samples (1 s) in the window
APP_MAX_S=$(( N + 60 ))                          # the app stops by itself even if we are killed -9
log "window ${N}s = lead ${LEAD_S}s + load <= ${LOAD_BUDGET_S}s (${LOAD_S}s planned) + tail >= ${TAIL_S}s; disk $DISK; port $PORT, upstream $UPSTREAM_PORT"

cap_dirs elb
cap_traps
cap_host_info
cap_wait_quiet

# ---- the slow upstream and the app ------------------------------------------------------------
UPSTREAM_CMD=("$PYTHON" "$HERE/slow_upstream.py" --host 127.0.0.1 --port "$UPSTREAM_PORT" --max-seconds "$APP_MAX_S")
"${UPSTREAM_CMD[@]}" > /dev/null 2> "$WORK/upstream.log" &
UPSTREAM_PID=$!; PIDS+=("$UPSTREAM_PID")
wait_listening "$UPSTREAM_PORT" "$UPSTREAM_PID" 10 || die "upstream is not listening on $UPSTREAM_PORT: $(tail -5 "$WORK/upstream.log")"

APP_CMD=("$PYTHON" "$HERE/asyncio_blocking_app.py" --host 127.0.0.1 --port "$PORT"
         --upstream "http://127.0.0.1:$UPSTREAM_PORT/lookup" --block-share "$BLOCK_SHARE"
         --block-min-ms "$BLOCK_MIN_MS" --block-max-ms "$BLOCK_MAX_MS" --slow-callback "$SLOW_CALLBACK_S"
         --lag-interval 0.1 --lag-csv "$OUT/lag.csv" --max-seconds "$APP_MAX_S")
PYTHONASYNCIODEBUG=1 "${APP_CMD[@]}" > "$OUT/app.stdout.log" 2> "$OUT/app.log" &
APP_PID=$!; PIDS+=("$APP_PID")
wait_listening "$PORT" "$APP_PID" 15 || die "app is not listening on $PORT: $(tail -5 "$OUT/app.log")"
log "app pid $APP_PID listening: $(ss -ltnH "sport = :$PORT" | tr -s ' ')"
sleep 2

cap_start_samplers "$APP_PID" "$PORT" "$N"
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
kill -TERM "$APP_PID" 2>/dev/null || true
wait_bounded "$APP_PID" 10; APP_RC=$WB_RC
kill -TERM "$UPSTREAM_PID" 2>/dev/null || true
wait_bounded "$UPSTREAM_PID" 10; UPSTREAM_RC=$WB_RC
cap_sadf

# ---- run record + label --------------------------------------------------------------------
rec scenario_id event-loop-blocked
rec description "aiohttp app (one asyncio event loop, one thread, asyncio debug mode with slow_callback_duration ${SLOW_CALLBACK_S}s) whose request handler, for ~$(awk -v s="$BLOCK_SHARE" 'BEGIN{printf "%.0f", s*100}') % of requests, makes a synchronous HTTP call (urllib.request, as requests.get would) to a slow upstream (${BLOCK_MIN_MS}-${BLOCK_MAX_MS} ms) directly inside the coroutine; $CLIENTS keep-alive clients at $RATE req/s each for ${LOAD_S}s. While the call waits in recv() the loop runs nothing else: every other request, keep-alive connection and timer waits (asyncio logs 'Executing <Task ...> took N.NNN seconds', the 100 ms lag ticker wakes late), yet the CPU is nearly idle."
rec app_name "asyncio_blocking_app.py (aiohttp, asyncio debug mode; sync urllib call to a slow upstream inside the handler coroutine)"
rec port "$PORT"
rec upstream_port "$UPSTREAM_PORT"
rec disk "$DISK"
rec lag_interval_s 0.1
rec slow_callback_duration_s "$SLOW_CALLBACK_S"
rec block_share "$BLOCK_SHARE"
rec block_ms "$BLOCK_MIN_MS-$BLOCK_MAX_MS"
rec sampled_pid_role "app (the single asyncio process)"
rec window_start_utc "$(meta start_utc)"
rec window_end_utc "$(meta end_utc)"
rec load_start_utc "$LOAD_START"
rec load_end_utc "$LOAD_END"
rec load_exit_code "$LOAD_RC"
rec pid.app "$APP_PID"; rec pid.upstream "$UPSTREAM_PID"; rec pid.load "$LOAD_PID"
rec_sampler_cmds
rec cmd.upstream "$(q "${UPSTREAM_CMD[@]}")"
rec cmd.app "PYTHONASYNCIODEBUG=1 $(q "${APP_CMD[@]}")"
rec cmd.load "$(q timeout --kill-after=5 "$(( LOAD_BUDGET_S + 10 ))" "${LOAD_CMD[@]}")"
rec note1 "captured by scripts/capture/event-loop-blocked.sh; the slow upstream (slow_upstream.py, thread per connection, answers after the delay the app asks for) is a separate process on 127.0.0.1:$UPSTREAM_PORT; its log is not part of the folder: $(tail -1 "$WORK/upstream.log" | sed 's/^.*\] //')"
rec note2 "no Prometheus/node_exporter in this capture (no prometheus-queries/, prometheus-data/; the app serves /metrics but nothing scraped it); sa.bin and sadf-A.csv are not kept (sadf-A.json.gz is)"
rec note3 "exit codes: sampler $SAMPLER_RC, sadc $SADC_RC, iostat $IOSTAT_RC, pidstat $PIDSTAT_RC, app $APP_RC, upstream $UPSTREAM_RC, load $LOAD_RC"

# Keep the label's inputs that are not in the folder (run record, load summary, the per-second CPU
# split derived from the all-process pidstat; the raw pidstat, with other processes' command lines,
# is not kept). Not in labels/: tests read every file there.
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
