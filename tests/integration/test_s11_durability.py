"""docs/behaviour.md §11: bodies stream to disk (bounded memory) and a
250 survives `kill -9`."""

import hashlib
import random
import re
import threading
import time

from crash_load import kill_rounds
from smtp_client import (check, check_queued, crlf_to_lf, dot_stuff, make_message,
                         maildir_new, parse_delivered, unique_marker, wait_delivered)

# How far the server's RSS may grow over its own baseline (measured after it served one small
# message) while it receives and delivers a 20 MB one: a body held in memory would add
# at least its 19 MiB.
RSS_GROWTH_LIMIT_KIB = 8 * 1024
MAX_CRASH_MESSAGES = 20000  # bounded; the load runs ≤ 20 s and the kill comes at 0.5–2.5 s
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
    # The baseline: the server after one small session, received and delivered, so the
    # receiving and delivery paths are warm.
    small = unique_marker("small")
    with srv.session() as s:
        s.ehlo()
        s.send_mail(small)
        s.quit()
    wait_delivered(srv.data_dir, "user@example.com", small)
    at_rest = []
    rest_end = time.monotonic() + 0.5
    while time.monotonic() < rest_end:
        rss = srv.rss_kib()
        assert rss is not None, "server gone"
        at_rest.append(rss)
        time.sleep(0.05)
    baseline = max(at_rest)
    samples: list[int] = []
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            rss = srv.rss_kib()
            if rss is not None:
                samples.append(rss)
            stop.wait(0.01)

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
    assert peak - baseline < RSS_GROWTH_LIMIT_KIB, \
        (f"server RSS grew by {peak - baseline} KiB (baseline {baseline} KiB, peak {peak} KiB; "
         f"limit {RSS_GROWTH_LIMIT_KIB} KiB)")
    delivered = parse_delivered(got[0]).message
    assert len(delivered) == len(crlf_to_lf(msg))
    assert hashlib.sha256(delivered).hexdigest() == hashlib.sha256(crlf_to_lf(msg)).hexdigest()


def _copies(data_dir, mailbox: str) -> dict[str, int]:
    """Crash-test marker → number of copies in the mailbox's `new/` and `cur/`."""
    counts: dict[str, int] = {}
    new = maildir_new(data_dir, mailbox)
    for folder in (new, new.parent / "cur"):
        if not folder.is_dir():
            continue
        for p in folder.iterdir():
            m = re.search(rb"Subject: (crash-\S+)", p.read_bytes())
            if m:
                counts[m.group(1).decode()] = counts.get(m.group(1).decode(), 0) + 1
    return counts


CRASH_ROUNDS = 3
CRASH_MAILBOXES = ("user@example.com", "user2@example.com")
CRASH_CLIENTS = 4


def test_kill_9_loses_no_acknowledged_message_and_delivers_none_twice(tern_factory, tmp_path):
    """Several clients sending to two mailboxes, the server killed at a random moment and
    restarted, several rounds: every acknowledged message is delivered, none twice (local
    delivery finds the copy an interrupted attempt made)."""
    srv = tern_factory()
    acked, attempted = kill_rounds(srv, CRASH_MAILBOXES, CRASH_ROUNDS, CRASH_CLIENTS, MAX_CRASH_MESSAGES)

    deadline = time.monotonic() + 60
    missing = list(acked)
    while missing and time.monotonic() < deadline:
        counts = {mailbox: _copies(srv.data_dir, mailbox) for mailbox in CRASH_MAILBOXES}
        missing = [m for m in missing if m not in counts[acked[m]]]
        if missing:
            time.sleep(0.2)
    assert not missing, f"{len(missing)} of {len(acked)} acknowledged messages lost, e.g. {missing[:5]}"
    srv.wait_queue_empty(timeout=30)
    for mailbox in CRASH_MAILBOXES:
        counts = _copies(srv.data_dir, mailbox)
        dups = {m: n for m, n in counts.items() if n > 1}
        assert not dups, f"{mailbox}: delivered more than once: {dups}"
        unknown = set(counts) - set(attempted)
        assert not unknown, f"messages nobody sent: {unknown}"
    # the restarted server works
    with srv.session() as s:
        s.start_mail()
        marker = unique_marker("after-crash")
        check_queued(s.data(dot_stuff(make_message(marker))))
    wait_delivered(srv.data_dir, "user@example.com", marker)
