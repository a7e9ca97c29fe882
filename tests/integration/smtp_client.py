"""Helpers shared by the integration tests: raw SMTP dialogs, smtplib glue,
reply assertions, Maildir and spool inspection.

Every socket has a timeout, every wait loop is bounded in time.  The tests
speak to the server only over loopback.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import smtplib
import socket
import ssl
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

HOST = "mx.example.com"
SOCKET_TIMEOUT = 5.0
CRLF = b"\r\n"

# docs/behaviour.md §0.1: a reply line is at most 512 octets, CRLF included.
MAX_REPLY_LINE = 512

# docs/behaviour.md §2.1, role `mx`, plaintext, no [tls] configured.  The one place that
# names the expected keyword list: change it here when a feature lands.
MX_PLAINTEXT_KEYWORDS = [
    "PIPELINING",
    "SIZE 1048576",
    "8BITMIME",
    "SMTPUTF8",
    "ENHANCEDSTATUSCODES",
    "CHUNKING",
    "DSN",
    "CHECKPOINT",
    "ETRN",
    "HELP",
]

# docs/behaviour.md §2.1 with a certificate configured ([tls]): STARTTLS before
# TLS; after it (and on `smtps`) AUTH with the mechanisms in SPEC's order,
# filtered by `[auth] mechanisms`.  `submission` and `smtps` advertise what
# `mx` does without ETRN.
AUTH_MECHANISMS = ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"]


def ehlo_keywords(tls: bool, certificate: bool = True, mechanisms=None,
                  role: str = "mx") -> list[str]:
    """The keyword lines of EHLO for `mx`/`submission` (plaintext or TLS)
    and `smtps` (always TLS).  `mechanisms`: the `[auth] mechanisms` value
    (any order, SPEC's order is used); None = all."""
    words = MX_PLAINTEXT_KEYWORDS[:-1]  # without HELP
    if role != "mx":
        words = [w for w in words if w != "ETRN"]
    if tls:
        allowed = {m.upper() for m in (mechanisms if mechanisms is not None else AUTH_MECHANISMS)}
        offered = [m for m in AUTH_MECHANISMS if m in allowed]
        if offered:
            words = words + ["AUTH " + " ".join(offered)]
    elif certificate:
        words = words + ["STARTTLS"]
    return words + ["HELP"]

# docs/behaviour.md §2.1, role `odmr`: only CRAM-MD5 and SCRAM-SHA-256 before TLS (they
# need no encryption there, RFC 2645), PLAIN and LOGIN added inside TLS.
ODMR_PLAINTEXT_MECHANISMS = ["CRAM-MD5", "SCRAM-SHA-256"]


def odmr_keywords(tls: bool, certificate: bool = True) -> list[str]:
    """The keyword lines of EHLO on an `odmr` listener."""
    mechanisms = ODMR_PLAINTEXT_MECHANISMS + (["PLAIN", "LOGIN"] if tls else [])
    words = ["AUTH " + " ".join(mechanisms), "ATRN", "ENHANCEDSTATUSCODES"]
    if certificate and not tls:
        words.append("STARTTLS")
    return words


QUEUED_RE = re.compile(r"queued as (\S+)$")
ENHANCED_RE = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})$")


