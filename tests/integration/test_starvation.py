"""docs/behaviour.md §11: local delivery never waits behind mail for other hosts. Anyone may
send `MAIL FROM:<x@[A]>` with `NOTIFY=SUCCESS`, so that each success report goes to host A;
with A silent (it accepts TCP and never greets), those reports must not hold up the Maildir
copies of newly accepted mail."""

import socket
import time

from smtp_client import check, check_queued, dot_stuff, make_message, unique_marker, wait_delivered

SILENT_HOST = "127.0.0.2"
REPORTS = 24


def test_reports_to_a_silent_host_do_not_delay_local_delivery(tern_factory):
    silent = socket.socket()
    silent.bind((SILENT_HOST, 0))
    silent.listen(256)  # the kernel completes the handshakes; nobody ever answers
    port = silent.getsockname()[1]
    try:
        # Four slots per lane (2 × concurrency): the reports fill the remote lane many times over.
        srv = tern_factory({"delivery": {"smtp_port": port, "concurrency": 2}})
        for n in range(REPORTS):
            with srv.session() as s:
                s.ehlo()
                check(s.cmd(f"MAIL FROM:<probe{n}@[{SILENT_HOST}]>"), 250, "2.1.0")
                check(s.cmd("RCPT TO:<user2@example.com> NOTIFY=SUCCESS"), 250, "2.1.5")
                check_queued(s.data(dot_stuff(make_message(unique_marker("report-bait")))))
        # Every bait message is delivered and its report queued for the silent host.
        srv.wait_log(r"to=user2@example\.com .*delivered$", count=REPORTS, timeout=30)
        deadline = time.monotonic() + 30
        while len(srv.queue_list()) < REPORTS:
            assert time.monotonic() < deadline, f"reports not queued: {srv.queue_list()}"
            time.sleep(0.2)
        marker = unique_marker("local-first")
        started = time.monotonic()
        with srv.session() as s:
            s.start_mail()
            check_queued(s.data(dot_stuff(make_message(marker))))
        wait_delivered(srv.data_dir, "user@example.com", marker, timeout=10)
        waited = time.monotonic() - started
        assert waited < 3, f"local mail waited {waited:.1f} s behind the reports"
    finally:
        silent.close()
