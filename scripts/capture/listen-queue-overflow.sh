#!/usr/bin/env bash
# Capture a real on-host sample of a TCP accept-queue (listen queue) overflow.
#
#   scripts/capture/listen-queue-overflow.sh [OUTPUT_DIR]
#
# OUTPUT_DIR defaults to mocks/samples/listen-queue-overflow (relative to the repo root).
# The ground-truth label goes to scripts/capture/labels/listen-queue-overflow.json (LABEL=...
# to change), never into OUTPUT_DIR. Everything binds to 127.0.0.1, every child is bounded in
# time and killed by PID on exit (also on failure or Ctrl-C). See scripts/capture/README.md.
#
# Tunables (environment): PORT (8000), BACKLOG (8), SERVICE_MS (80), LEAD_S (15), TAIL_S (15),
# WAVES ("100x20,300x25,200x20"), GAP_S (5), CLIENT_TIMEOUT_S (5), ERROR_BACKOFF_S (0.2),
# DISK (auto, e.g. vda), QUIET_WAIT_S (120), MAX_OTHER_CPU_PCT (unset: only warn; set e.g. 5 to
# exit 2 when other work on the host used more CPU than that during the load),
# PYTHON (/usr/bin/python3), LABEL, LABEL_INPUTS (scripts/capture/label-inputs/<label name>),
# KEEP_WORK=1 (keep the temp dir).
set -euo pipefail
export LC_ALL=C TZ=UTC S_TIME_FORMAT=ISO   # ISO dates in sysstat output, as in the public samples

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="${1:-$ROOT/mocks/samples/listen-queue-overflow}"
LABEL="${LABEL:-$HERE/labels/listen-queue-overflow.json}"
PYTHON="${PYTHON:-/usr/bin/python3}"
[ -x "$PYTHON" ] || PYTHON="$(command -v python3)"

PORT="${PORT:-8000}"
BACKLOG="${BACKLOG:-8}"
SERVICE_MS="${SERVICE_MS:-80}"
LEAD_S="${LEAD_S:-15}"
TAIL_S="${TAIL_S:-15}"
WAVES="${WAVES:-100x20,300x25,200x20}"
GAP_S="${GAP_S:-5}"
CLIENT_TIMEOUT_S="${CLIENT_TIMEOUT_S:-5}"
ERROR_BACKOFF_S="${ERROR_BACKOFF_S:-0.2}"

log() { printf '%s capture: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
utc_ms() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }

# ---- prerequisites -------------------------------------------------------------------------
SADC=""
for c in /usr/lib/sysstat/sadc /usr/lib64/sa/sadc /usr/libexec/sysstat/sadc "$(command -v sadc || true)"; do
  [ -n "$c" ] && [ -x "$c" ] && { SADC="$c"; break; }
done
[ -n "$SADC" ] || die "sadc not found: apt-get install -y sysstat"
for t in sadf iostat pidstat ss ps sysctl lscpu free df gzip timeout date; do
  command -v "$t" >/dev/null || die "$t not found (apt-get install -y sysstat iproute2 procps util-linux coreutils gzip)"
done
[ -x "$PYTHON" ] || die "python3 not found"

if [ -z "${DISK:-}" ]; then
  src="$(findmnt -no SOURCE / 2>/dev/null || true)"; base="$(basename "${src:-/dev/vda}")"
  if [ -e "/sys/block/$base" ]; then DISK="$base"
  else DISK="$(lsblk -no pkname "$src" 2>/dev/null | head -1 || true)"; fi
  DISK="${DISK:-vda}"
fi
[ -e "/sys/block/$DISK" ] || die "disk $DISK not in /sys/block (set DISK=...)"

if ss -ltnH "sport = :$PORT" | grep -q .; then die "port $PORT is already in use (set PORT=...)"; fi

# ---- durations -----------------------------------------------------------------------------
# Load budget = sum of wave seconds + gaps + one client timeout (attempts in flight) + slack.
LOAD_PLAN_S="$("$PYTHON" -c '
import sys, math
waves=[float(w.split("x")[1]) for w in sys.argv[1].split(",")]
print(int(math.ceil(sum(waves) + float(sys.argv[2]) * (len(waves) - 1))))' "$WAVES" "$GAP_S")"
LOAD_BUDGET_S=$(( LOAD_PLAN_S + ${CLIENT_TIMEOUT_S%.*} + 3 ))
N=$(( LEAD_S + LOAD_BUDGET_S + TAIL_S ))       # samples (1 s) in the window
APP_MAX_S=$(( N + 60 ))                          # the app stops by itself even if we are killed -9
log "window ${N}s = lead ${LEAD_S}s + load <= ${LOAD_BUDGET_S}s (plan ${LOAD_PLAN_S}s) + tail >= ${TAIL_S}s; disk $DISK; port $PORT"

