#!/usr/bin/env python3
"""limits - drive one server limit until it is reached and check the reply it gives.

  limits.py --port P sessions --allowed N [--extra K] [--code 421]
      open N+K connections and hold them: exactly N are greeted with 220, the other K
      get CODE (RFC 5321 3.1: 421 when the service is not available) and are closed.
  limits.py --port P idle --seconds S
      RFC 5321 4.5.3.2.7: a session idle longer than the command timeout S gets 421 and is
      closed, not before S and not much after.
  limits.py --port P data-idle --seconds S
      RFC 5321 4.5.3.2.6: a session idle inside DATA longer than S gets 421 and is closed.
  limits.py --port P size --max N
      RFC 1870: EHLO advertises "SIZE N"; MAIL ... SIZE=N+1 gets 552; a message over N
      octets sent without SIZE= gets 552 after its end (not 250); one under N gets 250.
  limits.py --port P recipients --max N
      RFC 5321 4.5.3.1.10: the recipient after the N-th gets 452 (too many recipients),
      the N accepted ones stay accepted (the message is delivered with DATA).

Prints one JSON line with what happened and "ok"; exits 0 when the server answered as
required, 1 otherwise (with the reason in "why").
"""

import argparse
import json
import os
import socket
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hold  # noqa: E402


class Conn:
    """A line-oriented SMTP client connection with a read timeout."""

    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def reply(self, timeout=10.0):
        """Read one whole reply: (code, [lines]); (None, []) when the server closed."""
        self.sock.settimeout(timeout)
        lines = []
        while True:
            while b"\r\n" not in self.buf:
                data = self.sock.recv(65536)
                if not data:
                    return None, lines
                self.buf += data
            line, self.buf = self.buf.split(b"\r\n", 1)
            lines.append(line.decode(errors="replace"))
            if len(line) < 4 or line[3:4] != b"-":
                return int(line[:3]), lines

    def cmd(self, text, timeout=10.0):
        self.sock.sendall(text.encode() + b"\r\n")
        return self.reply(timeout)

    def closed(self, timeout=5.0):
        """True when the server closes the connection within timeout (data is skipped)."""
        self.sock.settimeout(timeout)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if not self.sock.recv(65536):
                    return True
        except socket.timeout:
            return False
        except OSError:
            return True
        return False


def fail(result, why):
    result["ok"] = False
    result["why"] = why
    return result


def check_sessions(args):
    """Hold N+K connections; N greeted, K refused with the given code."""
    stats = {"greeted": 0, "refused": 0, "failed": 0}
    conns = []
    hold.raise_fd_limit(args.allowed + args.extra)
    hold.open_batch("127.0.0.1", args.port, args.allowed, 10.0, conns, stats)
    first = dict(stats)
    hold.open_batch("127.0.0.1", args.port, args.extra, 10.0, conns, stats)
    result = {"check": "sessions", "allowed": args.allowed, **stats, "ok": True}
    for s in conns:
        s.close()
    if first["greeted"] != args.allowed:
        return fail(result, f"only {first['greeted']} of the first {args.allowed} were greeted")
    if stats["greeted"] != args.allowed:
        return fail(result, f"{stats['greeted'] - args.allowed} connections over the limit got 220")
    codes = stats.get("refused_codes", {})
    if codes.get(str(args.code), 0) != args.extra:
        return fail(result, f"connections over the limit got {codes}, want {args.extra} x {args.code}")
    return result


def check_idle(args, in_data):
    """Go quiet (in the command phase, or inside DATA) and time the 421."""
    c = Conn(args.port, timeout=args.seconds * 4 + 10)
    result = {"check": "data-idle" if in_data else "idle", "limit": args.seconds, "ok": True}
    code, _ = c.reply()
    if code != 220:
        return fail(result, f"greeting {code}")
    code, _ = c.cmd("EHLO limits.test")
    if in_data:
        for text, want in (("MAIL FROM:<idle@limits.test>", 250),
                           (f"RCPT TO:<{args.rcpt}>", 250), ("DATA", 354)):
            code, lines = c.cmd(text)
            if code != want:
                return fail(result, f"{text} got {lines}")
        c.sock.sendall(b"Subject: half\r\n\r\nthis message never ends")
    start = time.monotonic()
    code, lines = c.reply(timeout=args.seconds * 4 + 10)
    waited = time.monotonic() - start
    result.update(code=code, reply=lines, waited=round(waited, 2))
    if code != 421:
        return fail(result, f"idle session got {lines or 'a close'} instead of 421")
    if waited < args.seconds - 0.5:
        return fail(result, f"421 after {waited:.1f} s, before the {args.seconds} s limit")
    if waited > args.seconds * 2 + 3:
        return fail(result, f"421 only after {waited:.1f} s for a {args.seconds} s limit")
    if not c.closed():
        return fail(result, "the server did not close the connection after 421")
    return result


