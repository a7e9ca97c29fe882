"""A private Postfix instance, never the system one: its own configuration,
queue and data directories, smtpd on 127.0.0.1:<free port>, mail for the
`users` of its test domain (default alice, bob, postmaster @pf.test)
delivered by virtual(8) into Maildirs, other addresses of that domain
rejected (550 5.1.1), everything else relayed to `relayhost` (e.g. Tern:
`relayhost="[127.0.0.1]:2525"`; without one Postfix would look up MX).

    pf = PostfixInstance(tmp_path / "pf", relayhost=f"[127.0.0.1]:{tern.port}").start()
    pf.smtp_port            # submit here (127.0.0.0/8 may relay)
    pf.maildir("alice")     # <mail>/pf.test/alice/ (new/, cur/, tmp/)
    pf.flush(); pf.wait_queue_empty()
    pf.stop()

How it runs without touching /etc/postfix: as root, `postfix -c DIR
start|stop` accepts a configuration directory that the default main.cf does
not list in `alternate_config_directories` (that check is for non-root
callers), so nothing outside the instance's directory changes.  The instance
lives in a mkdtemp directory under /tmp (mode 755): Postfix's daemons run as
user `postfix` and virtual(8) as `nobody`, which cannot enter pytest's 0700
temporary directories, and UNIX socket paths under queue/private must stay
short.  At `stop()` the maillog is copied to `workdir` and the /tmp
directory removed.  master.cf is written here (no chroot, services as in
Debian's default), and the log goes to a file (`maillog_file`, via
postlogd), which `log()` shows.

Timers are short for tests: a queue run every second, backoff 1–2 s.
"""

from __future__ import annotations

import os
import pwd
import grp
import shutil
import smtplib
import subprocess
import tempfile
import time
from pathlib import Path

from . import process
from .process import REGISTRY

POSTFIX = shutil.which("postfix") or "/usr/sbin/postfix"
POSTQUEUE = shutil.which("postqueue") or "/usr/sbin/postqueue"
START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0
COMMAND_TIMEOUT = 30.0
QUEUE_DIRS = ("maildrop", "incoming", "active", "deferred", "hold")

