"""fetchmail (Debian's 6.x) as a real customer of ETRN and ODMR: one run
against Tern, on loopback, with a private home.

How fetchmail drives the two protocols (its man page and source):

- ETRN (`--protocol ETRN`): reads the greeting, sends `EHLO <its host name>`,
  requires `ETRN` among the keywords, then sends one plain `ETRN <domain>`
  (never the `@` or `#` forms) per `--fetchdomains` entry, then `QUIT`.
  250/252/253 are success, 251 is "no mail", 458, 459 and 5xx are errors.
  No authentication.  The mail then comes from Tern over a new connection to
  the node's host, not through fetchmail.
- ODMR (`--protocol ODMR`): reads the greeting, sends `EHLO <its host name>`,
  requires `ATRN` among the keywords, then always authenticates with
  `AUTH CRAM-MD5` (user and password of the rcfile; `--auth` does not change
  this, and fetchmail does no STARTTLS here, so it is plaintext), then sends
  `ATRN dom1,dom2` (the `--fetchdomains` list joined by commas, no spaces).
  After `250` it connects to `--smtphost host/port` and copies octets both
  ways without reading them until either side closes: Tern then speaks SMTP
  directly with that server (greeting, EHLO, MAIL, ..., QUIT).

Each run writes its own rcfile (mode 0600: fetchmail refuses a password file
others can read), pid file and id file in the work directory, points HOME and
FETCHMAILHOME there, logs with --nosyslog and -v -v to a file, is bounded by a
timeout and is then stopped by its PID.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from . import process

FETCHMAIL = shutil.which("fetchmail") or "/usr/bin/fetchmail"
RUN_TIMEOUT = 60.0
SERVER_TIMEOUT = 20  # fetchmail's --timeout: silence from a server, in seconds


@dataclass
class FetchmailRun:
    args: list[str]
    returncode: int | None  # None: stopped after the timeout
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def __str__(self) -> str:
        return f"(exit {self.returncode})\n{self.output}"  # the output starts with the command


def _quoted(text: str) -> str:
    """A string in fetchmail's rcfile syntax."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Fetchmail:
    """Runs fetchmail once per call: `.etrn(...)`, `.odmr(...)`."""

    def __init__(self, workdir: Path, name: str = "fetchmail"):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.workdir, 0o700)
        self.name = name
        self.runs = 0
        self.proc: subprocess.Popen | None = None
        self.started_at = 0.0
        self.log_path = self.workdir / f"{name}.log"

    def etrn(self, port: int, domains: list[str], timeout: float = RUN_TIMEOUT) -> FetchmailRun:
        """`ETRN <domain>` for each domain on 127.0.0.1:port (an `mx` listener)."""
        return self._run("ETRN", port, domains, rc_user="", extra=[], timeout=timeout)

    def odmr(self, port: int, user: str, password: str, domains: list[str], smtp_port: int,
             timeout: float = RUN_TIMEOUT) -> FetchmailRun:
        """AUTH CRAM-MD5 as `user` and `ATRN domains` on 127.0.0.1:port (an
        `odmr` listener); the turned connection is relayed to the SMTP server
        on 127.0.0.1:smtp_port."""
        rc_user = f"  user {_quoted(user)} password {_quoted(password)}\n"
        extra = ["--auth", "cram-md5", "--smtphost", f"127.0.0.1/{smtp_port}"]
        return self._run("ODMR", port, domains, rc_user=rc_user, extra=extra, timeout=timeout)

    def _run(self, protocol: str, port: int, domains: list[str], rc_user: str,
             extra: list[str], timeout: float) -> FetchmailRun:
        assert os.access(FETCHMAIL, os.X_OK), "fetchmail is not installed (scripts/test installs it)"
        self.runs += 1
        tag = f"{self.runs}"
        rcfile = self.workdir / f"fetchmailrc-{tag}"
        rcfile.write_text(f"poll 127.0.0.1 proto {protocol}\n{rc_user}")
        os.chmod(rcfile, 0o600)
        args = [FETCHMAIL, "--fetchmailrc", str(rcfile), "--nosyslog", "-v", "-v", "--nodetach",
                "--pidfile", str(self.workdir / f"fetchmail-{tag}.pid"),
                "--idfile", str(self.workdir / f"fetchids-{tag}"),
                "--protocol", protocol, "--service", str(port), "--timeout", str(SERVER_TIMEOUT),
                "--fetchdomains", ",".join(domains), *extra, "127.0.0.1"]
        env = dict(os.environ, HOME=str(self.workdir), FETCHMAILHOME=str(self.workdir), LC_ALL="C")
        start = self.log_path.stat().st_size if self.log_path.exists() else 0
        with open(self.log_path, "ab") as log:
            log.write(f"$ {' '.join(args)}\n".encode())
            log.flush()
            self.started_at = time.monotonic()
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, env=env, start_new_session=True)
            if self not in process.REGISTRY:
                process.REGISTRY.append(self)
            try:
                code = self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.stop_popen(self.proc)
                code = None
        output = self.log_path.read_bytes()[start:].decode("utf-8", "replace")
        return FetchmailRun(args, code, output)

    # -- the peer protocol of peers/process.py
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log(self, tail: int = 200) -> str:
        return process.tail(self.log_path, tail)

    def stop(self) -> None:
        process.stop_popen(self.proc)

    def kill9(self) -> None:
        process.kill_popen(self.proc)
