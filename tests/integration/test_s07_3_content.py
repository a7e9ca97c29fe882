"""docs/behaviour.md §7.3: content rules for DATA: end of data, bare CR/LF and the
smuggling table, line length, size, hop count, order of faults."""

import pytest

from smtp_client import (assert_not_delivered, check, check_queued, dot_stuff, make_message,
                         parse_delivered, sent_as_stored, unique_marker, wait_delivered)

BARE = "Transaction failed: message contains bare CR or LF"
SIZE_552 = "Requested mail action aborted: exceeded storage allocation"
LIMIT = 1048576

FAKE_TERMINATORS = {
    "LF.LF": b"\n.\n",
    "CR.CR": b"\r.\r",
    "CRLF.LF": b"\r\n.\n",
    "LF.CRLF": b"\n.\r\n",
    "CR.CRLF": b"\r.\r\n",
    "CRLF.CR": b"\r\n.\r",
}


@pytest.mark.parametrize("name", list(FAKE_TERMINATORS))
def test_smuggling_is_one_message_refused(server, name):
    marker = unique_marker("smuggle")
    evil = unique_marker("evil")
    fake = FAKE_TERMINATORS[name]
    smuggled = (b"MAIL FROM:<attacker@other.example>\r\nRCPT TO:<user2@example.com>\r\n"
                b"DATA\r\nSubject: " + evil.encode() + b"\r\n\r\nsmuggled\r\n")
    with server.session() as s:
        s.start_mail()
        check(s.cmd("DATA"), 354)
        s.send(make_message(marker, b"innocent text") + fake + smuggled + b".\r\n")
        # exactly one reply, after the real CRLF.CRLF
        check(s.read_reply(timeout=10), 554, "5.6.0", text=BARE)
        check(s.cmd("NOOP"), 250, "2.0.0", text="OK")
        s.expect_silence(0.3)
        # the transaction is over
        check(s.cmd("RCPT TO:<user@example.com>"), 503, "5.5.1")
    assert_not_delivered(server.data_dir, marker)
    assert_not_delivered(server.data_dir, evil, wait=0)


@pytest.mark.parametrize("name", list(FAKE_TERMINATORS))
def test_fake_terminator_then_real_end_in_separate_sends(server, name):
    marker = unique_marker("smuggle2")
    with server.session() as s:
        s.start_mail()
        check(s.cmd("DATA"), 354)
        s.send(make_message(marker, b"text") + FAKE_TERMINATORS[name])
        s.expect_silence(0.5)  # not an end of data: no reply
        s.send(b"QUIT\r\n")
        s.expect_silence(0.3)  # still data
        s.send(b"\r\n.\r\n")
        check(s.read_reply(), 554, "5.6.0", text=BARE)
    assert_not_delivered(server.data_dir, marker)


@pytest.mark.parametrize("content", [b"bare\nLF\r\n", b"bare\rCR\r\n", b"end with LF\n",
                                     b"\n", b"x\r\r\n", b"x\n\r\n"])
def test_bare_cr_or_lf_anywhere(server, content):
    marker = unique_marker("bare")
    with server.session() as s:
        s.start_mail()
        check(s.data(make_message(marker, b"first\r\n") + content + b"last\r\n"), 554, "5.6.0",
              text=BARE)
    assert_not_delivered(server.data_dir, marker)


def test_bare_lf_in_headers(server):
    marker = unique_marker("barehdr")
    msg = b"Subject: " + marker.encode() + b"\nX-Other: y\r\n\r\nbody\r\n"
    with server.session() as s:
        s.start_mail()
        check(s.data(msg), 554, "5.6.0", text=BARE)
    assert_not_delivered(server.data_dir, marker)


def test_end_of_data_right_after_354(server):
    """An empty message: `.` CRLF as the first line after the 354."""
    with server.session() as s:
        s.start_mail(sender="empty@other.example")
        check(s.cmd("DATA"), 354)
        s.send(b".\r\n")
        rep = s.read_reply()
        # an empty message has no line end issue; it is stored
        check_queued(rep)


# ---------------------------------------------------------------- line length

def test_line_of_1000_octets_accepted(server):
    marker = unique_marker("l1000")
    line = b"y" * 998 + b"\r\n"
    stuffed = b"." + b"z" * 997 + b"\r\n"  # un-stuffed 1000, on the wire 1001
    msg = make_message(marker, line + stuffed)
    with server.session() as s:
        s.start_mail()
        check_queued(s.data(dot_stuff(msg)))
    got = wait_delivered(server.data_dir, "user@example.com", marker)
    assert parse_delivered(got[0]).message == sent_as_stored(msg)


@pytest.mark.parametrize("length", [1001, 5000, 200000])
def test_line_over_1000_octets(server, length):
    marker = unique_marker("long")
    msg = make_message(marker, b"w" * (length - 2) + b"\r\nafter\r\n")
    with server.session() as s:
        s.start_mail()
        check(s.data(dot_stuff(msg)), 500, "5.5.2")
        # after end of data, one reply only; the session continues
        check(s.cmd("NOOP"), 250, "2.0.0", text="OK")
    assert_not_delivered(server.data_dir, marker)


