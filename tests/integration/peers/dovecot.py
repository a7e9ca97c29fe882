"""Dovecot's LMTP server as a private instance: its own configuration, run
directory and Maildirs under a short temporary directory, an LMTP socket
there, and a fixed list of users (others get 550 5.1.1 from Dovecot)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from peers import process

DOVECOT = "/usr/sbin/dovecot"
START_TIMEOUT = 15.0


class DovecotLMTP(process.ChildPeer):
    """`dovecot -F` with only the lmtp protocol.  `.socket` for `lmtp:unix:`,
    `.messages(user)` for what it stored, `.stop()`."""

    def __init__(self, workdir: Path, domain: str = "lmtp.test",
                 users: tuple[str, ...] = ("alice", "bob"), name: str = "dovecot"):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.domain = domain
        # Short, world-traversable: the socket path limit, and mail is written as nobody.
        self.root = Path(tempfile.mkdtemp(prefix="tern-dv.", dir="/tmp"))
        self.root.chmod(0o755)
        self.mail = self.root / "mail"
        self.mail.mkdir(mode=0o777)
        self.mail.chmod(0o777)
        (self.root / "run").mkdir()
        (self.root / "state").mkdir()
        self.socket = self.root / "run" / "lmtp"
        self.log_path = self.root / "dovecot.log"
        users_file = self.root / "users"
        users_file.write_text("".join(f"{u}@{domain}::::::\n" for u in users))
        self.config = self.root / "dovecot.conf"
        self.config.write_text(f"""\
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.log_path}
protocols = lmtp
ssl = no
listen = 127.0.0.1
mail_location = maildir:{self.mail}/%d/%n
mail_uid = nobody
mail_gid = nogroup
first_valid_uid = 1
userdb {{
  driver = passwd-file
  args = {users_file}
  default_fields = home={self.mail}/%d/%n
}}
passdb {{
  driver = passwd-file
  args = {users_file}
}}
service lmtp {{
  unix_listener lmtp {{
    mode = 0666
  }}
}}
""")
        self.args = [DOVECOT, "-F", "-c", str(self.config)]
        self.output_path = self.workdir / f"{name}.out"

    def start(self, timeout: float = START_TIMEOUT) -> "DovecotLMTP":
        self.launch(timeout, f"dovecot lmtp at {self.socket}")
        return self

    def ready(self) -> bool:
        return self.socket.exists()

    def messages(self, user: str) -> list[bytes]:
        new = self.mail / self.domain / user / "new"
        return [p.read_bytes() for p in sorted(new.glob("*"))] if new.is_dir() else []

    def wait_messages(self, user: str, count: int = 1, timeout: float = 20.0) -> list[bytes]:
        return process.wait_until(lambda: len(self.messages(user)) >= count and self.messages(user),
                                  timeout, what=f"{count} message(s) for {user}@{self.domain}")

    def stop(self) -> int | None:
        """Stops the master by PID (it stops its children), keeps its log in the
        work directory and removes the instance."""
        code = super().stop()
        if self.log_path.exists():
            shutil.copy(self.log_path, self.workdir / f"{self.name}.log")
        shutil.rmtree(self.root, ignore_errors=True)
        return code

    def log(self, tail: int = 200) -> str:
        return process.tail(self.log_path if self.log_path.exists() else self.workdir / f"{self.name}.log", tail)
