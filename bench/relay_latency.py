#!/usr/bin/env python3
"""End-to-end relay benchmark, one relay per run: throughput and latency of
Tern or Postfix relaying N messages to one sink on loopback.
bench/relay-compare.sh runs it for both, and bench/compare.py uses its
client, sink and relay configurations for its relay rows; run it by hand as
root.

    bench/relay_latency.py postfix
    bench/relay_latency.py tern --tern-bin .build/release/tern

The chain: this client (asyncio, SESSIONS parallel SMTP sessions, one
message after another in each, no pipelining) → the relay on 127.0.0.1 →
a minimal SMTP sink on 127.0.0.1 (`relay_latency.py sink`, a process of its
own), which takes everything with 250 and writes "Message-ID<TAB>arrival"
per message.

- Latency of a message: from the relay's 250 after DATA (wall clock, taken
  when the client has read it) to its arrival at the sink (wall clock, taken
  when the sink has read the final "."), matched by Message-ID.  Both are
  time.time() (CLOCK_REALTIME) on this machine.
- accepted/s: N over the time from the first connection to the last 250.
- relayed/s: messages at the sink over the time from the first connection to
  the last arrival.

Why not Postfix's smtp-sink (which the tests use): it has no per-message
timestamp, and the mtime of its dump files comes from the kernel's coarse
clock: measured here it lay up to 7 ms *before* the client even sent the
final ".", as large as the latencies to measure.  The Python sink reads each
message with one readuntil, runs in its own process (no GIL shared with this
client) and costs both relays the same.  It advertises PIPELINING, 8BITMIME
and ENHANCEDSTATUSCODES, not CHUNKING, so both relays send DATA.

Tern is configured per docs/configuration.md: `[relay] networks = ["127.0.0.1"]` and the
sink as next hop for the recipients' domain, by `[routes] "sink.test" =
"smtp:127.0.0.1:PORT"` (default) or `[relay] smarthost` (--next-hop
smarthost), `[delivery] per_destination = SESSIONS`.  Postfix: a private
instance (tests/integration/peers/postfix.py) with `relayhost =
[127.0.0.1]:PORT` and `default_destination_concurrency_limit = SESSIONS`.
A Tern that refuses the configuration (`tern check-config`) ends the run
with exit status 3 and its errors.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration"))

from peers import process  # noqa: E402
from peers.postfix import PostfixInstance  # noqa: E402

SENDER = "bench@client.test"
RECIPIENT = "user@sink.test"
REPLY_TIMEOUT = 60.0
EXIT_CONFIG_REFUSED = 3


def log(msg: str) -> None:
    print(f"==> {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# The client
# --------------------------------------------------------------------------

def make_message(mid: str, size: int) -> bytes:
    """A message of about `size` octets with Message-ID <mid>, CRLF, dot-safe."""
    head = (f"From: <{SENDER}>\r\nTo: <{RECIPIENT}>\r\nSubject: relay bench {mid}\r\n"
            f"Message-ID: <{mid}>\r\n\r\n").encode()
    line = b"x" * 76 + b"\r\n"
    body = line * max(1, (size - len(head)) // len(line))
    return head + body


async def read_reply(reader: asyncio.StreamReader) -> bytes:
    """The last line of one (possibly multi-line) reply."""
    for _ in range(100):
        line = await asyncio.wait_for(reader.readline(), REPLY_TIMEOUT)
        if not line:
            raise ConnectionError("connection closed by the relay")
        if line[3:4] != b"-":
            return line.rstrip(b"\r\n")
    raise ConnectionError("reply of more than 100 lines")


async def expect(reader: asyncio.StreamReader, code: bytes, what: str) -> bytes:
    reply = await read_reply(reader)
    if not reply.startswith(code):
        raise RuntimeError(f"{what}: {reply.decode('utf-8', 'replace')}")
    return reply


async def session(port: int, ids: list[str], next_index: list[int], size: int,
                  accepted: dict[str, float], failures: list[str]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        await expect(reader, b"220", "greeting")
        writer.write(b"EHLO client.test\r\n")
        await expect(reader, b"250", "EHLO")
        while next_index[0] < len(ids):
            mid = ids[next_index[0]]
            next_index[0] += 1
            try:
                writer.write(f"MAIL FROM:<{SENDER}>\r\n".encode())
                await expect(reader, b"250", "MAIL")
                writer.write(f"RCPT TO:<{RECIPIENT}>\r\n".encode())
                await expect(reader, b"25", "RCPT")
                writer.write(b"DATA\r\n")
                await expect(reader, b"354", "DATA")
                writer.write(make_message(mid, size) + b".\r\n")
                await expect(reader, b"250", "end of DATA")
                accepted[mid] = time.time()
            except RuntimeError as e:
                failures.append(f"{mid}: {e}")
                writer.write(b"RSET\r\n")
                await read_reply(reader)
        writer.write(b"QUIT\r\n")
        await read_reply(reader)
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass


async def send_all(ports: list[int], ids: list[str], sessions: int, size: int,
                   limit: float) -> tuple[dict[str, float], list[str]]:
    """`sessions` sessions, spread over `ports` in turn, sending `ids` between them."""
    accepted: dict[str, float] = {}
    failures: list[str] = []
    next_index = [0]
    tasks = [session(ports[n % len(ports)], ids, next_index, size, accepted, failures) for n in range(sessions)]
    results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), limit)
    failures += [f"session: {r!r}" for r in results if isinstance(r, BaseException)]
    return accepted, failures


# --------------------------------------------------------------------------
# The sink: `relay_latency.py sink --port P --out FILE`
# --------------------------------------------------------------------------

MID_RE = re.compile(rb"^Message-ID:[ \t]*<([^>]*)>", re.IGNORECASE | re.MULTILINE)
EHLO_REPLY = (b"250-sink.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
              b"250 ENHANCEDSTATUSCODES\r\n")
SINK_IDLE_TIMEOUT = 300.0


async def sink_session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, out) -> None:
    writer.write(b"220 sink.test ESMTP\r\n")
    try:
        while True:
            line = await asyncio.wait_for(reader.readline(), SINK_IDLE_TIMEOUT)
            if not line:
                return
            verb = line[:4].upper()
            if verb in (b"EHLO", b"LHLO"):
                writer.write(EHLO_REPLY)
            elif verb == b"HELO":
                writer.write(b"250 sink.test\r\n")
            elif verb == b"DATA":
                writer.write(b"354 go ahead\r\n")
                first = await reader.readline()
                data = b"" if first == b".\r\n" else first + await reader.readuntil(b"\r\n.\r\n")
                arrived = time.time()
                m = MID_RE.search(data.split(b"\r\n\r\n", 1)[0])
                mid = m.group(1).decode("utf-8", "replace") if m else "-"
                out.write(f"{mid}\t{arrived:.6f}\n")
                out.flush()
                writer.write(b"250 2.0.0 Ok: queued\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 2.0.0 Bye\r\n")
                await writer.drain()
                return
            else:  # MAIL, RCPT, RSET, NOOP, ...: all fine
                writer.write(b"250 2.0.0 Ok\r\n")
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError, asyncio.TimeoutError):
        return
    finally:
        writer.close()


async def sink_main(port: int, out_path: str) -> None:
    with open(out_path, "a") as out:
        server = await asyncio.start_server(lambda r, w: sink_session(r, w, out),
                                            "127.0.0.1", port, backlog=256)
        async with server:
            await server.serve_forever()


class SinkProcess:
    """The sink above as a child process; `arrivals()` reads its records."""

    def __init__(self, workdir: Path, port: int | None):
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or process.free_port()
        self.out = workdir / "arrivals.tsv"
        self.log_path = workdir / "sink.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "sink", "--port", str(self.port),
             "--out", str(self.out)],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True)
        process.wait_until(lambda: self.proc.poll() is not None or process.tcp_answers(self.port),
                           10, what=f"the sink on 127.0.0.1:{self.port}")
        if self.proc.poll() is not None:
            raise RuntimeError(f"sink exited: {process.tail(self.log_path, 20)}")

    def stop(self) -> None:
        process.stop_popen(self.proc)
        if getattr(self, "_log", None):
            self._log.close()

    def count(self) -> int:
        try:
            with open(self.out, "rb") as f:
                return f.read().count(b"\n")
        except FileNotFoundError:
            return 0

    def arrivals(self) -> dict[str, float]:
        """Message-ID → first arrival time."""
        out: dict[str, float] = {}
        if self.out.exists():
            for line in self.out.read_text().splitlines():
                mid, _, t = line.partition("\t")
                out.setdefault(mid, float(t))
        return out


# --------------------------------------------------------------------------
# The relays
# --------------------------------------------------------------------------

def tern_listener_config(hostname: str, workdir: Path, port: int, connections_per_client: int) -> str:
    """The start of a Tern configuration: its name, its data folder under `workdir` and one
    `mx` listener on 127.0.0.1:`port` (bench/compare.py uses it too)."""
    return f"""hostname = "{hostname}"