MASTER_CF = """\
# service type  private unpriv  chroot  wakeup  maxproc command
{listen}  inet  n       -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


class PostfixInstance:
    """A private Postfix.  `.smtp_port`, `.maildir(user)`, `.queue_empty()`,
    `.flush()`, `.stop()`, `.log()`; `main_cf` entries override the defaults."""

    def __init__(self, workdir: Path, relayhost: str | None = None, domain: str = "pf.test",
                 users: list[str] | tuple[str, ...] = ("alice", "bob", "postmaster"),
                 main_cf: dict[str, str] | None = None, smtp_port: int | None = None,
                 name: str = "postfix"):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.domain = domain
        self.relayhost = relayhost
        self.users = [u.lower() for u in users]
        self.smtp_port = smtp_port or process.free_port()
        self.root = Path(tempfile.mkdtemp(prefix="tern-pf.", dir="/tmp"))
        os.chmod(self.root, 0o755)
        self.conf = self.root / "conf"
        self.queue = self.root / "queue"
        self.data = self.root / "data"
        self.mail = self.root / "mail"
        self.maillog = self.root / "maillog"
        self.saved_log = self.workdir / f"{name}.maillog"
        self.started_at = 0.0
        self._started = False
        self._master_pid: int | None = None
        self.main_cf = self._main_cf(main_cf or {})
        self._write_config()

    # -- configuration
    def _main_cf(self, overrides: dict[str, str]) -> dict[str, str]:
        nobody = pwd.getpwnam("nobody")
        cfg = {
            "compatibility_level": "3.6",
            "config_directory": str(self.conf),
            "queue_directory": str(self.queue),
            "data_directory": str(self.data),
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "maillog_file": str(self.maillog),
            "maillog_file_prefixes": str(self.root),
            "myhostname": f"mail.{self.domain}",
            "mydomain": self.domain,
            "myorigin": "$myhostname",
            "inet_interfaces": "loopback-only",
            "inet_protocols": "ipv4",
            "mydestination": "",
            "local_recipient_maps": "",
            "alias_maps": "",
            "alias_database": "",
            "relay_domains": "",
            "mynetworks": "127.0.0.0/8",
            "smtpd_relay_restrictions": "permit_mynetworks, reject_unauth_destination",
            "smtpd_recipient_restrictions": "permit_mynetworks, reject_unauth_destination",
            "virtual_mailbox_domains": self.domain,
            "virtual_mailbox_base": str(self.mail),
            "virtual_mailbox_maps": self._mailbox_map(),
            "virtual_uid_maps": f"static:{nobody.pw_uid}",
            "virtual_gid_maps": f"static:{nobody.pw_gid}",
            "virtual_minimum_uid": "1",
            "relayhost": self.relayhost or "",
            # no DNS at all: a relayhost in [brackets] is an address already
            "smtp_dns_support_level": "disabled",
            "smtp_host_lookup": "native",
            "smtp_tls_security_level": "none",
            "smtp_connect_timeout": "5s",
            "queue_run_delay": "1s",
            "minimal_backoff_time": "1s",
            "maximal_backoff_time": "2s",
            "delay_warning_time": "0h",
            "biff": "no",
            "append_dot_mydomain": "no",
            "smtpd_banner": "$myhostname ESMTP",
            "smtpd_client_connection_count_limit": "100",
            "smtpd_client_message_rate_limit": "0",
        }
        cfg.update(overrides)
        return cfg

    def _mailbox_map(self) -> str:
        """The Maildir of each of `users` (virtual(8) allows no regexp
        substitution, so there is no catch-all with one Maildir per user)."""
        entries = " ".join(f"{u}@{self.domain}={self.domain}/{u}/" for u in self.users)
        return "inline:{ " + entries + " }"

    def _write_config(self) -> None:
        for d in (self.conf, self.queue, self.data, self.mail):
            d.mkdir(parents=True, exist_ok=True)
        pf = pwd.getpwnam("postfix")
        os.chown(self.data, pf.pw_uid, pf.pw_gid)
        nobody = pwd.getpwnam("nobody")
        os.chown(self.mail, nobody.pw_uid, nobody.pw_gid)
        grp.getgrnam("postdrop")  # the package's group; KeyError names what is missing
        lines = [f"{k} = {v}" for k, v in self.main_cf.items()]
        (self.conf / "main.cf").write_text("\n".join(lines) + "\n")
        (self.conf / "master.cf").write_text(
            MASTER_CF.format(listen=f"127.0.0.1:{self.smtp_port}"))

    # -- commands
    def command(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """`postfix -c CONF ARGS` (its errors go to the maillog too)."""
        res = subprocess.run([POSTFIX, "-c", str(self.conf), *args], stdin=subprocess.DEVNULL,
                             capture_output=True, timeout=COMMAND_TIMEOUT)
        if check and res.returncode != 0:
            raise AssertionError(
                f"postfix {' '.join(args)} failed ({res.returncode}): "
                f"{(res.stdout + res.stderr).decode('utf-8', 'replace')}\n{self.log()}")
        return res

    def start(self, timeout: float = START_TIMEOUT) -> "PostfixInstance":
        self.started_at = time.monotonic()
        REGISTRY.append(self)
        self._started = True
        try:
            # `start` runs postfix-script's fatal checks itself (a separate
            # `postfix check` adds 3 s of permission scans)
            self.command("start")
            process.wait_until(lambda: process.tcp_answers(self.smtp_port), timeout,
                               interval=0.1, what=f"Postfix smtpd on 127.0.0.1:{self.smtp_port}")
            self._master_pid = self.master_pid()
            assert self._master_pid, f"no Postfix master PID\n{self.log()}"
        except BaseException as e:
            self.stop()
            if isinstance(e, AssertionError):
                raise AssertionError(f"{e}\n{self.log()}") from None
            raise
        return self

    def master_pid(self) -> int | None:
        """The PID in queue/pid/master.pid, when that process is alive."""
        try:
            pid = int((self.queue / "pid" / "master.pid").read_text().split()[0])
        except (FileNotFoundError, ValueError, IndexError):
            return None
        return pid if process.pid_alive(pid) else None

    def running(self) -> bool:
        pid = self._master_pid or self.master_pid()
        return pid is not None and process.pid_alive(pid)

    def stop(self) -> None:
        """`postfix stop`, wait ≤ 10 s for the master PID to go, SIGKILL it by
        PID as a last resort; keep the maillog, remove the /tmp directory."""
        if self._started:
            pid = self._master_pid or self.master_pid()
            if pid is not None and process.pid_alive(pid):
                self.command("stop", check=False)
                try:
                    process.wait_until(lambda: not process.pid_alive(pid), STOP_TIMEOUT,
                                       interval=0.1)
                except AssertionError:
                    self.kill9()
            self._started = False
        try:
            if self.maillog.exists():
                shutil.copy(self.maillog, self.saved_log)
        except OSError:
            pass
        shutil.rmtree(self.root, ignore_errors=True)

    def kill9(self) -> None:
        pid = self._master_pid or self.master_pid()
        if pid is not None and process.pid_alive(pid):
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
            try:
                process.wait_until(lambda: not process.pid_alive(pid), STOP_TIMEOUT, interval=0.1)
            except AssertionError:
                pass

    def log(self, tail: int = 200) -> str:
        path = self.maillog if self.maillog.exists() else self.saved_log
        return process.tail(path, tail)

    # -- queue
    def queue_files(self) -> list[Path]:
        """Queue files of mail not yet delivered (maildrop … hold)."""
        out: list[Path] = []
        for d in QUEUE_DIRS:
            base = self.queue / d
            if base.is_dir():
                out += [p for p in base.rglob("*") if p.is_file()]
        return out

    def queue_empty(self) -> bool:
        return not self.queue_files()

    def wait_queue_empty(self, timeout: float = 20.0) -> None:
        try:
            process.wait_until(self.queue_empty, timeout, interval=0.1,
                               what=f"an empty Postfix queue ({len(self.queue_files())} left)")
        except AssertionError as e:
            raise AssertionError(f"{e}\n{self.log()}") from None

    def flush(self) -> None:
        """`postqueue -f`: attempt delivery of all queued mail now."""
        res = subprocess.run([POSTQUEUE, "-c", str(self.conf), "-f"], stdin=subprocess.DEVNULL,
                             capture_output=True, timeout=COMMAND_TIMEOUT)
        if res.returncode != 0:
            raise AssertionError(
                f"postqueue -f failed: {(res.stdout + res.stderr).decode('utf-8', 'replace')}")

    # -- Maildirs
    def maildir(self, user: str) -> Path:
        """The Maildir of user@domain (virtual_mailbox_base/domain/user/)."""
        return self.mail / self.domain / user

    def maildir_messages(self, user: str) -> list[bytes]:
        new = self.maildir(user) / "new"
        if not new.is_dir():
            return []
        files = sorted((p for p in new.iterdir() if p.is_file()), key=lambda p: p.stat().st_mtime_ns)
        return [p.read_bytes() for p in files]

    def wait_maildir(self, user: str, count: int = 1, timeout: float = 20.0) -> list[bytes]:
        try:
            process.wait_until(lambda: len(self.maildir_messages(user)) >= count, timeout,
                               interval=0.1, what=f"{count} message(s) in {self.maildir(user)}")
        except AssertionError as e:
            raise AssertionError(f"{e}\n{self.log()}") from None
        return self.maildir_messages(user)

    # -- submitting
    def send(self, sender: str, recipients: list[str], message: bytes) -> None:
        """Submit one message to this instance's smtpd."""
        with smtplib.SMTP("127.0.0.1", self.smtp_port, local_hostname="client.test",
                          timeout=10) as client:
            client.sendmail(sender, recipients, message)
