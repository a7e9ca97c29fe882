"""What the peers share: free ports, bounded polling, stopping a process by
its PID, and a registry of every peer started in this pytest process (for
logs on failure and a last-resort kill at exit)."""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Callable, Protocol

import smtp_client

STOP_TIMEOUT = 10.0


class Peer(Protocol):
    name: str
    started_at: float

    def running(self) -> bool: ...
    def log(self, tail: int = 200) -> str: ...
    def kill9(self) -> None: ...


# Every peer started in this pytest process, in start order.
REGISTRY: list[Peer] = []


@atexit.register
def _kill_leftovers() -> None:
    """Never leave a peer running when pytest ends (even interrupted)."""
    for peer in REGISTRY:
        try:
            if peer.running():
                peer.kill9()
        except Exception:
            pass


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the suite's helper)."""
    return smtp_client.free_port()


def wait_until(predicate: Callable[[], object], timeout: float, interval: float = 0.05,
               what: str = "condition") -> object:
    """Poll `predicate` until it returns something truthy, ≤ `timeout` seconds;
    returns that value, else raises AssertionError naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def tcp_answers(port: int, host: str = "127.0.0.1") -> bool:
    """True when something accepts a TCP connection on host:port."""
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def pid_alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"


def stop_popen(proc: subprocess.Popen | None, sig: int = signal.SIGTERM,
               timeout: float = STOP_TIMEOUT) -> int | None:
    """Send `sig` to a child by its PID, wait ≤ timeout, then SIGKILL and reap.
    Returns the exit code, None when SIGKILL was needed."""
    if proc is None:
        return None
    if proc.poll() is not None:
        return proc.returncode
    try:
        os.kill(proc.pid, sig)
    except ProcessLookupError:
        pass
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        pass
    kill_popen(proc)
    return None


def kill_popen(proc: subprocess.Popen | None) -> None:
    """SIGKILL a child by its PID and reap it (bounded)."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.kill(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        pass


def tail(path: Path, lines: int = 200) -> str:
    """The last `lines` lines of a text file, or a note that it is missing."""
    try:
        text = Path(path).read_text(errors="replace")
    except FileNotFoundError:
        return f"(no {path})"
    return "\n".join(text.splitlines()[-lines:])


class ChildPeer:
    """A peer that is one child process: `args` run in a session of its own,
    its output appended to `output_path`, ready once `ready()` says so, and
    stopped by its PID.  Subclasses set `name`, `args` and `output_path` and
    implement `ready()` and `log()`."""

    name: str
    args: list[str]
    output_path: Path
    proc: subprocess.Popen | None = None
    started_at: float = 0.0

    def launch(self, timeout: float, what: str) -> None:
        """Start the process and wait ≤ timeout until it is ready; on failure
        stop it and raise with its command line and output."""
        self._output = open(self.output_path, "ab")
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=self._output,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        REGISTRY.append(self)
        try:
            wait_until(self._ready_or_exited, timeout, interval=0.1, what=what)
        except AssertionError as e:
            output = tail(self.output_path, 40)
            self.stop()
            raise AssertionError(f"{e}\n{' '.join(self.args)}\n{output}\n{self.log()}") from None

    def _ready_or_exited(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"{self.name} exited with {self.proc.returncode}")
        return self.ready()

    def ready(self) -> bool:
        raise NotImplementedError

    def log(self, tail: int = 200) -> str:
        raise NotImplementedError

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> int | None:
        """SIGTERM by PID, wait ≤ 10 s, then SIGKILL; the exit code, None after SIGKILL."""
        code = stop_popen(self.proc)
        output = getattr(self, "_output", None)
        if output is not None:
            output.close()
        return code

    def kill9(self) -> None:
        kill_popen(self.proc)