data_dir = "{workdir / 'data'}"

[[listen]]
role = "mx"
address = "127.0.0.1:{port}"

[limits]
connections_per_client = {connections_per_client}
"""


def tern_config(workdir: Path, port: int, sink_port: int, next_hop: str, sessions: int, extra: str = "") -> str:
    hop = (f'[routes]\n"sink.test" = "smtp:127.0.0.1:{sink_port}"\n' if next_hop == "routes"
           else "")
    smarthost = f'smarthost = "127.0.0.1:{sink_port}"\n' if next_hop == "smarthost" else ""
    return tern_listener_config("relay.bench.test", workdir, port, 100) + f"""
[relay]
networks = ["127.0.0.1"]
{smarthost}
{hop}
[delivery]
per_destination = {sessions}

[log]
level = "warning"
""" + extra


class TernRelay:
    def __init__(self, binary: Path, workdir: Path, port: int, sink_port: int, next_hop: str,
                 sessions: int, extra: str = "", metrics: bool = False):
        from metrics_scrape import Scraper, metrics_section
        self.scraper = None
        if metrics:
            metrics_port = process.free_port()
            extra += metrics_section(metrics_port)
            self.scraper = Scraper(metrics_port)
        self.binary = binary
        self.workdir = workdir
        self.port = port
        workdir.mkdir(parents=True, exist_ok=True)
        self.config = workdir / "tern.toml"
        self.config.write_text(tern_config(workdir, port, sink_port, next_hop, sessions, extra))
        self.log_path = workdir / "tern.log"
        self.proc: subprocess.Popen | None = None

    def check(self) -> str | None:
        """None when `tern check-config` accepts the file, else its output."""
        res = subprocess.run([str(self.binary), "check-config", str(self.config)],
                             capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
        return None if res.returncode == 0 else (res.stdout + res.stderr).strip()

    def start(self) -> None:
        env = dict(os.environ)
        env.pop("TERN_CONFIG", None)
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([str(self.binary), "serve", "--config", str(self.config)],
                                     stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, env=env, start_new_session=True)
        try:
            process.wait_until(lambda: self.proc.poll() is not None or
                               process.tcp_answers(self.port), 10, what="Tern to listen")
        except AssertionError:
            self.stop()
            raise
        if self.proc.poll() is not None:
            raise RuntimeError(f"tern exited with {self.proc.returncode}:\n"
                               f"{process.tail(self.log_path, 20)}")
        if self.scraper:
            self.scraper.start()

    def stop(self) -> None:
        if self.scraper:
            self.scraper.stop()
            log(f"metrics scraped {self.scraper.scrapes} times ({self.scraper.failures} failed)")
        process.stop_popen(self.proc, signal.SIGTERM)
        if getattr(self, "_log", None):
            self._log.close()

    def log(self) -> str:
        return process.tail(self.log_path, 20)


class TernNodes:
    """Tern as one or more nodes (of one shared queue), started and stopped together."""

    def __init__(self, relays: list[TernRelay]):
        self.relays = relays
        self.ports = [relay.port for relay in relays]
        self.config = relays[0].config

    def check(self) -> str | None:
        return next((problem for relay in self.relays if (problem := relay.check())), None)

    def start(self) -> None:
        for relay in self.relays:
            relay.start()

    def stop(self) -> None:
        for relay in self.relays:
            relay.stop()

    def log(self) -> str:
        return "\n".join(relay.log() for relay in self.relays)


class PostfixRelay:
    def __init__(self, workdir: Path, port: int | None, sink_port: int, sessions: int):
        self.pf = PostfixInstance(
            workdir, relayhost=f"[127.0.0.1]:{sink_port}", smtp_port=port,
            main_cf={"default_destination_concurrency_limit": str(sessions)},
            name="postfix")
        self.port = self.pf.smtp_port
        self.ports = [self.port]

    def check(self) -> str | None:
        return None

    def start(self) -> None:
        self.pf.start()

    def stop(self) -> None:
        self.pf.stop()

    def log(self) -> str:
        return self.pf.log(20)


# --------------------------------------------------------------------------
# One run
# --------------------------------------------------------------------------

def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def run(args: argparse.Namespace) -> int:
    workdir = Path(args.workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    sink = SinkProcess(workdir / "sink", args.sink_port)
    database = None
    if args.target == "tern":
        spools = [""] * args.nodes
        if args.spool == "postgres":
            # A private PostgreSQL server (tests/integration/peers/postgres.py), one queue for
            # every node.
            from peers.postgres import PrivatePostgres
            database = PrivatePostgres().start()
            database.create_database("tern")
            spools = [f"""
