#!/usr/bin/env python3
"""maildir_verify - check a Maildir against what a client sent, byte for byte.

  maildir_verify.py --maildir DIR --tag TAG --size N [--ack-log FILE] [--expect-count N]
  maildir_verify.py --maildir DIR --smtp-source-length L --expect-count N

Every file in any new/ or cur/ below DIR must be one whole message exactly as sent, after
the trace header lines the server put on top (Return-Path:, Received:, ... see
benchmsg.TRACE_PREFIXES) are removed: a partial, garbled or unknown file is a failure.
With --ack-log (written by smtpload.py) every acknowledged message must be there, once.
Files left in tmp/ are counted (Maildir allows them after a crash) but never read as mail.
Prints one JSON line; exit 0 when everything holds, 1 otherwise.
"""

import argparse
import json
import os
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchmsg  # noqa: E402


def maildir_files(root):
    """(delivered, tmp) lists of paths below root."""
    delivered, tmp = [], []
    for dirpath, _dirs, files in os.walk(root):
        leaf = os.path.basename(dirpath)
        for f in files:
            path = os.path.join(dirpath, f)
            if leaf in ("new", "cur"):
                delivered.append(path)
            elif leaf == "tmp":
                tmp.append(path)
    return sorted(delivered), sorted(tmp)


def read_acks(path):
    """The message indexes the client recorded as acknowledged (250 after DATA)."""
    acked = set()
    with open(path, "rb") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2 and parts[0] == b"ACK":
                acked.add(int(parts[1]))
    return acked


class Report:
    """What was found, with a few examples of each problem."""

    def __init__(self):
        self.counts = {"files": 0, "ok": 0, "bad": 0, "duplicate": 0, "no_trace": 0, "tmp": 0}
        self.examples = []

    def problem(self, kind, text):
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if len(self.examples) < 8:
            self.examples.append(f"{kind}: {text}")


def check_own(args, files, report):
    """Files written from smtpload.py messages: rebuild each by its Message-ID."""
    seen = {}
    prefix = f"{args.tag}."
    for path in files:
        with open(path, "rb") as f:
            data = f.read()
        trace, rest = benchmsg.strip_trace(data)
        if b"received:" not in trace.lower():
            report.problem("no_trace", os.path.basename(path))
        m = benchmsg.MSGID_RE.search(rest)
        ident = m.group(1).decode(errors="replace") if m else ""
        if not ident.startswith(prefix) or not ident.endswith("@bench.smtpcheck"):
            report.problem("bad", f"{path}: no Message-ID of tag {args.tag} ({len(data)} octets)")
            continue
        try:
            index = int(ident[len(prefix) : -len("@bench.smtpcheck")])
        except ValueError:
            report.problem("bad", f"{path}: unparsable Message-ID {ident}")
            continue
        want = benchmsg.own_message(args.tag, index, args.size, args.sender, args.rcpt)
        want = benchmsg.to_file_form(want, rest)
        if rest != want:
            report.problem(
                "bad", f"{path}: message {index} differs ({len(rest)} octets, want {len(want)})"
            )
            continue
        if index in seen:
            report.problem("duplicate", f"message {index} in {seen[index]} and {path}")
            continue
        seen[index] = path
        report.counts["ok"] += 1
    return set(seen)


def check_smtp_source(args, files, report):
    """Files written from smtp-source messages: all alike but for Date and Message-Id."""
    ids = set()
    pattern_crlf = benchmsg.smtp_source_re(args.sender, args.rcpt, args.smtp_source_length)
    for path in files:
        with open(path, "rb") as f:
            data = f.read()
        trace, rest = benchmsg.strip_trace(data)
        if b"received:" not in trace.lower():
            report.problem("no_trace", os.path.basename(path))
        text = rest if b"\r" in rest else rest.replace(b"\n", b"\r\n")
        if not pattern_crlf.match(text):
            report.problem("bad", f"{path}: not the smtp-source message ({len(rest)} octets)")
            continue
        ident = benchmsg.MSGID_RE.search(text).group(1)
        if ident in ids:
            report.problem("duplicate", f"Message-Id {ident.decode()} twice ({path})")
            continue
        ids.add(ident)
        report.counts["ok"] += 1


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--maildir", required=True)
    p.add_argument("--tag", default="bench")
    p.add_argument("--size", type=int, default=1000)
    p.add_argument("--from", dest="sender", default="load@client.test")
    p.add_argument("--rcpt", default="user@bench.test")
    p.add_argument("--ack-log")
    p.add_argument("--expect-count", type=int)
    p.add_argument("--smtp-source-length", type=int)
    p.add_argument("--allow-no-trace", action="store_true")
    args = p.parse_args()

    files, tmp = maildir_files(args.maildir)
    report = Report()
    report.counts["files"] = len(files)
    report.counts["tmp"] = len(tmp)
    failed = False
    if args.smtp_source_length:
        check_smtp_source(args, files, report)
    else:
        present = check_own(args, files, report)
        if args.ack_log:
            acked = read_acks(args.ack_log)
            missing = sorted(acked - present)
            report.counts["acked"] = len(acked)
            report.counts["missing"] = len(missing)
            report.counts["unacked_present"] = len(present - acked)
            if missing:
                failed = True
                report.examples.append(f"missing: acknowledged but not delivered: {missing[:10]}")
    if args.expect_count is not None and len(files) != args.expect_count:
        failed = True
        report.examples.append(f"count: {len(files)} files, expected {args.expect_count}")
    if report.counts["bad"] or report.counts["duplicate"]:
        failed = True
    if report.counts["no_trace"] and not args.allow_no_trace:
        failed = True
    print(json.dumps({"ok": not failed, **report.counts, "problems": report.examples}))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
