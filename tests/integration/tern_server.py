"""Start, probe and stop the real `tern` binary; write its tern.toml.

Every wait is bounded: ≤ 10 s for the port to answer, ≤ 10 s after SIGTERM
before SIGKILL.
"""

from __future__ import annotations

import atexit
import copy
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import time
from pathlib import Path

import smtp_client
from smtp_client import Session, check

START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0

# Every server started in this pytest process, for logs on failure.
REGISTRY: list["TernServer"] = []


@atexit.register
def _kill_leftovers() -> None:
    """Never leave a server running when pytest ends (even interrupted)."""
    for srv in REGISTRY:
        if srv.running():
            srv.kill9()

REPO_ROOT = Path(__file__).resolve().parents[2]


# The user id and group id of `nobody`, for tests of Tern run by an ordinary user.
NOBODY = 65534

def tern_binary() -> Path:
    env = os.environ.get("TERN_BIN")
    path = Path(env) if env else REPO_ROOT / ".build" / "debug" / "tern"
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise AssertionError(
            f"tern binary not found at {path}: build it (`swift build`) and set TERN_BIN, "
            f"or run scripts/test")
    return path


# --------------------------------------------------------------------------
# Configuration (docs/behaviour.md examples, docs/configuration.md keys)
# --------------------------------------------------------------------------

def base_config(port: int, data_dir: Path) -> dict:
    """The configuration of docs/behaviour.md's examples: host mx.example.com, local
    domain example.com, user@example.com, 1 MiB size limit, 50 recipients;
    other.example routed to a closed port (relayed mail stays queued)."""
    return {
        "hostname": "mx.example.com",
        "data_dir": str(data_dir),
        "listen": [{"role": "mx", "address": f"127.0.0.1:{port}"}],
        "limits": {"message_size": 1048576, "recipients": 50},
        "local": {
            "domains": ["example.com", "example.org"],
            "mailboxes": [
                "user@example.com",
                "user2@example.com",
                "postmaster@example.com",
                "busy@example.com",
                "gone@example.com",
                "*@example.org",
            ],
            "aliases": {"staff@example.com": ["user@example.com", "user2@example.com"]},
            "forward": {"fwd@example.com": "fwd@other.example"},
            "relocated": {"old@example.com": "new@other.example"},
            "unavailable": ["busy@example.com"],
            "disabled": ["gone@example.com"],
        },
        # Mail relayed to other.example (authenticated clients, the forward above) goes to a
        # port where nothing listens: it is deferred and waits in the spool, on any machine.
        "routes": {"other.example": "smtp:127.0.0.1:1"},
    }


def listen_config(ports: dict[str, int]) -> list[dict]:
    """`[[listen]]` tables, one per role → port, in the given order."""
    return [{"role": role, "address": f"127.0.0.1:{port}"} for role, port in ports.items()]


# The account the TLS/AUTH tests use: `tern user add bob
# --password-stdin --allow-cram-md5`, the password on stdin.
BOB, BOB_PASSWORD = "bob", "secret-pw"

# `[tls]` with paths relative to the config file (docs/configuration.md), next to which
# `make_certificate` writes the pair.
TLS_CONFIG = {"tls": {"certificate": "cert.pem", "private_key": "key.pem"}}


