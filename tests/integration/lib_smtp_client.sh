# tests/integration/lib_smtp_client.sh - a scripted raw SMTP client for tests (sourced).
#
#   smtp_talk PORT [HOST] <<'EOF'
#   < 220
#   > EHLO x
#   < 250
#   >raw DATA\r\n          (escapes: \r \n \t \0 \xNN; no CRLF added)
#   < 354
#   sleep 0.5
#   close                 (expect the server to close the connection)
#   EOF
# "> text" sends text + CRLF; "< NNN" reads one whole reply (multi-line aware) and fails
# unless it starts with NNN; "<any" reads one reply whatever it is. Every reply is echoed
# to stdout; a mismatch, a timeout (10 s) or an unexpected close exits 1.

# smtp_talk - run a script from stdin against 127.0.0.1:PORT (or HOST).
smtp_talk() {
  python3 -c '
import socket, sys, time
port, host = int(sys.argv[1]), sys.argv[2]
sock = socket.create_connection((host.strip("[]"), port), timeout=10)
buf = b""
def unescape(s):
    return s.encode("latin-1").decode("unicode_escape").encode("latin-1")
def read_reply():
    global buf
    lines = []
    while True:
        while b"\r\n" not in buf:
            chunk = sock.recv(65536)
            if not chunk:
                raise SystemExit("FAIL: connection closed; partial reply %r after %r" % (buf, lines))
            buf += chunk
        line, buf = buf.split(b"\r\n", 1)
        lines.append(line.decode("latin-1"))
        if len(line) < 4 or line[3:4] != b"-":
            return lines
for raw in sys.stdin.read().splitlines():
    step = raw.strip()
    if not step or step.startswith("#"):
        continue
    if step.startswith(">raw "):
        sock.sendall(unescape(step[5:]))
    elif step.startswith("> ") or step == ">":
        sock.sendall(step[2:].encode("utf-8") + b"\r\n")
    elif step.startswith("<any"):
        print("\n".join(read_reply()))
    elif step.startswith("< "):
        want = step[2:].strip()
        got = read_reply()
        print("\n".join(got))
        if not got[0].startswith(want):
            raise SystemExit("FAIL: expected %s, got %r" % (want, got))
    elif step.startswith("sleep "):
        time.sleep(float(step[6:]))
    elif step == "close":
        try:
            extra = sock.recv(65536)
        except ConnectionResetError:
            extra = b""
        if extra:
            raise SystemExit("FAIL: expected close, got %r" % extra)
        print("(closed)")
    else:
        raise SystemExit("bad script line: " + step)
sock.close()
' "$1" "${2:-127.0.0.1}"
}
