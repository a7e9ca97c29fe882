"""Helpers shared by the integration tests: raw SMTP dialogs, smtplib glue,
reply assertions, Maildir and spool inspection.

Every socket has a timeout, every wait loop is bounded in time.  The tests
speak to the server only over loopback.
"""

from __future__ import annotations

import os
import re
import smtplib
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path

HOST = "mx.example.com"
SOCKET_TIMEOUT = 5.0
CRLF = b"\r\n"

# SPEC.md §0.1: a reply line is at most 512 octets, CRLF included.
MAX_REPLY_LINE = 512

# SPEC.md §2.1, role `mx`, plaintext, no [tls] configured, with the scope of
# issue 2 (CHECKPOINT and ETRN arrive with later issues).  The one place that
# names the expected keyword list: change it here when a feature lands.
MX_PLAINTEXT_KEYWORDS = [
    "PIPELINING",
    "SIZE 1048576",
    "8BITMIME",
    "SMTPUTF8",
    "ENHANCEDSTATUSCODES",
    "CHUNKING",
    "DSN",
    "HELP",
]

QUEUED_RE = re.compile(r"queued as (\S+)$")
ENHANCED_RE = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})$")


class ProtocolError(AssertionError):
    """The server broke the reply grammar of SPEC.md §0.1."""


@dataclass
class Reply:
    code: int
    lines: list[str] = field(default_factory=list)  # text after "NNN-" / "NNN "

    @property
    def text(self) -> str:
        """Text of the last line (the whole reply for a one-line reply)."""
        return self.lines[-1] if self.lines else ""

    @property
    def enhanced(self) -> str | None:
        """The enhanced status code of the first line, if it has one."""
        first = self.lines[0].split(" ", 1)[0] if self.lines else ""
        return first if ENHANCED_RE.match(first) else None

    def text_after_enhanced(self, line: int = -1) -> str:
        parts = self.lines[line].split(" ", 1)
        if ENHANCED_RE.match(parts[0]):
            return parts[1] if len(parts) > 1 else ""
        return self.lines[line]

    def __str__(self) -> str:  # as on the wire, for assertion messages
        out = []
        for i, ln in enumerate(self.lines):
            sep = " " if i == len(self.lines) - 1 else "-"
            out.append(f"{self.code}{sep}{ln}")
        return "\n".join(out)


def as_reply(r) -> Reply:
    """Accept a Reply or an smtplib (code, bytes) tuple."""
    if isinstance(r, Reply):
        return r
    code, msg = r
    text = msg.decode("utf-8", "replace") if isinstance(msg, bytes) else msg
    return Reply(code, text.split("\n"))


def check(r, code: int, enhanced: str | None = None, text: str | None = None,
          startswith: str | None = None, regex: str | None = None,
          every_line: bool = True) -> Reply:
    """Assert a reply.

    `enhanced` is checked on every line (SPEC.md §0.1: every 2xx/4xx/5xx
    line).  `text` is the exact text after the enhanced code on the last
    line; `startswith`/`regex` match that same text loosely.
    """
    rep = as_reply(r)
    assert rep.code == code, f"expected {code} {enhanced or ''} {text or ''}, got:\n{rep}"
    if enhanced is not None:
        lines = rep.lines if every_line else rep.lines[:1]
        for ln in lines:
            assert ln.split(" ", 1)[0] == enhanced, (
                f"expected enhanced code {enhanced} on every line, got:\n{rep}")
    body = rep.text_after_enhanced() if enhanced is not None else rep.text
    if text is not None:
        assert body == text, f"expected text {text!r}, got:\n{rep}"
    if startswith is not None:
        assert body.startswith(startswith), f"expected text starting {startswith!r}, got:\n{rep}"
    if regex is not None:
        assert re.search(regex, body), f"expected text matching {regex!r}, got:\n{rep}"
    return rep


