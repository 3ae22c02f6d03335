# tests/integration/lib_listen.sh - `smtpcheck listen` in the background on an ephemeral
# port, stopped on exit (sourced after lib_assert.sh, with $work set).
#
#   start_listen ARGS...   listen on 127.0.0.1:0 with ARGS; sets $port and $listener;
#                          stdout and stderr go to $work/listen.out and $work/listen.err
#   finish_listen          wait for it to stop by itself; sets $status

listener=

# stop_listener - kill a listener still running (a failed test), and reap it.
stop_listener() {
  if [ -n "$listener" ]; then
    kill "$listener" 2>/dev/null || true
    wait "$listener" 2>/dev/null || true
    listener=
  fi
}
trap 'stop_listener; _assert_cleanup' EXIT

# start_listen ARGS... - start it and wait (at most 5 s) for the port it chose.
start_listen() {
  rm -f "$work/port"
  "$SMTPCHECK_BIN/smtpcheck" listen --port-file "$work/port" "$@" 127.0.0.1:0 \
    >"$work/listen.out" 2>"$work/listen.err" &
  listener=$!
  for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
  [ -s "$work/port" ] || { cat "$work/listen.err" >&2; fail "listen did not start"; }
  port=$(cat "$work/port")
}

# finish_listen - wait for the listener (its --sessions, --wait and timeouts bound it).
finish_listen() {
  status=0
  wait "$listener" || status=$?
  listener=
}