class ProtocolError(AssertionError):
    """The server broke the reply grammar of docs/behaviour.md §0.1."""


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

    `enhanced` is checked on every line (docs/behaviour.md §0.1: every 2xx/4xx/5xx
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
    """docs/behaviour.md §0.1: a 2xx/4xx/5xx line starts with class.subject.detail,
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
                 source: str | None = None, read_greeting: bool = True, tls: bool = False,
                 tls_context: ssl.SSLContext | None = None):
        """`tls=True`: implicit TLS (`smtps`), the handshake comes before the
        greeting."""
        self.timeout = timeout
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        if source:
            self.sock.bind((source, 0))
        self.sock.connect((host, port))
        self.buf = b""
        self.greeting: Reply | None = None
        if tls:
            self.wrap_tls(tls_context)
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
        """Read one (possibly multi-line) reply; checks docs/behaviour.md §0.1 shape."""
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

    def read_until(self, terminator: bytes, timeout: float | None = None,
                   limit: int = 8 * 1024 * 1024) -> bytes:
        """Raw octets up to and including `terminator` (e.g. the message data
        of a turned-around connection, where the test is the server)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while terminator not in self.buf:
            if len(self.buf) > limit:
                raise ProtocolError(f"no {terminator!r} within {limit} octets")
            if not self._fill(deadline):
                raise ConnectionError(f"connection closed before {terminator!r} (pending {self.buf[-200:]!r})")
        end = self.buf.index(terminator) + len(terminator)
        data, self.buf = self.buf[:end], self.buf[end:]
        return data

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
            except (ConnectionResetError, ssl.SSLEOFError):
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

    def send_mail(self, marker: str, sender: str = "sender@other.example",
                  rcpts=("user@example.com",), params: str = "",
                  body: bytes = b"Hello.\r\n", message: bytes | None = None) -> str:
        """One transaction (EHLO already done): MAIL, RCPT (250/251 each),
        DATA with a message whose Subject is `marker` (or `message`, wire
        form, not stuffed); returns the queue id."""
        check(self.cmd(f"MAIL FROM:<{sender}>{(' ' + params) if params else ''}"), 250, "2.1.0")
        for r in rcpts:
            rep = self.cmd(f"RCPT TO:<{r}>")
            assert rep.code in (250, 251), f"RCPT TO:<{r}>: {rep}"
        msg = message if message is not None else make_message(
            marker, body, sender=sender or "mailer-daemon@other.example", to=rcpts[0])
        return check_queued(self.data(dot_stuff(msg)))

    def read_until_close(self, timeout: float = SOCKET_TIMEOUT) -> bytes:
        """Everything the server sends until it closes (≤ timeout, else
        AssertionError); a reset counts as a close."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if not self._fill(deadline):
                    break
            except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
                break
            except TimeoutError as e:
                raise AssertionError(f"server did not close the connection; got {self.buf[:300]!r}") from e
        data, self.buf = self.buf, b""
        return data

    def quit(self) -> None:
        try:
            check(self.cmd("QUIT"), 221, "2.0.0")
        finally:
            self.close()

    # -- TLS (docs/behaviour.md §12)
    @property
    def tls(self) -> bool:
        return isinstance(self.sock, ssl.SSLSocket)

    def wrap_tls(self, context: ssl.SSLContext | None = None) -> None:
        """TLS handshake on the connection (certificate not verified).  No
        plaintext may be pending: what the server sent before the handshake
        would be a protocol error (docs/behaviour.md §12)."""
        assert not self.buf, f"plaintext left before the TLS handshake: {self.buf!r}"
        self.sock = (context or tls_client_context()).wrap_socket(self.sock, server_hostname=HOST)

    def starttls(self, context: ssl.SSLContext | None = None) -> Reply:
        """`STARTTLS` → `220 2.0.0 Ready to start TLS`, then the handshake."""
        rep = check(self.cmd("STARTTLS"), 220, "2.0.0", text="Ready to start TLS")
        self.wrap_tls(context)
        return rep

    def tls_version(self) -> str:
        assert self.tls, "no TLS on this session"
        return self.sock.version()

    def peer_subject(self) -> str:
        """The subject of the server's certificate (`CN = mx.example.com`)."""
        assert self.tls, "no TLS on this session"
        return cert_subject(self.sock.getpeercert(binary_form=True))

    # -- AUTH (docs/behaviour.md §13); each returns the final reply, unchecked
    def auth_plain(self, user: str, password: str, authzid: str = "",
                   initial: bool = True) -> Reply:
        resp = b64e(sasl_plain(user, password, authzid))
        if initial:
            return self.cmd(f"AUTH PLAIN {resp}")
        rep = self.cmd("AUTH PLAIN")
        if rep.code != 334:
            return rep
        assert rep.text == "", f"PLAIN challenge must be empty: {rep}"
        return self.cmd(resp)

    def auth_login(self, user: str, password: str, initial: bool = False) -> Reply:
        if initial:
            rep = self.cmd(f"AUTH LOGIN {b64e(user)}")
        else:
            rep = self.cmd("AUTH LOGIN")
            if rep.code != 334:
                return rep
            assert b64d(rep.text) == b"Username:", f"LOGIN must ask Username: {rep}"
            rep = self.cmd(b64e(user))
        if rep.code != 334:
            return rep
        assert b64d(rep.text) == b"Password:", f"LOGIN must ask Password: {rep}"
        return self.cmd(b64e(password))

    def auth_cram_md5(self, user: str, password: str) -> Reply:
        rep = self.cmd("AUTH CRAM-MD5")
        if rep.code != 334:
            return rep
        challenge = b64d(rep.text)
        assert re.fullmatch(rb"<[^<>@\s]+@[^<>@\s]+>", challenge), \
            f"CRAM-MD5 challenge must look like <random.time@host>: {challenge!r}"
        return self.cmd(b64e(cram_md5_response(user, password, challenge)))

    def auth_scram(self, user: str, password: str, initial: bool = True,
                   tamper: str | None = None, gs2_header: str = "n,,") -> Reply:
        """SCRAM-SHA-256 (RFC 5802/7677).  The server signature is verified;
        `tamper` = "proof" or "nonce" sends a wrong one.  The client state is
        left in `self.scram`."""
        sc = self.scram = ScramClient(user, password)
        sc.gs2_header = gs2_header
        first = b64e(sc.client_first())
        if initial:
            rep = self.cmd(f"AUTH SCRAM-SHA-256 {first}")
        else:
            rep = self.cmd("AUTH SCRAM-SHA-256")
            if rep.code != 334:
                return rep
            assert rep.text == "", f"SCRAM's first challenge must be empty: {rep}"
            rep = self.cmd(first)
        if rep.code != 334:
            return rep
        final = sc.client_final(b64d(rep.text).decode("utf-8"), tamper=tamper)
        rep = self.cmd(b64e(final))
        if rep.code != 334:
            return rep
        sc.verify_server_final(b64d(rep.text).decode("utf-8"))
        return self.cmd("")

    def auth(self, mechanism: str, user: str, password: str) -> Reply:
        return {
            "PLAIN": self.auth_plain,
            "LOGIN": self.auth_login,
            "CRAM-MD5": self.auth_cram_md5,
            "SCRAM-SHA-256": self.auth_scram,
        }[mechanism.upper()](user, password)


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


def smtp_starttls(port: int) -> smtplib.SMTP:
    """smtplib: greeting, EHLO, STARTTLS (certificate not verified), EHLO."""
    client = smtp(port, ehlo=True)
    client._host = HOST  # smtplib takes the TLS server name from the constructor's host
    code, msg = client.starttls(context=tls_client_context())
    assert code == 220, f"STARTTLS: {code} {msg!r}"
    code, msg = client.ehlo("client.example.net")
    assert code == 250, f"EHLO after STARTTLS: {code} {msg!r}"
    return client


def smtp_ssl(port: int) -> smtplib.SMTP_SSL:
    """smtplib over implicit TLS (`smtps`), greeting read, EHLO sent."""
    client = smtplib.SMTP_SSL(timeout=SOCKET_TIMEOUT, context=tls_client_context())
    client._host = HOST  # smtplib takes the TLS server name from the constructor's host
    client.command_encoding = "utf-8"
    code, msg = client.connect("127.0.0.1", port)
    assert code == 220, f"greeting: {code} {msg!r}"
    code, msg = client.ehlo("client.example.net")
    assert code == 250, f"EHLO: {code} {msg!r}"
    return client


def smtp_auth(client: smtplib.SMTP, mechanism: str, user: str, password: str,
              initial_response_ok: bool = True):
    """Force one SASL mechanism through smtplib; returns (code, text) also
    when it fails."""
    client.user, client.password = user, password
    authobject = {"PLAIN": client.auth_plain, "LOGIN": client.auth_login,
                  "CRAM-MD5": client.auth_cram_md5}[mechanism.upper()]
    try:
        return client.auth(mechanism, authobject, initial_response_ok=initial_response_ok)
    except smtplib.SMTPAuthenticationError as e:
        return (e.smtp_code, e.smtp_error)


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


def dot_unstuff(data: bytes) -> bytes:
    """Undo `dot_stuff`: `data` is a DATA stream without its final `.` CRLF."""
    return b"\r\n".join(line[1:] if line.startswith(b".") else line for line in data.split(b"\r\n"))


def split_trace(wire: bytes, host: str = HOST) -> tuple[list[bytes], bytes]:
    """A relayed message (CRLF lines) → (the `Received:` fields Tern put at
    its top, naming `by <host> (Tern)`; the rest, which is the message as
    the client sent it)."""
    lines = wire.split(b"\r\n")
    fields: list[bytes] = []
    i = 0
    while i < len(lines) and lines[i].lower().startswith(b"received:"):
        j = i + 1
        while j < len(lines) and lines[j][:1] in (b" ", b"\t"):
            j += 1
        field = b"\r\n".join(lines[i:j])
        if f"by {host} (Tern)".encode() not in field:
            break
        fields.append(field)
        i = j
    return fields, b"\r\n".join(lines[i:])


def check_relayed(got, message: bytes, rcpts, sender: str, helo: str = HOST) -> None:
    """A message Tern relayed, as the next hop saw it (a peers.sink
    SinkMessage): Tern's EHLO name, the original envelope, and after Tern's
    own `Received:` field the content exactly as the client sent it."""
    assert got.helo == helo, got.helo
    assert got.mail_from == sender, got.mail_from
    assert sorted(got.rcpts) == sorted(rcpts), got.rcpts
    fields, rest = split_trace(got.wire)
    assert fields, f"no Received: field of Tern's at the top:\n{got.wire[:400]!r}"
    assert rest == message, f"content differs:\nsent {message!r}\ngot  {rest!r}"


def queue_marked(port: int, marker: str, body: bytes, sender: str, rcpts: list[str]) -> bytes:
    """Queue a message (Subject: marker, To: the first recipient) for
    `rcpts`; returns it as sent (wire form, not stuffed)."""
    message = make_message(marker, body, sender=sender, to=rcpts[0])
    send_message(port, message, sender, rcpts)
    return message


def send_message(port: int, message: bytes, sender: str, rcpts, **kw) -> str:
    """Queue `message` (wire form, not stuffed) over a new session: EHLO,
    MAIL, RCPT (250/251 each), DATA, QUIT; returns the queue id."""
    with Session(port, **kw) as s:
        check(s.greeting, 220)
        s.ehlo()
        qid = s.send_mail("", sender=sender, rcpts=tuple(rcpts), message=message)
        s.quit()
    return qid


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
    """The files of queued messages: everything under spool/ but tmp/ (messages being
    received) and spare/ (files of removed messages kept for new ones)."""
    root = Path(data_dir) / "spool"
    if not root.exists():
        return []
    return [p for p in root.rglob("*")
            if p.is_file() and p.relative_to(root).parts[0] not in ("tmp", "spare")]


@dataclass
class Delivered:
    return_path: str
    delivered_to: str
    received: str  # unfolded
    message: bytes


def parse_delivered(content: bytes) -> Delivered:
    """Split a delivered Maildir file (docs/behaviour.md §11) into its trace headers
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


# --------------------------------------------------------------------------
# TLS and SASL client side (docs/behaviour.md §12, §13)
# --------------------------------------------------------------------------

def tls_client_context(minimum: ssl.TLSVersion | None = None,
                       maximum: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    """A client context that does not verify the (self-signed) certificate."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if minimum is not None:
        ctx.minimum_version = minimum
    if maximum is not None:
        ctx.maximum_version = maximum
    return ctx


def cert_subject(der: bytes) -> str:
    """Subject of a DER certificate as `openssl x509 -subject` prints it,
    without the `subject=` prefix (e.g. `CN = mx.example.com`)."""
    res = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-subject"],
                         input=der, capture_output=True, timeout=20)
    assert res.returncode == 0, res.stderr.decode("utf-8", "replace")
    return res.stdout.decode().strip().removeprefix("subject=").strip()


