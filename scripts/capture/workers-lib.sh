# Shared steps of the worker-pool captures (sourced, not run): gunicorn-sync-starved.sh and
# uvicorn-workers-blocked.sh. On top of capture-lib.sh (prerequisites, cleanup of every child by
# PID, bounded waits, quiet-host wait): the slow upstream, the app's master started under
# `timeout`, `fleetlens sample --pid MASTER --port PORT` (the process tree: master and workers)
# as the sampler, a bounded load, the app log copied into the folder, the run record and the label.
#
# The sourcing script sets HERE, ROOT, OUT, LABEL, PYTHON, SCENARIO, PORT, UPSTREAM_PORT,
# LEAD_S, LOAD_S, TAIL_S, and `set -euo pipefail` first.

# shellcheck source=capture-lib.sh
. "$HERE/capture-lib.sh"

workers_prereqs() {
  command -v node >/dev/null || die "node not found"
  [ -e "$ROOT/dist/src/cli.js" ] || die "dist/ missing: run npx tsc -p tsconfig.build.json first"
  command -v ss >/dev/null || die "ss not found (apt-get install -y iproute2)"
  command -v pidstat >/dev/null || log "sysstat not installed: the folder will have no sadf/iostat/pidstat files"
  [ -x "$PYTHON" ] || die "python3 not found"
  port_free "$PORT" || die "port $PORT is already in use (set PORT=...)"
  port_free "$UPSTREAM_PORT" || die "port $UPSTREAM_PORT is already in use (set UPSTREAM_PORT=...)"
  LOAD_BUDGET_S=$(( LOAD_S + 15 ))
  N=$(( LEAD_S + LOAD_BUDGET_S + TAIL_S ))     # seconds of sampling
  APP_MAX_S=$(( N + 60 ))                       # the app and upstream end on their own even if we are killed -9
}

# workers_dirs PREFIX: a work dir; OUT must be new or a previous capture (fleetlens sample writes a new folder)
workers_dirs() {
  if [ -d "$OUT" ] && [ -n "$(ls -A "$OUT")" ]; then
    [ -e "$OUT/sample-manifest.json" ] || die "$OUT is not empty and not a capture; refusing to clear it"
    find "$OUT" -mindepth 1 -maxdepth 1 -type f -delete
  fi
  mkdir -p "$(dirname "$LABEL")"
  WORK="$(mktemp -d "/tmp/$1-capture.XXXXXX")"
  RUN="$WORK/run.env"
  : > "$RUN"
}

workers_start_upstream() {
  UPSTREAM_CMD=("$PYTHON" "$HERE/slow_upstream.py" --host 127.0.0.1 --port "$UPSTREAM_PORT" --max-ms 10000 --max-seconds "$APP_MAX_S")
  "${UPSTREAM_CMD[@]}" > /dev/null 2> "$WORK/upstream.log" &
  UPSTREAM_PID=$!; PIDS+=("$UPSTREAM_PID")
  wait_listening "$UPSTREAM_PORT" "$UPSTREAM_PID" 10 || die "upstream is not listening: $(tail -5 "$WORK/upstream.log")"
}

# workers_start_app ENV... -- CMD...: the app under `timeout`, its stderr in the work dir's app.log
workers_start_app() {
  local env=()
  while [ "$1" != "--" ]; do env+=("$1"); shift; done; shift
  APP_CMD=("$@")
  env "${env[@]}" timeout --kill-after=10 "$APP_MAX_S" "${APP_CMD[@]}" > "$WORK/app.stdout.log" 2> "$WORK/app.log" &
  APP_WRAP_PID=$!; PIDS+=("$APP_WRAP_PID")
  wait_listening "$PORT" "$APP_WRAP_PID" 20 || die "the app is not listening on $PORT: $(tail -5 "$WORK/app.log")"
  # the master is timeout's only child
  MASTER_PID="$(cat "/proc/$APP_WRAP_PID/task/$APP_WRAP_PID/children" 2>/dev/null | awk '{print $1}')"
  [ -n "$MASTER_PID" ] || MASTER_PID="$(ps -o pid= --ppid "$APP_WRAP_PID" | head -1 | tr -d ' ')"
  [ -n "$MASTER_PID" ] || die "could not find the app's master PID"
}

