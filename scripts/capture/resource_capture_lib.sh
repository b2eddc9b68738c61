# shellcheck shell=bash
# Shared pieces of the capture orchestrators (thread-exhaustion.sh, fd-exhaustion.sh,
# busy-healthy.sh): prerequisites, output/work dirs, cleanup of every child by PID, bounded
# waits, host-info.txt, the quiet-host wait, the 1 s samplers, sadf, the run record.
# The same steps as listen-queue-overflow.sh, factored out; source it, do not run it.
#
#   SCENARIO=thread-exhaustion; source "$HERE/resource_capture_lib.sh"; cap_init "$@"
#
# Globals set here: HERE ROOT OUT LABEL PYTHON SADC DISK WORK RUN PIDS N ...

export LC_ALL=C TZ=UTC S_TIME_FORMAT=ISO   # ISO dates in sysstat output, as in the public samples

log() { printf '%s %s: %s\n' "$(date -u +%H:%M:%S)" "${SCENARIO:-capture}" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
utc_ms() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }

# cap_init [OUTPUT_DIR]: paths, prerequisites, disk.
cap_init() {
  ROOT="$(cd "$HERE/../.." && pwd)"
  OUT="${1:-$ROOT/mocks/samples/$SCENARIO}"
  LABEL="${LABEL:-$HERE/labels/$SCENARIO.json}"
  PYTHON="${PYTHON:-/usr/bin/python3}"
  [ -x "$PYTHON" ] || PYTHON="$(command -v python3)"
  [ -x "$PYTHON" ] || die "python3 not found"

  SADC=""
  local c t src base
  for c in /usr/lib/sysstat/sadc /usr/lib64/sa/sadc /usr/libexec/sysstat/sadc "$(command -v sadc || true)"; do
    [ -n "$c" ] && [ -x "$c" ] && { SADC="$c"; break; }
  done
  [ -n "$SADC" ] || die "sadc not found: apt-get install -y sysstat"
  for t in sadf iostat pidstat ss ps sysctl lscpu free df gzip timeout date prlimit; do
    command -v "$t" >/dev/null || die "$t not found (apt-get install -y sysstat iproute2 procps util-linux coreutils gzip)"
  done

  if [ -z "${DISK:-}" ]; then
    src="$(findmnt -no SOURCE / 2>/dev/null || true)"; base="$(basename "${src:-/dev/vda}")"
    if [ -e "/sys/block/$base" ]; then DISK="$base"
    else DISK="$(lsblk -no pkname "$src" 2>/dev/null | head -1 || true)"; fi
    DISK="${DISK:-vda}"
  fi
  [ -e "/sys/block/$DISK" ] || die "disk $DISK not in /sys/block (set DISK=...)"
}

# cap_port_free PORT...
cap_port_free() {
  local p
  for p in "$@"; do
    if ss -ltnH "sport = :$p" | grep -q .; then die "port $p is already in use (set PORT=...)"; fi
  done
}

# cap_dirs: clear OUT (only if it looks like a capture), make WORK and the run record.
cap_dirs() {
  if [ -d "$OUT" ] && [ -n "$(ls -A "$OUT")" ]; then
    [ -e "$OUT/threads.log" ] || [ -e "$OUT/host-info.txt" ] || die "$OUT is not empty and not a capture; refusing to clear it"
    find "$OUT" -mindepth 1 -maxdepth 1 -type f -delete
  fi
  mkdir -p "$OUT" "$(dirname "$LABEL")"
  WORK="$(mktemp -d "/tmp/$SCENARIO-capture.XXXXXX")"
  RUN="$WORK/run.env"
  : > "$RUN"
}
rec() { printf '%s=%s\n' "$1" "$2" >> "$RUN"; }

