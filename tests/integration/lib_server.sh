# tests/integration/lib_server.sh - start and stop refsmtpd for integration tests (sourced).
#
# Usage:
#   source "$SMTPCHECK_SRC/tests/integration/lib_server.sh"
#   port=$(free_port)
#   start_refsmtpd --listen 127.0.0.1:$port --maildir "$dir" --domain test.example
#   ... talk to 127.0.0.1:$port ...
#   stop_refsmtpd
#
# Variables:
#   SMTPCHECK_BIN   folder holding refsmtpd (set by ctest); REFSMTPD overrides the binary.
#   REFSMTPD_PID    set by start_refsmtpd: the daemon's process id.
#   REFSMTPD_LOG    the daemon's stderr (one line per session and transaction); a temp
#                   file unless set before start_refsmtpd.
#   REFSMTPD_STATUS set by stop_refsmtpd: the daemon's exit status.
#   REFSMTPD_ALL_PIDS every daemon start_refsmtpd started; stop_all_refsmtpd stops those
#                   still running (tests with two instances: save REFSMTPD_PID after each
#                   start, and set REFSMTPD_LOG to a file of its own before each start).
# Every wait is bounded; nothing here kills a process it did not start.

# free_port - print a TCP port on 127.0.0.1 that was free a moment ago.
free_port() {
  python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# port_accepts - succeed when HOST PORT accepts a TCP connection (one try, 1 s bound).
port_accepts() {
  python3 - "$1" "$2" <<'EOF'
import socket, sys
host = sys.argv[1].strip("[]")
try:
    socket.create_connection((host, int(sys.argv[2])), timeout=1).close()
except OSError:
    sys.exit(1)
EOF
}

# _refsmtpd_first_listen - print "HOST PORT" of the first --listen* ADDR:PORT argument.
_refsmtpd_first_listen() {
  local want=0 a
  for a in "$@"; do
    if [ "$want" = 1 ]; then
      printf '%s %s\n' "${a%:*}" "${a##*:}"
      return 0
    fi
    case "$a" in
    --listen | --listen-tls | --listen-submission) want=1 ;;
    --listen=* | --listen-tls=* | --listen-submission=*)
      a=${a#*=}
      printf '%s %s\n' "${a%:*}" "${a##*:}"
      return 0
      ;;
    esac
  done
  return 1
}

# start_refsmtpd - start refsmtpd with ARGS in the background, set REFSMTPD_PID and wait
# (at most 10 s) until its first --listen address accepts connections.
start_refsmtpd() {
  local bin=${REFSMTPD:-${SMTPCHECK_BIN:-}/refsmtpd}
  local where host port i
  if [ ! -x "$bin" ]; then
    echo "start_refsmtpd: no refsmtpd binary at $bin (set SMTPCHECK_BIN or REFSMTPD)" >&2
    return 1
  fi
  if ! where=$(_refsmtpd_first_listen "$@"); then
    echo "start_refsmtpd: give at least one --listen ADDR:PORT" >&2
    return 1
  fi
  host=${where% *}
  port=${where#* }
  if [ -z "${REFSMTPD_LOG:-}" ]; then
    REFSMTPD_LOG=$(mktemp "${TMPDIR:-/tmp}/refsmtpd-log.XXXXXX")
  fi
  "$bin" "$@" 2>>"$REFSMTPD_LOG" &
  REFSMTPD_PID=$!
  REFSMTPD_ALL_PIDS="${REFSMTPD_ALL_PIDS:-} $REFSMTPD_PID"
  for i in $(seq 1 100); do
    if ! kill -0 "$REFSMTPD_PID" 2>/dev/null; then
      echo "start_refsmtpd: refsmtpd exited during start-up; its log:" >&2
      cat "$REFSMTPD_LOG" >&2
      wait "$REFSMTPD_PID" 2>/dev/null || true
      REFSMTPD_PID=
      return 1
    fi
    port_accepts "$host" "$port" && return 0
    sleep 0.1
  done
  echo "start_refsmtpd: $host:$port did not accept within 10 s" >&2
  stop_refsmtpd
  return 1
}

# stop_refsmtpd - SIGTERM the daemon started by start_refsmtpd, wait for it (at most 10 s,
# then SIGKILL) and set REFSMTPD_STATUS. Safe to call twice (e.g. from a trap).
stop_refsmtpd() {
  local i
  REFSMTPD_STATUS=
  [ -n "${REFSMTPD_PID:-}" ] || return 0
  kill -TERM "$REFSMTPD_PID" 2>/dev/null || true
  for i in $(seq 1 100); do
    kill -0 "$REFSMTPD_PID" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$REFSMTPD_PID" 2>/dev/null; then
    echo "stop_refsmtpd: refsmtpd $REFSMTPD_PID did not stop within 10 s; killing it" >&2
    kill -KILL "$REFSMTPD_PID" 2>/dev/null || true
  fi
  # "|| ..." keeps a caller's set -e from stopping on the daemon's own status.
  wait "$REFSMTPD_PID" 2>/dev/null && REFSMTPD_STATUS=0 || REFSMTPD_STATUS=$?
  REFSMTPD_PID=
  return 0
}

# stop_refsmtpd_pid - SIGTERM one daemon this shell started (by PID), wait at most 10 s
# (then SIGKILL) and set REFSMTPD_STATUS.
stop_refsmtpd_pid() {
  local pid=$1 i
  REFSMTPD_STATUS=
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "stop_refsmtpd_pid: refsmtpd $pid did not stop within 10 s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null && REFSMTPD_STATUS=0 || REFSMTPD_STATUS=$?
  [ "${REFSMTPD_PID:-}" != "$pid" ] || REFSMTPD_PID=
  return 0
}

# kill9_refsmtpd_pid - SIGKILL one daemon this shell started (a crash) and reap it.
kill9_refsmtpd_pid() {
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  [ "${REFSMTPD_PID:-}" != "$1" ] || REFSMTPD_PID=
  return 0
}

# stop_all_refsmtpd - stop every daemon start_refsmtpd started that still runs.
stop_all_refsmtpd() {
  local pid
  for pid in ${REFSMTPD_ALL_PIDS:-}; do
    if kill -0 "$pid" 2>/dev/null; then
      stop_refsmtpd_pid "$pid"
    fi
  done
  REFSMTPD_ALL_PIDS=
  return 0
}
