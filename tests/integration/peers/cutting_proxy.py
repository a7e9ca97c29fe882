"""A TCP proxy in threads of the test process that cuts a connection after
a given number of octets from the client, and counts what each connection
carried from the client: the link that drops for the checkpoint/restart
relay test (RFC 1845).

    proxy = CuttingProxy(target_port, cut_after=[8_000_000]).start()
    proxy.client_octets   # per connection, octets forwarded client → server

`cut_after[i]` applies to the i-th connection (None or missing: never cut).
Loopback only; every wait is bounded; `stop()` closes everything and joins
the threads (≤ 10 s).
"""

from __future__ import annotations

import select
import socket
import threading

from . import process

CHUNK = 64 * 1024
SEND_TIMEOUT = 30


class CuttingProxy:
    def __init__(self, target_port: int, cut_after: list[int | None] | None = None):
        self.target_port = target_port
        self.cut_after = list(cut_after or [])
        self.client_octets: list[int] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        # Set when the server has closed its side of each connection.
        self._server_closed: list[threading.Event] = []
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]

    def start(self) -> "CuttingProxy":
        self._spawn(self._accept)
        return self

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            # A new connection reaches the server only once it has closed the earlier ones, as
            # after a real link failure: it has read all it was sent before it sees the retry.
            for closed in list(self._server_closed):
                closed.wait(timeout=10)
            server = socket.create_connection(("127.0.0.1", self.target_port), timeout=10)
            # Both pumps use both sockets, so neither changes a socket's timeout: reads wait in
            # select() (0.1 s, to see stop()), writes may take up to SEND_TIMEOUT each.
            for s in (client, server):
                s.settimeout(SEND_TIMEOUT)
            with self._lock:
                index = len(self.client_octets)
                self.client_octets.append(0)
                self._sockets += [client, server]
            limit = self.cut_after[index] if index < len(self.cut_after) else None
            closed = threading.Event()
            self._server_closed.append(closed)
            self._spawn(self._pump, client, server, index, limit)
            self._spawn(self._pump, server, client, None, None, closed)

    def _pump(self, source: socket.socket, sink: socket.socket, index: int | None, limit: int | None,
              source_closed: threading.Event | None = None) -> None:
        cut = False
        sink_open = True
        try:
            while not self._stop.is_set():
                readable, _, _ = select.select([source], [], [], 0.1)
                if not readable:
                    continue
                data = source.recv(CHUNK)
                if not data:
                    break
                if index is not None:
                    with self._lock:
                        room = None if limit is None else limit - self.client_octets[index]
                        data = data if room is None else data[:max(0, room)]
                        self.client_octets[index] += len(data)
                if sink_open:
                    try:
                        sink.sendall(data)
                    except OSError:
                        # The other side is gone (the link was cut): keep reading until the
                        # source closes, so nothing it sent is reset away unread.
                        sink_open = False
                if limit is not None and self.client_octets[index] >= limit:
                    cut = True
                    break
        except (OSError, ValueError):  # ValueError: stop() closed the socket under select()
            pass
        if cut:
            # The link drops after the octets already forwarded: the server reads them all,
            # then the end of the stream; the client's side goes at once. The other pump closes
            # the server's socket when the server closes it.
            for s, how in ((sink, socket.SHUT_WR), (source, socket.SHUT_RDWR)):
                try:
                    s.shutdown(how)
                except OSError:
                    pass
            source.close()
            return
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        if source_closed is not None:
            source_closed.set()

    def stop(self) -> None:
        self._stop.set()
        self._listener.close()
        with self._lock:
            for s in self._sockets:
                try:
                    s.close()
                except OSError:
                    pass
        for thread in self._threads:
            thread.join(timeout=process.STOP_TIMEOUT)
