#!/usr/bin/env python3
"""Tern beside Postfix and aiosmtpd on this machine: one command, the same
loads for all three, one Markdown table.  Run it as root (Postfix's private
instance and the CPU accounting need it); bench/README.md says what each row
is, how it is measured, and what to keep in mind when reading the numbers.

    python3 bench/compare.py                          # everything, 3 runs
    python3 bench/compare.py --tern-bin .build/release/tern --runs 1 --messages 500
    python3 bench/compare.py --only 2,4,relay --servers tern,postfix --json out.json

Servers, each on 127.0.0.1 at a free port, restarted with empty data for
every (row, server, run), all in a work directory under /tmp:
- Tern (`--tern-bin`, default: `swift build -c release --product tern`),
  local domain example.com, durable delivery into Maildir.
- Postfix: a private instance (tests/integration/peers/postfix.py; the
  system's /etc/postfix and its queue are not touched), smtpd and virtual(8)
  delivery into Maildir.
- aiosmtpd: bench/aiosmtpd_maildir.py, fsync()ed Maildir delivery.

Loads: smtp-source (from the postfix package) for the rows it can make,
a small pipelining client (`compare.py pipeline-client`, this file) for the
pipelined row, and bench/relay_latency.py's client and sink for the relay
rows.  Per run: messages per second from the start of the load to the last
message in Maildir new/ (or at the relay's sink), CPU seconds of the
server's processes per 1,000 messages (a cgroup v1 cpuacct group per server
when possible, else /proc sampling), and the peak of the summed VmRSS of
the server's processes (sampled every 50 ms).  The table shows the median of
the runs; --json keeps every number.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import platform
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(REPO / "tests" / "integration"))

DOMAIN = "example.com"
SENDER = f"a@{DOMAIN}"
RECIPIENT = f"user@{DOMAIN}"
# smtp-source -r N -t user@example.com sends to user@, 2user@, ... Nuser@
# (it prepends the number), so these are the mailboxes on every server.
USERS = ["user", "2user", "3user", "4user", "5user"]
MAILBOXES = [f"{u}@{DOMAIN}" for u in USERS]
SERVERS = ("tern", "postfix", "aiosmtpd")
TABLE_ORDER = ("postfix", "aiosmtpd", "tern")
LABEL = {"tern": "Tern", "postfix": "Postfix", "aiosmtpd": "aiosmtpd"}
SMTP_SOURCE = shutil.which("smtp-source") or "/usr/sbin/smtp-source"
SAMPLE_INTERVAL = 0.05  # s, VmRSS sampling
PSS_EVERY = 5           # every 5th sample also sums Pss (smaps_rollup)
START_TIMEOUT = 30.0
IDLE_ARRIVAL_TIMEOUT = 30.0
IDLE_PAUSE = 0.05
CLIENT_REPLY_TIMEOUT = 60.0
# sessions to the sink a relay may open (Tern's [delivery] per_destination,
# Postfix's default_destination_concurrency_limit), as relay_latency.py's default
RELAY_CONCURRENCY = 20


def log(msg: str) -> None:
    print(f"==> {msg}", file=sys.stderr, flush=True)


class StartError(RuntimeError):
    """A server that did not come up (its log tail is in the message)."""


# --------------------------------------------------------------------------
# Rows
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    number: int
    key: str
    title: str
    kind: str           # "smtp-source", "pipelined", "relay", "idle"
    sessions: int
    size: int
    persistent: bool = False
    rcpts: int = 1
    scale: str = "N"    # how many messages, from --messages N (see count())
    servers: tuple[str, ...] = SERVERS

    def count(self, n: int) -> int:
        if self.scale == "2N/5":
            return max(1, n * 2 // 5)
        if self.scale == "N/5":
            return max(1, n // 5)
        if self.scale == "idle":
            return min(100, max(10, n // 20))
        return max(1, n)

    def smtp_source_args(self, n: int, port: int) -> list[str]:
        args = [SMTP_SOURCE, "-A", "-s", str(self.sessions), "-m", str(self.count(n)),
                "-l", str(self.size), "-f", SENDER, "-t", RECIPIENT]
        if self.persistent:
            args.append("-d")
        if self.rcpts > 1:
            args += ["-r", str(self.rcpts)]
        return args + [f"127.0.0.1:{port}"]

    @property
    def lower_is_better(self) -> bool:
        return self.kind == "idle"


ROWS = [
    Row(1, "single", "1 session, 1 KiB, new connection per message", "smtp-source", 1, 1024,
        scale="2N/5"),
    Row(2, "new-conn", "20 sessions, 4 KiB, new connection per message", "smtp-source", 20, 4096),
    Row(3, "persistent", "20 sessions, 4 KiB, persistent", "smtp-source", 20, 4096,
        persistent=True),
    Row(4, "pipelined", "20 pipelined sessions, 4 KiB", "pipelined", 20, 4096, persistent=True),
    Row(5, "rcpt5", "20 sessions, 4 KiB, 5 recipients each", "smtp-source", 20, 4096, rcpts=5),
    Row(6, "100k", "50 sessions, 100 KiB", "smtp-source", 50, 100 * 1024, scale="N/5"),
    Row(7, "relay", "relay end to end", "relay", 20, 4096, persistent=True,
        servers=("tern", "postfix")),
    Row(8, "idle-latency", "relay latency when idle", "idle", 1, 4096, scale="idle",
        servers=("tern", "postfix")),
]


def parse_rows(spec: str | None) -> list[Row]:
    if not spec:
        return list(ROWS)
    chosen: list[Row] = []
    for token in (t.strip() for t in spec.split(",") if t.strip()):
        match = [r for r in ROWS if token == str(r.number) or token.lower() == r.key]
        if not match:
            raise SystemExit(f"--only: unknown row {token!r}; rows are "
                             + ", ".join(f"{r.number}/{r.key}" for r in ROWS))
        if match[0] not in chosen:
            chosen.append(match[0])
    return sorted(chosen, key=lambda r: r.number)


# --------------------------------------------------------------------------
# CPU and memory accounting of one server's processes
# --------------------------------------------------------------------------

CLK_TCK = os.sysconf("SC_CLK_TCK")


def read_status_kib(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def read_pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def proc_table() -> dict[int, tuple[int, int, int]]:
    """pid → (ppid, utime+stime, cutime+cstime), the times in clock ticks."""
    out: dict[int, tuple[int, int, int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # fields[0] is state (field 3 of stat); ppid is field 4, utime..cstime 14..17
        out[int(name)] = (int(fields[1]), int(fields[11]) + int(fields[12]),
                          int(fields[13]) + int(fields[14]))
    return out


def process_cpu_seconds(pid: int, ticks: int) -> float:
    """CPU time of the live threads of `pid` in ns from schedstat (stat's
    ticks lose up to 20 ms per process, which adds up over Postfix's 60),
    else from `ticks`."""
    total, found = 0, False
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    total += int(f.read().split()[0])
                    found = True
            except (OSError, ValueError, IndexError):
                pass
    except OSError:
        pass
    return total / 1e9 if found else ticks / CLK_TCK


def tree_pids(root: int, table: dict[int, tuple[int, int, int]]) -> list[int]:
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    out, todo = [], [root] if root in table else []
    while todo and len(out) < 100000:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    return out


def cpuacct_base() -> Path | None:
    """This process's cgroup v1 cpuacct directory, when one is mounted and we
    may create groups below it."""
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
        own = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    mount = None
    for line in mounts:
        parts = line.split()
        if len(parts) >= 4 and parts[2] == "cgroup" and "cpuacct" in parts[3].split(","):
            mount = Path(parts[1])
            break
    rel = None
    for line in own:
        parts = line.split(":", 2)
        if len(parts) == 3 and "cpuacct" in parts[1].split(","):
            rel = parts[2]
    if mount is None or rel is None:
        return None
    base = mount / rel.lstrip("/")
    probe = base / f"tern-compare-probe.{os.getpid()}"
    try:
        probe.mkdir()
        probe.rmdir()
    except OSError:
        return None
    return base if (base / "cpuacct.usage").exists() else None


class CgroupAccounting:
    """A cpuacct group of its own for one server: the server's first process
    joins it before it execs (a /bin/sh wrapper writes its own PID into
    cgroup.procs), so every process it forks is in it, and cpuacct.usage
    counts their CPU time, also of children that have exited."""

    method = "cgroup v1 cpuacct (cpuacct.usage of a group per server)"

    def __init__(self, base: Path, label: str):
        self.path = base / f"tern-compare.{os.getpid()}.{label}"
        self.path.mkdir()

    def wrap(self, argv: list[str]) -> list[str]:
        return ["/bin/sh", "-c", 'echo $$ > "$1" && shift && exec "$@"', "sh",
                str(self.path / "cgroup.procs"), *argv]

    def attach(self, root_pid: int | None) -> None:
        pass

    def cpu_seconds(self) -> float:
        return int((self.path / "cpuacct.usage").read_text()) / 1e9

    def pids(self) -> list[int]:
        try:
            return [int(x) for x in (self.path / "cgroup.procs").read_text().split()]
        except (OSError, ValueError):
            return []

    def close(self) -> list[int]:
        """Wait ≤ 10 s for the group to empty (Postfix's children leave after
        their master), SIGKILL what is left by PID, remove the group.
        Returns the PIDs that had to be killed."""
        killed: list[int] = []
        deadline = time.monotonic() + 10
        while self.pids() and time.monotonic() < deadline:
            time.sleep(0.1)
        for pid in self.pids():
            try:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                self.path.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.1)
        return killed


class ProcAccounting:
    """Without cgroups: the process tree under the server's main process
    (Postfix: its master), from /proc.  CPU is, over the tree, each live
    thread's run time (schedstat) plus each process's cutime+cstime:
    children that exited and were reaped by a process of the tree count
    through their parent.  Threads that ended inside a live process are
    missed."""

    method = "/proc sampling (process tree of the server's main process)"

    def __init__(self) -> None:
        self.root: int | None = None

    def wrap(self, argv: list[str]) -> list[str]:
        return argv

    def attach(self, root_pid: int | None) -> None:
        self.root = root_pid

    def cpu_seconds(self) -> float:
        if self.root is None:
            return 0.0
        table = proc_table()
        return sum(process_cpu_seconds(p, table[p][1]) + table[p][2] / CLK_TCK
                   for p in tree_pids(self.root, table))

    def pids(self) -> list[int]:
        if self.root is None:
            return []
        return tree_pids(self.root, proc_table())

    def close(self) -> list[int]:
        return []


class Accounting:
    """Makes one accounting per server: cgroups when possible."""

    def __init__(self, mode: str):
        self.base = cpuacct_base() if mode in ("auto", "cgroup") else None
        if mode == "cgroup" and self.base is None:
            raise SystemExit("--cpu-accounting cgroup: no usable cgroup v1 cpuacct hierarchy")
        self.counter = 0

    @property
    def method(self) -> str:
        return CgroupAccounting.method if self.base else ProcAccounting.method

    def new(self, label: str):
        self.counter += 1
        if self.base is not None:
            return CgroupAccounting(self.base, f"{self.counter}.{label}")
        return ProcAccounting()


class Meter:
    """Samples the summed VmRSS (and, less often, Pss) of the server's
    processes every 50 ms in a thread, and its CPU time at start and stop."""

    def __init__(self, acct, single_pid: int | None):
        self.acct = acct
        self.single_pid = single_pid
        self.peak_rss = 0
        self.peak_pss = 0
        self.peak_procs = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self.cpu0 = 0.0
        self.result: dict | None = None

    def start(self) -> "Meter":
        self.cpu0 = self.acct.cpu_seconds()
        self._sample()
        self._thread.start()
        return self

    def _sample(self, pss: bool = False) -> None:
        pids = self.acct.pids()
        self.peak_procs = max(self.peak_procs, len(pids))
        self.peak_rss = max(self.peak_rss, sum(read_status_kib(p, "VmRSS") for p in pids))
        if pss or self.samples % PSS_EVERY == 0:
            self.peak_pss = max(self.peak_pss, sum(read_pss_kib(p) for p in pids))
        self.samples += 1

    def _loop(self) -> None:
        while not self._stop.wait(SAMPLE_INTERVAL):
            self._sample()

    def stop(self) -> dict:
        if self.result is not None:
            return self.result
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        cpu = self.acct.cpu_seconds() - self.cpu0
        self._sample(pss=True)
        hwm = read_status_kib(self.single_pid, "VmHWM") if self.single_pid else 0
        self.result = {"cpu_s": round(cpu, 4),
                       "peak_rss_kib": max(self.peak_rss, hwm),
                       "peak_pss_kib": self.peak_pss,
                       "peak_processes": self.peak_procs,
                       "rss_samples": self.samples}
        return self.result


# --------------------------------------------------------------------------
# The servers
# --------------------------------------------------------------------------

def tern_local_config(workdir: Path, port: int) -> str:
    import relay_latency as rl
    boxes = ", ".join(f'"{m}"' for m in MAILBOXES)
    return rl.tern_listener_config("mx.example.com", workdir, port, 200) + f"""
[local]
domains = ["{DOMAIN}"]
mailboxes = [{boxes}]

[log]
level = "warning"
"""


class ProcessServer:
    """A server that is one process of ours: started with `spawn`, stopped by its PID; its
    mail lives below `data` (`<data>/<domain>/<user>/new`)."""
    single_process = True

    def __init__(self, workdir: Path, acct, data: Path, log_name: str):
        from peers import process
        self.process = process
        self.workdir = workdir
        self.acct = acct
        self.data = data
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = process.free_port()
        self.log_path = workdir / log_name
        self.proc: subprocess.Popen | None = None
        self._log = None

    def spawn(self, argv: list[str], env: dict | None = None) -> None:
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.acct.wrap(argv), stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT, env=env,
                                     start_new_session=True)
        wait_listening(self, lambda: self.proc.poll() is None)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def root_pid(self) -> int | None:
        return self.proc.pid if self.running() else None

    def maildir_new(self, user: str) -> Path:
        return self.data / DOMAIN / user / "new"

    def stop(self) -> None:
        self.process.stop_popen(self.proc, signal.SIGTERM)
        if self._log:
            self._log.close()
            self._log = None

    def log_tail(self) -> str:
        return self.process.tail(self.log_path, 20)

    def remove_data(self) -> None:
        shutil.rmtree(self.data, ignore_errors=True)


class TernServer(ProcessServer):
    name = "tern"

    def __init__(self, binary: Path, workdir: Path, acct, relay_sink_port: int | None = None,
                 sessions: int = 20, metrics: bool = False):
        import relay_latency as rl
        from metrics_scrape import Scraper, metrics_section
        super().__init__(workdir, acct, workdir / "data" / "mail", "tern.log")
        self.binary = binary
        self.config = workdir / "tern.toml"
        if relay_sink_port is None:
            text = tern_local_config(workdir, self.port)
        else:
            # the relay configuration of bench/relay_latency.py
            text = rl.tern_config(workdir, self.port, relay_sink_port, "routes", sessions)
        self.scraper = None
        if metrics:
            metrics_port = self.process.free_port()
            text += metrics_section(metrics_port)
            self.scraper = Scraper(metrics_port)
        self.config.write_text(text)

    def start(self) -> None:
        res = subprocess.run([str(self.binary), "check-config", str(self.config)],
                             capture_output=True, text=True, timeout=30,
                             stdin=subprocess.DEVNULL)
        if res.returncode != 0:
            raise StartError(f"tern check-config refused {self.config}: "
                             f"{(res.stdout + res.stderr).strip()}")
        env = dict(os.environ)
        env.pop("TERN_CONFIG", None)
        self.spawn([str(self.binary), "serve", "--config", str(self.config)], env)
        if self.scraper:
            self.scraper.start()

    def stop(self) -> None:
        if self.scraper:
            self.scraper.stop()
        super().stop()

    def remove_data(self) -> None:
        shutil.rmtree(self.workdir / "data", ignore_errors=True)


class AiosmtpdServer(ProcessServer):
    name = "aiosmtpd"

    def __init__(self, python: str, workdir: Path, acct):
        super().__init__(workdir, acct, workdir / "mail", "aiosmtpd.log")
        self.python = python

    def start(self) -> None:
        argv = [self.python, str(BENCH / "aiosmtpd_maildir.py"), "--port", str(self.port),
                "--root", str(self.data)]
        for m in MAILBOXES:
            argv += ["--mailbox", m]
        self.spawn(argv)


def _accounted_postfix_class():
    from peers.postfix import PostfixInstance, POSTFIX, COMMAND_TIMEOUT

    class AccountedPostfix(PostfixInstance):
        """tests/integration/peers/postfix.py's private instance, whose
        `postfix start` runs inside the server's cpuacct group, so the
        master and every daemon it forks are counted."""

        acct = None

        def command(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
            if args[:1] != ("start",) or self.acct is None:
                return super().command(*args, check=check)
            res = subprocess.run(self.acct.wrap([POSTFIX, "-c", str(self.conf), *args]),
                                 stdin=subprocess.DEVNULL, capture_output=True,
                                 timeout=COMMAND_TIMEOUT)
            if check and res.returncode != 0:
                raise AssertionError(
                    f"postfix {' '.join(args)} failed ({res.returncode}): "
                    f"{(res.stdout + res.stderr).decode('utf-8', 'replace')}\n{self.log()}")
            return res

    return AccountedPostfix


class PostfixServer:
    name = "postfix"
    single_process = False

    def __init__(self, workdir: Path, acct, relay_sink_port: int | None = None,
                 sessions: int = 20):
        workdir.mkdir(parents=True, exist_ok=True)
        cls = _accounted_postfix_class()
        if relay_sink_port is None:
            # virtual(8) into Maildir for the five mailboxes; enough processes
            # and delivery concurrency for the 50-session row
            main_cf = {"virtual_destination_concurrency_limit": "50",
                       "default_process_limit": "200",
                       "smtpd_client_connection_count_limit": "200"}
            self.pf = cls(workdir, domain=DOMAIN, users=USERS, main_cf=main_cf, name="postfix")
        else:
            # as bench/relay_latency.py's PostfixRelay
            self.pf = cls(workdir, relayhost=f"[127.0.0.1]:{relay_sink_port}",
                          main_cf={"default_destination_concurrency_limit": str(sessions)},
                          name="postfix")
        self.pf.acct = acct
        self.acct = acct
        self.port = self.pf.smtp_port
        self.workdir = workdir

    def start(self) -> None:
        try:
            self.pf.start(timeout=START_TIMEOUT)
        except AssertionError as e:
            raise StartError(str(e)[-2000:]) from None

    def running(self) -> bool:
        return self.pf.running()

    def root_pid(self) -> int | None:
        return self.pf.master_pid()

    def maildir_new(self, user: str) -> Path:
        return self.pf.maildir(user) / "new"

    def stop(self) -> None:
        self.pf.stop()

    def log_tail(self) -> str:
        return self.pf.log(20)

    def remove_data(self) -> None:
        pass  # PostfixInstance.stop() removes its /tmp directory


def wait_listening(server, alive) -> None:
    from peers import process
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if not alive():
            raise StartError(f"{server.name} exited at start:\n{server.log_tail()}")
        if process.tcp_answers(server.port):
            return
        time.sleep(0.1)
    raise StartError(f"{server.name} did not listen on 127.0.0.1:{server.port} within "
                     f"{START_TIMEOUT:.0f} s:\n{server.log_tail()}")


# --------------------------------------------------------------------------
# The pipelining client: `compare.py pipeline-client --port P ...`
# --------------------------------------------------------------------------

def _payload(size: int) -> bytes:
    """`size` octets of body: 78 letters and CRLF per line."""
    line = b"X" * 78 + b"\r\n"
    body = line * (size // len(line))
    rest = size - len(body)
    if rest >= 3:
        body += b"X" * (rest - 2) + b"\r\n"
    return body


async def _read_reply(reader: asyncio.StreamReader) -> tuple[bytes, list[bytes]]:
    lines: list[bytes] = []
    for _ in range(100):
        line = await asyncio.wait_for(reader.readline(), CLIENT_REPLY_TIMEOUT)
        if not line:
            raise ConnectionError("connection closed by the server")
        lines.append(line.rstrip(b"\r\n"))
        if line[3:4] != b"-":
            return line[:3], lines
    raise ConnectionError("reply of more than 100 lines")


async def _pipelined_session(port: int, state: dict, payload: bytes, rcpts: list[str]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        code, _ = await _read_reply(reader)
        if code != b"220":
            raise ConnectionError(f"greeting {code!r}")
        writer.write(b"EHLO client.example\r\n")
        code, lines = await _read_reply(reader)
        if code != b"250":
            raise ConnectionError(f"EHLO {code!r}")
        pipelining = any(ln[4:].upper().split(b" ")[0] == b"PIPELINING" for ln in lines[1:])
        state["pipelined"] = state["pipelined"] and pipelining
        envelope = (f"MAIL FROM:<{SENDER}>\r\n".encode()
                    + b"".join(f"RCPT TO:<{r}>\r\n".encode() for r in rcpts) + b"DATA\r\n")

        def take() -> int | None:
            if state["next"] >= state["total"]:
                return None
            state["next"] += 1
            return state["next"]

        def message(n: int) -> bytes:
            head = (f"From: <{SENDER}>\r\nTo: <{rcpts[0]}>\r\nDate: {formatdate()}\r\n"
                    f"Message-Id: <{n}.{os.getpid()}@client.example>\r\n"
                    f"Subject: pipelined bench {n}\r\n\r\n").encode()
            return head + payload + b".\r\n"

        async def envelope_replies() -> bool:
            ok = (await _read_reply(reader))[0] == b"250"
            good = 0
            for _ in rcpts:
                good += (await _read_reply(reader))[0] in (b"250", b"251")
            data = (await _read_reply(reader))[0]
            if data != b"354":
                state["errors"].append(f"MAIL ok={ok}, {good}/{len(rcpts)} RCPT ok, DATA {data!r}")
            return data == b"354"

        async def lockstep_envelope() -> bool:
            for cmd in envelope.split(b"\r\n")[:-1]:
                writer.write(cmd + b"\r\n")
                code, _ = await _read_reply(reader)
                if code not in (b"250", b"251", b"354"):
                    state["errors"].append(f"{cmd.split(b':')[0]!r}: {code!r}")
                    if cmd != b"DATA":
                        continue
                    return False
            return True

        current = take()
        if current is not None and pipelining:
            writer.write(envelope)
        while current is not None:
            ready = await envelope_replies() if pipelining else await lockstep_envelope()
            if not ready:
                state["failed"] += 1
                writer.write(b"RSET\r\n")
                await _read_reply(reader)
                current = take()
                if current is not None and pipelining:
                    writer.write(envelope)
                continue
            following = take()
            # RFC 2920: the message content may start a group; the next
            # transaction's MAIL, RCPT and DATA follow it in the same write
            writer.write(message(current) + (envelope if following and pipelining else b""))
            code, lines = await _read_reply(reader)
            if code == b"250":
                state["accepted"] += 1
            else:
                state["failed"] += 1
                state["errors"].append(f"end of data: {lines[-1][:200]!r}")
            current = following
        writer.write(b"QUIT\r\n")
        await _read_reply(reader)
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass


async def _pipeline_all(port: int, sessions: int, messages: int, size: int, rcpts: int,
                        limit: float) -> dict:
    state = {"next": 0, "total": messages, "accepted": 0, "failed": 0, "errors": [],
             "pipelined": True}
    payload = _payload(size)
    rcpt_list = MAILBOXES[:rcpts]
    state["t_start"] = time.time()
    tasks = [asyncio.ensure_future(_pipelined_session(port, state, payload, rcpt_list))
             for _ in range(sessions)]
    done, pending = await asyncio.wait(tasks, timeout=limit)
    for t in pending:
        t.cancel()
        state["errors"].append("session: timed out")
    await asyncio.gather(*pending, return_exceptions=True)
    for t in done:
        if t.exception() is not None:
            state["errors"].append(f"session: {t.exception()!r}")
    state["t_end"] = time.time()
    state["errors"] = state["errors"][:10]
    return state


def pipeline_client_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="compare.py pipeline-client",
                                description="SMTP load with PIPELINING, persistent sessions")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--sessions", type=int, default=20)
    p.add_argument("--messages", type=int, default=5000)
    p.add_argument("--size", type=int, default=4096)
    p.add_argument("--rcpts", type=int, default=1)
    p.add_argument("--timeout", type=float, default=900)
    a = p.parse_args(argv)
    state = asyncio.run(_pipeline_all(a.port, a.sessions, a.messages, a.size, a.rcpts,
                                      a.timeout))
    state.pop("next", None)
    print(json.dumps(state), flush=True)
    return 0


# --------------------------------------------------------------------------
# Running one (row, server, run)
# --------------------------------------------------------------------------

class Bench:
    def __init__(self, args: argparse.Namespace, work: Path, acct: Accounting,
                 tern_bin: Path | None, aiosmtpd_python: str | None):
        self.args = args
        self.work = work
        self.accounting = acct
        self.tern_bin = tern_bin
        self.aiosmtpd_python = aiosmtpd_python
        self.live: list = []  # servers and clients to stop on the way out
        self.accts: list = []  # their CPU accounting (cgroups to remove)

    # -- servers
    def make_server(self, name: str, workdir: Path, acct, relay_sink_port: int | None,
                    sessions: int):
        if name == "tern":
            return TernServer(self.tern_bin, workdir, acct, relay_sink_port, sessions,
                              metrics=self.args.tern_metrics)
        if name == "postfix":
            return PostfixServer(workdir, acct, relay_sink_port, sessions)
        return AiosmtpdServer(self.aiosmtpd_python, workdir, acct)

    def measure(self, row: Row, name: str, run: int) -> dict:
        workdir = self.work / f"run{run}" / f"{row.number}-{row.key}" / name
        n = row.count(self.args.messages)
        result = {"row": row.number, "key": row.key, "load": row.title, "server": name,
                  "run": run, "messages": n, "delivered": 0, "errors": []}
        acct = self.accounting.new(f"{row.key}.{name}.{run}")
        self.accts.append(acct)
        sink = None
        server = None
        meter = None
        try:
            if row.kind in ("relay", "idle"):
                import relay_latency as rl
                sink = rl.SinkProcess(workdir / "sink", None)
                self.live.append(sink)
                sink.start()
            server = self.make_server(name, workdir, acct, sink.port if sink else None,
                                      RELAY_CONCURRENCY)
            self.live.append(server)
            server.start()
            acct.attach(server.root_pid())
            meter = Meter(acct, server.root_pid() if server.single_process else None).start()
            if row.kind in ("smtp-source", "pipelined"):
                self.local_load(row, server, n, result, workdir)
            elif row.kind == "relay":
                self.relay_load(row, server, sink, n, result)
            else:
                self.idle_load(row, server, sink, n, result)
            result.update(meter.stop())
        except StartError as e:
            result["errors"].append(f"start failed: {e}")
        except KeyboardInterrupt:
            raise
        except Exception as e:  # a broken run is reported, the others go on
            result["errors"].append(f"{type(e).__name__}: {e}")
            if server is not None:
                result["server_log"] = server.log_tail()
        finally:
            if meter is not None:
                meter.stop()
            for thing in (server, sink):
                if thing is not None:
                    try:
                        thing.stop()
                    except Exception as e:
                        result["errors"].append(f"stopping {getattr(thing, 'name', 'sink')}: {e}")
                    if thing in self.live:
                        self.live.remove(thing)
            killed = acct.close()
            self.accts.remove(acct)
            if killed:
                result["errors"].append(f"killed leftover processes {killed}")
            if server is not None:
                server.remove_data()
        if result.get("delivered", 0) and result.get("cpu_s") is not None:
            result["cpu_s_per_1000"] = round(result["cpu_s"] / result["delivered"] * 1000, 4)
        result["cpu_accounting"] = acct.method
        return result

    # -- rows 1-6: into Maildir
    def local_load(self, row: Row, server, n: int, result: dict, workdir: Path) -> None:
        dirs = [server.maildir_new(u) for u in USERS[:row.rcpts]]
        want = n * row.rcpts
        client_log = workdir / "client.log"
        if row.kind == "pipelined":
            argv = [sys.executable, str(Path(__file__).resolve()), "pipeline-client",
                    "--port", str(server.port), "--sessions", str(row.sessions),
                    "--messages", str(n), "--size", str(row.size), "--rcpts", str(row.rcpts),
                    "--timeout", str(self.args.timeout)]
        else:
            argv = row.smtp_source_args(self.args.messages, server.port)
        result["client"] = " ".join(shlex.quote(a) for a in argv)
        with open(client_log, "wb") as err:
            t0 = time.time()
            client = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=err, start_new_session=True)
            self.live.append(client)
            try:
                out = self.wait_delivery(row, server, client, dirs, want, t0, result)
            finally:
                self.stop_client(client)
        if row.kind == "pipelined":
            try:
                state = json.loads(out.decode().strip().splitlines()[-1])
            except (ValueError, IndexError):
                state = {}
                result["errors"].append("pipeline client printed no result")
            t0 = state.get("t_start", t0)  # its own start, after Python's start-up
            result["accepted"] = state.get("accepted")
            result["refused"] = state.get("failed")
            result["pipelined"] = state.get("pipelined")
            if state.get("pipelined") is False:
                result["errors"].append("server did not offer PIPELINING: sent in lock-step")
            result["errors"] += state.get("errors", [])
            if state.get("t_end"):
                result["client_end"] = state["t_end"]
        else:
            warnings = [ln for ln in client_log.read_text(errors="replace").splitlines()
                        if ln.strip()]
            if warnings:
                result["errors"].append(f"smtp-source: {len(warnings)} lines on stderr, "
                                        f"first: {warnings[0][:200]}")
        end = result.pop("_t_last", None) or time.time()
        files = result["delivered_files"]
        result["delivered"] = files // row.rcpts
        result["wall_s"] = round(end - t0, 3)
        result["msg_per_s"] = round(result["delivered"] / max(1e-9, end - t0), 1)
        if row.rcpts > 1:
            result["deliveries_per_s"] = round(files / max(1e-9, end - t0), 1)
        if result.get("client_end"):
            result["accepted_per_s"] = round(
                (result.get("accepted") or n) / max(1e-9, result["client_end"] - t0), 1)

    def wait_delivery(self, row: Row, server, client: subprocess.Popen, dirs: list[Path],
                      want: int, t0: float, result: dict) -> bytes:
        """Poll new/ until `want` files are there; bounded by --timeout for
        sending and again for delivering, and by --stall without progress.
        The end of the run is the ctime of the newest file in new/ (set when
        the file was renamed or linked there), so the polling interval does
        not round the time.  Returns the client's standard output."""
        timeout, stall = self.args.timeout, self.args.stall
        last_count, last_progress = -1, time.time()
        client_end = None
        out = b""
        while True:
            count = count_files(dirs)
            now = time.time()
            if count != last_count:
                last_count, last_progress = count, now
            if count >= want:
                break
            if client_end is None and client.poll() is not None:
                client_end = now
                out = client.stdout.read() if client.stdout else b""
                if client.returncode != 0:
                    result["errors"].append(f"load generator exited with {client.returncode}")
                accepted = pipeline_accepted(out)
                if accepted is not None and accepted * row.rcpts < want:
                    want = accepted * row.rcpts  # wait only for what the server took
                    continue
            if client_end is None:
                if now - t0 > timeout:
                    result["errors"].append(f"load generator still sending after {timeout:.0f} s")
                    self.stop_client(client)
                    client_end = now
            elif now - client_end > timeout:
                result["errors"].append(f"not all delivered {timeout:.0f} s after sending")
                break
            elif now - last_progress > stall:
                result["errors"].append(f"no delivery for {stall:.0f} s")
                break
            if not server.running():
                result["errors"].append(f"{server.name} stopped during the run")
                result["server_log"] = server.log_tail()
                break
            if client_end is None:
                try:  # wakes up as soon as the client exits
                    client.wait(timeout=0.2)
                except subprocess.TimeoutExpired:
                    pass
            else:
                time.sleep(0.05)
        if client_end is None:
            # everything delivered while the client was still running (it has
            # its QUITs to send): give it a bounded moment, then read it
            try:
                client.wait(timeout=min(60.0, timeout))
                client_end = time.time()
            except subprocess.TimeoutExpired:
                result["errors"].append("load generator did not exit after delivery")
            out = client.stdout.read() if client.stdout and client.poll() is not None else b""
        result["delivered_files"] = max(0, last_count)
        newest = newest_ctime(dirs)
        result["_t_last"] = min(newest, time.time()) if newest else None
        if client_end is not None and row.kind != "pipelined":
            result["client_end"] = client_end
        return out

    def stop_client(self, client: subprocess.Popen) -> None:
        from peers import process
        process.stop_popen(client, signal.SIGTERM, timeout=5)
        if client in self.live:
            self.live.remove(client)

    # -- row 7: relay to a sink
    def relay_load(self, row: Row, server, sink, n: int, result: dict) -> None:
        import relay_latency as rl
        run_id = f"{os.getpid()}.{int(time.time() * 1000)}"
        ids = [f"bench-{i}.{run_id}@client.test" for i in range(n)]
        result["client"] = (f"bench/relay_latency.py client: {row.sessions} sessions, "
                            f"{n} messages of ~{row.size} octets to {rl.RECIPIENT}")
        t0 = time.time()
        accepted, failures = asyncio.run(
            send_bounded(server.port, ids, row.sessions, row.size, self.args.timeout))
        t_accepted = time.time()
        self.wait_sink(sink, server, len(accepted), t_accepted, result)
        arrived = sink.arrivals()
        matched = {mid: arrived[mid] - t for mid, t in accepted.items() if mid in arrived}
        last_arrival = max((arrived[m] for m in matched), default=t_accepted)
        result.update({
            "accepted": len(accepted),
            "refused": len(failures),
            "delivered": len(matched),
            "wall_s": round(last_arrival - t0, 3),
            "msg_per_s": round(len(matched) / max(1e-9, last_arrival - t0), 1),
            "accepted_per_s": round(len(accepted) / max(1e-9, max(accepted.values(),
                                                                     default=t_accepted) - t0), 1),
        })
        lat = list(matched.values())
        if lat:
            result["latency_median_ms"] = round(statistics.median(lat) * 1000, 2)
            result["latency_p95_ms"] = round(rl.percentile(lat, 95) * 1000, 2)
        result["errors"] += failures[:5]

    def wait_sink(self, sink, server, want: int, since: float, result: dict) -> None:
        timeout, stall = self.args.timeout, self.args.stall
        last, last_progress = -1, time.time()
        while True:
            count = sink.count()
            now = time.time()
            if count != last:
                last, last_progress = count, now
            if count >= want:
                return
            if now - since > timeout:
                result["errors"].append(f"not all at the sink {timeout:.0f} s after sending")
                return
            if now - last_progress > stall:
                result["errors"].append(f"nothing reached the sink for {stall:.0f} s")
                return
            if not server.running():
                result["errors"].append(f"{server.name} stopped during the run")
                return
            time.sleep(0.05)

    # -- row 8: one message at a time
    def idle_load(self, row: Row, server, sink, n: int, result: dict) -> None:
        import relay_latency as rl
        run_id = f"{os.getpid()}.{int(time.time() * 1000)}"
        result["client"] = (f"bench/relay_latency.py client: 1 session per message, next one "
                            f"{IDLE_PAUSE * 1000:.0f} ms after the previous arrived at the sink")
        accepted: dict[str, float] = {}
        failures: list[str] = []
        misses = 0
        t0 = time.time()
        for i in range(n):
            if time.time() - t0 > self.args.timeout:
                failures.append(f"stopped after {self.args.timeout:.0f} s")
                break
            mid = f"idle-{i}.{run_id}@client.test"
            got, failed = asyncio.run(send_bounded(server.port, [mid], 1, row.size,
                                                   CLIENT_REPLY_TIMEOUT))
            failures += failed
            accepted.update(got)
            if mid not in got:
                misses += 1
            else:
                deadline = time.monotonic() + IDLE_ARRIVAL_TIMEOUT
                while sink.count() < len(accepted) and time.monotonic() < deadline:
                    time.sleep(0.002)
                if sink.count() < len(accepted):
                    misses += 1
                    failures.append(f"{mid}: not at the sink after {IDLE_ARRIVAL_TIMEOUT:.0f} s")
            if misses >= 3:
                failures.append("stopped after 3 messages that did not arrive")
                break
            time.sleep(IDLE_PAUSE)
        arrived = sink.arrivals()
        lat = [arrived[m] - t for m, t in accepted.items() if m in arrived]
        result.update({"accepted": len(accepted), "delivered": len(lat),
                       "wall_s": round(time.time() - t0, 3)})
        if lat:
            result["latency_median_ms"] = round(statistics.median(lat) * 1000, 2)
            result["latency_p95_ms"] = round(rl.percentile(lat, 95) * 1000, 2)
            result["latency_max_ms"] = round(max(lat) * 1000, 2)
        result["errors"] += failures[:5]

    def stop_all(self) -> None:
        for thing in reversed(self.live):
            try:
                if isinstance(thing, subprocess.Popen):
                    self.stop_client(thing)
                else:
                    thing.stop()
            except Exception as e:
                log(f"stopping {thing!r}: {e}")
        self.live.clear()
        for acct in self.accts:
            killed = acct.close()
            if killed:
                log(f"killed leftover processes {killed}")
        self.accts.clear()


def pipeline_accepted(out: bytes) -> int | None:
    """How many messages the pipelining client saw accepted (None: no result)."""
    try:
        return int(json.loads(out.decode().strip().splitlines()[-1])["accepted"])
    except (ValueError, IndexError, KeyError, TypeError):
        return None


def count_files(dirs: list[Path]) -> int:
    count = 0
    for d in dirs:
        try:
            count += len(os.listdir(d))
        except FileNotFoundError:
            pass
    return count


def newest_ctime(dirs: list[Path]) -> float | None:
    """The latest st_ctime of the files in `dirs` (a rename or link into
    new/ sets it; the kernel's coarse clock, a few ms at most)."""
    newest = None
    for d in dirs:
        try:
            with os.scandir(d) as entries:
                for e in entries:
                    try:
                        c = e.stat(follow_symlinks=False).st_ctime
                    except FileNotFoundError:
                        continue
                    if newest is None or c > newest:
                        newest = c
        except FileNotFoundError:
            pass
    return newest


async def send_bounded(port: int, ids: list[str], sessions: int, size: int,
                       limit: float) -> tuple[dict[str, float], list[str]]:
    """bench/relay_latency.py's send_all, except that a time-out keeps what
    was accepted until then."""
    import relay_latency as rl
    accepted: dict[str, float] = {}
    failures: list[str] = []
    next_index = [0]
    tasks = [asyncio.ensure_future(rl.session(port, ids, next_index, size, accepted, failures))
             for _ in range(sessions)]
    done, pending = await asyncio.wait(tasks, timeout=limit)
    for t in pending:
        t.cancel()
        failures.append(f"session: still sending after {limit:.0f} s")
    await asyncio.gather(*pending, return_exceptions=True)
    for t in done:
        if t.exception() is not None:
            failures.append(f"session: {t.exception()!r}")
    return accepted, failures


# --------------------------------------------------------------------------
# Summary
# --------------------------------------------------------------------------

def median_or_none(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarize(results: list[dict], rows: list[Row], servers: list[str]) -> list[dict]:
    out = []
    for row in rows:
        entry = {"row": row.number, "key": row.key, "load": row.title,
                 "metric": "latency_median_ms" if row.lower_is_better else "msg_per_s",
                 "servers": {}}
        for name in servers:
            if name not in row.servers:
                continue
            runs = [r for r in results if r["row"] == row.number and r["server"] == name]
            if not runs:
                continue
            metric = [r.get(entry["metric"]) for r in runs]
            incomplete = [r for r in runs if r.get("delivered", 0) < r["messages"]]
            worst = min(runs, key=lambda r: r.get("delivered", 0) / max(1, r["messages"]))
            entry["servers"][name] = {
                "value": median_or_none(metric),
                "cpu_s_per_1000": median_or_none([r.get("cpu_s_per_1000") for r in runs]),
                "peak_rss_kib": median_or_none([r.get("peak_rss_kib") for r in runs]),
                "peak_pss_kib": median_or_none([r.get("peak_pss_kib") for r in runs]),
                "runs": len(runs),
                "incomplete_runs": len(incomplete),
                "worst": f"{worst.get('delivered', 0)}/{worst['messages']}",
                "failed": all(r.get(entry["metric"]) is None for r in runs),
            }
        out.append(entry)
    return out


def fmt_value(s: dict | None, latency: bool) -> str:
    if s is None:
        return "—"
    if s["failed"] or s["value"] is None:
        return f"failed ({s['worst']})"
    text = f"{s['value']:.1f} ms" if latency else f"{s['value']:.0f}"
    if s["incomplete_runs"]:
        text += f" [{s['worst']}]"
    return text


def pss_lines(summary: list[dict], servers: list[str]) -> list[str]:
    """One line per server: the median peak Pss of each row (shared pages
    split among the processes that map them: Postfix's many processes share
    most of theirs, which the summed VmRSS counts once per process)."""
    out = []
    for name in TABLE_ORDER:
        if name not in servers:
            continue
        cells = [f"{e['row']}: {fmt_mib(e['servers'][name]['peak_pss_kib'])}"
                 for e in summary if name in e["servers"]]
        if cells:
            out.append(f"- {LABEL[name]}: " + " · ".join(cells))
    return out


def fmt_num(v: float | None, digits: int = 2) -> str:
    return "—" if v is None else f"{v:.{digits}f}"


def fmt_mib(kib: float | None) -> str:
    if kib is None or not kib:
        return "—"
    mib = kib / 1024
    return f"{mib:.1f}" if mib < 10 else f"{mib:.0f}"


def markdown_table(summary: list[dict]) -> str:
    lines = ["| load | Postfix msg/s | aiosmtpd | Tern | Tern ratio (to the better of the two) "
             "| CPU s / 1,000 msgs Tern (Postfix, aiosmtpd) "
             "| peak RSS MiB Tern (Postfix, aiosmtpd) |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for e in summary:
        latency = e["metric"] == "latency_median_ms"
        s = e["servers"]
        cells = [fmt_value(s.get(n), latency) for n in TABLE_ORDER]
        tern = s.get("tern")
        others = [s[n]["value"] for n in ("postfix", "aiosmtpd")
                  if n in s and not s[n]["failed"] and s[n]["value"]]
        ratio = "—"
        if tern and not tern["failed"] and tern["value"] and others:
            best = min(others) if latency else max(others)
            ratio = f"{tern['value'] / best:.2f}×"
            if latency:
                ratio += " (time: lower is better)"

        def triple(key: str, fmt) -> str:
            vals = [fmt(s[n][key]) if n in s else "—" for n in ("tern", "postfix", "aiosmtpd")]
            return f"{vals[0]} ({vals[1]}, {vals[2]})"

        lines.append(f"| {e['row']}. {e['load']} | " + " | ".join(cells) + f" | {ratio} | "
                     + triple("cpu_s_per_1000", fmt_num) + " | "
                     + triple("peak_rss_kib", fmt_mib) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Machine, packages, Tern
# --------------------------------------------------------------------------

def run_text(argv: list[str], timeout: float = 30) -> str:
    try:
        res = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                             stdin=subprocess.DEVNULL)
        return res.stdout.strip() if res.returncode == 0 else ""
    except (OSError, subprocess.TimeoutExpired):
        return ""


def machine_info(acct: Accounting, tern_bin: Path | None, tern_built: bool,
                 aiosmtpd_python: str | None) -> dict:
    cpu_model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = read_meminfo_kib("MemTotal")
    info = {
        "nproc": len(os.sched_getaffinity(0)),
        "kernel": platform.release(),
        "cpu_model": cpu_model,
        "memory_gib": round(mem / 1024 / 1024, 1) if mem else None,
        "tmp_filesystem": run_text(["stat", "-f", "-c", "%T", "/tmp"]) or "?",
        "postfix": run_text(["dpkg-query", "-W", "-f", "${Version}", "postfix"]) or "?",
        "aiosmtpd": (run_text([aiosmtpd_python, "-c",
                               "import aiosmtpd; print(aiosmtpd.__version__)"])
                     if aiosmtpd_python else None),
        "python": platform.python_version(),
        "cpu_accounting": acct.method,
        "repo_commit": run_text(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"]),
    }
    if tern_bin:
        st = tern_bin.stat()
        info["tern_bin"] = str(tern_bin)
        info["tern_bin_built_here"] = tern_built
        info["tern_bin_mtime"] = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(st.st_mtime))
    return info


def read_meminfo_kib(field: str) -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def python_with_aiosmtpd() -> str | None:
    for py in dict.fromkeys([sys.executable, "/usr/bin/python3"]):
        if py and os.path.exists(py) and subprocess.run(
                [py, "-c", "import aiosmtpd.smtp"], capture_output=True, timeout=60,
                stdin=subprocess.DEVNULL).returncode == 0:
            return py
    return None


def install_packages(need_aiosmtpd: bool) -> str | None:
    """Installs what is missing from Debian (Postfix with debconf's "No
    configuration": no system mail setup); returns a Python that imports
    aiosmtpd, when it is needed."""
    missing = []
    has_postfix = shutil.which("postfix") or os.path.exists("/usr/sbin/postfix")
    if not (os.path.exists(SMTP_SOURCE) and has_postfix):
        missing.append("postfix")
    py = python_with_aiosmtpd() if need_aiosmtpd else None
    if need_aiosmtpd and py is None:
        missing.append("python3-aiosmtpd")
    if missing:
        log(f"installing {' '.join(missing)}")
        if "postfix" in missing:
            subprocess.run(["debconf-set-selections"], check=True, timeout=60,
                           input=b"postfix postfix/main_mailer_type select No configuration\n")
        subprocess.run(["apt-get", "update", "-qq"], check=True, timeout=600)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
                       check=True, timeout=1200,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        if need_aiosmtpd:
            py = python_with_aiosmtpd()
            if py is None:
                raise SystemExit("aiosmtpd installed but no python3 imports it")
    return py


def build_tern() -> Path:
    log("building Tern (swift build -c release --product tern)")
    subprocess.run(["swift", "build", "-c", "release", "--product", "tern"], cwd=REPO,
                   check=True, timeout=7200, stdout=sys.stderr)
    bin_dir = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=REPO,
                             check=True, timeout=600, capture_output=True, text=True).stdout
    return Path(bin_dir.strip()) / "tern"


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def progress_line(r: dict) -> str:
    head = f"run {r['run']} · {r['row']}. {r['load']} · {r['server']}: "
    if r.get("latency_median_ms") is not None and r["key"] == "idle-latency":
        body = (f"{r['delivered']}/{r['messages']} arrived, median {r['latency_median_ms']} ms, "
                f"p95 {r.get('latency_p95_ms')} ms")
    elif r.get("msg_per_s") is not None:
        body = f"{r['delivered']}/{r['messages']} in {r['wall_s']} s = {r['msg_per_s']} msg/s"
    else:
        body = f"{r.get('delivered', 0)}/{r['messages']}"
    if r.get("cpu_s_per_1000") is not None:
        body += f", CPU {r['cpu_s_per_1000']} s/1000"
    if r.get("peak_rss_kib"):
        body += f", peak RSS {r['peak_rss_kib'] / 1024:.1f} MiB"
    if r["errors"]:
        body += f" — {'; '.join(str(e) for e in r['errors'][:3])[:400]}"
    return head + body


def main() -> int:
    if sys.argv[1:2] == ["pipeline-client"]:
        return pipeline_client_main(sys.argv[2:])
    p = argparse.ArgumentParser(
        description="Tern beside Postfix and aiosmtpd: the same loads, one table "
                    "(bench/README.md).")
    p.add_argument("--tern-bin", type=Path, default=None,
                   help="the tern binary (default: swift build -c release --product tern)")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--messages", type=int, default=5000,
                   help="N, messages per row (row 1: 2N/5, row 6: N/5, row 8: N/20 "
                        "within 10..100)")
    p.add_argument("--only", default=None,
                   help="rows by number or key: " + ", ".join(f"{r.number}={r.key}" for r in ROWS))
    p.add_argument("--servers", default="tern,postfix,aiosmtpd")
    p.add_argument("--json", type=Path, default=None, help="also save every number here")
    p.add_argument("--timeout", type=float, default=900,
                   help="seconds for sending, and again for delivering (default 900)")
    p.add_argument("--stall", type=float, default=60,
                   help="give up waiting when nothing was delivered for this long (60)")
    p.add_argument("--cpu-accounting", choices=["auto", "cgroup", "proc"], default="auto")
    p.add_argument("--tern-metrics", action="store_true",
                   help="Tern with its [metrics] listener, scraped every second (bench/README.md)")
    args = p.parse_args()

    servers = [s.strip().lower() for s in args.servers.split(",") if s.strip()]
    bad = [s for s in servers if s not in SERVERS]
    if bad or not servers:
        p.error(f"--servers: choose from {','.join(SERVERS)}")
    servers = list(dict.fromkeys(servers))
    rows = [r for r in parse_rows(args.only) if any(s in r.servers for s in servers)]
    if not rows:
        p.error("no row runs on those servers")
    if args.runs < 1 or args.messages < 1:
        p.error("--runs and --messages must be at least 1")
    if os.geteuid() != 0:
        p.error("run as root (Postfix's private instance and the cgroups need it)")

    need_aiosmtpd = "aiosmtpd" in servers and any("aiosmtpd" in r.servers for r in rows)
    aiosmtpd_python = install_packages(need_aiosmtpd)
    tern_bin, tern_built = None, False
    if "tern" in servers:
        if args.tern_bin is None:
            tern_bin, tern_built = build_tern(), True
        else:
            tern_bin = args.tern_bin.resolve()
        if not os.access(tern_bin, os.X_OK):
            p.error(f"no tern binary at {tern_bin}")

    acct = Accounting(args.cpu_accounting)
    work = Path(tempfile.mkdtemp(prefix="tern-compare.", dir="/tmp"))
    os.chmod(work, 0o755)
    bench = Bench(args, work, acct, tern_bin, aiosmtpd_python)
    info = machine_info(acct, tern_bin, tern_built, aiosmtpd_python)
    command = "python3 " + " ".join(shlex.quote(a) for a in
                                    [os.path.relpath(sys.argv[0], REPO)] + sys.argv[1:])
    log(f"work directory {work}; CPU accounting: {acct.method}")

    def on_signal(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    # Ctrl-C even when started in the background of a shell that ignores SIGINT
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)

    results: list[dict] = []
    interrupted = False
    started = time.time()
    try:
        for run in range(1, args.runs + 1):
            shift = (run - 1) % len(servers)
            order = servers[shift:] + servers[:shift]
            for row in rows:
                for name in order:
                    if name not in row.servers:
                        continue
                    log(f"run {run}/{args.runs} · {row.number}. {row.title} · {name}")
                    r = bench.measure(row, name, run)
                    results.append(r)
                    log(progress_line(r))
    except KeyboardInterrupt:
        interrupted = True
        log("interrupted: stopping every server and client")
    finally:
        bench.stop_all()

    summary = summarize(results, rows, servers)
    table = markdown_table(summary)
    s = info
    tern_text = ""
    if s.get("tern_bin"):
        origin = (f"built here from commit {s['repo_commit']}" if s["tern_bin_built_here"]
                  else f"--tern-bin, modified {s['tern_bin_mtime']}")
        tern_text = f"; Tern {s['tern_bin']} ({origin})"
    report = "\n".join([
        "# Tern beside Postfix and aiosmtpd",
        "",
        f"Command: `{command}`" + (" (interrupted: partial results)" if interrupted else ""),
        "",
        f"Machine: {s['nproc']} CPUs ({s['cpu_model']}), {s['memory_gib']} GiB, "
        f"kernel {s['kernel']}, /tmp on {s['tmp_filesystem']}; Postfix {s['postfix']}"
        + (f", aiosmtpd {s['aiosmtpd']}" if s.get("aiosmtpd") else "")
        + f", Python {s['python']}"
        + tern_text,
        "",
        f"Medians of {args.runs} run(s), N = {args.messages}: rows 2–5 and 7 send N messages, "
        f"row 1 {ROWS[0].count(args.messages)}, row 6 {ROWS[5].count(args.messages)}, "
        f"row 8 {ROWS[7].count(args.messages)}. msg/s: from the start of the load to the last "
        "message in Maildir new/ (row 7: at the sink); row 5 counts messages, each of them "
        "5 files. Row 8: median ms from the relay's 250 to the arrival at the sink. "
        "[d/n]: the worst run delivered d of n. CPU: " + acct.method + "; RSS: peak of the "
        "summed VmRSS of the server's processes, sampled every 50 ms (shared pages count once "
        "per process, so Postfix's sum overstates its footprint: see Pss below).",
        "",
        table,
        "",
        "Peak Pss in MiB by row (sampled every 250 ms and at the end; shared pages split "
        "among the processes that map them):",
        *pss_lines(summary, servers),
        "",
        f"Took {time.time() - started:.0f} s; logs in {work}.",
    ])
    print(report, flush=True)
    (work / "results.md").write_text(report + "\n")
    if args.json:
        args.json.write_text(json.dumps({"command": command, "machine": info,
                                         "options": {k: (str(v) if isinstance(v, Path) else v)
                                                     for k, v in vars(args).items()},
                                         "interrupted": interrupted, "summary": summary,
                                         "results": results}, indent=2) + "\n")
        log(f"raw results in {args.json}")
    problems = any(r["errors"] or r.get("delivered", 0) < r["messages"] for r in results)
    return 130 if interrupted else (1 if problems else 0)


if __name__ == "__main__":
    sys.exit(main())