def test_long_header_line(server):
    marker = unique_marker("longhdr")
    msg = make_message(marker, extra_headers=b"X-Long: " + b"h" * 1200 + b"\r\n")
    with server.session() as s:
        s.start_mail()
        check(s.data(dot_stuff(msg)), 500, "5.5.2")
    assert_not_delivered(server.data_dir, marker)


# ---------------------------------------------------------------- size

def _message_of(marker: str, total: int, stuffed_lines: bool = False) -> bytes:
    head = make_message(marker, b"")
    line = (b"." + b"s" * 997 + b"\r\n") if stuffed_lines else (b"t" * 998 + b"\r\n")
    n, rest = divmod(total - len(head), len(line))
    msg = head + line * n + (b"u" * (rest - 2) + b"\r\n" if rest >= 2 else b"")
    assert len(msg) == total, (len(msg), total)
    return msg


def test_size_exactly_at_limit_accepted(server):
    marker = unique_marker("size-ok")
    msg = _message_of(marker, LIMIT)
    with server.session() as s:
        s.start_mail()
        check_queued(s.data(dot_stuff(msg)))
    wait_delivered(server.data_dir, "user@example.com", marker)


def test_size_counts_unstuffed_octets(server):
    """Dot-stuffing makes the wire form larger than the limit; the message
    itself is exactly at the limit."""
    marker = unique_marker("size-stuffed")
    msg = _message_of(marker, LIMIT, stuffed_lines=True)
    assert len(dot_stuff(msg)) > LIMIT
    with server.session() as s:
        s.start_mail()
        check_queued(s.data(dot_stuff(msg)))
    got = wait_delivered(server.data_dir, "user@example.com", marker)
    assert parse_delivered(got[0]).message == sent_as_stored(msg)


@pytest.mark.parametrize("total", [LIMIT + 1, LIMIT * 3])
def test_size_over_limit(server, total):
    marker = unique_marker("size-over")
    msg = _message_of(marker, total)
    with server.session() as s:
        s.start_mail()
        check(s.data(dot_stuff(msg)), 552, "5.3.4", text=SIZE_552)
        check(s.cmd("RCPT TO:<user@example.com>"), 503, "5.5.1")
        check(s.cmd("NOOP"), 250, "2.0.0")
    assert_not_delivered(server.data_dir, marker)


# ---------------------------------------------------------------- hop count

def _hops(n: int) -> bytes:
    return b"".join(b"Received: from h%d.example by h%d.example;\r\n"
                    b"\tMon, 1 Jan 2024 00:00:00 +0000\r\n" % (i, i + 1) for i in range(n))


def test_51_received_fields_refused(server):
    marker = unique_marker("hops51")
    with server.session() as s:
        s.start_mail()
        check(s.data(dot_stuff(make_message(marker, extra_headers=_hops(51)))), 554, "5.4.6",
              startswith="Transaction failed:")
    assert_not_delivered(server.data_dir, marker)


def test_50_received_fields_accepted(server):
    marker = unique_marker("hops50")
    msg = make_message(marker, extra_headers=_hops(50))
    with server.session() as s:
        s.start_mail()
        check_queued(s.data(dot_stuff(msg)))
    got = wait_delivered(server.data_dir, "user@example.com", marker)
    assert parse_delivered(got[0]).message == sent_as_stored(msg)


def test_received_lines_in_the_body_do_not_count(server):
    marker = unique_marker("hopsbody")
    body = b"".join(b"Received: quoted in the body %d\r\n" % i for i in range(60))
    msg = make_message(marker, body)
    with server.session() as s:
        s.start_mail()
        check_queued(s.data(dot_stuff(msg)))
    wait_delivered(server.data_dir, "user@example.com", marker)


# ---------------------------------------------------------------- several faults

def test_fault_order_long_line_before_bare_lf(server):
    marker = unique_marker("f1")
    msg = make_message(marker, b"bare\nlf\r\n" + b"l" * 1200 + b"\r\n")
    with server.session() as s:
        s.start_mail()
        check(s.data(msg), 500, "5.5.2")


def test_fault_order_bare_lf_before_size(server):
    marker = unique_marker("f2")
    msg = _message_of(marker, LIMIT + 5000)[:-2] + b"\nx\r\n"
    with server.session() as s:
        s.start_mail()
        check(s.data(msg), 554, "5.6.0", text=BARE)


def test_fault_order_size_before_hops(server):
    marker = unique_marker("f3")
    head = make_message(marker, b"", extra_headers=_hops(60))
    msg = head + (b"v" * 998 + b"\r\n") * (LIMIT // 1000 + 10)
    with server.session() as s:
        s.start_mail()
        check(s.data(dot_stuff(msg)), 552, "5.3.4", text=SIZE_552)


def test_fault_order_long_line_before_size(server):
    marker = unique_marker("f4")
    msg = _message_of(marker, LIMIT + 5000) + b"L" * 2000 + b"\r\n"
    with server.session() as s:
        s.start_mail()
        check(s.data(dot_stuff(msg)), 500, "5.5.2")
