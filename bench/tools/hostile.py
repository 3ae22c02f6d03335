#!/usr/bin/env python3
"""hostile - misbehaving SMTP clients, one kind per run, each bounded in time and bytes.

  hostile.py --port P longline [--bytes 10000000]   one line with no CRLF, then CRLF, QUIT
  hostile.py --port P garbage  [--bytes 1000000]    NULs and binary garbage (fixed seed)
  hostile.py --port P starttls-garbage              EHLO, STARTTLS, then a garbage handshake
  hostile.py --port P tls-garbage                   garbage to an implicit-TLS port
  hostile.py --port P vanish [--repeat N]           vanish (RST) in the middle of DATA
  hostile.py --port P dataline [--bytes 10000000]   inside DATA, one line with no CRLF
  hostile.py --port P noread [--bytes 2000000]      pipeline NOOPs and never read a reply
  hostile.py --port P trickle [--interval 0.5]      one byte of a command per interval, for
                                                    --timeout s: how long does it stay open?

Prints one JSON line: what was sent, which reply codes came back, whether and when the
server closed. A hostile client cannot "fail" here; the calling test decides what the
server's answers must be and checks the server survived (good mail still arrives).
"""

import argparse
import json
import random
import socket
import struct
import sys
import time


class Probe:
    """One connection that records every reply code and the server's close."""

    def __init__(self, host, port, timeout):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.codes = []
        self.closed = False
        self.buf = b""
        self.sent = 0

    def drain(self, wait=0.0):
        """Read whatever replies are available (waiting at most `wait` s for the first)."""
        self.sock.settimeout(wait if wait > 0 else 0.0001)
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    self.closed = True
                    break
                self.buf += data
                self.sock.settimeout(0.05)
        except (socket.timeout, BlockingIOError):
            pass
        except OSError:
            self.closed = True
        while b"\r\n" in self.buf:
            line, self.buf = self.buf.split(b"\r\n", 1)
            if len(line) >= 4 and line[3:4] == b"-":
                continue
            self.codes.append(line[:3].decode(errors="replace"))

    def send(self, data):
        """Send data; False once the server has closed or reset the connection."""
        try:
            self.sock.settimeout(10)
            self.sock.sendall(data)
            self.sent += len(data)
            return True
        except OSError:
            self.closed = True
            return False

    def reply(self, wait=5.0):
        """Wait for one more complete reply; return its code or None."""
        before = len(self.codes)
        deadline = time.monotonic() + wait
        while len(self.codes) == before and not self.closed and time.monotonic() < deadline:
            self.drain(min(0.5, max(0.01, deadline - time.monotonic())))
        return self.codes[before] if len(self.codes) > before else None

    def vanish(self):
        """Close with RST instead of FIN: the peer just disappears."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def result(self, **extra):
        return {"sent": self.sent, "codes": self.codes, "server_closed": self.closed, **extra}


def run_longline(args):
    """RFC 5321 4.5.3.1.4 limits a command line to 512 octets: send far more."""
    p = Probe(args.host, args.port, args.timeout)
    greeting = p.reply()
    chunk = b"A" * 65536
    left = args.bytes
    start = time.monotonic()
    while left > 0 and not p.closed and time.monotonic() - start < args.timeout:
        n = min(left, len(chunk))
        if not p.send(chunk[:n]):
            break
        left -= n
        p.drain()
    p.send(b"\r\nNOOP\r\nQUIT\r\n")
    deadline = time.monotonic() + args.timeout
    while not p.closed and time.monotonic() < deadline:
        p.drain(0.5)
    return p.result(mode="longline", greeting=greeting, seconds=round(time.monotonic() - start, 2))


def run_garbage(args):
    """Binary garbage with NULs, CRs and LFs in random places (seeded: reproducible)."""
    rng = random.Random(args.seed)
    p = Probe(args.host, args.port, args.timeout)
    greeting = p.reply()
    left = args.bytes
    start = time.monotonic()
    while left > 0 and not p.closed and time.monotonic() - start < args.timeout:
        n = min(left, 4096)
        block = bytes(rng.choice((0, 0, 13, 10, rng.randrange(256))) for _ in range(n // 8))
        block += bytes(rng.randrange(256) for _ in range(n - len(block)))
        if not p.send(block):
            break
        left -= n
        p.drain()
    p.send(b"\r\nQUIT\r\n")
    deadline = time.monotonic() + args.timeout
    while not p.closed and time.monotonic() < deadline:
        p.drain(0.5)
    return p.result(mode="garbage", greeting=greeting)


def garbage_client_hello(rng):
    """A TLS record header claiming a handshake, followed by nonsense."""
    body = bytes(rng.randrange(256) for _ in range(512))
    return b"\x16\x03\x01" + struct.pack(">H", len(body)) + b"\x01\xff\xff\xff" + body


def run_starttls_garbage(args):
    """RFC 3207: after 220 to STARTTLS the server expects a handshake; give it garbage."""
    rng = random.Random(args.seed)
    p = Probe(args.host, args.port, args.timeout)
    greeting = p.reply()
    p.send(b"EHLO hostile.test\r\n")
    ehlo = p.reply()
    p.send(b"STARTTLS\r\n")
    starttls = p.reply()
    if starttls == "220":
        p.send(garbage_client_hello(rng))
        p.send(bytes(rng.randrange(256) for _ in range(4096)))
    deadline = time.monotonic() + args.timeout
    while not p.closed and time.monotonic() < deadline:
        p.drain(0.5)
    return p.result(mode="starttls-garbage", greeting=greeting, ehlo=ehlo, starttls=starttls)


def run_tls_garbage(args):
    """Garbage where an implicit-TLS port (RFC 8314) expects a ClientHello."""
    rng = random.Random(args.seed)
    p = Probe(args.host, args.port, args.timeout)
    p.send(garbage_client_hello(rng))
    deadline = time.monotonic() + args.timeout
    while not p.closed and time.monotonic() < deadline:
        p.drain(0.5)
    return p.result(mode="tls-garbage")


def run_vanish(args):
    """Start a message and disappear in the middle of its content, --repeat times."""
    results = {"mode": "vanish", "repeat": args.repeat, "reached_data": 0, "codes": []}
    for i in range(args.repeat):
        p = Probe(args.host, args.port, args.timeout)
        p.reply()
        for cmd in (b"EHLO hostile.test", b"MAIL FROM:<vanish@hostile.test>",
                    b"RCPT TO:<" + args.rcpt.encode() + b">", b"DATA"):
            p.send(cmd + b"\r\n")
            code = p.reply()
            results["codes"].append(code)
        if code == "354":
            results["reached_data"] += 1
            p.send(b"Subject: vanish %d\r\n\r\nhalf a message that never ends\r\n" % i)
            p.send(b"X" * 3000)
        p.vanish()
    return results


def run_dataline(args):
    """RFC 5321 4.5.3.1.6 limits a text line to 1000 octets: send one of --bytes inside
    DATA, then end the message properly and report the reply to the end of data."""
    p = Probe(args.host, args.port, args.timeout)
    p.reply()
    codes = []
    for cmd in (b"EHLO hostile.test", b"MAIL FROM:<dataline@hostile.test>",
                b"RCPT TO:<" + args.rcpt.encode() + b">", b"DATA"):
        p.send(cmd + b"\r\n")
        codes.append(p.reply())
    final = None
    start = time.monotonic()
    if codes[-1] == "354":
        p.send(b"Subject: one long line\r\n\r\n")
        chunk = b"B" * 65536
        left = args.bytes
        while left > 0 and not p.closed and time.monotonic() - start < args.timeout:
            n = min(left, len(chunk))
            if not p.send(chunk[:n]):
                break
            left -= n
            p.drain()
        p.send(b"\r\n.\r\n")
        final = p.reply(args.timeout)
        p.send(b"QUIT\r\n")
        p.reply()
    return p.result(mode="dataline", before_data=codes, end_of_data=final,
                    seconds=round(time.monotonic() - start, 2))


def run_noread(args):
    """Pipeline --bytes of NOOP commands without reading a single reply: the server must
    stop reading (its replies have nowhere to go) instead of buffering them all. Our
    writes stall once both socket buffers are full; report how much got through."""
    p = Probe(args.host, args.port, args.timeout)
    p.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    block = b"NOOP\r\n" * 10000
    left = args.bytes
    start = time.monotonic()
    p.sock.setblocking(False)
    stalled = False
    while left > 0 and time.monotonic() - start < args.timeout:
        try:
            n = p.sock.send(block[: min(left, len(block))])
            p.sent += n
            left -= n
        except BlockingIOError:
            stalled = True
            time.sleep(0.05)
            if time.monotonic() - start > 3:
                break
        except OSError:
            p.closed = True
            break
    p.sock.setblocking(True)
    return p.result(mode="noread", stalled=stalled, seconds=round(time.monotonic() - start, 2))


def run_trickle(args):
    """Slowloris: never finish a command, one byte every --interval seconds. A server
    whose command timeout restarts with every read keeps such a session for ever."""
    p = Probe(args.host, args.port, args.timeout + 10)
    greeting = p.reply()
    start = time.monotonic()
    text = b"NOOP " * 100000
    i = 0
    while not p.closed and time.monotonic() - start < args.timeout:
        if not p.send(text[i : i + 1]):
            break
        i += 1
        p.drain(args.interval)
    return p.result(mode="trickle", greeting=greeting, interval=args.interval,
                    seconds_open=round(time.monotonic() - start, 1))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--timeout", type=float, default=20.0)
    p.add_argument("--seed", type=int, default=5321)
    p.add_argument("--rcpt", default="user@bench.test")
    sub = p.add_subparsers(dest="mode", required=True)
    sp = sub.add_parser("longline")
    sp.add_argument("--bytes", type=int, default=10_000_000)
    sp = sub.add_parser("garbage")
    sp.add_argument("--bytes", type=int, default=1_000_000)
    sub.add_parser("starttls-garbage")
    sub.add_parser("tls-garbage")
    sp = sub.add_parser("dataline")
    sp.add_argument("--bytes", type=int, default=10_000_000)
    sp = sub.add_parser("noread")
    sp.add_argument("--bytes", type=int, default=2_000_000)
    sp = sub.add_parser("trickle")
    sp.add_argument("--interval", type=float, default=0.5)
    sp = sub.add_parser("vanish")
    sp.add_argument("--repeat", type=int, default=10)
    args = p.parse_args()
    run = {
        "longline": run_longline,
        "garbage": run_garbage,
        "starttls-garbage": run_starttls_garbage,
        "tls-garbage": run_tls_garbage,
        "vanish": run_vanish,
        "dataline": run_dataline,
        "noread": run_noread,
        "trickle": run_trickle,
    }[args.mode]
    try:
        out = run(args)
    except OSError as e:
        out = {"mode": args.mode, "error": str(e)}
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
