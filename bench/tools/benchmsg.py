"""benchmsg - the exact bytes of the messages the bench and reliability tools send.

Two generators, both deterministic so a checker can rebuild what was sent:
  * own_message(tag, index, size, ...): what smtpload.py sends; unique Message-ID
    <TAG.INDEX@bench.smtpcheck>, a body with lines that begin with '.' (so the server's
    dot-unstuffing, RFC 5321 4.5.2, is part of every check).
  * smtp_source_body(length): the body Postfix's smtp-source sends for "-l LENGTH".
And strip_trace(): removes the trace header lines a server prepends (RFC 5321 4.4).
"""

import re

# Header lines a receiving server may prepend (RFC 5321 4.4 trace fields, plus the two
# delivery headers Postfix's virtual/local agents add).
TRACE_PREFIXES = (b"return-path:", b"received:", b"delivered-to:", b"x-original-to:")

MSGID_RE = re.compile(rb"^Message-ID:\s*<([^>]*)>", re.IGNORECASE | re.MULTILINE)


def own_message(tag, index, size, sender, rcpt):
    """The message content (CRLF lines, not dot-stuffed, ending in CRLF) for one index."""
    head = (
        f"From: <{sender}>\r\n"
        f"To: <{rcpt}>\r\n"
        f"Subject: smtpcheck bench {tag} {index}\r\n"
        "Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n"
        f"Message-ID: <{tag}.{index}@bench.smtpcheck>\r\n"
        "\r\n"
    ).encode()
    lines = []
    total = len(head)
    j = 0
    while total < size or j < 3:
        if j % 13 == 5:
            line = "."  # a lone dot: the wire carries "..", the mailbox "."
        elif j % 7 == 3:
            line = f".leading dot line {index}.{j} must arrive with one dot"
        else:
            line = f"{tag} message {index} line {j} " + "abcdefghij" * 5
        lines.append(line.encode() + b"\r\n")
        total += len(lines[-1])
        j += 1
    return head + b"".join(lines)


def dot_stuff(content):
    """RFC 5321 4.5.2: double a leading '.' on every line; content ends in CRLF."""
    out = []
    for line in content.split(b"\r\n")[:-1]:
        if line.startswith(b"."):
            line = b"." + line
        out.append(line + b"\r\n")
    return b"".join(out)


def smtp_source_body(length):
    """The body smtp-source -l LENGTH sends: 80-octet lines (a digit, 77 'X', CRLF)
    numbered 1..9,0,1.., then the remainder as 'X's and a CRLF."""
    if length % 80 in (0, 78, 79):
        raise ValueError("pick -l so that length % 80 is not 0, 78 or 79")
    full = length // 80
    out = [f"{(k + 1) % 10}".encode() + b"X" * 77 + b"\r\n" for k in range(full)]
    out.append(b"X" * (length - 80 * full) + b"\r\n")
    return b"".join(out)


def smtp_source_re(sender, rcpt, length):
    """A regex for one whole smtp-source message (Date and Message-Id vary)."""
    body = smtp_source_body(length)
    return re.compile(
        b"From: <"
        + re.escape(sender.encode())
        + b">\r\nTo: <"
        + re.escape(rcpt.encode())
        + b">\r\nDate: [^\r\n]+\r\nMessage-Id: <[0-9a-f.]+@[^>\r\n]+>\r\n\r\n"
        + re.escape(body)
        + b"\\Z"
    )


def strip_trace(data):
    """Remove the trace header lines at the top of a delivered message (with their
    folded continuation lines). Returns (trace_bytes, rest)."""
    pos = 0
    in_trace = False
    while pos < len(data):
        end = data.find(b"\n", pos)
        if end < 0:
            break
        line = data[pos : end + 1]
        if line[:1] in (b" ", b"\t") and in_trace:
            pos = end + 1
            continue
        if line.lower().startswith(TRACE_PREFIXES):
            in_trace = True
            pos = end + 1
            continue
        break
    return data[:pos], data[pos:]


def to_file_form(expected, stored):
    """Maildir files conventionally use LF; accept either, but only consistently: turn
    the expected CRLF content into LF when the stored file has no CR at all."""
    if b"\r" not in stored:
        return expected.replace(b"\r\n", b"\n")
    return expected
