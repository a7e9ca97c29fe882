"""The embedding examples (Examples/, the getting-started articles of the TernSMTPServer
and TernSMTPClient DocC catalogues): SinkServer prints every message it receives; swaks
and SendOne, the one-call client, each deliver one to it over loopback.

The example binaries are found beside `tern`: in TERN_BUILD_DIR, else the folder of
TERN_BIN, else .build/debug.  SinkServer is started on a free port and stopped by its
PID (SIGTERM, then SIGKILL after 10 s); every wait is bounded.
"""

from __future__ import annotations

import os
import queue
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest

import smtp_client
from tern_server import REPO_ROOT

WAIT = 10.0


def build_dir() -> Path:
    if os.environ.get("TERN_BUILD_DIR"):
        return Path(os.environ["TERN_BUILD_DIR"])
    if os.environ.get("TERN_BIN"):
        return Path(os.environ["TERN_BIN"]).parent
    return REPO_ROOT / ".build" / "debug"


def example(name: str) -> Path:
    path = build_dir() / name
    assert path.is_file() and os.access(path, os.X_OK), \
        f"example {name} not found at {path}: build it (`swift build`) and set TERN_BUILD_DIR"
    return path


class Sink:
    """A running SinkServer; `lines` collects what it prints, line by line, as bytes."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.proc = subprocess.Popen([str(example("SinkServer")), str(port)], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines: queue.Queue[bytes] = queue.Queue()
        self.seen: list[bytes] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in iter(self.proc.stdout.readline, b""):
            self.lines.put(line)

    def wait_for(self, pattern: bytes) -> list[bytes]:
        """The lines printed up to and including the first that matches `pattern`
        (searched with re); fails after WAIT seconds."""
        deadline = time.monotonic() + WAIT
        taken: list[bytes] = []
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"SinkServer printed no line matching {pattern!r}: {self.seen + taken!r}")
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            taken.append(line)
            if re.search(pattern, line):
                self.seen += taken
                return taken

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, 15)
            try:
                self.proc.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, 9)
                self.proc.wait(timeout=WAIT)


@pytest.fixture
def sink():
    server = Sink(smtp_client.free_port())
    try:
        server.wait_for(rb"^listening on 127\.0\.0\.1:%d$" % server.port)
        yield server
    finally:
        server.stop()


def message_lines(printed: list[bytes]) -> tuple[re.Match, bytes]:
    """The `message ID from PATH to PATHS` line and the text printed after it."""
    start = next(i for i, line in enumerate(printed) if line.startswith(b"message "))
    head = re.fullmatch(rb"message (\S+) from (<[^>]*>) to (.*)\n", printed[start])
    assert head, printed[start]
    text = b"".join(printed[start + 1:-1])
    assert printed[-1] == b"end of message " + head.group(1) + b"\n", printed
    return head, text


def test_swaks_delivers_to_sink_server(sink):
    marker = smtp_client.unique_marker("swaks")
    res = smtp_client.swaks(sink.port, "--from", "alice@example.org", "--to", "bob@example.net",
                            "--header", "Subject: from swaks", "--body", f"body {marker}")
    assert res.returncode == 0, res.stdout + res.stderr
    queued = re.search(r"<- +250 2\.0\.0 Requested mail action okay, completed: queued as (\S+)", res.stdout)
    assert queued, res.stdout
    head, text = message_lines(sink.wait_for(rb"^end of message "))
    assert head.group(1).decode() == queued.group(1)
    assert head.group(2) == b"<alice@example.org>" and head.group(3) == b"<bob@example.net>"
    assert b"\r\nSubject: from swaks\r\n" in text
    assert f"\r\n\r\nbody {marker}\r\n".encode() in text


def test_send_one_delivers_to_sink_server(sink):
    res = subprocess.run([str(example("SendOne")), "127.0.0.1", str(sink.port), "carol@example.org", "dave@example.net"],
                         capture_output=True, timeout=60, stdin=subprocess.DEVNULL, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    delivered = re.fullmatch(r"delivered to <dave@example\.net>: 250 2\.0\.0 Requested mail action okay, "
                             r"completed: queued as (\S+)\n", res.stdout)
    assert delivered, res.stdout + res.stderr
    head, text = message_lines(sink.wait_for(rb"^end of message "))
    assert head.group(1).decode() == delivered.group(1)
    assert head.group(2) == b"<carol@example.org>" and head.group(3) == b"<dave@example.net>"
    # The example's text has LF line ends; the one-call client sends CRLF.
    assert text == (b"From: <carol@example.org>\r\nTo: <dave@example.net>\r\nSubject: Hello from SendOne\r\n\r\n"
                    b"This message went through Tern's one-call client.\r\n")


def test_send_one_reports_a_refusal_and_fails():
    port = smtp_client.free_port()  # nothing listens there
    res = subprocess.run([str(example("SendOne")), "127.0.0.1", str(port), "carol@example.org", "dave@example.net"],
                         capture_output=True, timeout=60, stdin=subprocess.DEVNULL, text=True)
    assert res.returncode == 1, res.stdout + res.stderr
    assert res.stdout == ("not delivered: <dave@example.net> deferred: "
                          "421 4.4.1 No connection to the peer could be made\n"), res.stdout


@pytest.mark.parametrize("example_name,article", [
    ("SinkServer", "Sources/TernSMTPServer/TernSMTPServer.docc/GettingStarted.md"),
    ("SendOne", "Sources/TernSMTPClient/TernSMTPClient.docc/GettingStarted.md"),
])
def test_getting_started_articles_show_the_examples(example_name, article):
    """The DocC getting-started articles show the examples' code as it is, so what a reader
    copies is what this suite runs."""
    text = (REPO_ROOT / article).read_text()
    block = re.search(r"```swift\n(.*?)```", text, re.S)
    assert block, f"{article} has no Swift block"
    assert block.group(1) == (REPO_ROOT / "Examples" / example_name / "main.swift").read_text()
