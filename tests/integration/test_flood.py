"""docs/behaviour.md §0.2: a flood of idle connections does not shut out a normal client.
5,000 connections that never say a word, spread over 250 loopback addresses, are held
(the default `limits.connections` is 10,000), and a normal session is still served at once.
Prints the server's memory per idle connection."""

import resource
import socket
import time

from smtp_client import check_queued, dot_stuff, make_message, unique_marker, wait_delivered

IDLE = 5000
ADDRESSES = [f"127.0.0.{n}" for n in range(2, 252)]  # 20 connections each: under the per-client 50


def _raise_descriptor_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= needed, "too few file descriptors for the flood"


def _sessions_open(srv) -> int:
    with srv.session() as s:
        status = s.cmd("HELP STATUS")
        s.quit()
    [count] = [int(line.split()[-1]) for line in status.lines if "Sessions:" in line]
    return count


def test_5000_idle_connections_leave_room_for_a_normal_session(tern_factory):
    _raise_descriptor_limit(IDLE + 1000)  # the server, started after this, inherits it
    srv = tern_factory()
    baseline = None
    idle: list[socket.socket] = []
    try:
        with srv.session() as s:  # one session first: the baseline includes what any session needs
            s.start_mail()
            check_queued(s.data(dot_stuff(make_message(unique_marker("before-flood")))))
        time.sleep(0.5)
        baseline = srv.rss_kib()
        deadline = time.monotonic() + 120
        for n in range(IDLE):
            assert time.monotonic() < deadline, f"only {n} connections made in 120 s"
            sock = socket.socket()
            sock.bind((ADDRESSES[n % len(ADDRESSES)], 0))
            sock.connect(("127.0.0.1", srv.port))
            idle.append(sock)
        while _sessions_open(srv) < IDLE + 1:
            assert time.monotonic() < deadline, f"server holds {_sessions_open(srv) - 1} of {IDLE}"
            time.sleep(0.2)
        flooded = srv.rss_kib()
        print(f"RSS {baseline} KiB before, {flooded} KiB with {IDLE} idle connections: "
              f"{(flooded - baseline) * 1024 // IDLE} bytes per connection")

        marker = unique_marker("during-flood")
        started = time.monotonic()
        with srv.session() as s:
            s.start_mail()
            check_queued(s.data(dot_stuff(make_message(marker))))
            s.quit()
        took = time.monotonic() - started
        assert took < 1.0, f"a normal session took {took:.2f} s during the flood"
        wait_delivered(srv.data_dir, "user@example.com", marker)
    finally:
        for sock in idle:
            sock.close()
