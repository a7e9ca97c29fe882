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

import socket
import threading

from . import process

CHUNK = 64 * 1024


class CuttingProxy:
    def __init__(self, target_port: int, cut_after: list[int | None] | None = None):
        self.target_port = target_port
        self.cut_after = list(cut_after or [])
        self.client_octets: list[int] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
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
            server = socket.create_connection(("127.0.0.1", self.target_port), timeout=10)
            with self._lock:
                index = len(self.client_octets)
                self.client_octets.append(0)
                self._sockets += [client, server]
            limit = self.cut_after[index] if index < len(self.cut_after) else None
            self._spawn(self._pump, client, server, index, limit)
            self._spawn(self._pump, server, client, None, None)

    def _pump(self, source: socket.socket, sink: socket.socket, index: int | None, limit: int | None) -> None:
        source.settimeout(0.1)
        try:
            while not self._stop.is_set():
                try:
                    data = source.recv(CHUNK)
                except socket.timeout:
                    continue
                if not data:
                    break
                if index is not None:
                    with self._lock:
                        room = None if limit is None else limit - self.client_octets[index]
                        data = data if room is None else data[:max(0, room)]
                        self.client_octets[index] += len(data)
                sink.sendall(data)
                if limit is not None and self.client_octets[index] >= limit:
                    break  # the link drops: both sides closed below
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

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
