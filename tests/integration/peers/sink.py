"""Postfix's `smtp-sink` as a next hop: accepts (or refuses) SMTP or LMTP on
127.0.0.1:<free port> (or a UNIX socket) and dumps every accepted
transaction to its own file, which `messages()` parses back into envelope and
content.

    sink = Sink(tmp_path / "sink").start()            # accept everything
    Sink(dir, mode="tempfail")                         # RCPT → 4xx
    Sink(dir, mode="permfail", hard_reply="550 5.1.1 No such user")
    Sink(dir, lmtp=True, unix_path=dir / "lmtp.sock")  # LMTP on a UNIX socket

Modes (smtp-sink options): "accept"; "tempfail" / "permfail": every RCPT
gets the soft (`-r RCPT`) or hard (`-f RCPT`) reply; "tempfail_data" /
"permfail_data": the same for the end of DATA (`-r .` / `-f .`); "drop_421":
421 and disconnect at MAIL (`-Q MAIL`).  With `-r`/`-f` smtp-sink does not
announce PIPELINING.  `extra_args` go to smtp-sink unchanged (see `man
smtp-sink`: -w, -W, -A, -E, -8, ...).

Dump format (`-d`): `X-Client-Addr`, `X-Client-Proto`, `X-Helo-Args`,
`X-Mail-Args`, one `X-Rcpt-Args` per RCPT, smtp-sink's own `Received:`, the
message as received (dot-unstuffed, LF line ends), one empty line.  A file
that smtp-sink still holds open (per /proc/PID/fd) is a transaction in
progress and is not reported.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import shutil
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path

from . import process

SMTP_SINK = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
START_TIMEOUT = 10.0

MODES = {
    "accept": [],
    "tempfail": ["-r", "RCPT"],
    "permfail": ["-f", "RCPT"],
    "tempfail_data": ["-r", "."],
    "permfail_data": ["-f", "."],
    "drop_421": ["-Q", "MAIL"],
}

_ADDR = re.compile(r"^<([^>]*)>\s*(.*)$")


def _split_args(args: str) -> tuple[str, list[str]]:
    """`<a@b> SIZE=1 BODY=8BITMIME` → ("a@b", ["SIZE=1", "BODY=8BITMIME"])."""
    m = _ADDR.match(args.strip())
    if not m:
        words = args.split()
        return (words[0] if words else "", words[1:])
    return m.group(1), m.group(2).split()


@dataclass
class SinkMessage:
    """One dumped transaction.  `data` is the message as received (LF line
    ends, dot-unstuffed); `wire` the same with CRLF."""
    path: Path
    arrived: float  # the dump file's mtime (seconds since the epoch)
    client_addr: str
    proto: str  # "SMTP", "ESMTP" or "LMTP"
    helo: str | None
    mail_from: str
    mail_params: list[str]
    rcpts: list[str]
    rcpt_params: list[list[str]]
    data: bytes
    message: Message = field(repr=False)

    @property
    def wire(self) -> bytes:
        return self.data.replace(b"\n", b"\r\n")

    def header(self, name: str) -> str | None:
        value = self.message.get(name)
        return None if value is None else str(value)

    @property
    def message_id(self) -> str | None:
        return self.header("Message-ID")


def parse_dump(path: Path) -> SinkMessage:
    """Parse one smtp-sink dump file (format in the module doc)."""
    raw = Path(path).read_bytes()
    arrived = os.stat(path).st_mtime
    lines = raw.split(b"\n")
    meta: dict[str, list[str]] = {}
    i = 0
    while i < len(lines) and lines[i].startswith(b"X-") and b": " in lines[i]:
        name, value = lines[i].decode("utf-8", "replace").split(": ", 1)
        if name not in ("X-Client-Addr", "X-Client-Proto", "X-Helo-Args", "X-Mail-Args",
                        "X-Rcpt-Args"):
            break
        meta.setdefault(name, []).append(value)
        i += 1
    # smtp-sink's own Received: header with its continuation lines
    if i < len(lines) and lines[i].startswith(b"Received: ") and b"smtp-sink" in b"\n".join(
            lines[i:i + 3]):
        i += 1
        while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
            i += 1
    body = b"\n".join(lines[i:])
    # the file ends with the message's last LF plus one empty line
    if body.endswith(b"\n"):
        body = body[:-1]
    mail_from, mail_params = _split_args(meta.get("X-Mail-Args", [""])[0])
    rcpts, rcpt_params = [], []
    for args in meta.get("X-Rcpt-Args", []):
        addr, params = _split_args(args)
        rcpts.append(addr)
        rcpt_params.append(params)
    return SinkMessage(
        path=Path(path), arrived=arrived,
        client_addr=meta.get("X-Client-Addr", [""])[0],
        proto=meta.get("X-Client-Proto", [""])[0],
        helo=meta.get("X-Helo-Args", [None])[0],
        mail_from=mail_from, mail_params=mail_params, rcpts=rcpts, rcpt_params=rcpt_params,
        data=body, message=email.message_from_bytes(body, policy=email.policy.compat32))


class Sink(process.ChildPeer):
    """An smtp-sink subprocess.  `.port` (None on a UNIX socket), `.address`
    (what smtp-sink listens on), `.messages()`, `.wait_messages(n)`, `.stop()`."""

    def __init__(self, workdir: Path, mode: str = "accept", lmtp: bool = False,
                 unix_path: Path | None = None, port: int | None = None,
                 hostname: str = "sink.test", soft_reply: str | None = None,
                 hard_reply: str | None = None, extra_args: list[str] | tuple[str, ...] = (),
                 dump: bool = True, name: str = "smtp-sink"):
        if mode not in MODES:
            raise ValueError(f"unknown smtp-sink mode {mode!r}; one of {sorted(MODES)}")
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.mode = mode
        self.lmtp = lmtp
        self.unix_path = Path(unix_path) if unix_path else None
        self.port = None if self.unix_path else (port or process.free_port())
        self.dump_dir = self.workdir / "dump"
        self.log_path = self.workdir / f"{name}.log"
        args = [SMTP_SINK, "-h", hostname, *MODES[mode]]
        if os.geteuid() == 0:  # smtp-sink insists on -u when started as root
            args[1:1] = ["-u", "root"]
        if lmtp:
            args.append("-L")
        if soft_reply:
            args += ["-b", soft_reply]
        if hard_reply:
            args += ["-B", hard_reply]
        if dump:
            self.dump_dir.mkdir(parents=True, exist_ok=True)
            # strftime prefix + smtp-sink's random hex: distinct names under load
            args += ["-d", f"{self.dump_dir}/%Y%m%d%H%M%S."]
        args += list(extra_args)
        args += [self.address, "256"]
        self.args = args
        self.output_path = self.log_path

    @property
    def address(self) -> str:
        if self.unix_path:
            return f"unix:{self.unix_path}"
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = START_TIMEOUT) -> "Sink":
        if self.unix_path and self.unix_path.exists():
            self.unix_path.unlink()
        self.launch(timeout, f"smtp-sink on {self.address}")
        return self

    def ready(self) -> bool:
        if self.unix_path:
            return self.unix_path.exists()
        return process.tcp_answers(self.port)

    def log(self, tail: int = 200) -> str:
        return process.tail(self.log_path, tail)

    # -- what arrived
    def _open_files(self) -> set[str]:
        """Dump files smtp-sink still holds open: transactions in progress."""
        if not self.running():
            return set()
        fd_dir = Path(f"/proc/{self.pid}/fd")
        out = set()
        try:
            for fd in fd_dir.iterdir():
                try:
                    out.add(os.readlink(fd))
                except OSError:
                    pass
        except OSError:
            pass
        return out

    def dump_files(self) -> list[Path]:
        """Completed dump files, oldest first."""
        if not self.dump_dir.is_dir():
            return []
        # Listed before the open files are read: a file smtp-sink creates in between is
        # not listed, rather than listed as complete while it is still being written.
        listed = [p for p in self.dump_dir.rglob("*") if p.is_file()]
        busy = self._open_files()
        files = [p for p in listed if str(p) not in busy]
        return sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name))

    def messages(self) -> list[SinkMessage]:
        """Every completed transaction, oldest first."""
        return [parse_dump(p) for p in self.dump_files()]

    def wait_messages(self, count: int = 1, timeout: float = 10.0) -> list[SinkMessage]:
        """Poll ≤ timeout until at least `count` transactions have arrived."""
        def arrived() -> list[SinkMessage] | None:
            messages = self.messages()
            return messages if len(messages) >= count else None
        return process.wait_until(arrived, timeout, what=f"{count} message(s) at smtp-sink {self.address}")

    def find(self, marker: str) -> list[SinkMessage]:
        """The arrived transactions whose content contains `marker`."""
        needle = marker.encode()
        return [m for m in self.messages() if needle in m.data]