def s_client(port: int, commands: str = "QUIT\n", starttls: bool = True,
             extra: list[str] | None = None, timeout: float = 20.0) -> subprocess.CompletedProcess:
    """`openssl s_client [-starttls smtp] -connect 127.0.0.1:PORT`, sending
    `commands` (LF lines, sent as CRLF) once the session is up; the session
    ends when the server closes (send QUIT).  Output as text in .stdout."""
    args = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-crlf", "-ign_eof",
            "-nocommands", "-servername", HOST]
    if starttls:
        args += ["-starttls", "smtp", "-name", "client.example.net"]
    args += extra or []
    res = subprocess.run(args, input=commands.encode(), capture_output=True, timeout=timeout)
    res.stdout = res.stdout.decode("utf-8", "replace")
    res.stderr = res.stderr.decode("utf-8", "replace")
    return res


def assert_tls_1_1_refused_by_server(port: int, starttls: bool = True) -> str:
    """Offer only TLS 1.1 with `openssl s_client` and assert that the server
    answered the ClientHello with a fatal `protocol_version` alert (number 70,
    RFC 5246 §7.2.2, RFC 8446 §6.2).  `@SECLEVEL=0` lets the client offer
    TLS 1.1 and take its SHA-1 signatures at all (OpenSSL 3's default level
    would end the handshake on the client's side, proving nothing about the
    server); `-msg` shows each record's direction: `>>>` sent, `<<<` received.
    Returns s_client's output."""
    res = s_client(port, "QUIT\n", starttls=starttls,
                   extra=["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0", "-msg"])
    out = res.stdout + res.stderr
    assert res.returncode != 0, f"a TLS 1.1 handshake succeeded:\n{out}"
    assert re.search(r"^>>> TLS 1\.1, Handshake \[length [0-9a-f]+\], ClientHello$", res.stdout, re.M), \
        f"the client did not offer TLS 1.1:\n{out}"
    assert re.search(r"^<<< TLS 1\.[01], Alert \[length 0002\], fatal protocol_version$",
                     res.stdout, re.M), f"no protocol_version alert from the server:\n{out}"
    assert "SSL alert number 70" in res.stderr, out
    assert not re.search(r"^<<< .*ServerHello", res.stdout, re.M), f"the server answered with a ServerHello:\n{out}"
    return out


