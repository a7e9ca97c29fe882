"""A private PostgreSQL server, never the system's cluster: `initdb` in a
fresh temporary directory, `postgres` started directly on 127.0.0.1:<free
port> with its UNIX socket in that directory, and a superuser `tern` whose
random password is in a file of its own.

    pg = PrivatePostgres().start()        # or: with PrivatePostgres() as pg:
    pg.url("spool")                       # postgres://tern@127.0.0.1:PORT/spool
    pg.password_file                      # the password alone, mode 0600
    pg.create_database("spool"); pg.psql("SELECT 1", "spool"); pg.drop_database("spool")
    pg.kill(); pg.restart()               # a crash (SIGKILL), then crash recovery
    pg.stop()                             # SIGTERM by PID, bounded; the directory removed

The binaries are the newest /usr/lib/postgresql/*/bin (Debian's packages;
else `initdb` on PATH).  As root, `initdb` and `postgres` run as the system
user `postgres` (`runuser -u postgres --`), which owns the data directory;
the directory itself is then mode 0711 so that user can reach it, and the
password file stays root's.  The server keeps fsync, full_page_writes and
synchronous_commit on: the durability of what Tern stores is what the tests
check.  Its log is `postgres.log` in the directory.

The postmaster's PID is read from `data/postmaster.pid` (as root the child
this process starts is runuser, not the postmaster).  `stop()` sends it
SIGTERM (smart shutdown), after 3 s SIGINT (fast shutdown: it ends the
sessions still open), and when the wait is over SIGKILL to it and to
each of its children.

As a command, for what runs outside pytest (scripts/test, the Swift tests):

    eval "$(python3 tests/integration/peers/postgres.py start DIR)"
    python3 tests/integration/peers/postgres.py stop DIR

`start` creates DIR, starts a server whose state lives there, creates the
database `tern`, prints `TERN_TEST_POSTGRES_URL=...`,
`TERN_TEST_POSTGRES_PASSWORD_FILE=...` and `TERN_TEST_POSTGRES_PID=...` and
returns once the server accepts connections, leaving it running detached
(its output goes to DIR/postgres.log, not to the caller's pipe).  `stop`
stops that server by its PID and removes DIR.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a command: tests/integration on the path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from peers import process  # noqa: E402

START_TIMEOUT = 30.0
STOP_TIMEOUT = 20.0
SMART_WAIT = 3.0
INITDB_TIMEOUT = 120.0
PSQL_TIMEOUT = 60.0
SUPERUSER = "tern"
SYSTEM_USER = "postgres"
STATE_FILE = "peer.json"
# sun_path is 108 bytes; the socket is <dir>/.s.PGSQL.<port>.
SOCKET_DIR_MAX = 90


def postgres_bindir() -> Path:
    """The newest /usr/lib/postgresql/<version>/bin that has initdb, else the
    directory of `initdb` on PATH."""
    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(p) for p in re.findall(r"\d+", path.parent.name)) or (0,)
    found = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb") if os.access(p, os.X_OK)]
    if found:
        return max(found, key=version)
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise AssertionError("no PostgreSQL server binaries (initdb) under /usr/lib/postgresql/*/bin: "
                         "install Debian's postgresql package (scripts/test does)")


def _client_env(password: str) -> dict[str, str]:
    """This environment without PG* variables (a PGHOST or PGSSLMODE of the
    caller's must not change what the helpers do), plus the password."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["PGPASSWORD"] = password
    env["PGCONNECT_TIMEOUT"] = "5"
    return env


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class PrivatePostgres:
    """One private PostgreSQL server in `root` (default: a new mkdtemp
    directory under /tmp).  `register=False` keeps it out of the peers'
    registry, whose exit hook would kill it (the command's detached server)."""

    def __init__(self, root: Path | None = None, name: str = "postgres", register: bool = True):
        self.name = name
        self.register = register
        self.bindir = postgres_bindir()
        if root is None:
            # Short (socket path) and outside pytest's 0700 directories.
            self.root = Path(tempfile.mkdtemp(prefix="tern-pg.", dir="/tmp"))
        else:
            self.root = Path(root).resolve()
            self.root.mkdir(parents=True, exist_ok=True)
        self.data_dir = self.root / "data"
        self.socket_dir = self.root / "run"
        self.log_path = self.root / "postgres.log"
        self.password_file = self.root / "password"
        self.password = ""
        self.port = 0
        self.postmaster_pid: int | None = None
        self.proc: subprocess.Popen | None = None
        self.started_at = 0.0
        self._log_file = None
        self._as_system_user = os.geteuid() == 0
        self._extra_socket_dir: Path | None = None

    # -- paths and users
    def _system_ids(self) -> tuple[int, int]:
        try:
            entry = pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            raise AssertionError(f"running as root, but there is no system user {SYSTEM_USER!r} "
                                 f"to run PostgreSQL as (Debian's postgresql-common creates it)") from None
        return entry.pw_uid, entry.pw_gid

    def _give(self, path: Path) -> None:
        """As root: hand `path` to the system user."""
        if self._as_system_user:
            uid, gid = self._system_ids()
            os.chown(path, uid, gid)

    def _command(self, args: list[str]) -> list[str]:
        if self._as_system_user:
            return ["runuser", "-u", SYSTEM_USER, "--", *args]
        return args

    # -- lifecycle
    def start(self, timeout: float = START_TIMEOUT) -> "PrivatePostgres":
        """initdb (once), then the server; returns when it accepts connections."""
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb()
        if not self.port:
            self.port = process.free_port()
        self._launch(timeout)
        return self

    def _initdb(self) -> None:
        if self._as_system_user:
            self._system_ids()
            self.root.chmod(0o711)  # the system user passes through; it cannot list
        self.password = secrets.token_urlsafe(24)
        fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(self.password)
        os.chmod(self.password_file, 0o600)
        # initdb reads the password as the system user: a copy it owns, removed at once.
        pwfile = self.root / "initdb-password"
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(self.password + "\n")
        for directory in (self.data_dir, self.socket_dir):
            directory.mkdir(mode=0o700, exist_ok=True)
            self._give(directory)
        self._give(pwfile)
        args = self._command([
            str(self.bindir / "initdb"), "-D", str(self.data_dir), "-U", SUPERUSER,
            "--auth=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8", "--locale=C",
            # Only initdb's closing sync of its own files: the server keeps fsync on.
            "--no-sync",
        ])
        try:
            result = subprocess.run(args, cwd=self.root, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    timeout=INITDB_TIMEOUT, env=_client_env(""))
        finally:
            pwfile.unlink(missing_ok=True)
        (self.root / "initdb.log").write_bytes(result.stdout)
        if result.returncode != 0:
            raise AssertionError(f"initdb failed ({result.returncode}):\n{' '.join(args)}\n"
                                 f"{result.stdout.decode(errors='replace')}")

    def _socket_dir(self) -> Path:
        """The socket directory in the instance's directory, unless that path
        is too long for a UNIX socket: then a short one under /tmp."""
        if len(str(self.socket_dir)) <= SOCKET_DIR_MAX:
            return self.socket_dir
        if self._extra_socket_dir is None:
            self._extra_socket_dir = Path(tempfile.mkdtemp(prefix="tern-pgs.", dir="/tmp"))
            self._give(self._extra_socket_dir)
        return self._extra_socket_dir

    def _launch(self, timeout: float) -> None:
        if not self.password:
            self.password = self.password_file.read_text()
        args = self._command([
            str(self.bindir / "postgres"), "-D", str(self.data_dir),
            "-p", str(self.port), "-k", str(self._socket_dir()),
            "-c", "listen_addresses=127.0.0.1",
            "-c", "fsync=on", "-c", "full_page_writes=on", "-c", "synchronous_commit=on",
            "-c", "logging_collector=off", "-c", "lc_messages=C",
        ])
        self._log_file = open(self.log_path, "ab")
        self.started_at = time.monotonic()
        self.postmaster_pid = None
        self.proc = subprocess.Popen(args, cwd=self.root, stdin=subprocess.DEVNULL,
                                     stdout=self._log_file, stderr=subprocess.STDOUT,
                                     start_new_session=True, env=_client_env(""))
        if self.register and self not in process.REGISTRY:
            process.REGISTRY.append(self)
        try:
            process.wait_until(self._ready_or_exited, timeout, interval=0.1,
                               what=f"PostgreSQL on 127.0.0.1:{self.port}")
        except AssertionError as e:
            self.shutdown()
            raise AssertionError(f"{e}\n{' '.join(args)}\n{self.log(40)}") from None
        self._save_state()

    def _ready_or_exited(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"postgres exited with {self.proc.returncode}")
        if self.postmaster_pid is None:
            self.postmaster_pid = self._pid_from_file()
            if self.postmaster_pid is None:
                return False
        result = subprocess.run(
            [str(self.bindir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port), "-t", "2"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            timeout=10, env=_client_env(""))
        return result.returncode == 0

    def _pid_from_file(self) -> int | None:
        """The postmaster's PID, line 1 of data/postmaster.pid, if that is a
        live process whose command line names this data directory."""
        try:
            pid = int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        except (FileNotFoundError, ValueError, PermissionError):
            return None
        return pid if self._is_our_postmaster(pid) else None

    def _is_our_postmaster(self, pid: int) -> bool:
        if not process.pid_alive(pid):
            return False
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return False
        return str(self.data_dir).encode() in cmdline

    def _save_state(self) -> None:
        state = {"port": self.port, "pid": self.postmaster_pid, "bindir": str(self.bindir),
                 "extra_socket_dir": str(self._extra_socket_dir or "")}
        (self.root / STATE_FILE).write_text(json.dumps(state) + "\n")

    @classmethod
    def attach(cls, root: Path) -> "PrivatePostgres":
        """The server the command started in `root` (for `stop`)."""
        pg = cls(root, register=False)
        try:
            state = json.loads((pg.root / STATE_FILE).read_text())
        except (FileNotFoundError, ValueError):
            state = {}
        pg.port = int(state.get("port") or 0)
        pid = state.get("pid")
        pg.postmaster_pid = int(pid) if pid else pg._pid_from_file()
        if state.get("extra_socket_dir"):
            pg._extra_socket_dir = Path(state["extra_socket_dir"])
        if pg.password_file.exists():
            pg.password = pg.password_file.read_text()
        return pg

    # -- state
    @property
    def pid(self) -> int | None:
        return self.postmaster_pid

    def running(self) -> bool:
        return self.postmaster_pid is not None and self._is_our_postmaster(self.postmaster_pid)

    def url(self, database: str = "tern") -> str:
        return f"postgres://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def log(self, tail: int = 200) -> str:
        return process.tail(self.log_path, tail)

    # -- SQL through psql over TCP
    def run_psql(self, sql: str, database: str = "postgres", password: str | None = None,
                 timeout: float = PSQL_TIMEOUT) -> subprocess.CompletedProcess:
        """psql -c `sql` as `tern` on 127.0.0.1:port; `password` defaults to the
        real one.  The completed process (text output), whatever its status."""
        args = [str(self.bindir / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER, "-d", database,
                "-c", sql]
        return subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout,
                              env=_client_env(self.password if password is None else password))

    def psql(self, sql: str, database: str = "tern") -> str:
        """The output of `sql` (unaligned, tuples only); raises when psql fails."""
        result = self.run_psql(sql, database)
        if result.returncode != 0:
            raise AssertionError(f"psql on {database} failed ({result.returncode}): {sql}\n"
                                 f"{result.stderr}")
        return result.stdout

    def create_database(self, name: str) -> None:
        self.psql(f"CREATE DATABASE {_quote_ident(name)}", "postgres")

    def drop_database(self, name: str) -> None:
        self.psql(f"DROP DATABASE IF EXISTS {_quote_ident(name)} WITH (FORCE)", "postgres")

    # -- stopping
    def _wait_gone(self, pid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not process.pid_alive(pid):
                return True
            time.sleep(0.05)
        return not process.pid_alive(pid)

    def _signal(self, pid: int, sig: int) -> None:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass

    def _children(self, pid: int) -> list[int]:
        """The PIDs whose parent is `pid` (the postmaster's backends and helpers)."""
        children = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                children.append(int(entry.name))
        return children

    def _kill_all(self, pid: int) -> None:
        """SIGKILL the postmaster and each of its children by PID.  (The children
        are in process groups of their own, and a backend left over would hold
        the shared memory that a restart refuses to share.  No SIGSTOP to
        freeze the postmaster first: runuser, its parent, would stop itself
        and leave it unreaped, and the lock check of a restart sees it.)"""
        children = self._children(pid)
        self._signal(pid, signal.SIGKILL)
        for child in children:
            self._signal(child, signal.SIGKILL)
        for child in children:
            self._wait_gone(child, 5.0)

    def _reap(self) -> None:
        """Collect the child this process started (runuser or the postmaster)."""
        if self.proc is not None:
            try:
                self.proc.wait(timeout=5.0)
            except subprocess.TimeoutExpired:
                process.kill_popen(self.proc)
            self.proc = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def shutdown(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop the server, keep its data: SIGTERM by PID, SIGINT when it is
        still running after SMART_WAIT seconds (a session still open keeps a
        smart shutdown waiting), SIGKILL to it and its children when `timeout`
        is over."""
        pid = self.postmaster_pid if self.running() else self._pid_from_file()
        if pid is not None:
            self._signal(pid, signal.SIGTERM)
            smart = min(SMART_WAIT, timeout / 2)
            if not self._wait_gone(pid, smart):
                self._signal(pid, signal.SIGINT)
                if not self._wait_gone(pid, timeout - smart):
                    self._kill_all(pid)
                    self._wait_gone(pid, 5.0)
        elif self.proc is not None and self.proc.poll() is None:
            process.stop_popen(self.proc, timeout=5.0)
        self.postmaster_pid = None
        self._reap()

    def kill(self) -> None:
        """A crash: SIGKILL the postmaster and its backends; the data stays
        for `restart()` (crash recovery)."""
        pid = self.postmaster_pid if self.running() else self._pid_from_file()
        if pid is not None:
            self._kill_all(pid)
            self._wait_gone(pid, 5.0)
        self.postmaster_pid = None
        self._reap()

    kill9 = kill  # for the peers' registry

    def restart(self, timeout: float = START_TIMEOUT) -> "PrivatePostgres":
        """Shut down (if running) and start again on the same port and data."""
        if self.running():
            self.shutdown()
        else:
            self._reap()
        self._launch(timeout)
        return self

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Shut the server down and remove its directory."""
        self.shutdown(timeout)
        if self._extra_socket_dir is not None:
            shutil.rmtree(self._extra_socket_dir, ignore_errors=True)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "PrivatePostgres":
        if not self.running():
            self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _main(argv: list[str]) -> int:
    usage = f"usage: {Path(argv[0]).name} start|stop DIR"
    if len(argv) != 3 or argv[1] not in ("start", "stop"):
        print(usage, file=sys.stderr)
        return 2
    command, root = argv[1], Path(argv[2])
    if command == "stop":
        if root.exists():
            PrivatePostgres.attach(root).stop()
        return 0
    pg = PrivatePostgres(root, register=False)
    try:
        pg.start()
        pg.create_database("tern")
    except BaseException as e:
        print(f"postgres.py start {root}: {e}", file=sys.stderr)
        pg.shutdown()
        return 1
    for key, value in (("TERN_TEST_POSTGRES_URL", pg.url("tern")),
                       ("TERN_TEST_POSTGRES_PASSWORD_FILE", str(pg.password_file)),
                       ("TERN_TEST_POSTGRES_PID", str(pg.postmaster_pid))):
        print(f"{key}={shlex.quote(value)}")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv))