[spool]
backend = "postgres"
postgres_url = "{database.url()}"
postgres_password_file = "{database.password_file}"
node = "node-{n}"
""" for n in range(args.nodes)]
        relays = [TernRelay(Path(args.tern_bin), workdir / f"relay{n}", (args.tern_port or 0) + n if args.tern_port
                            else process.free_port(), sink.port, args.next_hop, args.sessions, spools[n],
                            metrics=args.metrics)
                  for n in range(args.nodes)]
        relay = TernNodes(relays)
    else:
        relay = PostfixRelay(workdir / "relay", args.postfix_port, sink.port, args.sessions)
    problem = relay.check()
    if problem:
        log(f"tern refuses the relay configuration ({relay.config}):\n{problem}")
        return EXIT_CONFIG_REFUSED
    run_id = f"{os.getpid()}.{int(time.time())}"
    ids = [f"bench-{i}.{run_id}@client.test" for i in range(args.messages)]
    sink.start()
    try:
        relay.start()
        try:
            log(f"{args.target}: {args.messages} messages of ~{args.size} octets, "
                f"{args.sessions} sessions → 127.0.0.1:{relay.ports} → sink 127.0.0.1:{sink.port}")
            t0 = time.time()
            accepted, failures = asyncio.run(
                send_all(relay.ports, ids, args.sessions, args.size, args.timeout))
            t_accepted = time.time()
            deadline = time.monotonic() + args.timeout
            while sink.count() < len(accepted) and time.monotonic() < deadline:
                time.sleep(0.2)
            arrived = sink.arrivals()
        finally:
            relay_log = relay.log()
            relay.stop()
    finally:
        sink.stop()
        if database is not None:
            database.stop()

    latencies = [arrived[mid] - t for mid, t in accepted.items() if mid in arrived]
    missing = len(accepted) - len(latencies)
    last_250 = max(accepted.values(), default=t_accepted)
    last_arrival = max(arrived.values(), default=t_accepted)
    result = {
        "relay": args.target,
        "nodes": args.nodes if args.target == "tern" else 1,
        "spool": args.spool if args.target == "tern" else "files",
        "messages": args.messages,
        "accepted": len(accepted),
        "relayed": len(arrived),
        "failed": len(failures),
        "missing_at_sink": missing,
        "accepted_per_s": round(len(accepted) / max(1e-9, last_250 - t0), 1),
        "relayed_per_s": round(len(arrived) / max(1e-9, last_arrival - t0), 1),
        "latency_median_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "latency_p95_ms": round(percentile(latencies, 95) * 1000, 1) if latencies else None,
    }
    print(f"{args.target:8} accepted {result['accepted']}/{args.messages} at "
          f"{result['accepted_per_s']} msg/s; relayed {result['relayed']} at "
          f"{result['relayed_per_s']} msg/s; latency median {result['latency_median_ms']} ms, "
          f"p95 {result['latency_p95_ms']} ms"
          + (f"; {result['failed']} failed" if failures else "")
          + (f"; {missing} not at the sink" if missing else ""), flush=True)
    if args.json:
        with open(args.json, "a") as f:
            f.write(json.dumps(result) + "\n")
    if failures or missing:
        for line in failures[:5]:
            log(f"failure: {line}")
        log(f"{args.target} log tail:\n{relay_log}")
        return 1
    return 0


def sink_command(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="relay_latency.py sink")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    asyncio.run(sink_main(args.port, args.out))
    return 0


def main() -> int:
    if sys.argv[1:2] == ["sink"]:
        return sink_command(sys.argv[2:])
    env = os.environ
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("target", choices=["tern", "postfix"])
    p.add_argument("--tern-bin", default=env.get("TERN_BIN"))
    p.add_argument("--messages", type=int, default=int(env.get("MESSAGES", 5000)))
    p.add_argument("--sessions", type=int, default=int(env.get("SESSIONS", 20)))
    p.add_argument("--size", type=int, default=int(env.get("SIZE", 4096)))
    p.add_argument("--timeout", type=float, default=float(env.get("TIMEOUT", 900)),
                   help="seconds for sending, and again for the sink to receive everything")
    p.add_argument("--next-hop", choices=["routes", "smarthost"],
                   default=env.get("TERN_NEXT_HOP", "routes"))
    p.add_argument("--tern-port", type=int, default=int(env.get("TERN_PORT", 0)) or None,
                   help="the first node's port (the next nodes take the ports after it)")
    p.add_argument("--spool", choices=["files", "postgres"], default=env.get("TERN_SPOOL", "files"),
                   help="Tern's queue: its file spool, or a private PostgreSQL server started for the run")
    p.add_argument("--metrics", action="store_true",
                   help="Tern with its [metrics] listener, scraped every second during the run")
    p.add_argument("--nodes", type=int, default=int(env.get("TERN_NODES", 1)),
                   help="Tern nodes sharing the queue (needs --spool postgres for more than one); "
                        "the sessions are spread over them")
    p.add_argument("--postfix-port", type=int, default=int(env.get("POSTFIX_PORT", 0)) or None)
    p.add_argument("--sink-port", type=int, default=int(env.get("SINK_PORT", 0)) or None)
    p.add_argument("--workdir", default=None, help="default: a new directory under /tmp")
    p.add_argument("--json", default=None, help="append the result as one JSON line here")
    args = p.parse_args()
    if args.target == "tern" and not args.tern_bin:
        p.error("tern needs --tern-bin or TERN_BIN")
    if args.target == "postfix" and os.geteuid() != 0:
        p.error("run as root (Postfix)")
    if args.workdir is None:
        args.workdir = tempfile.mkdtemp(prefix=f"tern-relay-{args.target}.", dir="/tmp")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
