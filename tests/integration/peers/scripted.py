"""A scripted SMTP server in a thread of the test process, for what smtp-sink
cannot play: a next hop that accepts the connection and then says nothing
(a delivery run that stays in progress), or one whose reply to each verb the
test chooses.  It keeps every command line and message it reads, so a test
can see what Tern sent and wait until a delivery run is over.

    peer = ScriptedPeer(dir, silent=True).start()                    # never greets
    peer = ScriptedPeer(dir, replies={"RCPT": "451 4.3.0 Try again later"}).start()
    peer = ScriptedPeer(dir, messages_per_session=1).start()         # 421 to a second MAIL
    peer.wait_closed(1)             # the first connection has ended
    peer.sessions[0].commands       # ["EHLO mx.example.com", "MAIL FROM:<...>", ...]

Loopback only.  Every wait is bounded; `stop()` closes the listening socket
and every connection (the client sees EOF) and joins the threads (≤ 10 s).
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import smtp_client

from . import process

DEFAULT_REPLIES = {
    "GREETING": "220 peer.test ESMTP ready",
    "EHLO": "250 peer.test",
    "HELO": "250 peer.test",
    "MAIL": "250 2.1.0 OK",
    "RCPT": "250 2.1.5 OK",
    "DATA": "354 End data with <CR><LF>.<CR><LF>",
    ".": "250 2.0.0 OK",  # the reply to the end of data
    "RSET": "250 2.0.0 OK",
    "NOOP": "250 2.0.0 OK",
    "QUIT": "221 2.0.0 Bye",
}
OTHER_REPLY = "502 5.5.1 Command not implemented"
POLL = 0.1  # seconds between checks of the stop flag


@dataclass
class PeerSession:
    """One connection: the command lines received (without CRLF), the
    messages received (un-stuffed, CRLF lines) and whether it has ended."""
    commands: list[str] = field(default_factory=list)
    messages: list[bytes] = field(default_factory=list)
    closed: bool = False


class ScriptedPeer:
    """`.port`, `.sessions`, `.wait_connections(n)`, `.wait_closed(n)`, `.stop()`."""

    def __init__(self, workdir: Path, silent: bool = False, replies: dict[str, str] | None = None,
                 port: int | None = None, name: str = "scripted-peer", host: str = "127.0.0.1",
                 messages_per_session: int | None = None):
        """`host`: the loopback address to listen on (127.0.0.2 ... for a
        second peer on the same port).  `messages_per_session`: after that
        many messages in a connection, a MAIL gets 421 and the connection
        is closed, as a server ending an idle connection just as the client
        reuses it."""
        self.messages_per_session = messages_per_session
        self.workdir = Path(workdir)
        self.host = host
        self.name = name
        self.silent = silent
        self.replies = {**DEFAULT_REPLIES, **(replies or {})}
        self.port = port or process.free_port()
        self.sessions: list[PeerSession] = []
        self.started_at = 0.0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._listener: socket.socket | None = None
        self._connections: list[socket.socket] = []
        self._threads: list[threading.Thread] = []

    def start(self) -> "ScriptedPeer":
        self.started_at = time.monotonic()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(16)
        listener.settimeout(POLL)
        self._listener = listener
        self._spawn(self._accept_loop)
        process.REGISTRY.append(self)
        return self

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, name=self.name, daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except (socket.timeout, TimeoutError):
                continue
            except OSError:
                break
            session = PeerSession()
            with self._lock:
                self.sessions.append(session)
                self._connections.append(conn)
            self._spawn(self._serve, conn, session)

    def _serve(self, conn: socket.socket, session: PeerSession) -> None:
        conn.settimeout(POLL)
        buf = b""
        in_data = False
        try:
            if not self.silent:
                conn.sendall(self.replies["GREETING"].encode() + b"\r\n")
            while not self._stopping.is_set():
                try:
                    chunk = conn.recv(65536)
                except (socket.timeout, TimeoutError):
                    continue
                if not chunk:
                    break
                buf += chunk
                while True:
                    if in_data:
                        probe = b"\r\n" + buf  # the data may end right at its start
                        end = probe.find(b"\r\n.\r\n")
                        if end < 0:
                            break
                        session.messages.append(smtp_client.dot_unstuff(probe[2:end + 2]))
                        buf = probe[end + 5:]
                        in_data = False
                        verb = "."
                    else:
                        if b"\n" not in buf:
                            break
                        line, buf = buf.split(b"\n", 1)
                        command = line.rstrip(b"\r").decode("utf-8", "replace")
                        session.commands.append(command)
                        verb = command.split(" ", 1)[0].upper()
                    if self.silent:
                        continue
                    reply = self.replies.get(verb, OTHER_REPLY)
                    if verb == "MAIL" and len(session.messages) == self.messages_per_session:
                        conn.sendall(b"421 4.4.2 peer.test closing the connection\r\n")
                        return
                    conn.sendall(reply.encode() + b"\r\n")
                    if verb == "DATA" and reply.startswith("354"):
                        in_data = True
                    if verb == "QUIT":
                        return
        except OSError:
            pass
        finally:
            session.closed = True
            try:
                conn.close()
            except OSError:
                pass

    # -- waiting (bounded)
    def wait_connections(self, count: int = 1, timeout: float = 10.0) -> list[PeerSession]:
        process.wait_until(lambda: len(self.sessions) >= count, timeout,
                           what=f"{count} connection(s) at {self.name} on port {self.port}")
        return self.sessions

    def wait_closed(self, count: int = 1, timeout: float = 20.0) -> list[PeerSession]:
        """Until `count` connections have ended (the client quit or closed)."""
        process.wait_until(lambda: sum(s.closed for s in self.sessions) >= count, timeout,
                           what=f"{count} finished connection(s) at {self.name} on port {self.port}")
        return self.sessions

    # -- the peer protocol of peers/process.py
    def running(self) -> bool:
        return self._listener is not None and not self._stopping.is_set()

    def log(self, tail: int = 200) -> str:
        lines = []
        for i, session in enumerate(list(self.sessions)):
            lines.append(f"connection {i + 1}{' (closed)' if session.closed else ''}:")
            lines += [f"  C: {c}" for c in session.commands]
            lines += [f"  message of {len(m)} octets" for m in session.messages]
        return "\n".join(lines[-tail:]) or "(no connections)"

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            sockets = ([self._listener] if self._listener else []) + self._connections
            threads = list(self._threads)
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)  # FIN now, and wakes a thread in recv/accept
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass
        deadline = time.monotonic() + process.STOP_TIMEOUT
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def kill9(self) -> None:
        self.stop()
