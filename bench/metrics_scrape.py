"""Tern's `[metrics]` listener in a benchmark: the configuration section, and a scraper that
reads `/metrics` at a fixed interval while the load runs, harder than Prometheus's usual 15 s
(bench/README.md "Metrics"). The scraper is a process of its own: a thread of the load
generator would take its interpreter lock from the client it measures."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.request


def metrics_section(port: int) -> str:
    """The `[metrics]` table for a listener on 127.0.0.1:`port`."""
    return f'\n[metrics]\naddress = "127.0.0.1:{port}"\n'


class Scraper:
    """Reads http://127.0.0.1:`port`/metrics every `interval` seconds, in a child process,
    from `start()` until `stop()`."""

    def __init__(self, port: int, interval: float = 1.0):
        self.port = port
        self.interval = interval
        self.scrapes = 0
        self.failures = 0
        self._process: subprocess.Popen | None = None

    def start(self) -> "Scraper":
        self._process = subprocess.Popen(
            [sys.executable, __file__, str(self.port), str(self.interval)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
        return self

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            out, _ = self._process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            out, _ = self._process.communicate()
        self._process = None
        counts = out.split()
        if len(counts) == 2:
            self.scrapes, self.failures = int(counts[0]), int(counts[1])


def scrape_until_stopped(port: int, interval: float) -> None:
    """The child: scrapes until SIGTERM, then prints how many scrapes worked and failed."""
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    url = f"http://127.0.0.1:{port}/metrics"
    scrapes = failures = 0
    deadline = time.monotonic() + 3600  # bounded, whatever happens to the parent
    while not stopping and time.monotonic() < deadline:
        time.sleep(interval)
        if stopping:
            break
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                answer.read()
            scrapes += 1
        except OSError:
            failures += 1
    print(scrapes, failures)


if __name__ == "__main__":
    scrape_until_stopped(int(sys.argv[1]), float(sys.argv[2]))