# workers_wait_children COUNT: until the master has COUNT children (bounded: 20 s)
workers_wait_children() {
  local i
  for i in $(seq 1 100); do
    [ "$(ps -o pid= --ppid "$MASTER_PID" | wc -l)" -ge "$1" ] && return 0
    sleep 0.2
  done
  die "the master $MASTER_PID has not started $1 workers: $(tail -5 "$WORK/app.log")"
}

workers_start_sample() {
  SAMPLE_CMD=(node "$ROOT/bin/fleetlens.js" sample --pid "$MASTER_PID" --port "$PORT" --duration "${N}s" --out "$OUT")
  "${SAMPLE_CMD[@]}" > "$WORK/sample.out" 2> "$WORK/sample.err" &
  SAMPLE_PID=$!; PIDS+=("$SAMPLE_PID")
  log "fleetlens sample $SAMPLE_PID on master $MASTER_PID for ${N}s"
}

# workers_load CMD...: the bounded load, after the lead-in
workers_load() {
  sleep "$LEAD_S"
  LOAD_CMD=("$@")
  LOAD_START="$(utc_ms)"
  timeout --kill-after=5 "$(( LOAD_BUDGET_S ))" "${LOAD_CMD[@]}" > "$WORK/loadgen.out" 2>&1 &
  LOAD_PID=$!; PIDS+=("$LOAD_PID")
  wait_bounded "$LOAD_PID" $(( LOAD_BUDGET_S + 10 )); LOAD_RC=$WB_RC
  LOAD_END="$(utc_ms)"
  sed 's/^/  load: /' "$WORK/loadgen.out" >&2 || true
}

# workers_finish: the sample ends on its own; then the app, the upstream, the app log into the folder, the label
workers_finish() {
  wait_bounded "$SAMPLE_PID" $(( N + 120 )); SAMPLE_RC=$WB_RC
  [ "$SAMPLE_RC" = 0 ] || die "fleetlens sample exited with $SAMPLE_RC: $(tail -5 "$WORK/sample.err")"
  kill -TERM "$APP_WRAP_PID" 2>/dev/null || true
  wait_bounded "$APP_WRAP_PID" 20; APP_RC=$WB_RC
  kill -TERM "$UPSTREAM_PID" 2>/dev/null || true
  wait_bounded "$UPSTREAM_PID" 10
  cp "$WORK/app.log" "$OUT/app.log"
  rec scenario_id "$SCENARIO"
  rec port "$PORT"; rec upstream_port "$UPSTREAM_PORT"
  rec pid.master "$MASTER_PID"; rec pid.sample "$SAMPLE_PID"; rec pid.load "$LOAD_PID"
  rec cmd.app "$(q timeout --kill-after=10 "$APP_MAX_S" "${APP_CMD[@]}")"
  rec cmd.sample "$(q "${SAMPLE_CMD[@]}")"
  rec cmd.load "$(q "${LOAD_CMD[@]}")"
  rec cmd.upstream "$(q "${UPSTREAM_CMD[@]}")"
  rec load_start_utc "$LOAD_START"; rec load_end_utc "$LOAD_END"; rec load_exit_code "$LOAD_RC"
  rec app_exit_code "$APP_RC"
  INPUTS="${LABEL_INPUTS:-$HERE/label-inputs/$SCENARIO}"
  rm -rf "$INPUTS"; mkdir -p "$INPUTS"
  cp "$RUN" "$INPUTS/run.env"; cp "$WORK/loadgen.json" "$INPUTS/loadgen.json"
  "$PYTHON" "$HERE/make_workers_label.py" --scenario "$SCENARIO" --sample "$OUT" --inputs "$INPUTS" --out "$LABEL" --check >&2
  log "wrote $OUT ($(du -sh "$OUT" | cut -f1)) and $LABEL"
}
