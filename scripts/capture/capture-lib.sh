# Shared helpers for the capture orchestrators (sourced, not run):
#   event-loop-blocked.sh, gevent-loop-blocked.sh
# The same steps as listen-queue-overflow.sh: prerequisites, cleanup of every child by PID,
# bounded waits, host-info.txt, a bounded wait for a quiet host, the 1 s samplers, sadf.
#
# The sourcing script sets HERE, ROOT, OUT, LABEL, PYTHON and `set -euo pipefail` first.

export LC_ALL=C TZ=UTC S_TIME_FORMAT=ISO   # ISO dates in sysstat output, as in the public samples

log() { printf '%s capture: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
utc_ms() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }

# ---- prerequisites -------------------------------------------------------------------------
cap_prereqs() {
  SADC=""
  local c t src base
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
}

port_free() { ! ss -ltnH "sport = :$1" | grep -q .; }

# wait_listening PORT PID SECONDS: until something listens on PORT (PID must stay alive).
wait_listening() {
  local port="$1" pid="$2" secs="$3" i
  for i in $(seq 1 $(( secs * 5 ))); do
    ss -ltnH "sport = :$port" | grep -q . && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.2
  done
  ss -ltnH "sport = :$port" | grep -q .
}

# ---- output + work dirs --------------------------------------------------------------------
cap_dirs() {  # cap_dirs PREFIX
  if [ -d "$OUT" ] && [ -n "$(ls -A "$OUT")" ]; then
    # Only clear a folder that looks like one of our captures.
    [ -e "$OUT/threads.log" ] || [ -e "$OUT/host-info.txt" ] || die "$OUT is not empty and not a capture; refusing to clear it"
    find "$OUT" -mindepth 1 -maxdepth 1 -type f -delete
  fi
  mkdir -p "$OUT" "$(dirname "$LABEL")"
  WORK="$(mktemp -d "/tmp/$1-capture.XXXXXX")"
  RUN="$WORK/run.env"
  : > "$RUN"
}
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
  for i in $(seq 1 50); do
    local alive=0
    for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null || true; done
  if [ "${KEEP_WORK:-0}" = 1 ]; then log "work dir kept: ${WORK:-}"; else [ -n "${WORK:-}" ] && rm -rf "$WORK"; fi
  [ "$rc" = 0 ] || log "exit $rc; children stopped"
  exit "$rc"
}
cap_traps() {
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

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

# ---- wait (bounded) for a quiet host --------------------------------------------------------
# Other work on a shared machine (compilers, test runs) would show up as CPU in the capture.
# Wait up to QUIET_WAIT_S for QUIET_RUN_S consecutive seconds with CPU busy < QUIET_BUSY_PCT.
cpu_busy_1s() {  # CPU busy % over the next second, from /proc/stat
  local a b
  a=($(head -1 /proc/stat)); sleep 1; b=($(head -1 /proc/stat))
  local tot=0 idle i
  for i in 1 2 3 4 5 6 7 8; do tot=$(( tot + b[i] - a[i] )); done
  idle=$(( b[4] - a[4] + b[5] - a[5] ))
  [ "$tot" -gt 0 ] && echo $(( 100 * (tot - idle) / tot )) || echo 0
}
cap_wait_quiet() {
  QUIET_WAIT_S="${QUIET_WAIT_S:-120}"; QUIET_RUN_S="${QUIET_RUN_S:-5}"; QUIET_BUSY_PCT="${QUIET_BUSY_PCT:-10}"
  local quiet=0 waited=0 b=0
  while [ "$quiet" -lt "$QUIET_RUN_S" ] && [ "$waited" -lt "$QUIET_WAIT_S" ]; do
    b="$(cpu_busy_1s)"; waited=$(( waited + 1 ))
    if [ "$b" -lt "$QUIET_BUSY_PCT" ]; then quiet=$(( quiet + 1 )); else quiet=0; fi
  done
  if [ "$quiet" -ge "$QUIET_RUN_S" ]; then log "host quiet after ${waited}s"
  else log "host not quiet after ${waited}s (busy ${b}%): capturing anyway"; fi
  rec quiet_wait_s "$waited"
}

# ---- samplers (1 s, N samples) -------------------------------------------------------------
# cap_start_samplers PID PORT N: sadc, iostat, pidstat of PID, sampler.py (PID, PORT) and the
# all-process pidstat (work dir only: to tell our CPU from other work on the host).
cap_start_samplers() {
  local pid="$1" port="$2" n="$3"
  SAMPLER_CMD=("$PYTHON" "$HERE/sampler.py" --pid "$pid" --port "$port" --count "$n" --out "$OUT"
               --snapshots --meta "$WORK/sampler-meta.json")
  SADC_CMD=("$SADC" -S XALL 1 $(( n + 1 )) "$WORK/sa.bin")
  IOSTAT_CMD=(iostat -d -x -t -o JSON "$DISK" 1 $(( n + 1 )))
  PIDSTAT_CMD=(pidstat -h -u -w -r -p "$pid" 1 "$n")
  "${SADC_CMD[@]}" > "$WORK/sadc.out" 2>&1 & SADC_PID=$!; PIDS+=("$SADC_PID")
  "${IOSTAT_CMD[@]}" > "$OUT/iostat-x.json" 2> "$WORK/iostat.err" & IOSTAT_PID=$!; PIDS+=("$IOSTAT_PID")
  "${SAMPLER_CMD[@]}" > "$WORK/sampler.out" 2>&1 & SAMPLER_PID=$!; PIDS+=("$SAMPLER_PID")
  "${PIDSTAT_CMD[@]}" > "$OUT/pidstat-app.txt" 2> "$WORK/pidstat.err" & PIDSTAT_PID=$!; PIDS+=("$PIDSTAT_PID")
  pidstat -u -l 1 "$n" > "$WORK/pidstat-all.txt" 2>&1 & PIDSTAT_ALL_PID=$!; PIDS+=("$PIDSTAT_ALL_PID")
  log "samplers started (sadc $SADC_PID, iostat $IOSTAT_PID, pidstat $PIDSTAT_PID, sampler $SAMPLER_PID)"
}

cap_wait_samplers() {  # cap_wait_samplers SECONDS
  wait_bounded "$SAMPLER_PID" "$1"; SAMPLER_RC=$WB_RC
  wait_bounded "$SADC_PID" 15; SADC_RC=$WB_RC
  wait_bounded "$IOSTAT_PID" 15; IOSTAT_RC=$WB_RC
  wait_bounded "$PIDSTAT_PID" 15; PIDSTAT_RC=$WB_RC
  wait_bounded "$PIDSTAT_ALL_PID" 15
  log "samplers done (sampler $SAMPLER_RC, sadc $SADC_RC, iostat $IOSTAT_RC, pidstat $PIDSTAT_RC)"
}

cap_sadf() { sadf -j "$WORK/sa.bin" -- -A | gzip -9 > "$OUT/sadf-A.json.gz"; }

# ---- run record helpers ----------------------------------------------------------------------
meta() { "$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$WORK/sampler-meta.json" "$1"; }
rel() { local s="$*"; s="${s//$HERE\//scripts/capture/}"; s="${s//$HERE/scripts/capture}"; s="${s//$WORK\//}"; s="${s//$OUT\//$(basename "$OUT")/}"; s="${s//$OUT/$(basename "$OUT")}"; echo "$s"; }
q() { local a out=""; for a in "$@"; do out+="$(printf '%q' "$a") "; done; rel "${out% }"; }
rec_sampler_cmds() {
  rec pid.sadc "$SADC_PID"; rec pid.iostat "$IOSTAT_PID"; rec pid.pidstat "$PIDSTAT_PID"; rec pid.sampler "$SAMPLER_PID"
  rec cmd.sadc "$(q "${SADC_CMD[@]}")"
  rec cmd.sadf "sadf -j sa.bin -- -A | gzip -9 > sadf-A.json.gz"
  rec cmd.iostat "$(q "${IOSTAT_CMD[@]}")"
  rec cmd.pidstat "$(q "${PIDSTAT_CMD[@]}")"
  rec cmd.sampler "$(q "${SAMPLER_CMD[@]}")"
}
