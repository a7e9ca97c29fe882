"""The client side of checkpoint/restart (RFC 1845, docs/behaviour.md §16) over a raw
`Session`: MAIL with `TRANSID=`, the 355 and its offset, a DATA stream or
BDAT chunks sent from an offset and cut anywhere, and big messages whose
dot-stuffing matters.

Offsets are positions in what the client sends: for DATA the dot-stuffed
stream from the first octet after the 354 (the final `.` CRLF not
counted), for BDAT the message itself.
"""

from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass

from smtp_client import Reply, Session, check, dot_stuff, make_message

CLIENT = "client.example.net"
SENDER = "sender@other.example"
RCPT = "user@example.com"
MIB = 1024 * 1024

OFFSET_RE = re.compile(r"^(\d+) is the transaction offset$")
SEND_STEP = 256 * 1024  # one write of a long stream; each write gets the socket timeout


def new_transid(tag: str = "t", domain: str = CLIENT) -> str:
    """A fresh `<local@domain>`, brackets included."""
    return f"<{tag}-{time.monotonic_ns()}@{domain}>"


def big_message(marker: str, size: int = 5 * 1000 * 1000, seed: int = 1845) -> bytes:
    """A message (wire form, not stuffed) of about `size` octets: lines of
    every length from 0 to 998 octets, about a quarter of them starting with
    a dot (a lone `.`, `..`, `.text`), so that the stuffed stream and the
    message differ all along."""
    rnd = random.Random(seed)
    alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:-+=/"
    pool = bytes(rnd.choice(alphabet) for _ in range(8192))
    lines: list[bytes] = []
    total = 0
    while total < size:
        length = rnd.choice((0, 1, 2, rnd.randrange(3, 80), rnd.randrange(80, 999)))
        start = rnd.randrange(0, len(pool) - 999)
        line = pool[start:start + length]
        kind = rnd.random()
        if kind < 0.05:
            line = b"."
        elif kind < 0.08:
            line = b".."
        elif kind < 0.25:
            line = b"." + line[:997]
        lines.append(line)
        total += len(line) + 2
    return make_message(marker, b"\r\n".join(lines) + b"\r\n")


def is_line_end(stream: bytes, offset: int) -> bool:
    """`offset` is 0 or follows a CRLF of `stream`."""
    return offset == 0 or (2 <= offset <= len(stream) and stream[offset - 2:offset] == b"\r\n")


def last_line_end(stream: bytes, cut: int) -> int:
    """The last line end at or before `cut` (0 if there is none)."""
    i = stream.rfind(b"\r\n", 0, cut)
    return 0 if i < 0 or i + 2 > cut else i + 2


def check_offset(rep: Reply) -> int:
    """`355 <offset> is the transaction offset`, no enhanced code; returns
    the offset."""
    check(rep, 355, regex=OFFSET_RE.pattern)
    assert rep.enhanced is None, f"a 355 has no enhanced code: {rep}"
    return int(OFFSET_RE.match(rep.text).group(1))


def send_stepped(s: Session, data: bytes, timeout: float = 120.0) -> None:
    """Send `data` in writes of SEND_STEP octets, ≤ timeout in all."""
    deadline = time.monotonic() + timeout
    for off in range(0, len(data), SEND_STEP):
        assert time.monotonic() < deadline, f"{len(data)} octets not sent within {timeout} s"
        s.send(data[off:off + SEND_STEP])


@dataclass
class Transfer:
    """One message sent under one TRANSID, over as many sessions as it
    takes."""
    message: bytes
    transid: str
    sender: str = SENDER
    rcpts: tuple[str, ...] = (RCPT,)

    @property
    def stream(self) -> bytes:
        """The DATA stream as sent, without the final `.` CRLF."""
        return dot_stuff(self.message)

    def mail(self, s: Session, client: str = CLIENT, ehlo: bool = True) -> Reply:
        """(EHLO client,) `MAIL FROM:<sender> TRANSID=<...>`; the reply unchecked."""
        if ehlo:
            s.ehlo(client)
        return s.cmd(f"MAIL FROM:<{self.sender}> TRANSID={self.transid}")

    def open(self, s: Session, client: str = CLIENT, ehlo: bool = True) -> int | None:
        """MAIL (250 → None, 355 → its offset), then every RCPT (250)."""
        rep = self.mail(s, client, ehlo)
        offset = None if rep.code == 250 else check_offset(rep)
        if offset is None:
            check(rep, 250, "2.1.0", text="Sender OK")
        for rcpt in self.rcpts:
            check(s.cmd(f"RCPT TO:<{rcpt}>"), 250, "2.1.5")
        return offset

    def resume(self, s: Session, client: str = CLIENT, ehlo: bool = True) -> int:
        """MAIL → 355 (which must come), RCPTs; returns the offset."""
        offset = self.open(s, client, ehlo)
        assert offset is not None, f"expected a 355 for {self.transid}, got 250"
        return offset

    # -- DATA
    def data(self, s: Session, start: int = 0, end: int | None = None) -> Reply | None:
        """DATA → 354, then the stream from `start`: up to `end` and nothing
        more (None returned), or to its end with the final `.` CRLF (the
        final reply returned)."""
        check(s.cmd("DATA"), 354, text="Start mail input; end with <CRLF>.<CRLF>")
        if end is not None:
            send_stepped(s, self.stream[start:end])
            return None
        send_stepped(s, self.stream[start:] + b".\r\n")
        return s.read_reply(timeout=60)

    # -- BDAT
    def bdat(self, s: Session, start: int = 0, end: int | None = None,
             chunk: int = MIB) -> list[Reply]:
        """The message from `start` in chunks of `chunk` octets, one reply
        read per chunk: up to `end` without LAST, or to the end, the last
        chunk with LAST (`BDAT 0 LAST` when nothing is left)."""
        last = end is None
        stop = len(self.message) if last else end
        replies = []
        pieces = [(off, min(off + chunk, stop)) for off in range(start, stop, chunk)] or [(start, start)]
        for i, (a, b) in enumerate(pieces):
            final = last and i == len(pieces) - 1
            s.send(b"BDAT %d%s\r\n" % (b - a, b" LAST" if final else b""))
            send_stepped(s, self.message[a:b])
            replies.append(s.read_reply(timeout=60))
        return replies

    def bdat_cut(self, s: Session, start: int, length: int, chunk: int = MIB) -> None:
        """`BDAT <chunk>` and only `length` octets of it: a chunk cut short."""
        assert length < chunk
        s.send(b"BDAT %d\r\n" % chunk)
        send_stepped(s, self.message[start:start + length])
