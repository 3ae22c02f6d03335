#!/usr/bin/env python3
"""smtpload - deliver numbered messages over S concurrent SMTP sessions and record, as it
happens, every message the server acknowledged with 250 after DATA.

  smtpload.py --port P --sessions S --messages M --size BYTES --tag TAG --ack-log FILE

Message i (0 <= i < M) is benchmsg.own_message(TAG, i, ...), with a unique Message-ID.
Session t sends messages t, t+S, t+2S, ... one transaction after another (EHLO once,
then MAIL/RCPT/DATA per message, QUIT at the end). The ack log gets one line per 250,
"ACK i", written with one unbuffered write as soon as the reply is read, so whatever
happens to the server the log lists exactly the acknowledged messages. A session whose
connection breaks stops (no retry), so after a crash the log is the truth to check the
Maildir against. With --pipelining (RFC 2920) MAIL, every RCPT and DATA go out in one
write, their replies are read in order, then the content follows. --rcpts N sends
each message to N recipients (user+1@..., user+2@...). Prints one JSON summary line;
exit 0 when every message got 250.
"""

import argparse
import json
import os
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchmsg  # noqa: E402


class Session:
    """One SMTP client connection with bounded reads."""

    def __init__(self, host, port, timeout):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def reply(self):
        """Read one whole (possibly multi-line, RFC 5321 4.2.1) reply; return its code."""
        while True:
            while b"\r\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("server closed the connection")
                self.buf += chunk
                if len(self.buf) > 1 << 20:
                    raise ConnectionError("reply line longer than 1 MiB")
            line, self.buf = self.buf.split(b"\r\n", 1)
            if len(line) < 3 or not line[:3].isdigit():
                raise ConnectionError(f"malformed reply line {line[:80]!r}")
            if len(line) == 3 or line[3:4] == b" ":
                return int(line[:3]), line

    def command(self, text):
        """Send one command line and return the reply code and last line."""
        self.sock.sendall(text + b"\r\n")
        return self.reply()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Totals:
    """Counters shared by the session threads."""

    def __init__(self, ack_fd):
        self.lock = threading.Lock()
        self.ack_fd = ack_fd
        self.acked = 0
        self.rejected = 0
        self.broken_sessions = 0
        self.errors = []

    def ack(self, index):
        # One write() of a short line to an O_APPEND fd: never interleaved, never lost.
        os.write(self.ack_fd, f"ACK {index}\n".encode())
        with self.lock:
            self.acked += 1

    def reject(self, index, code, line):
        os.write(self.ack_fd, f"REJECT {index} {code}\n".encode())
        with self.lock:
            self.rejected += 1
            if len(self.errors) < 10:
                self.errors.append(f"message {index}: {line.decode(errors='replace')}")

    def broken(self, why):
        with self.lock:
            self.broken_sessions += 1
            if len(self.errors) < 10:
                self.errors.append(why)


def recipients(args):
    """The RCPT TO addresses of one message."""
    if args.rcpts <= 1:
        return [args.rcpt]
    local, _, domain = args.rcpt.partition("@")
    return [f"{local}+{k}@{domain}" for k in range(1, args.rcpts + 1)]


def deliver(s, args, i, content, totals):
    """One transaction, one command at a time."""
    code, line = s.command(b"MAIL FROM:<" + args.sender.encode() + b">")
    if code != 250:
        totals.reject(i, code, line)
        s.command(b"RSET")
        return
    for r in recipients(args):
        code, line = s.command(b"RCPT TO:<" + r.encode() + b">")
        if code not in (250, 251):
            totals.reject(i, code, line)
            s.command(b"RSET")
            return
    code, line = s.command(b"DATA")
    if code != 354:
        totals.reject(i, code, line)
        return
    s.sock.sendall(benchmsg.dot_stuff(content) + b".\r\n")
    code, line = s.reply()
    if code == 250:
        totals.ack(i)
    else:
        totals.reject(i, code, line)


def deliver_pipelined(s, args, i, content, totals):
    """RFC 2920: MAIL, RCPTs and DATA in one write, then read their replies in order."""
    rcpts = recipients(args)
    batch = b"MAIL FROM:<" + args.sender.encode() + b">\r\n"
    batch += b"".join(b"RCPT TO:<" + r.encode() + b">\r\n" for r in rcpts)
    s.sock.sendall(batch + b"DATA\r\n")
    replies = [s.reply() for _ in range(len(rcpts) + 2)]
    bad = [(c, ln) for c, ln in replies[:-1] if c not in (250, 251)]
    code, line = replies[-1]
    if code != 354:
        totals.reject(i, code, bad[0][1] if bad else line)
        return
    s.sock.sendall(benchmsg.dot_stuff(content) + b".\r\n")
    code, line = s.reply()
    if code == 250 and not bad:
        totals.ack(i)
    else:
        totals.reject(i, code, line)


def run_session(args, t, totals):
    """Deliver messages t, t+S, ... on one connection."""
    indexes = range(args.first + t, args.first + args.messages, args.sessions)
    if not indexes:
        return
    s = None
    current = None
    try:
        s = Session(args.host, args.port, args.timeout)
        code, line = s.reply()
        if code != 220:
            raise ConnectionError(f"greeting {line!r}")
        code, line = s.command(b"EHLO bench.smtpcheck")
        if code != 250:
            raise ConnectionError(f"EHLO answered {line!r}")
        for i in indexes:
            current = i
            content = benchmsg.own_message(args.tag, i, args.size, args.sender, args.rcpt)
            if args.pipelining:
                deliver_pipelined(s, args, i, content, totals)
            else:
                deliver(s, args, i, content, totals)
            current = None
            if args.delay:
                time.sleep(args.delay)
        s.command(b"QUIT")
    except (OSError, ConnectionError) as e:
        where = f" during message {current}" if current is not None else ""
        totals.broken(f"session {t}{where}: {e}")
    finally:
        if s:
            s.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--sessions", type=int, default=1)
    p.add_argument("--messages", type=int, default=1)
    p.add_argument("--first", type=int, default=0, help="index of the first message")
    p.add_argument("--size", type=int, default=1000, help="approximate content octets")
    p.add_argument("--tag", default="bench")
    p.add_argument("--from", dest="sender", default="load@client.test")
    p.add_argument("--rcpt", default="user@bench.test")
    p.add_argument("--ack-log", required=True)
    p.add_argument("--timeout", type=float, default=30.0, help="per-read timeout, seconds")
    p.add_argument("--delay", type=float, default=0.0, help="pause after each message")
    p.add_argument("--pipelining", action="store_true", help="RFC 2920 command groups")
    p.add_argument("--rcpts", type=int, default=1, help="recipients per message")
    args = p.parse_args()
    if args.sessions < 1 or args.messages < 0:
        p.error("--sessions must be >= 1 and --messages >= 0")

    fd = os.open(args.ack_log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    totals = Totals(fd)
    start = time.monotonic()
    threads = [
        threading.Thread(target=run_session, args=(args, t, totals), daemon=True)
        for t in range(min(args.sessions, max(args.messages, 1)))
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.monotonic() - start
    os.close(fd)
    summary = {
        "messages": args.messages,
        "acked": totals.acked,
        "rejected": totals.rejected,
        "broken_sessions": totals.broken_sessions,
        "seconds": round(elapsed, 3),
        "per_second": round(totals.acked / elapsed, 1) if elapsed > 0 else 0,
        "errors": totals.errors,
    }
    print(json.dumps(summary))
    return 0 if totals.acked == args.messages else 1


if __name__ == "__main__":
    sys.exit(main())