# ---- output + work dirs --------------------------------------------------------------------
if [ -d "$OUT" ] && [ -n "$(ls -A "$OUT")" ]; then
  # Only clear a folder that looks like one of our captures.
  [ -e "$OUT/threads.log" ] || [ -e "$OUT/host-info.txt" ] || die "$OUT is not empty and not a capture; refusing to clear it"
  find "$OUT" -mindepth 1 -maxdepth 1 -type f -delete
fi
mkdir -p "$OUT" "$(dirname "$LABEL")"
WORK="$(mktemp -d /tmp/lqo-capture.XXXXXX)"
RUN="$WORK/run.env"
: > "$RUN"
rec() { printf '%s=%s\n' "$1" "$2" >> "$RUN"; }

# ---- cleanup: every child by PID, also on failure ------------------------------------------
PIDS=()
cleanup() {
  local rc=$? p i
  trap - EXIT INT TERM
  for (( i=${#PIDS[@]}-1; i>=0; i-- )); do
    p="${PIDS[$i]}"
    kill -0 "$p" 2>/dev/null && kill -TERM "$p" 2>/dev/null || true
  done
  for i in $(seq 1 30); do
    local alive=0
    for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null || true; done
  if [ "${KEEP_WORK:-0}" = 1 ]; then log "work dir kept: $WORK"; else rm -rf "$WORK"; fi
  [ "$rc" = 0 ] || log "failed (exit $rc); children stopped"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# wait_bounded PID SECONDS: wait for a child, SIGTERM then SIGKILL it past the deadline.
# Sets WB_RC to its exit status (not run in a subshell, so that `wait` sees our children).
wait_bounded() {
  local pid="$1" secs="$2" end
  end=$(( $(date +%s) + secs ))
  while kill -0 "$pid" 2>/dev/null && [ "$(date +%s)" -lt "$end" ]; do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    log "pid $pid still running after ${secs}s: terminating"
    kill -TERM "$pid" 2>/dev/null || true; sleep 2; kill -KILL "$pid" 2>/dev/null || true
  fi
  WB_RC=0; wait "$pid" 2>/dev/null || WB_RC=$?
  # Reaped: forget the PID so that cleanup never signals a recycled PID.
  local keep=() q
  for q in "${PIDS[@]}"; do [ "$q" = "$pid" ] || keep+=("$q"); done
  PIDS=("${keep[@]}")
}

# ---- host-info.txt -------------------------------------------------------------------------
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

dmesg_syn() { dmesg 2>/dev/null | grep -c "SYN flooding on port" || true; }
DMESG_SYN_BEFORE="$(dmesg_syn)"

# ---- wait (bounded) for a quiet host --------------------------------------------------------
# Other work on a shared machine (compilers, test runs) would show up as CPU in the capture.
# Wait up to QUIET_WAIT_S for QUIET_RUN_S consecutive seconds with CPU busy < QUIET_BUSY_PCT.
QUIET_WAIT_S="${QUIET_WAIT_S:-120}"; QUIET_RUN_S="${QUIET_RUN_S:-5}"; QUIET_BUSY_PCT="${QUIET_BUSY_PCT:-10}"
cpu_busy_1s() {  # CPU busy % over the next second, from /proc/stat
  local a b
  a=($(head -1 /proc/stat)); sleep 1; b=($(head -1 /proc/stat))
  local tot=0 idle i
  for i in 1 2 3 4 5 6 7 8; do tot=$(( tot + b[i] - a[i] )); done
  idle=$(( b[4] - a[4] + b[5] - a[5] ))
  [ "$tot" -gt 0 ] && echo $(( 100 * (tot - idle) / tot )) || echo 0
}
quiet=0; waited=0
while [ "$quiet" -lt "$QUIET_RUN_S" ] && [ "$waited" -lt "$QUIET_WAIT_S" ]; do
  b="$(cpu_busy_1s)"; waited=$(( waited + 1 ))
  if [ "$b" -lt "$QUIET_BUSY_PCT" ]; then quiet=$(( quiet + 1 )); else quiet=0; fi
done
[ "$quiet" -ge "$QUIET_RUN_S" ] && log "host quiet after ${waited}s" || log "host not quiet after ${waited}s (busy ${b}%): capturing anyway"
rec quiet_wait_s "$waited"

# ---- the app -------------------------------------------------------------------------------
APP_CMD=("$PYTHON" "$HERE/slow_accept_server.py" --host 127.0.0.1 --port "$PORT" --backlog "$BACKLOG"
         --service-ms "$SERVICE_MS" --max-seconds "$APP_MAX_S")
"${APP_CMD[@]}" > "$OUT/app.stdout.log" 2> "$OUT/app.log" &
APP_PID=$!; PIDS+=("$APP_PID")
for i in $(seq 1 50); do
  ss -ltnH "sport = :$PORT" | grep -q . && break
  kill -0 "$APP_PID" 2>/dev/null || die "app exited early: $(tail -5 "$OUT/app.log")"
  sleep 0.2
done
ss -ltnH "sport = :$PORT" | grep -q . || die "app is not listening on $PORT"
log "app pid $APP_PID listening: $(ss -ltnH "sport = :$PORT" | tr -s ' ')"
sleep 2

# ---- samplers (1 s, N samples) -------------------------------------------------------------
SAMPLER_CMD=("$PYTHON" "$HERE/sampler.py" --pid "$APP_PID" --port "$PORT" --count "$N" --out "$OUT"
             --snapshots --meta "$WORK/sampler-meta.json")
SADC_CMD=("$SADC" -S XALL 1 $(( N + 1 )) "$WORK/sa.bin")
IOSTAT_CMD=(iostat -d -x -t -o JSON "$DISK" 1 $(( N + 1 )))
PIDSTAT_CMD=(pidstat -h -u -w -r -p "$APP_PID" 1 "$N")

"${SADC_CMD[@]}" > "$WORK/sadc.out" 2>&1 & SADC_PID=$!; PIDS+=("$SADC_PID")
"${IOSTAT_CMD[@]}" > "$OUT/iostat-x.json" 2> "$WORK/iostat.err" & IOSTAT_PID=$!; PIDS+=("$IOSTAT_PID")
"${SAMPLER_CMD[@]}" > "$WORK/sampler.out" 2>&1 & SAMPLER_PID=$!; PIDS+=("$SAMPLER_PID")
"${PIDSTAT_CMD[@]}" > "$OUT/pidstat-app.txt" 2> "$WORK/pidstat.err" & PIDSTAT_PID=$!; PIDS+=("$PIDSTAT_PID")
# All processes (work dir only, not part of the folder): to tell our CPU from other work on the host.
pidstat -u -l 1 "$N" > "$WORK/pidstat-all.txt" 2>&1 & PIDSTAT_ALL_PID=$!; PIDS+=("$PIDSTAT_ALL_PID")
log "samplers started (sadc $SADC_PID, iostat $IOSTAT_PID, pidstat $PIDSTAT_PID, sampler $SAMPLER_PID); lead-in ${LEAD_S}s"

sleep "$LEAD_S"

# ---- the load ------------------------------------------------------------------------------
LOAD_CMD=("$PYTHON" "$HERE/burst_load.py" --host 127.0.0.1 --port "$PORT" --waves "$WAVES" --gap "$GAP_S"
          --timeout "$CLIENT_TIMEOUT_S" --error-backoff "$ERROR_BACKOFF_S" --out "$WORK/loadgen.json")
LOAD_START="$(utc_ms)"
log "load: waves $WAVES (gap ${GAP_S}s, client timeout ${CLIENT_TIMEOUT_S}s)"
timeout --kill-after=5 "$(( LOAD_BUDGET_S + 10 ))" "${LOAD_CMD[@]}" > "$WORK/loadgen.out" 2>&1 &
LOAD_PID=$!; PIDS+=("$LOAD_PID")
wait_bounded "$LOAD_PID" $(( LOAD_BUDGET_S + 20 )); LOAD_RC=$WB_RC
LOAD_END="$(utc_ms)"
sed 's/^/  load: /' "$WORK/loadgen.out" >&2 || true
[ "$LOAD_RC" = 0 ] || log "load exited with $LOAD_RC"
log "tail: waiting for the samplers to finish the window"

# ---- end of window -------------------------------------------------------------------------
REMAIN=$(( N + 30 ))
wait_bounded "$SAMPLER_PID" "$REMAIN"; SAMPLER_RC=$WB_RC
wait_bounded "$SADC_PID" 15; SADC_RC=$WB_RC
wait_bounded "$IOSTAT_PID" 15; IOSTAT_RC=$WB_RC
wait_bounded "$PIDSTAT_PID" 15; PIDSTAT_RC=$WB_RC
wait_bounded "$PIDSTAT_ALL_PID" 15
log "samplers done (sampler $SAMPLER_RC, sadc $SADC_RC, iostat $IOSTAT_RC, pidstat $PIDSTAT_RC)"

kill -TERM "$APP_PID" 2>/dev/null || true
wait_bounded "$APP_PID" 10; APP_RC=$WB_RC
DMESG_SYN_AFTER="$(dmesg_syn)"

sadf -j "$WORK/sa.bin" -- -A | gzip -9 > "$OUT/sadf-A.json.gz"

# ---- run record + label --------------------------------------------------------------------
meta() { "$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$WORK/sampler-meta.json" "$1"; }
rel() { local s="$*"; s="${s//$HERE\//scripts/capture/}"; s="${s//$WORK\//}"; s="${s//$OUT\//$(basename "$OUT")/}"; s="${s//$OUT/$(basename "$OUT")}"; echo "$s"; }
q() { local a out=""; for a in "$@"; do out+="$(printf '%q' "$a") "; done; rel "${out% }"; }
rec scenario_id listen-queue-overflow
rec description "Single-threaded Python server with listen($BACKLOG) (somaxconn $(cat /proc/sys/net/core/somaxconn)) and a synchronous accept loop (~${SERVICE_MS} ms per connection: read request, sleep, answer, close); bursts of short connections from asyncio clients in waves $WAVES (gap ${GAP_S}s, ${CLIENT_TIMEOUT_S}s per-attempt deadline). The accept queue fills to backlog+1 and the kernel drops further SYNs (TcpExt ListenOverflows/ListenDrops); clients see SYN retransmission delays and connect timeouts."
rec app_name "slow_accept_server.py (single thread, listen($BACKLOG), ${SERVICE_MS} ms synchronous handling per accepted connection)"
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
rec cmd.load "$(q timeout --kill-after=5 "$(( LOAD_BUDGET_S + 10 ))" "${LOAD_CMD[@]}")"
rec note1 "captured by scripts/capture/listen-queue-overflow.sh; no sysctl was changed (somaxconn $(cat /proc/sys/net/core/somaxconn), tcp_syncookies $(cat /proc/sys/net/ipv4/tcp_syncookies), tcp_max_syn_backlog $(cat /proc/sys/net/ipv4/tcp_max_syn_backlog), tcp_abort_on_overflow $(cat /proc/sys/net/ipv4/tcp_abort_on_overflow))"
rec note2 "kernel log lines 'Possible SYN flooding on port' during the run: $(( DMESG_SYN_AFTER - DMESG_SYN_BEFORE )) (dmesg before ${DMESG_SYN_BEFORE}, after ${DMESG_SYN_AFTER}); dmesg is not part of the folder"
rec note3 "no Prometheus/node_exporter in this capture (no prometheus-queries/, prometheus-data/); sa.bin and sadf-A.csv are not kept (sadf-A.json.gz is)"
rec note4 "exit codes: sampler $SAMPLER_RC, sadc $SADC_RC, iostat $IOSTAT_RC, pidstat $PIDSTAT_RC, app $APP_RC, load $LOAD_RC"

# Keep the label's inputs that are not in the folder (run record, load summary, the per-second CPU
# split derived from the all-process pidstat; the raw pidstat, with other processes' command lines,
# is not kept), so that make_label.py can be re-run without a new capture. Not in labels/: tests
# read every file there.
INPUTS="${LABEL_INPUTS:-$HERE/label-inputs/$(basename "${LABEL%.json}")}"
rm -rf "$INPUTS"; mkdir -p "$INPUTS"
cp "$RUN" "$INPUTS/run.env"; cp "$WORK/loadgen.json" "$INPUTS/loadgen.json"
"$PYTHON" "$HERE/make_label.py" --sample "$OUT" --run-env "$INPUTS/run.env" --loadgen "$INPUTS/loadgen.json" \
  --pidstat-all "$WORK/pidstat-all.txt" --host-cpu-out "$INPUTS/host-cpu.json" \
  --out "$LABEL" --check ${MAX_OTHER_CPU_PCT:+--max-other-cpu "$MAX_OTHER_CPU_PCT"} >&2 || CHECK_RC=$?
log "wrote $OUT ($(du -sh "$OUT" | cut -f1)) and $LABEL"
case "${CHECK_RC:-0}" in
  0) ;;
  2) log "other processes used more than ${MAX_OTHER_CPU_PCT}% of the host CPU during the load: re-run when the host is quiet"; exit 2 ;;
  *) die "the capture does not show the mechanism cleanly (see FAIL lines above)" ;;
esac
