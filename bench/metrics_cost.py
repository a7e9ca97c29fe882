#!/usr/bin/env python3
"""What `[metrics]` costs Tern: the same load with and without it, runs interleaved, and the
medians (bench/README.md "Metrics"). Run as root or any user, from the repository:

    python3 bench/metrics_cost.py --tern-bin .build/release/tern --runs 4 --messages 20000

Runs go in pairs, without then with, then with then without. Each run starts a fresh Tern (a new data folder), sends MESSAGES messages of 4 KiB with
Postfix's `smtp-source` (20 sessions, a connection kept for many messages) and stops Tern once
the last message has left the queue. Two loads:

- `local`: to a local mailbox, delivered into its Maildir at acceptance;
- `relay`: relayed by a route to `relay_latency.py sink`, the benchmark's own sink.

With metrics, `[metrics] address` is set and a process of its own reads `/metrics` every
second during the run (`metrics_scrape.py`), harder than Prometheus's usual 15 s. Measured:
messages per second (from the first connection to the empty queue) and Tern's own CPU time
per 1,000 messages, user and system apart, from /proc/PID/stat. The user time is where the
counting happens; the system time is mostly the file system's and varies more from run to
run than the whole cost of the metrics.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent / "tests" / "integration"))
from metrics_scrape import Scraper, metrics_section  # noqa: E402
from peers import process  # noqa: E402

SMTP_SOURCE = "/usr/sbin/smtp-source"


def tern_config(data: Path, port: int, load: str, sink_port: int) -> str:
    text = f'hostname = "mx.example.com"\ndata_dir = "{data}"\n\n[[listen]]\naddress = "127.0.0.1:{port}"\n'
    if load == "relay":
        text += (f'\n[relay]\nnetworks = ["127.0.0.1"]\n\n[routes]\n"sink.test" = "smtp:127.0.0.1:{sink_port}"\n'
                 '\n[delivery]\nper_destination = 20\n')
    else:
        text += '\n[local]\ndomains = ["example.com"]\nmailboxes = ["a@example.com"]\n'
    return text + '\n[limits]\nconnections_per_client = 200\n\n[log]\nlevel = "warning"\n'


def cpu_seconds(pid: int) -> tuple[float, float]:
    """User and system CPU seconds of process `pid` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def one_run(tern: Path, work: Path, load: str, metrics: bool, messages: int) -> dict:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    port, sink_port, metrics_port = process.free_port(), process.free_port(), process.free_port()
    config = tern_config(work / "data", port, load, sink_port)
    scraper = None
    if metrics:
        config += metrics_section(metrics_port)
        scraper = Scraper(metrics_port)
    (work / "tern.toml").write_text(config)
    sink = None
    if load == "relay":
        sink = subprocess.Popen([sys.executable, str(BENCH / "relay_latency.py"), "sink", "--port", str(sink_port),
                                 "--out", str(work / "sink.out")], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        process.wait_until(lambda: process.tcp_answers(sink_port), 10, what="the sink to listen")
    with open(work / "tern.log", "ab") as log:
        tern_proc = subprocess.Popen([str(tern), "serve", "--config", str(work / "tern.toml")],
                                     stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
    try:
        process.wait_until(lambda: process.tcp_answers(port), 10, what="Tern to listen")
        if scraper:
            scraper.start()
        start = time.monotonic()
        recipient = "x@sink.test" if load == "relay" else "a@example.com"
        subprocess.run([SMTP_SOURCE, "-s", "20", "-m", str(messages), "-l", "4096", "-f", "s@example.org",
                        "-t", recipient, f"127.0.0.1:{port}"], check=True, timeout=900,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        incoming = work / "data" / "spool" / "incoming"
        process.wait_until(lambda: not any(incoming.iterdir()), 600, interval=0.02, what="an empty queue")
        elapsed = time.monotonic() - start
        user, system = cpu_seconds(tern_proc.pid)
    finally:
        if scraper:
            scraper.stop()
        process.stop_popen(tern_proc, signal.SIGTERM)
        process.stop_popen(sink, signal.SIGTERM)
    return {"load": load, "metrics": metrics, "msg_s": messages / elapsed,
            "user": user / messages * 1000, "system": system / messages * 1000,
            "scrapes": scraper.scrapes if scraper else 0}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tern-bin", type=Path, required=True)
    p.add_argument("--runs", type=int, default=4)
    p.add_argument("--messages", type=int, default=20000)
    p.add_argument("--loads", default="local,relay")
    args = p.parse_args()
    if not os.access(SMTP_SOURCE, os.X_OK):
        p.error(f"{SMTP_SOURCE} is missing: apt-get install postfix (scripts/test installs it)")
    work = Path(tempfile.mkdtemp(prefix="tern-metrics-cost."))
    results = []
    try:
        for load in args.loads.split(","):
            for run in range(args.runs):
                # ABBA order: a drift over the runs (the file system ageing) favours neither.
                for metrics in ((False, True) if run % 2 == 0 else (True, False)):
                    r = one_run(args.tern_bin.resolve(), work / "run", load, metrics, args.messages)
                    results.append(r)
                    print(f"==> {load} run {run + 1} {'with' if metrics else 'without'} metrics: "
                          f"{r['msg_s']:.0f} msg/s, user {r['user']:.3f} s/1000, system {r['system']:.3f} s/1000"
                          + (f", {r['scrapes']} scrapes" if metrics else ""), file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"| load | metrics | msg/s | user CPU s/1000 | system CPU s/1000 |  (medians of {args.runs} runs, "
          f"{args.messages} messages)")
    print("|---|---|---:|---:|---:|")
    for load in args.loads.split(","):
        for metrics in (False, True):
            rs = [r for r in results if r["load"] == load and r["metrics"] == metrics]
            print(f"| {load} | {'on' if metrics else 'off'} | {statistics.median(r['msg_s'] for r in rs):.0f} | "
                  f"{statistics.median(r['user'] for r in rs):.3f} | {statistics.median(r['system'] for r in rs):.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
