#!/usr/bin/env python3
"""hold - open N SMTP connections to one server, read each greeting, and hold them idle.

  hold.py --port P --count N [--hold SECONDS] [--ready-file F] [--batch B]

Connections are opened B at a time (each batch waits for its greetings, bounded by
--timeout) so the listen backlog never overflows. When all are open (or have failed) it
writes a JSON line to --ready-file (and stdout) with: opened, greeted (220), refused
(a non-220 greeting such as 421/554, or a close before any greeting), failed (connect
errors or timeouts). Then it holds every connection without sending a byte until
--hold seconds pass or SIGTERM, and reports again how many the server closed meanwhile.
"""

import argparse
import json
import os
import resource
import selectors
import signal
import socket
import sys
import time


def raise_fd_limit(need):
    """Lift the soft RLIMIT_NOFILE to what N connections need (up to the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = need + 64
    if soft < want:
        new = want if hard == resource.RLIM_INFINITY else min(want, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        soft = new
    return soft


def open_batch(host, port, n, timeout, conns, stats):
    """Open n connections and wait (bounded) for each greeting's first line."""
    sel = selectors.DefaultSelector()
    pending = {}
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        err = s.connect_ex((host, port))
        if err not in (0, 115):  # 115 = EINPROGRESS
            stats["failed"] += 1
            s.close()
            continue
        pending[s] = b""
        sel.register(s, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=max(0.0, deadline - time.monotonic())):
            s = key.fileobj
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:
                stats["refused"] += 1
                sel.unregister(s)
                del pending[s]
                s.close()
                continue
            pending[s] += data
            if b"\n" in pending[s]:
                sel.unregister(s)
                code = pending.pop(s)[:3]
                if code == b"220":
                    stats["greeted"] += 1
                    conns.append(s)
                else:
                    stats["refused"] += 1
                    stats.setdefault("refused_codes", {})
                    k = code.decode(errors="replace")
                    stats["refused_codes"][k] = stats["refused_codes"].get(k, 0) + 1
                    s.close()
    for s in pending:
        stats["failed"] += 1
        sel.unregister(s)
        s.close()
    sel.close()


def count_closed(conns):
    """How many held connections the server has closed (EOF or reset) by now."""
    closed = 0
    for s in conns:
        try:
            data = s.recv(4096, socket.MSG_PEEK | socket.MSG_DONTWAIT)
            if data == b"":
                closed += 1
        except BlockingIOError:
            pass
        except OSError:
            closed += 1
    return closed


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--batch", type=int, default=250)
    p.add_argument("--timeout", type=float, default=20.0, help="per batch, seconds")
    p.add_argument("--hold", type=float, default=30.0)
    p.add_argument("--ready-file")
    args = p.parse_args()

    limit = raise_fd_limit(args.count)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    conns = []
    stats = {"wanted": args.count, "fd_limit": limit, "greeted": 0, "refused": 0, "failed": 0}
    start = time.monotonic()
    left = args.count
    while left > 0 and not stop:
        n = min(args.batch, left)
        open_batch(args.host, args.port, n, args.timeout, conns, stats)
        left -= n
    stats["open_seconds"] = round(time.monotonic() - start, 2)
    stats["held"] = len(conns)
    line = json.dumps(stats)
    print(line, flush=True)
    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(line + "\n")
        os.rename(tmp, args.ready_file)
    deadline = time.monotonic() + args.hold
    while not stop and time.monotonic() < deadline:
        time.sleep(0.1)
    stats["closed_by_server"] = count_closed(conns)
    print(json.dumps(stats), flush=True)
    for s in conns:
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
