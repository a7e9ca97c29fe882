"""docs/behaviour.md §7.1: DATA, and delivered copies compared byte for byte (§11)."""

from smtp_client import (assert_not_delivered, check, check_queued, dot_stuff, make_message,
                         parse_delivered, sent_as_stored, smtp, smtp_close, unique_marker,
                         wait_delivered)

START = "Start mail input; end with <CRLF>.<CRLF>"


def test_data_ready_and_stored(server):
    marker = unique_marker("data")
    msg = make_message(marker)
    with server.session() as s:
        s.start_mail()
        check(s.cmd("DATA"), 354, text=START)
        s.send(dot_stuff(msg) + b".\r\n")
        qid = check_queued(s.read_reply())
        s.quit()
    got = wait_delivered(server.data_dir, "user@example.com", marker)
    d = parse_delivered(got[0])
    assert d.message == sent_as_stored(msg)
    assert qid in d.received


def test_data_with_argument(server):
    with server.session() as s:
        s.start_mail()
        check(s.cmd("DATA now"), 501, "5.5.4", text="Syntax error, no parameters allowed")
        # still in the transaction
        check(s.cmd("RCPT TO:<user2@example.com>"), 250, "2.1.5")


def test_data_without_mail(server):
    with server.session() as s:
        check(s.cmd("DATA"), 503, "5.5.1")
        s.ehlo()
        check(s.cmd("DATA"), 503, "5.5.1")


def test_data_without_rcpt(server):
    with server.session() as s:
        s.ehlo()
        check(s.cmd("MAIL FROM:<sender@other.example>"), 250, "2.1.0")
        check(s.cmd("DATA"), 503, "5.5.1")
        # still in the transaction
        check(s.cmd("RCPT TO:<user@example.com>"), 250, "2.1.5")


def test_data_when_every_rcpt_refused(server):
    with server.session() as s:
        s.ehlo()
        check(s.cmd("MAIL FROM:<sender@other.example>"), 250, "2.1.0")
        check(s.cmd("RCPT TO:<nobody@example.com>"), 550, "5.1.1")
        check(s.cmd("RCPT TO:<x@other.example>"), 554, "5.7.1")
        check(s.cmd("DATA"), 554, "5.5.1", text="Transaction failed: no valid recipients")
        check(s.cmd("NOOP"), 250, "2.0.0")


def test_data_after_bdat(server):
    with server.session() as s:
        s.start_mail()
        s.send(b"BDAT 7\r\nHello\r\n")
        check(s.read_reply(), 250, "2.0.0", text="7 octets received")
        check(s.cmd("DATA"), 503, "5.5.1")


def test_transaction_over_after_final_reply(server):
    marker = unique_marker("over")
    with server.session() as s:
        s.start_mail()
        check_queued(s.data(dot_stuff(make_message(marker))))
        check(s.cmd("RCPT TO:<user@example.com>"), 503, "5.5.1")
        check(s.cmd("DATA"), 503, "5.5.1")
        check(s.cmd("MAIL FROM:<>"), 250, "2.1.0")


def test_two_transactions_in_one_session(server):
    m1, m2 = unique_marker("one"), unique_marker("two")
    with server.session() as s:
        s.start_mail(rcpts=["user@example.com"])
        q1 = check_queued(s.data(dot_stuff(make_message(m1))))
        s.start_mail(rcpts=["user2@example.com"], ehlo=False)
        q2 = check_queued(s.data(dot_stuff(make_message(m2))))
        assert q1 != q2
    wait_delivered(server.data_dir, "user@example.com", m1)
    wait_delivered(server.data_dir, "user2@example.com", m2)


def test_lost_connection_delivers_nothing(server):
    marker = unique_marker("lost")
    s = server.session()
    s.start_mail()
    check(s.cmd("DATA"), 354)
    s.send(make_message(marker, b"line\r\n" * 100))
    s.close()
    assert_not_delivered(server.data_dir, marker)


# ---------------------------------------------------------------- content byte for byte

def test_dot_stuffed_lines_unstuffed(server):
    marker = unique_marker("dots")
    body = (b".\r\n..\r\n...three\r\n.leading\r\nmiddle . dot\r\n. \r\n"
            b"\r\n.\r\n.\r\nend\r\n")
    msg = make_message(marker, body)
    with server.session() as s:
        s.start_mail()
        check_queued(s.data(dot_stuff(msg)))
    got = wait_delivered(server.data_dir, "user@example.com", marker)
    assert parse_delivered(got[0]).message == sent_as_stored(msg)


