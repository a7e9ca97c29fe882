"""docs/behaviour.md §7.2: BDAT (RFC 3030, CHUNKING)."""

import random

import pytest

from smtp_client import (assert_not_delivered, check, check_queued, make_message,
                         parse_delivered, sent_as_stored, unique_marker, wait_delivered)

SIZE_552 = "Requested mail action aborted: exceeded storage allocation"


def bdat(s, data: bytes, last: bool = False):
    s.send(b"BDAT %d%s\r\n" % (len(data), b" LAST" if last else b"") + data)
    return s.read_reply(timeout=30)


def test_chunk_then_last(server):
    marker = unique_marker("bdat")
    msg = make_message(marker, b"chunked body\r\n")
    with server.session() as s:
        s.start_mail()
        head, tail = msg[:17], msg[17:]
        check(bdat(s, head), 250, "2.0.0", text="17 octets received")
        check_queued(bdat(s, tail, last=True))
    got = wait_delivered(server.data_dir, "user@example.com", marker)
    assert parse_delivered(got[0]).message == sent_as_stored(msg)


def test_single_last_chunk(server):
    marker = unique_marker("bdat1")
    msg = make_message(marker)
    with server.session() as s:
        s.start_mail()
        check_queued(bdat(s, msg, last=True))
    got = wait_delivered(server.data_dir, "user@example.com", marker)
    assert parse_delivered(got[0]).message == sent_as_stored(msg)