def send_message(c, size, rcpt, mail_suffix=""):
    """MAIL/RCPT/DATA and a body of about size octets; returns the final (code, lines)."""
    code, lines = c.cmd(f"MAIL FROM:<size@limits.test>{mail_suffix}")
    if code != 250:
        return code, lines
    code, lines = c.cmd(f"RCPT TO:<{rcpt}>")
    if code not in (250, 251):
        return code, lines
    code, lines = c.cmd("DATA")
    if code != 354:
        return code, lines
    body = b"Subject: size\r\n\r\n"
    line = b"y" * 98 + b"\r\n"
    while len(body) + len(line) <= size:
        body += line
    c.sock.sendall(body + b".\r\n")
    return c.reply(timeout=30)


def check_size(args):
    """RFC 1870 4-6: the declared and the actual size over the limit both get 552."""
    result = {"check": "size", "max": args.max, "ok": True}
    c = Conn(args.port)
    c.reply()
    code, lines = c.cmd("EHLO limits.test")
    if f"SIZE {args.max}" not in [line[4:].upper() for line in lines]:
        return fail(result, f"EHLO does not advertise SIZE {args.max}: {lines}")
    code, lines = c.cmd(f"MAIL FROM:<size@limits.test> SIZE={args.max + 1}")
    result["declared_over"] = code
    if code != 552:
        return fail(result, f"MAIL with SIZE={args.max + 1} got {lines}, want 552")
    code, lines = send_message(c, args.max * 2, args.rcpt)
    result["actual_over"] = code
    if code != 552:
        return fail(result, f"a {args.max * 2}-octet message got {lines}, want 552")
    code, lines = send_message(c, args.max - 200, args.rcpt, f" SIZE={args.max - 200}")
    result["under"] = code
    if code != 250:
        return fail(result, f"a message under the limit got {lines}, want 250")
    c.cmd("QUIT")
    return result


def check_recipients(args):
    """RFC 5321 4.5.3.1.10: recipient N+1 gets 452; the first N still get the message."""
    result = {"check": "recipients", "max": args.max, "ok": True}
    c = Conn(args.port)
    c.reply()
    c.cmd("EHLO limits.test")
    code, lines = c.cmd("MAIL FROM:<rcpt@limits.test>")
    if code != 250:
        return fail(result, f"MAIL got {lines}")
    local, _, domain = args.rcpt.partition("@")
    for i in range(args.max):
        code, lines = c.cmd(f"RCPT TO:<{local}+{i}@{domain}>")
        if code not in (250, 251):
            return fail(result, f"recipient {i + 1} of {args.max} got {lines}")
    code, lines = c.cmd(f"RCPT TO:<{local}+over@{domain}>")
    result["over"] = code
    if code != 452:
        return fail(result, f"recipient {args.max + 1} got {lines}, want 452")
    code, lines = c.cmd("DATA")
    if code != 354:
        return fail(result, f"DATA after the 452 got {lines}, want 354")
    c.sock.sendall(b"Subject: many recipients\r\n\r\nbody\r\n.\r\n")
    code, lines = c.reply(timeout=30)
    result["data"] = code
    if code != 250:
        return fail(result, f"the message for {args.max} recipients got {lines}")
    c.cmd("QUIT")
    return result


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--rcpt", default="user@bench.test")
    sub = p.add_subparsers(dest="check", required=True)
    sp = sub.add_parser("sessions")
    sp.add_argument("--allowed", type=int, required=True)
    sp.add_argument("--extra", type=int, default=2)
    sp.add_argument("--code", type=int, default=421)
    for name in ("idle", "data-idle"):
        sp = sub.add_parser(name)
        sp.add_argument("--seconds", type=float, required=True)
    sp = sub.add_parser("size")
    sp.add_argument("--max", type=int, required=True)
    sp = sub.add_parser("recipients")
    sp.add_argument("--max", type=int, required=True)
    args = p.parse_args()
    try:
        if args.check == "sessions":
            result = check_sessions(args)
        elif args.check in ("idle", "data-idle"):
            result = check_idle(args, args.check == "data-idle")
        elif args.check == "size":
            result = check_size(args)
        else:
            result = check_recipients(args)
    except OSError as e:
        result = {"check": args.check, "ok": False, "why": f"connection error: {e}"}
    print(json.dumps(result), flush=True)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