def check_has_enhanced(r) -> Reply:
    """SPEC.md §0.1: a 2xx/4xx/5xx line starts with class.subject.detail,
    class equal to the first digit of the reply."""
    rep = as_reply(r)
    if rep.code // 100 in (2, 4, 5):
        for ln in rep.lines:
            first = ln.split(" ", 1)[0]
            m = ENHANCED_RE.match(first)
            assert m, f"missing enhanced status code:\n{rep}"
            assert int(m.group(1)) == rep.code // 100, f"enhanced class differs from reply class:\n{rep}"
    return rep


def queue_id(r) -> str:
    rep = as_reply(r)
    m = QUEUED_RE.search(rep.text)
    assert m, f"no queue id in: {rep}"
    return m.group(1)


def check_queued(r) -> str:
    """`250 2.0.0 Requested mail action okay, completed: queued as <id>`."""
    check(r, 250, "2.0.0", regex=r"^Requested mail action okay, completed: queued as \S+$")
    return queue_id(r)


# --------------------------------------------------------------------------
# Raw dialog over a socket
# --------------------------------------------------------------------------

class Session:
    """A raw SMTP client: send exact octets, read and parse replies."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = SOCKET_TIMEOUT,
                 source: str | None = None, read_greeting: bool = True):
        self.timeout = timeout
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        if source:
            self.sock.bind((source, 0))
        self.sock.connect((host, port))
        self.buf = b""
        self.greeting: Reply | None = None
        if read_greeting:
            self.greeting = self.read_reply()

    # -- context manager
    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    # -- sending
    def send(self, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.sock.sendall(data)

    def cmd(self, line: bytes | str, timeout: float | None = None) -> Reply:
        """Send one command line (CRLF appended) and read its reply."""
        if isinstance(line, str):
            line = line.encode("utf-8")
        self.send(line + CRLF)
        return self.read_reply(timeout)

    def pipeline(self, lines: list[bytes | str]) -> list[Reply]:
        """Send every line in one write, then read one reply per line."""
        data = b"".join((ln.encode("utf-8") if isinstance(ln, str) else ln) + CRLF for ln in lines)
        self.send(data)
        return [self.read_reply() for _ in lines]

    # -- receiving
    def _fill(self, deadline: float) -> bool:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("timed out waiting for the server")
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        finally:
            self.sock.settimeout(self.timeout)
        if not chunk:
            return False
        self.buf += chunk
        return True

    def read_line(self, timeout: float | None = None) -> bytes:
        deadline = time.monotonic() + (timeout or self.timeout)
        while b"\n" not in self.buf:
            if len(self.buf) > 64 * 1024:
                raise ProtocolError(f"reply line without end: {self.buf[:200]!r}")
            if not self._fill(deadline):
                raise ConnectionError(f"connection closed by server (pending {self.buf!r})")
        line, self.buf = self.buf.split(b"\n", 1)
        line += b"\n"
        if not line.endswith(CRLF):
            raise ProtocolError(f"reply line not ended by CRLF: {line!r}")
        if len(line) > MAX_REPLY_LINE:
            raise ProtocolError(f"reply line over {MAX_REPLY_LINE} octets: {line[:80]!r}...")
        return line[:-2]

    def read_reply(self, timeout: float | None = None) -> Reply:
        """Read one (possibly multi-line) reply; checks SPEC.md §0.1 shape."""
        lines: list[str] = []
        code = None
        for _ in range(1000):
            raw = self.read_line(timeout)
            m = re.match(rb"^(\d{3})([ -])(.*)$", raw, re.S)
            if not m and re.match(rb"^\d{3}$", raw):
                m = re.match(rb"^(\d{3})()()$", raw)
            if not m:
                raise ProtocolError(f"malformed reply line: {raw!r}")
            c = int(m.group(1))
            if code is not None and c != code:
                raise ProtocolError(f"multi-line reply changes code: {code} then {raw!r}")
            code = c
            lines.append(m.group(3).decode("utf-8", "replace"))
            if m.group(2) != b"-":
                return Reply(code, lines)
        raise ProtocolError("reply with more than 1000 lines")

    def expect(self, code: int, enhanced: str | None = None, text: str | None = None, **kw) -> Reply:
        return check(self.read_reply(), code, enhanced, text, **kw)

    def expect_eof(self, timeout: float = SOCKET_TIMEOUT) -> None:
        """The server closes the connection; nothing else arrives."""
        deadline = time.monotonic() + timeout
        while True:
            if self.buf:
                raise AssertionError(f"expected close, got more data: {self.buf[:300]!r}")
            try:
                if not self._fill(deadline):
                    return
            except ConnectionResetError:
                return
            except TimeoutError as e:
                raise AssertionError("server did not close the connection") from e

    def expect_silence(self, seconds: float) -> None:
        """No reply arrives within `seconds` (the connection may stay open)."""
        deadline = time.monotonic() + seconds
        self.sock.settimeout(seconds)
        try:
            while time.monotonic() < deadline:
                try:
                    chunk = self.sock.recv(65536)
                except (socket.timeout, TimeoutError):
                    break
                if not chunk:
                    break
                self.buf += chunk
        finally:
            self.sock.settimeout(self.timeout)
        assert not self.buf, f"unexpected data from the server: {self.buf[:300]!r}"

    # -- common dialogs
    def ehlo(self, name: str = "client.example.net") -> Reply:
        return check(self.cmd(f"EHLO {name}"), 250)

    def start_mail(self, sender: str = "sender@other.example", rcpts=("user@example.com",),
                   params: str = "", ehlo: bool = True) -> None:
        if ehlo:
            self.ehlo()
        check(self.cmd(f"MAIL FROM:<{sender}>{(' ' + params) if params else ''}"), 250, "2.1.0")
        for r in rcpts:
            check(self.cmd(f"RCPT TO:<{r}>"), 250, "2.1.5")

    def data(self, wire_body: bytes) -> Reply:
        """DATA, then `wire_body` exactly as given (already stuffed and ending
        with CRLF), then the terminating `.` CRLF; returns the final reply."""
        check(self.cmd("DATA"), 354, text="Start mail input; end with <CRLF>.<CRLF>")
        self.send(wire_body + b".\r\n")
        return self.read_reply(timeout=30)

    def quit(self) -> None:
        try:
            check(self.cmd("QUIT"), 221, "2.0.0")
        finally:
            self.close()


def connect_ready(port: int, attempts: int = 40, **kw) -> Session:
    """Open a session, retrying (bounded) while the server still counts a
    just-closed connection and answers 421."""
    last = None
    for _ in range(attempts):
        s = Session(port, **kw)
        if s.greeting.code == 220:
            return s
        last = s.greeting
        s.close()
        time.sleep(0.05)
    raise AssertionError(f"server kept refusing connections: {last}")


# --------------------------------------------------------------------------
# smtplib glue
# --------------------------------------------------------------------------

def smtp(port: int, ehlo: bool = False) -> smtplib.SMTP:
    """An smtplib client connected to the server (greeting read)."""
    client = smtplib.SMTP(timeout=SOCKET_TIMEOUT)
    client.command_encoding = "utf-8"  # raw UTF-8 addresses in docmd()
    code, msg = client.connect("127.0.0.1", port)
    assert code == 220, f"greeting: {code} {msg!r}"
    if ehlo:
        code, msg = client.ehlo("client.example.net")
        assert code == 250, f"EHLO: {code} {msg!r}"
    return client


def smtp_close(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


# --------------------------------------------------------------------------
# Messages, stuffing
# --------------------------------------------------------------------------

def unique_marker(tag: str = "m") -> str:
    return f"{tag}-{os.getpid()}-{time.monotonic_ns()}"


def make_message(marker: str, body: bytes = b"Hello.\r\n", sender: str = "sender@other.example",
                 to: str = "user@example.com", extra_headers: bytes = b"") -> bytes:
    """A message in wire form (CRLF lines), NOT dot-stuffed."""
    head = (f"From: <{sender}>\r\nTo: <{to}>\r\nSubject: {marker}\r\n"
            f"Message-ID: <{marker}@client.example.net>\r\n").encode()
    return head + extra_headers + b"\r\n" + body


def dot_stuff(message: bytes) -> bytes:
    """RFC 5321 §4.5.2 transparency for a CRLF message."""
    out = []
    for line in message.split(b"\r\n"):
        out.append(b"." + line if line.startswith(b".") else line)
    return b"\r\n".join(out)


def crlf_to_lf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n")


# --------------------------------------------------------------------------
# Maildir and spool
# --------------------------------------------------------------------------

def maildir_new(data_dir: Path, address: str) -> Path:
    local, domain = address.rsplit("@", 1)
    return Path(data_dir) / "mail" / domain.lower() / local.lower() / "new"


def _files(directory: Path) -> list[Path]:
    try:
        return [p for p in directory.iterdir() if p.is_file()]
    except FileNotFoundError:
        return []


def find_in_maildir(data_dir: Path, address: str, marker: str) -> list[bytes]:
    out = []
    for p in _files(maildir_new(data_dir, address)):
        try:
            content = p.read_bytes()
        except FileNotFoundError:
            continue
        if marker.encode() in content:
            out.append(content)
    return out


def wait_delivered(data_dir: Path, address: str, marker: str, timeout: float = 10.0,
                   count: int = 1) -> list[bytes]:
    """Poll (≤ timeout) until `count` files holding `marker` are in the
    address's Maildir `new/`; returns their contents."""
    deadline = time.monotonic() + timeout
    found: list[bytes] = []
    while time.monotonic() < deadline:
        found = find_in_maildir(data_dir, address, marker)
        if len(found) >= count:
            return found
        time.sleep(0.05)
    listing = sorted(str(p.relative_to(data_dir)) for p in Path(data_dir).rglob("*") if p.is_file()) \
        if Path(data_dir).exists() else []
    raise AssertionError(
        f"{marker} not delivered to {maildir_new(data_dir, address)} within {timeout}s "
        f"(found {len(found)}); files under data_dir: {listing[:50]}")


