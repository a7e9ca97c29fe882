"""docs/behaviour.md §11: bodies stream to disk (bounded memory) and a
250 survives `kill -9`."""

import hashlib
import random
import re
import threading
import time

from smtp_client import (Session, check, check_queued, crlf_to_lf, dot_stuff, make_message,
                         maildir_new, parse_delivered, unique_marker, wait_delivered)
from tern_server import TernServer, base_config
import smtp_client

RSS_LIMIT_KIB = 64 * 1024
MAX_CRASH_MESSAGES = 20000  # bounded; the load runs ≤ 20 s and the kill comes at 0.5–3 s
BIG = 20 * 1000 * 1000


def _big_message(marker: str) -> bytes:
    rnd = random.Random(20)
    alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 +-/"
    block = bytes(rnd.choice(alphabet) for _ in range(8192))
    lines = []
    total = 0
    i = 0
    while total < BIG:
        start = (i * 131) % 8000
        line = block[start:start + 76]
        if i % 97 == 0:
            line = b"." + line  # lines that need dot-stuffing
        lines.append(line)
        total += len(line) + 2
        i += 1
    return make_message(marker, b"\r\n".join(lines) + b"\r\n")


def test_20mb_message_streams_with_bounded_memory(tern_factory):
    srv = tern_factory({"limits": {"message_size": "32MiB"}})
    marker = unique_marker("huge")
    msg = _big_message(marker)
    wire = dot_stuff(msg) + b".\r\n"
    samples: list[int] = []
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            rss = srv.rss_kib()
            if rss is not None:
                samples.append(rss)
            stop.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        with srv.session(timeout=30) as s:
            s.start_mail(params=f"SIZE={len(msg)}")
            check(s.cmd("DATA"), 354)
            step = 256 * 1024
            deadline = time.monotonic() + 120
            for off in range(0, len(wire), step):
                assert time.monotonic() < deadline, "20 MB not sent within 120 s"
                s.send(wire[off:off + step])
            check_queued(s.read_reply(timeout=60))
        got = wait_delivered(srv.data_dir, "user@example.com", marker, timeout=30)
    finally:
        stop.set()
        sampler.join(timeout=5)
    assert samples, "no RSS samples taken"
    peak = max(samples)
    assert peak < RSS_LIMIT_KIB, f"server RSS peaked at {peak} KiB (limit {RSS_LIMIT_KIB} KiB)"
    delivered = parse_delivered(got[0]).message
    assert len(delivered) == len(crlf_to_lf(msg))
    assert hashlib.sha256(delivered).hexdigest() == hashlib.sha256(crlf_to_lf(msg)).hexdigest()


def test_kill_9_loses_no_acknowledged_message(tern_factory, tmp_path):
    srv = tern_factory()
    acked: dict[str, str] = {}   # marker -> queue id
    attempted: list[str] = []
    stop = threading.Event()
    errors: list[str] = []

    def client():
        deadline = time.monotonic() + 20
        try:
            s = Session(srv.port, timeout=5)
            s.ehlo()
            for i in range(MAX_CRASH_MESSAGES):
                if stop.is_set() or time.monotonic() > deadline:
                    break
                marker = f"crash-{i:04d}-{unique_marker('c')}"
                attempted.append(marker)
                s.cmd("MAIL FROM:<sender@other.example>")
                s.cmd("RCPT TO:<user@example.com>")
                rep = s.cmd("DATA")
                if rep.code != 354:
                    errors.append(f"DATA: {rep}")
                    break
                s.send(dot_stuff(make_message(marker, b"crash test\r\n")) + b".\r\n")
                rep = s.read_reply()
                m = re.search(r"queued as (\S+)$", rep.text)
                if rep.code == 250 and m:
                    acked[marker] = m.group(1)
                else:
                    errors.append(f"final reply: {rep}")
                    break
        except (OSError, ConnectionError, TimeoutError, AssertionError):
            pass  # the server died under us

    t = threading.Thread(target=client, daemon=True)
    t.start()
    kill_after = random.uniform(0.5, 3.0)
    time.sleep(kill_after)
    alive_at_kill = t.is_alive()
    srv.kill9()
    print(f"killed tern with SIGKILL {kill_after:.2f}s after the start of the load; "
          f"{len(acked)} messages acknowledged, {len(attempted)} attempted")
    stop.set()
    t.join(timeout=10)
    assert not t.is_alive()
    assert not errors, errors
    assert alive_at_kill, "the client had finished before the kill: raise MAX_CRASH_MESSAGES"
    assert acked, "no message was acknowledged before the kill: the test proves nothing"

    # restart on the same data_dir (a new port: the data is what matters)
    port2 = smtp_client.free_port()
    cfg = base_config(port2, srv.data_dir)
    srv2 = TernServer(tmp_path / "restart", cfg, port=port2, name="restarted")
    srv2.start()
    try:
        in_flight = [m for m in attempted if m not in acked]
        assert len(in_flight) <= 1
        deadline = time.monotonic() + 20
        missing = list(acked)
        while missing and time.monotonic() < deadline:
            missing = [m for m in missing
                       if not smtp_client.find_in_maildir(srv.data_dir, "user@example.com", m)]
            if missing:
                time.sleep(0.2)
        assert not missing, (f"{len(missing)} of {len(acked)} acknowledged messages lost, e.g. "
                             f"{missing[:5]} (queue ids {[acked[m] for m in missing[:5]]})")
        # duplicates: only a message in flight at the kill may appear twice
        counts: dict[str, int] = {}
        for p in maildir_new(srv.data_dir, "user@example.com").iterdir():
            m = re.search(rb"Subject: (crash-\d{4}-\S+)", p.read_bytes())
            if m:
                counts[m.group(1).decode()] = counts.get(m.group(1).decode(), 0) + 1
        dups = {m: n for m, n in counts.items() if n > 1}
        assert len(dups) <= 1 and all(n == 2 for n in dups.values()), f"duplicates: {dups}"
        unknown = set(counts) - set(attempted)
        assert not unknown, f"messages nobody sent: {unknown}"
        # the restarted server works
        with srv2.session() as s:
            s.start_mail()
            marker = unique_marker("after-crash")
            check_queued(s.data(dot_stuff(make_message(marker))))
        wait_delivered(srv.data_dir, "user@example.com", marker)
    finally:
        srv2.stop()