# ---- cleanup: every child by PID, also on failure ------------------------------------------
PIDS=()
cap_cleanup() {
  local rc=$? p i alive
  trap - EXIT INT TERM
  for (( i=${#PIDS[@]}-1; i>=0; i-- )); do
    p="${PIDS[$i]}"
    kill -0 "$p" 2>/dev/null && kill -TERM "$p" 2>/dev/null || true
  done
  for i in $(seq 1 30); do
    alive=0
    for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null || true; done
  if [ -n "${WORK:-}" ]; then
    if [ "${KEEP_WORK:-0}" = 1 ]; then log "work dir kept: $WORK"; else rm -rf "$WORK"; fi
  fi
  [ "$rc" = 0 ] || log "exit $rc; children stopped"
  exit "$rc"
}
cap_traps() {
  trap cap_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# wait_bounded PID SECONDS: wait for a child, SIGTERM then SIGKILL it past the deadline.
# Sets WB_RC to its exit status (not run in a subshell, so that `wait` sees our children).
wait_bounded() {
  local pid="$1" secs="$2" end keep=() q
  end=$(( $(date +%s) + secs ))
  while kill -0 "$pid" 2>/dev/null && [ "$(date +%s)" -lt "$end" ]; do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    log "pid $pid still running after ${secs}s: terminating"
    kill -TERM "$pid" 2>/dev/null || true; sleep 2; kill -KILL "$pid" 2>/dev/null || true
  fi
  WB_RC=0; wait "$pid" 2>/dev/null || WB_RC=$?
  # Reaped: forget the PID so that cleanup never signals a recycled PID.
  for q in "${PIDS[@]}"; do [ "$q" = "$pid" ] || keep+=("$q"); done
  PIDS=("${keep[@]}")
}

# wait_listen PID PORT: until the app listens on PORT (10 s), or die.
wait_listen() {
  local pid="$1" port="$2" i
  for i in $(seq 1 50); do
    ss -ltnH "sport = :$port" | grep -q . && return 0
    kill -0 "$pid" 2>/dev/null || die "app exited early: $(tail -5 "$OUT/app.log")"
    sleep 0.2
  done
  die "app is not listening on $port"
}

# run_clean CMD...: exec CMD with only fds 0-2 open (a shell, `flock` or a job runner may leave
# others open, which would count against the app's RLIMIT_NOFILE). Use in a subshell:
#   ( run_clean prlimit ... ) < /dev/null > out 2> err &   -> $! is the app's PID after the execs
run_clean() {
  local fd
  for fd in $(ls "/proc/$BASHPID/fd"); do
    [ "$fd" -gt 2 ] 2>/dev/null && { eval "exec $fd>&-" 2>/dev/null || true; }
  done
  exec "$@"
}

# ---- host-info.txt (same commands as the public samples' and listen-queue-overflow.sh) ------
cap_host_info() {
  {
    hi() { printf '$ %s\n' "$1"; shift; "$@" 2>&1 || true; printf '\n'; }
    hi "uname -a" uname -a
    hi "nproc" nproc
    hi "lscpu" lscpu
    hi "free -m" free -m
    hi "df -hT /tmp" df -hT /tmp
    hi "cat /sys/block/$DISK/queue/scheduler" cat "/sys/block/$DISK/queue/scheduler"
    hi "cat /sys/block/$DISK/queue/nr_requests" cat "/sys/block/$DISK/queue/nr_requests"
    hi "cat /proc/sys/net/core/somaxconn" cat /proc/sys/net/core/somaxconn
    hi "sh -c ulimit -n" sh -c 'ulimit -n'
  } > "$OUT/host-info.txt"
}

# ---- wait (bounded) for a quiet host ---------------------------------------------------------
# Other work on a shared machine (compilers, test runs) would show up as CPU in the capture.
# Wait up to QUIET_WAIT_S for QUIET_RUN_S consecutive seconds with CPU busy < QUIET_BUSY_PCT.
cpu_busy_1s() {  # CPU busy % over the next second, from /proc/stat
  local a b tot=0 idle i
  a=($(head -1 /proc/stat)); sleep 1; b=($(head -1 /proc/stat))
  for i in 1 2 3 4 5 6 7 8; do tot=$(( tot + b[i] - a[i] )); done
  idle=$(( b[4] - a[4] + b[5] - a[5] ))
  [ "$tot" -gt 0 ] && echo $(( 100 * (tot - idle) / tot )) || echo 0
}
cap_quiet_wait() {
  local quiet=0 waited=0 b=0
  QUIET_WAIT_S="${QUIET_WAIT_S:-120}"; QUIET_RUN_S="${QUIET_RUN_S:-5}"; QUIET_BUSY_PCT="${QUIET_BUSY_PCT:-10}"
  while [ "$quiet" -lt "$QUIET_RUN_S" ] && [ "$waited" -lt "$QUIET_WAIT_S" ]; do
    b="$(cpu_busy_1s)"; waited=$(( waited + 1 ))
    if [ "$b" -lt "$QUIET_BUSY_PCT" ]; then quiet=$(( quiet + 1 )); else quiet=0; fi
  done
  if [ "$quiet" -ge "$QUIET_RUN_S" ]; then log "host quiet after ${waited}s"
  else log "host not quiet after ${waited}s (busy ${b}%): capturing anyway"; fi
  rec quiet_wait_s "$waited"
}

# ---- samplers (1 s, N samples) ---------------------------------------------------------------
# cap_samplers APP_PID PORT: sadc, iostat, pidstat of the app, sampler.py (+ snapshots), the
# all-process pidstat (work dir only) and tcp_state_counts.py (work dir only).
cap_samplers() {
  local app_pid="$1" port="$2"
  SAMPLER_CMD=("$PYTHON" "$HERE/sampler.py" --pid "$app_pid" --port "$port" --count "$N" --out "$OUT"
               --snapshots --meta "$WORK/sampler-meta.json")
  SADC_CMD=("$SADC" -S XALL 1 $(( N + 1 )) "$WORK/sa.bin")
  IOSTAT_CMD=(iostat -d -x -t -o JSON "$DISK" 1 $(( N + 1 )))
  PIDSTAT_CMD=(pidstat -h -u -w -r -p "$app_pid" 1 "$N")
  TCPST_CMD=("$PYTHON" "$HERE/tcp_state_counts.py" --port "$port" --count "$N" --out "$WORK/tcp-states.jsonl")

  "${SADC_CMD[@]}" > "$WORK/sadc.out" 2>&1 & SADC_PID=$!; PIDS+=("$SADC_PID")
  "${IOSTAT_CMD[@]}" > "$OUT/iostat-x.json" 2> "$WORK/iostat.err" & IOSTAT_PID=$!; PIDS+=("$IOSTAT_PID")
  "${SAMPLER_CMD[@]}" > "$WORK/sampler.out" 2>&1 & SAMPLER_PID=$!; PIDS+=("$SAMPLER_PID")
  "${PIDSTAT_CMD[@]}" > "$OUT/pidstat-app.txt" 2> "$WORK/pidstat.err" & PIDSTAT_PID=$!; PIDS+=("$PIDSTAT_PID")
  # All processes (work dir only, not part of the folder): to tell our CPU from other work on the host.
  pidstat -u -l 1 "$N" > "$WORK/pidstat-all.txt" 2>&1 & PIDSTAT_ALL_PID=$!; PIDS+=("$PIDSTAT_ALL_PID")
  # TCP states of the app's port per second (work dir -> label inputs; not a public-sample file).
  "${TCPST_CMD[@]}" > "$WORK/tcp-states.out" 2>&1 & TCPST_PID=$!; PIDS+=("$TCPST_PID")
  log "samplers started (sadc $SADC_PID, iostat $IOSTAT_PID, pidstat $PIDSTAT_PID, sampler $SAMPLER_PID, tcp_state_counts $TCPST_PID)"
}

cap_samplers_wait() {
  wait_bounded "$SAMPLER_PID" $(( N + 30 )); SAMPLER_RC=$WB_RC
  wait_bounded "$SADC_PID" 15; SADC_RC=$WB_RC
  wait_bounded "$IOSTAT_PID" 15; IOSTAT_RC=$WB_RC
  wait_bounded "$PIDSTAT_PID" 15; PIDSTAT_RC=$WB_RC
  wait_bounded "$PIDSTAT_ALL_PID" 15
  wait_bounded "$TCPST_PID" 15; TCPST_RC=$WB_RC
  log "samplers done (sampler $SAMPLER_RC, sadc $SADC_RC, iostat $IOSTAT_RC, pidstat $PIDSTAT_RC, tcp_state_counts $TCPST_RC)"
}

cap_sadf() { sadf -j "$WORK/sa.bin" -- -A | gzip -9 > "$OUT/sadf-A.json.gz"; }

# ---- run record ------------------------------------------------------------------------------
meta() { "$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$WORK/sampler-meta.json" "$1"; }
rel() { local s="$*"; s="${s//$HERE\//scripts/capture/}"; s="${s//$WORK\//}"; s="${s//$OUT\//$(basename "$OUT")/}"; s="${s//$OUT/$(basename "$OUT")}"; echo "$s"; }
q() { local a out=""; for a in "$@"; do out+="$(printf '%q' "$a") "; done; rel "${out% }"; }

# cap_record_common: window, PIDs and the sampler commands (the scenario adds app/load).
cap_record_common() {
  rec scenario_id "$SCENARIO"
  rec port "$PORT"
  rec disk "$DISK"
  rec window_start_utc "$(meta start_utc)"
  rec window_end_utc "$(meta end_utc)"
  rec load_start_utc "$LOAD_START"
  rec load_end_utc "$LOAD_END"
  rec load_exit_code "$LOAD_RC"
  rec pid.app "$APP_PID"; rec pid.sadc "$SADC_PID"; rec pid.iostat "$IOSTAT_PID"; rec pid.pidstat "$PIDSTAT_PID"
  rec pid.sampler "$SAMPLER_PID"; rec pid.load "$LOAD_PID"
  rec cmd.app "$(q "${APP_CMD[@]}")"
  rec cmd.sadc "$(q "${SADC_CMD[@]}")"
  rec cmd.sadf "sadf -j sa.bin -- -A | gzip -9 > sadf-A.json.gz"
  rec cmd.iostat "$(q "${IOSTAT_CMD[@]}")"
  rec cmd.pidstat "$(q "${PIDSTAT_CMD[@]}")"
  rec cmd.sampler "$(q "${SAMPLER_CMD[@]}")"
  rec cmd.load "$(q "${LOAD_FULL_CMD[@]}")"
}

# cap_label: keep the label inputs (run record, load summary, per-second TCP states, host CPU
# split; not the raw all-process pidstat) and build the label with label_resources.py --check.
cap_label() {
  local inputs="${LABEL_INPUTS:-$HERE/label-inputs/$(basename "${LABEL%.json}")}"
  rm -rf "$inputs"; mkdir -p "$inputs"
  cp "$RUN" "$inputs/run.env"; cp "$WORK/loadgen.json" "$inputs/loadgen.json"
  [ -s "$WORK/tcp-states.jsonl" ] && gzip -9c "$WORK/tcp-states.jsonl" > "$inputs/tcp-states.jsonl.gz"
  [ -s "$WORK/app-metrics.jsonl" ] && gzip -9c "$WORK/app-metrics.jsonl" > "$inputs/app-metrics.jsonl.gz"
  CHECK_RC=0
  "$PYTHON" "$HERE/label_resources.py" --scenario "$SCENARIO" --sample "$OUT" --inputs "$inputs" \
    --pidstat-all "$WORK/pidstat-all.txt" --out "$LABEL" --check \
    ${MAX_OTHER_CPU_PCT:+--max-other-cpu "$MAX_OTHER_CPU_PCT"} >&2 || CHECK_RC=$?
  log "wrote $OUT ($(du -sh "$OUT" | cut -f1)) and $LABEL"
  case "$CHECK_RC" in
    0) ;;
    2) log "other processes used more than ${MAX_OTHER_CPU_PCT}% of the host CPU during the load: re-run when the host is quiet"; exit 2 ;;
    *) die "the capture does not show the mechanism cleanly (see FAIL lines above)" ;;
  esac
}