def test_bdat_0_last(server):
    marker = unique_marker("bdat0")
    msg = make_message(marker)
    with server.session() as s:
        s.start_mail()
        check(bdat(s, msg), 250, "2.0.0", text=f"{len(msg)} octets received")
        check_queued(bdat(s, b"", last=True))
    got = wait_delivered(server.data_dir, "user@example.com", marker)
    assert parse_delivered(got[0]).message == sent_as_stored(msg)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_chunks_split_anywhere_even_inside_crlf(server, seed):
    rnd = random.Random(seed)
    marker = unique_marker(f"split{seed}")
    body = b"".join(b"line %d with some text\r\n" % i for i in range(200)) + \
        b".starts with a dot\r\n..two dots\r\n.\r\nlast\r\n"
    msg = make_message(marker, body)
    cuts = sorted(rnd.sample(range(1, len(msg)), 12))
    # make sure at least one cut falls between a CR and its LF
    crlf = msg.index(b"\r\n", len(msg) // 2) + 1
    cuts = sorted(set(cuts + [crlf]))
    pieces = [msg[a:b] for a, b in zip([0] + cuts, cuts + [len(msg)])]
    with server.session() as s:
        s.start_mail()
        for p in pieces[:-1]:
            check(bdat(s, p), 250, "2.0.0", text=f"{len(p)} octets received")
        check_queued(bdat(s, pieces[-1], last=True))
    got = wait_delivered(server.data_dir, "user@example.com", marker)
    # BDAT data is never un-stuffed: the leading dots stay
    assert parse_delivered(got[0]).message == sent_as_stored(msg)


def test_pipelined_chunks(server):
    marker = unique_marker("bdatpipe")
    msg = make_message(marker, b"x" * 50 + b"\r\n")
    parts = [msg[:10], msg[10:40], msg[40:]]
    with server.session() as s:
        s.ehlo()
        s.send(b"MAIL FROM:<sender@other.example>\r\nRCPT TO:<user@example.com>\r\n" +
               b"BDAT 10\r\n" + parts[0] + b"BDAT 30\r\n" + parts[1] +
               b"BDAT %d LAST\r\n" % len(parts[2]) + parts[2] + b"NOOP\r\n")
        check(s.read_reply(), 250, "2.1.0")
        check(s.read_reply(), 250, "2.1.5")
        check(s.read_reply(), 250, "2.0.0", text="10 octets received")
        check(s.read_reply(), 250, "2.0.0", text="30 octets received")
        check_queued(s.read_reply())
        check(s.read_reply(), 250, "2.0.0", text="OK")
    got = wait_delivered(server.data_dir, "user@example.com", marker)
    assert parse_delivered(got[0]).message == sent_as_stored(msg)


@pytest.mark.parametrize("line", ["BDAT lots LAST", "BDAT", "BDAT -1", "BDAT 10 LATER",
                                  "BDAT 10 LAST more", "BDAT 1x"])
def test_malformed_size(server, line):
    with server.session() as s:
        s.start_mail()
        check(s.cmd(line), 501, "5.5.4")
        # nothing consumed: the next line is a command
        check(s.cmd("NOOP"), 250, "2.0.0", text="OK")


def test_no_transaction_octets_discarded(server):
    with server.session() as s:
        s.ehlo()
        check(bdat(s, b"MAIL FROM:<>", last=True), 503, "5.5.1")
        check(s.cmd("NOOP"), 250, "2.0.0", text="OK")


def test_before_ehlo_octets_discarded(server):
    with server.session() as s:
        check(bdat(s, b"NOOP\r\nNOOP\r\n"), 503, "5.5.1")
        check(s.cmd("NOOP"), 250, "2.0.0", text="OK")
        s.expect_silence(0.3)


def test_no_rcpt(server):
    with server.session() as s:
        s.ehlo()
        check(s.cmd("MAIL FROM:<sender@other.example>"), 250, "2.1.0")
        check(bdat(s, b"Subject: x\r\n\r\nx\r\n", last=True), 503, "5.5.1")
        check(s.cmd("NOOP"), 250, "2.0.0")


def test_every_rcpt_refused(server):
    with server.session() as s:
        s.ehlo()
        check(s.cmd("MAIL FROM:<sender@other.example>"), 250, "2.1.0")
        check(s.cmd("RCPT TO:<nobody@example.com>"), 550, "5.1.1")
        check(bdat(s, b"Subject: x\r\n\r\nx\r\n", last=True), 554, "5.5.1")
        check(s.cmd("NOOP"), 250, "2.0.0")


def test_total_over_size_limit_at_crossing_chunk(server):
    marker = unique_marker("bdat552")
    with server.session() as s:
        s.start_mail()
        first = make_message(marker, b"a" * 998 + b"\r\n")
        check(bdat(s, first), 250, "2.0.0", text=f"{len(first)} octets received")
        filler = (b"b" * 998 + b"\r\n") * ((1048576 - len(first)) // 1000)
        check(bdat(s, filler), 250, "2.0.0", text=f"{len(filler)} octets received")
        crossing = b"c" * 998 + b"\r\n" + b"d" * 998 + b"\r\n"
        assert len(first) + len(filler) + len(crossing) > 1048576
        check(bdat(s, crossing), 552, "5.3.4", text=SIZE_552)
        # after a failed BDAT: octets discarded, 503 until RSET
        check(bdat(s, b"more\r\n"), 503, "5.5.1")
        check(bdat(s, b"", last=True), 503, "5.5.1")
        check(s.cmd("NOOP"), 250, "2.0.0")
        check(s.cmd("RSET"), 250, "2.0.0")
        ok = unique_marker("bdatok")
        s.start_mail(ehlo=False)
        check_queued(bdat(s, make_message(ok), last=True))
    wait_delivered(server.data_dir, "user@example.com", ok)
    assert_not_delivered(server.data_dir, marker)


def test_size_exactly_at_limit_accepted(server):
    marker = unique_marker("bdatlimit")
    head = make_message(marker, b"")
    line = b"e" * 998 + b"\r\n"
    n, rest = divmod(1048576 - len(head), len(line))
    msg = head + line * n + b"f" * (rest - 2) + b"\r\n"
    assert len(msg) == 1048576
    with server.session() as s:
        s.start_mail()
        check_queued(bdat(s, msg, last=True))
    wait_delivered(server.data_dir, "user@example.com", marker)


def test_last_chunk_must_end_with_crlf(server):
    marker = unique_marker("bdatcrlf")
    with server.session() as s:
        s.start_mail()
        check(bdat(s, make_message(marker, b"no final line end"), last=True), 554, "5.6.0",
              text="Transaction failed: message contains bare CR or LF")
        check(s.cmd("RCPT TO:<user@example.com>"), 503, "5.5.1")
    assert_not_delivered(server.data_dir, marker)


@pytest.mark.parametrize("bad", [b"bare\nLF\r\n", b"bare\rCR\r\n"])
def test_bare_cr_or_lf_in_chunk(server, bad):
    marker = unique_marker("bdatbare")
    with server.session() as s:
        s.start_mail()
        check(bdat(s, make_message(marker, bad)), 250, "2.0.0")
        check(bdat(s, b"tail\r\n", last=True), 554, "5.6.0",
              text="Transaction failed: message contains bare CR or LF")
    assert_not_delivered(server.data_dir, marker)


def test_line_too_long_in_bdat(server):
    marker = unique_marker("bdatlong")
    with server.session() as s:
        s.start_mail()
        check(bdat(s, make_message(marker, b"x" * 1001 + b"\r\n"), last=True), 500, "5.5.2")
        check(s.cmd("NOOP"), 250, "2.0.0")
    assert_not_delivered(server.data_dir, marker)


def test_too_many_received_in_bdat(server):
    marker = unique_marker("bdathops")
    hops = b"".join(b"Received: from h%d.example by h%d.example; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
                    % (i, i + 1) for i in range(51))
    with server.session() as s:
        s.start_mail()
        check(bdat(s, make_message(marker, extra_headers=hops), last=True), 554, "5.4.6",
              startswith="Transaction failed:")
    assert_not_delivered(server.data_dir, marker)


def test_8bit_and_utf8_bdat(server):
    marker = unique_marker("bdat8")
    msg = make_message(marker, "Grüße ✓ 日本\r\n".encode() + b"\xff\x80 raw\r\n")
    with server.session() as s:
        s.start_mail(params="BODY=8BITMIME SMTPUTF8")
        check(bdat(s, msg[:len(msg) // 2]), 250, "2.0.0")
        check_queued(bdat(s, msg[len(msg) // 2:], last=True))
    got = wait_delivered(server.data_dir, "user@example.com", marker)
    assert parse_delivered(got[0]).message == sent_as_stored(msg)