def swaks(port: int, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess:
    """`swaks --server 127.0.0.1:PORT --helo client.example.net ARGS...`;
    .stdout/.stderr as text."""
    res = subprocess.run(["swaks", "--server", f"127.0.0.1:{port}", "--helo", "client.example.net",
                          "--timeout", "20", *args],
                         capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    res.stdout = res.stdout.decode("utf-8", "replace")
    res.stderr = res.stderr.decode("utf-8", "replace")
    return res


def b64e(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return base64.b64encode(data).decode("ascii")


def b64d(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def sasl_plain(user: str, password: str, authzid: str = "") -> bytes:
    """RFC 4616: authzid NUL authcid NUL passwd."""
    return f"{authzid}\0{user}\0{password}".encode("utf-8")


def cram_md5_response(user: str, password: str, challenge: bytes) -> str:
    """RFC 2195: user SP hex(HMAC-MD5(password, challenge))."""
    return f"{user} " + hmac.new(password.encode("utf-8"), challenge, hashlib.md5).hexdigest()


def _saslname(user: str) -> str:
    return user.replace("=", "=3D").replace(",", "=2C")


class ScramClient:
    """The client side of SCRAM-SHA-256 without channel binding (RFC 5802,
    RFC 7677)."""

    def __init__(self, user: str, password: str, nonce: str | None = None):
        self.user = user
        self.password = password
        self.cnonce = nonce or b64e(secrets.token_bytes(18))
        self.gs2_header = "n,,"
        self.server_first = ""
        self.salt = b""
        self.iterations = 0
        self.auth_message = ""
        self.salted = b""
        self.server_verified = False

    def client_first_bare(self) -> str:
        return f"n={_saslname(self.user)},r={self.cnonce}"

    def client_first(self) -> str:
        return self.gs2_header + self.client_first_bare()

    @staticmethod
    def _attrs(message: str) -> dict:
        out = {}
        for part in message.split(","):
            assert len(part) >= 2 and part[1] == "=", f"bad SCRAM attribute {part!r} in {message!r}"
            out[part[0]] = part[2:]
        return out

    def client_final(self, server_first: str, tamper: str | None = None) -> str:
        self.server_first = server_first
        attrs = self._attrs(server_first)
        nonce = attrs["r"]
        assert nonce.startswith(self.cnonce) and len(nonce) > len(self.cnonce), \
            f"server nonce must extend the client nonce: {server_first!r}"
        self.salt = base64.b64decode(attrs["s"])
        self.iterations = int(attrs["i"])
        if tamper == "nonce":
            nonce = self.cnonce + "forged"
        without_proof = f"c={b64e(self.gs2_header)},r={nonce}"
        self.auth_message = f"{self.client_first_bare()},{server_first},{without_proof}"
        self.salted = hashlib.pbkdf2_hmac("sha256", self.password.encode("utf-8"), self.salt,
                                          self.iterations)
        client_key = hmac.new(self.salted, b"Client Key", hashlib.sha256).digest()
        stored_key = hashlib.sha256(client_key).digest()
        signature = hmac.new(stored_key, self.auth_message.encode("utf-8"), hashlib.sha256).digest()
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        if tamper == "proof":
            proof = bytes([proof[0] ^ 1]) + proof[1:]
        return f"{without_proof},p={b64e(proof)}"

    def server_signature(self) -> str:
        server_key = hmac.new(self.salted, b"Server Key", hashlib.sha256).digest()
        return b64e(hmac.new(server_key, self.auth_message.encode("utf-8"), hashlib.sha256).digest())

    def verify_server_final(self, server_final: str) -> None:
        attrs = self._attrs(server_final)
        assert "e" not in attrs, f"SCRAM server-final reports an error: {server_final!r}"
        assert hmac.compare_digest(attrs.get("v", ""), self.server_signature()), \
            f"wrong SCRAM server signature: {server_final!r}"
        self.server_verified = True
