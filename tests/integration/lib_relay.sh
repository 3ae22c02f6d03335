# tests/integration/lib_relay.sh - helpers for the relay tests (sourced; brings in
# lib_assert.sh and lib_server.sh, so a relay test sources this one alone).
#
#   submit PORT FROM "TO1 TO2" FILE [USER PASS]   send FILE (CRLF text) with smtplib
#   strip_trace FILE                              the message without leading trace fields
#   maildir_count DIR                             files in DIR/new
#   wait_for 'SHELL TEXT'                         retry it (eval'd each time) for 20 s
#   queue_empty DIR                               no message left in DIR/new
#   scrape PORT NAME                              one metric's value from /metrics

source "$SMTPCHECK_SRC/tests/integration/lib_assert.sh"
source "$SMTPCHECK_SRC/tests/integration/lib_server.sh"

# submit - one SMTP transaction (AUTH PLAIN when USER is given) to SUBMIT_HOST (default
# 127.0.0.1); fails unless every recipient and the data were accepted.
submit() {
  python3 - "$@" <<'PY'
import smtplib, sys
port, sender, rcpts, path = int(sys.argv[1]), sys.argv[2], sys.argv[3].split(), sys.argv[4]
user = sys.argv[5] if len(sys.argv) > 5 else None
data = open(path, "rb").read()
import os
s = smtplib.SMTP(os.environ.get("SUBMIT_HOST", "127.0.0.1"), port, timeout=20)
s.ehlo("client.example")
if user:
    s.login(user, sys.argv[6])
refused = s.sendmail(sender, rcpts, data)
if refused:
    raise SystemExit("FAIL: recipients refused: %r" % refused)
s.quit()
print("submitted")
PY
}

# strip_trace - print FILE without its leading Return-Path:/Received: fields (RFC 5321 4.4).
strip_trace() {
  python3 - "$1" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
lines = data.split(b"\r\n")
i = 0
while i < len(lines):
    l = lines[i]
    if l.lower().startswith((b"return-path:", b"received:")) or (i > 0 and l[:1] in (b"\t", b" ")):
        i += 1
        continue
    break
sys.stdout.buffer.write(b"\r\n".join(lines[i:]))
PY
}

# maildir_count - how many messages DIR/new holds.
maildir_count() {
  find "$1/new" -type f 2>/dev/null | wc -l
}

# wait_for - evaluate shell text (0.2 s apart, so $(...) inside is re-run) until it
# succeeds, at most 20 s.
wait_for() {
  local i
  for i in $(seq 1 100); do
    eval "$1" && return 0
    sleep 0.2
  done
  return 1
}

# queue_empty - the queue directory DIR holds no message.
queue_empty() {
  [ -z "$(find "$1/new" -type f 2>/dev/null)" ]
}

# scrape - the value of one un-labelled metric (or NAME{labels}) from 127.0.0.1:PORT.
scrape() {
  curl -fsS --max-time 5 "http://127.0.0.1:$1/metrics" | awk -v n="$2" '$1 == n { print $2 }'
}
