# bench/lib.sh - helpers shared by bench/run and the reliability tests (sourced).
# shellcheck shell=bash disable=SC2034 # BENCH_TOOLS and others are for the sourcing script
#
# Needs SMTPCHECK_SRC (source root); SMTPCHECK_BIN (folder with refsmtpd, smtpcheck,
# parse_rate) where refsmtpd is used. Every wait here is bounded; nothing here kills a
# process it did not start.

BENCH_DIR=${SMTPCHECK_SRC:?set SMTPCHECK_SRC}/bench
BENCH_TOOLS=$BENCH_DIR/tools
# shellcheck source=../tests/integration/lib_server.sh
source "$SMTPCHECK_SRC/tests/integration/lib_server.sh"

# now - seconds since the epoch with nanoseconds, for wall-clock intervals.
now() { date +%s.%N; }

# elapsed - seconds from $1 to $2 (or now), three decimals.
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$1" "${2:-$(now)}"; }

# rate - N per S seconds, one decimal ("-" when S is not positive).
rate() { python3 -c "import sys; s=float(sys.argv[2]); print(f'{float(sys.argv[1])/s:.1f}' if s > 0 else '-')" "$1" "$2"; }

# ratio - A / B with two decimals, "-" when either is missing.
ratio() {
  python3 -c "import sys
try: print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')
except (ValueError, ZeroDivisionError): print('-')" "$1" "$2"
}

# rss_kib - resident set size of process $1 in KiB (VmRSS), empty if it is gone.
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null; }

# maildir_count - messages delivered into new/ (and cur/) below $1.
maildir_count() { find "$1" -path '*/new/*' -type f -o -path '*/cur/*' -type f 2>/dev/null | wc -l; }

# maildir_last_mtime - the newest modification time (s.ns) of a file in new/ below $1: when
# the last message was written, for servers that deliver after their 250 (Postfix).
maildir_last_mtime() {
  python3 - "$1" <<'EOF'
import os, sys
newest = 0
for d, _, files in os.walk(sys.argv[1]):
    if os.path.basename(d) == "new":
        for f in files:
            newest = max(newest, os.stat(os.path.join(d, f)).st_mtime_ns)
print(f"{newest / 1e9:.3f}")
EOF
}

# maildir_clear - remove delivered and temporary files below $1 (between benchmark runs).
maildir_clear() { find "$1" -type f \( -path '*/new/*' -o -path '*/cur/*' -o -path '*/tmp/*' \) -delete 2>/dev/null || true; }

# wait_count - wait until $1 holds $2 messages, at most $3 seconds. 0 when reached.
wait_count() {
  local dir=$1 want=$2 limit=$3 start
  start=$(date +%s)
  while [ "$(maildir_count "$dir")" -lt "$want" ]; do
    [ $(($(date +%s) - start)) -lt "$limit" ] || return 1
    sleep 0.1
  done
}

# wait_file - wait until file $1 exists, at most $2 seconds.
wait_file() {
  local _
  for _ in $(seq 1 $(($2 * 10))); do
    [ -e "$1" ] && return 0
    sleep 0.1
  done
  return 1
}

# smtp_source_run - run smtp-source with SESSIONS MESSAGES SIZE PORT FROM TO; print the
# wall-clock seconds it took. Fails (status 1) when smtp-source did: it stops at the first
# reply that is not 2xx/3xx, so success means every message got its 250.
smtp_source_run() {
  local sessions=$1 messages=$2 size=$3 port=$4 from=$5 to=$6 t0 t1
  t0=$(now)
  if ! timeout 600 smtp-source -s "$sessions" -m "$messages" -l "$size" -f "$from" -t "$to" \
    "127.0.0.1:$port" >/dev/null; then
    echo "smtp-source -s $sessions -m $messages against port $port failed" >&2
    return 1
  fi
  t1=$(now)
  elapsed "$t0" "$t1"
}

# json_field - print field $2 of the one-line JSON object in $1.
json_field() { python3 -c "import json, sys; print(json.loads(sys.argv[1]).get(sys.argv[2], ''))" "$1" "$2"; }

# Background processes a test or bench/run started, stopped by bg_stop_all on exit.
BENCH_BG_PIDS=()

# bg_track - remember a background PID so that bg_stop_all stops it.
bg_track() { BENCH_BG_PIDS+=("$1"); }

# bg_stop_all - SIGTERM every tracked process that is still running and reap it.
bg_stop_all() {
  local p
  for p in "${BENCH_BG_PIDS[@]}"; do
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  BENCH_BG_PIDS=()
}

# bench_test_setup - for tests/integration/test_*.sh: lib_assert's temp folder and cleanup,
# plus stopping the tracked background processes first (call it directly, not in $(...)).
bench_test_setup() {
  # shellcheck disable=SC2154 # bench_rc is set inside the trap
  trap 'bench_rc=$?; bg_stop_all; (exit $bench_rc); _assert_cleanup' EXIT
}

# require_refsmtpd - fail (not skip) when the binary under test is missing.
require_refsmtpd() {
  [ -x "${REFSMTPD:-${SMTPCHECK_BIN:-}/refsmtpd}" ] || fail "no refsmtpd in SMTPCHECK_BIN=${SMTPCHECK_BIN:-}"
}

# raise_nofile - lift the soft open-files limit as far as allowed (the hard limit may be
# "unlimited", which nofile cannot be set to: then try a large number).
raise_nofile() {
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || ulimit -n 1048576 2>/dev/null || ulimit -n 65536 2>/dev/null || true
}

# metric - one counter from refsmtpd's --metrics endpoint on 127.0.0.1:$1 (Prometheus text,
# GET /metrics); $2 is the full series name, e.g. 'refsmtpd_messages_accepted_total' or
# 'refsmtpd_replies_total{class="2xx"}'. Prints nothing when it cannot be read.
metric() {
  python3 - "$1" "$2" <<'PY' 2>/dev/null || true
import sys, urllib.request
text = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=5).read().decode()
for line in text.splitlines():
    name, _, value = line.rpartition(" ")
    if name == sys.argv[2]:
        print(value)
PY
}
