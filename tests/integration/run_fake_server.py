#!/usr/bin/env python3
"""run_fake_server.py - SMTP servers, good and hostile, for the `smtpcheck run` tests.

Usage: run_fake_server.py MODE [LIFETIME_SECONDS]
Listens on 127.0.0.1, an ephemeral port, prints the port on stdout (one line), serves
every connection in a thread, and exits by itself after LIFETIME_SECONDS (default 120).

Modes:
  good     a small well-behaved ESMTP server (PIPELINING, SIZE, 8BITMIME)
  silent   accepts and never says anything
  midreply greets with "220-" and closes in the middle of the multi-line greeting
  flood    greets, then answers EHLO with an endless multi-line reply
  barelf   like good, but every reply line ends in a bare LF
  garbage  sends binary garbage instead of a greeting, then more on every line read
  closer   greets, then closes the connection on the first command
  mixed    like good, but the EHLO reply mixes codes (250-/251 ) and QUIT gets 2210
  dies     like good, but the command CRASH makes the whole server exit (a crash)
"""
import os
import socket
import sys
import threading
import time


def reply(conn, mode, text):
    """Send reply lines (text with \n between lines) in the mode's line ending."""
    end = b"\n" if mode == "barelf" else b"\r\n"
    conn.sendall(b"".join(line.encode() + end for line in text.split("\n")))


def lines(conn, f):
    """Yield command lines (bytes, without CRLF) until EOF; at most 4096 octets each."""
    while True:
        line = f.readline(4096)
        if not line:
            return
        yield line.rstrip(b"\r\n")


def serve_good(conn, mode):
    """A tiny RFC 5321 server: enough state to give the right codes for simple scripts."""
    f = conn.makefile("rb")
    reply(conn, mode, "220 fake.test ESMTP ready")
    helo = mail = False
    rcpts = 0
    it = lines(conn, f)
    for line in it:
        verb = line.split(b" ", 1)[0].upper()
        if verb == b"EHLO":
            helo, mail, rcpts = True, False, 0
            if mode == "mixed":
                reply(conn, mode, "250-fake.test\n251 PIPELINING")
            else:
                reply(conn, mode, "250-fake.test greets you\n250-PIPELINING\n250-SIZE 1000000\n250 8BITMIME")
        elif verb == b"HELO":
            helo, mail, rcpts = True, False, 0
            reply(conn, mode, "250 fake.test")
        elif verb == b"MAIL":
            if not helo:
                reply(conn, mode, "503 5.5.1 EHLO first")
            elif mail:
                reply(conn, mode, "503 5.5.1 nested MAIL")
            else:
                mail = True
                reply(conn, mode, "250 2.1.0 ok")
        elif verb == b"RCPT":
            if not mail:
                reply(conn, mode, "503 5.5.1 MAIL first")
            else:
                rcpts += 1
                reply(conn, mode, "250 2.1.5 ok")
        elif verb == b"DATA":
            if not rcpts:
                reply(conn, mode, "503 5.5.1 RCPT first")
                continue
            reply(conn, mode, "354 go ahead")
            for body in it:
                if body == b".":
                    break
            mail, rcpts = False, 0
            reply(conn, mode, "250 2.0.0 queued")
        elif verb == b"RSET":
            mail, rcpts = False, 0
            reply(conn, mode, "250 2.0.0 ok")
        elif verb == b"NOOP":
            reply(conn, mode, "250 2.0.0 ok")
        elif verb == b"CRASH" and mode == "dies":
            conn.close()
            os._exit(0)
        elif verb == b"QUIT":
            reply(conn, mode, "2210 bye" if mode == "mixed" else "221 2.0.0 bye")
            return
        else:
            reply(conn, mode, "500 5.5.2 unrecognised command")


def serve(conn, mode):
    """One connection in the given mode."""
    try:
        if mode in ("good", "barelf", "mixed", "dies"):
            serve_good(conn, mode)
        elif mode == "silent":
            time.sleep(60)
        elif mode == "midreply":
            conn.sendall(b"220-fake.test first line\r\n220-second li")
            time.sleep(0.1)
        elif mode == "flood":
            conn.sendall(b"220 fake.test\r\n")
            conn.recv(4096)
            chunk = b"250-" + b"x" * 60 + b"\r\n"
            deadline = time.time() + 30
            while time.time() < deadline:
                conn.sendall(chunk * 100)
        elif mode == "garbage":
            junk = bytes(range(256)) * 4
            conn.sendall(junk)
            while conn.recv(4096):
                conn.sendall(junk)
        elif mode == "closer":
            conn.sendall(b"220 fake.test\r\n")
            conn.recv(4096)
    except OSError:
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def main():
    mode = sys.argv[1]
    lifetime = float(sys.argv[2]) if len(sys.argv) > 2 else 120
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    print(s.getsockname()[1], flush=True)
    threading.Timer(lifetime, lambda: os._exit(0)).start()
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve, args=(conn, mode), daemon=True).start()


if __name__ == "__main__":
    main()