def all_mail_files(data_dir: Path) -> list[Path]:
    root = Path(data_dir) / "mail"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def files_containing(paths, marker: str) -> list[Path]:
    out = []
    for p in paths:
        try:
            if marker.encode() in p.read_bytes():
                out.append(p)
        except (FileNotFoundError, IsADirectoryError):
            pass
    return out


def assert_not_delivered(data_dir: Path, marker: str, wait: float = 1.5) -> None:
    """Wait a little, then no Maildir anywhere holds `marker`."""
    time.sleep(wait)
    hits = files_containing(all_mail_files(data_dir), marker)
    assert not hits, f"{marker} was delivered but must not be: {hits}"


def spool_files(data_dir: Path) -> list[Path]:
    root = Path(data_dir) / "spool"
    if not root.exists():
        return []
    return [p for p in root.rglob("*") if p.is_file() and "tmp" not in p.relative_to(root).parts[:1]]


@dataclass
class Delivered:
    return_path: str
    delivered_to: str
    received: str  # unfolded
    message: bytes


def parse_delivered(content: bytes) -> Delivered:
    """Split a delivered Maildir file (SPEC.md §11) into its trace headers
    and the message as received.  Lines end in LF only."""
    assert b"\r" not in content.split(b"\n\n", 1)[0], "trace headers must use LF line ends"
    lines = content.split(b"\n")
    i = 0
    assert lines[i].startswith(b"Return-Path: "), f"first line must be Return-Path: {lines[0]!r}"
    return_path = lines[i][len(b"Return-Path: "):].decode("utf-8")
    i += 1
    assert lines[i].startswith(b"Delivered-To: "), f"second line must be Delivered-To: {lines[i]!r}"
    delivered_to = lines[i][len(b"Delivered-To: "):].decode("utf-8")
    i += 1
    assert lines[i].startswith(b"Received: "), f"third field must be Received: {lines[i]!r}"
    received = [lines[i].decode("utf-8")]
    i += 1
    while i < len(lines) and lines[i][:1] in (b"\t", b" "):
        received.append(lines[i].decode("utf-8").strip())
        i += 1
    message = b"\n".join(lines[i:])
    return Delivered(return_path, delivered_to, " ".join(received), message)


def sent_as_stored(message: bytes) -> bytes:
    """What the Maildir must hold after the trace headers: the message as
    sent, un-stuffed, CRLF stored as LF."""
    return crlf_to_lf(message)


def port_is_free(port: int) -> bool:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_port() -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