def test_first_line_of_data_may_be_stuffed(server):
    """The first line after the 354 follows the same stuffing rule."""
    marker = unique_marker("first")
    msg = b".dot first line " + marker.encode() + b"\r\n\r\nbody\r\n"
    with server.session() as s:
        s.start_mail()
        check_queued(s.data(dot_stuff(msg)))
    got = wait_delivered(server.data_dir, "user@example.com", marker)
    assert parse_delivered(got[0]).message == sent_as_stored(msg)


def test_8bit_content_with_body_8bitmime(server):
    marker = unique_marker("8bit")
    body = bytes(range(0x80, 0x100)).replace(b"\r", b"").replace(b"\n", b"") + b"\r\n" + \
        b"caf\xe9 \xff\xfe latin-1 bytes\r\n"
    msg = make_message(marker, body)
    with server.session() as s:
        s.start_mail(params="BODY=8BITMIME")
        check_queued(s.data(dot_stuff(msg)))
    got = wait_delivered(server.data_dir, "user@example.com", marker)
    assert parse_delivered(got[0]).message == sent_as_stored(msg)


def test_8bit_content_not_checked_against_body_7bit(server):
    marker = unique_marker("7bit")
    msg = make_message(marker, b"\xc3\xa9t\xc3\xa9 \x80\x81\r\n")
    with server.session() as s:
        s.start_mail(params="BODY=7BIT")
        check_queued(s.data(dot_stuff(msg)))
    got = wait_delivered(server.data_dir, "user@example.com", marker)
    assert parse_delivered(got[0]).message == sent_as_stored(msg)


def test_utf8_message_and_addresses_with_smtputf8(server):
    marker = unique_marker("utf8")
    msg = ("From: Jöran <jöran@bücher.example>\r\nTo: <jöran@example.org>\r\n"
           f"Subject: Grüße {marker} ✉\r\nMessage-ID: <{marker}@client.example.net>\r\n"
           "\r\nUnicode: 日本語 — ü ✓\r\n.périod line\r\n").encode("utf-8")
    with server.session() as s:
        s.ehlo()
        check(s.cmd("MAIL FROM:<jöran@bücher.example> SMTPUTF8 BODY=8BITMIME"), 250, "2.1.0")
        check(s.cmd("RCPT TO:<jöran@example.org>"), 250, "2.1.5")
        check_queued(s.data(dot_stuff(msg)))
    got = wait_delivered(server.data_dir, "jöran@example.org", marker)
    d = parse_delivered(got[0])
    assert d.message == sent_as_stored(msg)
    assert d.return_path == "<jöran@bücher.example>"


def test_smtplib_sendmail(server):
    marker = unique_marker("smtplib")
    msg = make_message(marker, b"sent by smtplib\r\n.dot line\r\n")
    c = smtp(server.port, ehlo=True)
    try:
        refused = c.sendmail("sender@other.example", ["user@example.com", "user2@example.com"], msg)
        assert refused == {}
    finally:
        smtp_close(c)
    for rcpt in ["user@example.com", "user2@example.com"]:
        got = wait_delivered(server.data_dir, rcpt, marker)
        assert parse_delivered(got[0]).message == sent_as_stored(msg)


def test_message_of_several_megabytes_in_small_writes(tern_factory):
    srv = tern_factory({"limits": {"message_size": "8MiB"}})
    marker = unique_marker("big")
    line = b"0123456789abcdefghijklmnopqrstuvwxyz" * 2 + b"\r\n"
    body = b"".join(b"%06d " % i + line for i in range(60000))
    msg = make_message(marker, body)
    wire = dot_stuff(msg) + b".\r\n"
    with srv.session() as s:
        s.start_mail()
        check(s.cmd("DATA"), 354)
        for off in range(0, len(wire), 1000):
            s.send(wire[off:off + 1000])
        check_queued(s.read_reply(timeout=30))
    got = wait_delivered(srv.data_dir, "user@example.com", marker)
    assert parse_delivered(got[0]).message == sent_as_stored(msg)