def make_certificate(directory: Path, cn: str = "mx.example.com",
                     cert: str = "cert.pem", key: str = "key.pem") -> tuple[Path, Path]:
    """A self-signed RSA certificate and its key (PEM) in `directory`,
    written atomically (new files renamed over old ones)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tmp_cert, tmp_key = directory / f".{cert}.new", directory / f".{key}.new"
    res = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", f"/CN={cn}", "-keyout", str(tmp_key), "-out", str(tmp_cert)],
        stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    assert res.returncode == 0, f"openssl req failed: {res.stderr.decode('utf-8', 'replace')}"
    os.replace(tmp_key, directory / key)
    os.replace(tmp_cert, directory / cert)
    return directory / cert, directory / key


def merge(base: dict, overrides: dict) -> dict:
    """Deep-merge `overrides` into a copy of `base`; a value None deletes."""
    out = copy.deepcopy(base)
    for k, v in overrides.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(k: str) -> str:
    return k if _BARE.match(k) else toml_value(k)


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"no TOML for {v!r}")


def to_toml(cfg: dict) -> str:
    """A small TOML writer for the shapes tern.toml uses."""
    lines: list[str] = []
    tables = {}
    arrays = {}
    for k, v in cfg.items():
        if isinstance(v, dict):
            tables[k] = v
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            arrays[k] = v
        else:
            lines.append(f"{_key(k)} = {toml_value(v)}")

    def table(name: str, body: dict) -> None:
        subs = {}
        subarrays = {}
        scalars = {}
        for k, v in body.items():
            if isinstance(v, dict):
                subs[k] = v
            elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
                subarrays[k] = v
            else:
                scalars[k] = v
        if scalars or not (subs or subarrays):  # `[etrn]` is implied by `[[etrn.node]]`
            lines.append("")
            lines.append(f"[{name}]")
        for k, v in scalars.items():
            lines.append(f"{_key(k)} = {toml_value(v)}")
        for k, v in subarrays.items():
            array(f"{name}.{_key(k)}", v)
        for k, v in subs.items():
            table(f"{name}.{_key(k)}", v)

    def array(name: str, items: list[dict]) -> None:
        """An array of tables (`[[listen]]`, `[[etrn.node]]`) of scalar keys."""
        for item in items:
            lines.append("")
            lines.append(f"[[{name}]]")
            for ik, iv in item.items():
                lines.append(f"{_key(ik)} = {toml_value(iv)}")

    for k, items in arrays.items():
        array(_key(k), items)
    for k, v in tables.items():
        table(_key(k), v)
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# The server process
# --------------------------------------------------------------------------

class TernServer:
    def __init__(self, workdir: Path, config: dict | None = None, port: int | None = None,
                 cwd: Path | None = None, args: list[str] | None = None,
                 env: dict | None = None, config_text: str | None = None, name: str = "tern"):
        self.binary = tern_binary()
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.port = port
        self.cwd = Path(cwd) if cwd else self.workdir
        self.env = env
        self.log_path = self.workdir / f"{name}.log"
        self.proc: subprocess.Popen | None = None
        self.started_at = 0.0
        self.config = config
        self.config_path: Path | None = None
        if config is not None or config_text is not None:
            self.config_path = self.workdir / f"{name}.toml"
            self.config_path.write_text(config_text if config_text is not None else to_toml(config))
        if args is not None:
            self.args = args
        elif self.config_path is not None:
            self.args = ["serve", "--config", str(self.config_path)]
        else:
            self.args = ["serve"]

    @property
    def data_dir(self) -> Path:
        if self.config and "data_dir" in self.config:
            d = Path(self.config["data_dir"])
            return d if d.is_absolute() else (self.config_path.parent / d)
        return self.cwd / "tern-data"

    @property
    def listeners(self) -> list[tuple[str, int]]:
        """(role, port) of every `[[listen]]` in the configuration."""
        out = []
        for item in (self.config or {}).get("listen", []):
            out.append((item.get("role", "mx"), int(item["address"].rsplit(":", 1)[1])))
        if not out and self.port is not None:
            out.append(("mx", self.port))
        return out

    def port_of(self, role: str) -> int:
        for r, port in self.listeners:
            if r == role:
                return port
        raise AssertionError(f"no {role} listener in {self.listeners}")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, wait: bool = True) -> "TernServer":
        env = dict(os.environ)
        env.pop("TERN_CONFIG", None)
        if self.env:
            env.update(self.env)
        self._log = open(self.log_path, "ab")
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(
            [str(self.binary), *self.args], cwd=self.cwd, env=env,
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True)
        REGISTRY.append(self)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Poll-connect until every listener answers with a greeting (`smtps`
        after a TLS handshake), ≤ timeout in all."""
        assert self.port is not None
        deadline = time.monotonic() + timeout
        listeners = [(r, p) for r, p in self.listeners if r != "odmr"] or [("mx", self.port)]
        for role, port in listeners:
            self._wait_listener(port, role == "smtps", deadline, timeout)

    def _wait_listener(self, port: int, implicit_tls: bool, deadline: float,
                       timeout: float) -> None:
        last_error = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"tern exited with {self.proc.returncode} before listening\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1.0) as raw:
                    raw.settimeout(2.0)
                    s = raw
                    if implicit_tls:
                        s = smtp_client.tls_client_context().wrap_socket(
                            raw, server_hostname=smtp_client.HOST)
                    greeting = s.recv(1024)
                    if greeting:
                        s.sendall(b"QUIT\r\n")
                        end = time.monotonic() + 2.0
                        while time.monotonic() < end:
                            if not s.recv(1024):
                                break
                        return
            except (ConnectionRefusedError, ConnectionResetError, socket.timeout, TimeoutError,
                    ssl.SSLError, OSError) as e:
                last_error = e
            time.sleep(0.05)
        raise AssertionError(
            f"tern did not answer on 127.0.0.1:{port} within {timeout}s ({last_error})\n{self.log()}")

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def wait_exit(self, timeout: float = STOP_TIMEOUT) -> int | None:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM, wait ≤ timeout, then SIGKILL.  Returns the exit code of
        the SIGTERM stop, or None when SIGKILL was needed."""
        if self.proc is None:
            return None
        if self.proc.poll() is not None:
            self._close_log()
            return self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        code = self.wait_exit(timeout)
        if code is None:
            self.kill9()
        self._close_log()
        return code

    def kill9(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass

    def _close_log(self) -> None:
        try:
            self._log.close()
        except Exception:
            pass

    def log(self, tail: int = 200) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        lines = text.splitlines()
        return "\n".join(lines[-tail:])

    def wait_log(self, pattern: str, count: int = 1, timeout: float = 10.0) -> list[re.Match]:
        """Poll the whole log (≤ timeout) until the regular expression
        `pattern` (re.MULTILINE: `^`/`$` are line bounds) matches at least
        `count` times; returns the matches, else AssertionError with the log."""
        regex = re.compile(pattern, re.MULTILINE)
        deadline = time.monotonic() + timeout
        while True:
            try:
                text = self.log_path.read_text(errors="replace")
            except FileNotFoundError:
                text = ""
            found = list(regex.finditer(text))
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"{len(found)} of {count} log line(s) matching {pattern!r} within {timeout}s\n"
                    f"{self.log()}")
            time.sleep(0.05)

    def rss_kib(self) -> int | None:
        try:
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError):
            return None
        return None

    # -- clients
    def session(self, role: str | None = None, **kw) -> Session:
        """A raw session on the first listener, or on the listener of `role`
        (`smtps`: implicit TLS)."""
        if role is None:
            return Session(self.port, **kw)
        if role == "smtps":
            kw.setdefault("tls", True)
        return Session(self.port_of(role), **kw)

    def etrn(self, argument: str) -> smtp_client.Reply:
        """One session on the first listener: EHLO, `ETRN argument`, QUIT;
        the ETRN reply."""
        with self.session() as s:
            check(s.greeting, 220)
            s.ehlo()
            reply = s.cmd(f"ETRN {argument}")
            s.quit()
        return reply

    def tls_session(self, role: str = "mx", ehlo: bool = True, **kw) -> Session:
        """A session inside TLS: STARTTLS on `mx`/`submission`, implicit on
        `smtps`; then EHLO unless ehlo=False."""
        s = self.session(role, **kw)
        try:
            check(s.greeting, 220)
            if role != "smtps":
                if ehlo:
                    s.ehlo()
                s.starttls()
            if ehlo:
                s.ehlo()
        except BaseException:
            s.close()
            raise
        return s

    def ready_session(self, **kw) -> Session:
        return smtp_client.connect_ready(self.port, **kw)

    def smtp(self, ehlo: bool = False):
        return smtp_client.smtp(self.port, ehlo=ehlo)

    # -- accounts (docs/configuration.md `tern user ...`, with this server's --config)
    def user(self, *args: str, password: str | None = None,
             stdin: bytes | None = None) -> subprocess.CompletedProcess:
        """`tern user ARGS --config <this config>`; `password` is written to
        stdin followed by a newline (for --password-stdin)."""
        assert self.config_path is not None, "server without a config file"
        if password is not None:
            stdin = (password + "\n").encode("utf-8")
        return run_tern(["user", *args, "--config", str(self.config_path)], cwd=self.cwd,
                        input=stdin)

    def add_user(self, name: str, password: str, *flags: str) -> None:
        """`tern user add NAME --password-stdin FLAGS...`, which must succeed."""
        res = self.user("add", name, "--password-stdin", *flags, password=password)
        assert res.returncode == 0, f"tern user add {name} failed ({res.returncode}):\n{output(res)}"

    def import_user(self, name: str, legacy_hash: str) -> None:
        res = self.user("import", name, legacy_hash)
        assert res.returncode == 0, f"tern user import {name} failed ({res.returncode}):\n{output(res)}"

    # -- the queue (docs/configuration.md `tern queue ...`, through the control socket)
    def queue(self, *args: str) -> subprocess.CompletedProcess:
        """`tern queue ARGS --config <this config>`, output captured as text."""
        assert self.config_path is not None, "server without a config file"
        return subprocess.run([str(self.binary), "queue", *args, "--config", str(self.config_path)],
                              capture_output=True, text=True, timeout=30,
                              stdin=subprocess.DEVNULL)

    def queue_list(self) -> list[dict]:
        """`tern queue list --json`, which must succeed, parsed."""
        res = self.queue("list", "--json")
        assert res.returncode == 0, f"tern queue list --json failed ({res.returncode}):\n{res.stderr}"
        return json.loads(res.stdout or "[]")

    def recipient_statuses(self) -> dict[str, str]:
        """address → status ("held", "deferred", ...) of every recipient in
        the queue; a test gives each queued recipient its own address."""
        return {rcpt["address"]: rcpt["status"]
                for entry in self.queue_list() for rcpt in entry["recipients"]}

    def held_recipients(self) -> set[str]:
        """The queued recipients whose status is "held"."""
        return {address for address, status in self.recipient_statuses().items() if status == "held"}

    def wait_held(self, addresses: set[str], timeout: float = 10.0) -> None:
        """Poll (≤ timeout) until exactly `addresses` are held."""
        deadline = time.monotonic() + timeout
        while (held := self.held_recipients()) != set(addresses):
            assert time.monotonic() < deadline, \
                f"held {sorted(held)}, expected {sorted(addresses)} within {timeout}s: {self.queue_list()}"
            time.sleep(0.2)

    def wait_queue_empty(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while entries := self.queue_list():
            assert time.monotonic() < deadline, f"queue not empty after {timeout}s: {entries}"
            time.sleep(0.2)


def run_tern(args: list[str], cwd: Path | None = None, env: dict | None = None,
             timeout: float = 20.0, input: bytes | None = None) -> subprocess.CompletedProcess:
    """Run a short tern command (check-config, user ...), output captured;
    `input` is its stdin (else /dev/null)."""
    e = dict(os.environ)
    e.pop("TERN_CONFIG", None)
    if env:
        e.update(env)
    if input is None:
        return subprocess.run([str(tern_binary()), *args], cwd=cwd, env=e,
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    return subprocess.run([str(tern_binary()), *args], cwd=cwd, env=e, input=input,
                          capture_output=True, timeout=timeout)


def output(res: subprocess.CompletedProcess) -> str:
    """stdout + stderr of a finished command, as text."""
    def text(b):
        return b.decode("utf-8", "replace") if isinstance(b, bytes) else (b or "")
    return text(res.stdout) + text(res.stderr)
