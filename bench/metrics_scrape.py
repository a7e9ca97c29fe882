"""Tern's `[metrics]` listener in a benchmark: the configuration section, and a scraper that
reads `/metrics` at a fixed interval while the load runs, harder than Prometheus's usual 15 s
(bench/README.md "Metrics")."""

from __future__ import annotations

import threading
import urllib.request


def metrics_section(port: int) -> str:
    """The `[metrics]` table for a listener on 127.0.0.1:`port`."""
    return f'\n[metrics]\naddress = "127.0.0.1:{port}"\n'


class Scraper:
    """Reads http://127.0.0.1:`port`/metrics every `interval` seconds until `stop()`."""

    def __init__(self, port: int, interval: float = 1.0):
        self.url = f"http://127.0.0.1:{port}/metrics"
        self.interval = interval
        self.scrapes = 0
        self.failures = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="metrics-scraper", daemon=True)

    def start(self) -> "Scraper":
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                with urllib.request.urlopen(self.url, timeout=5) as answer:
                    answer.read()
                self.scrapes += 1
            except OSError:
                self.failures += 1

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
