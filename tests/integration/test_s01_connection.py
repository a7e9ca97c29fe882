"""docs/behaviour.md §1: connection, greeting, session end, connection limits and
no-mail mode (RFC 7504)."""

import socket
import time

from smtp_client import (assert_not_delivered, check, dot_stuff, make_message, parse_delivered,
                         sent_as_stored, unique_marker, wait_delivered)

HOST = "mx.example.com"
GREETING = f"{HOST} ESMTP service ready"
CLOSING = f"{HOST} Service closing transmission channel"
NO_MAIL = f"{HOST} Machine does not accept mail"


def test_greeting(server):
    with server.session() as s:
        check(s.greeting, 220, text=GREETING)


def test_quit_closes(server):
    with server.session() as s:
        check(s.cmd("QUIT"), 221, "2.0.0", text=CLOSING)
        s.expect_eof()


def test_quit_with_argument_is_refused_and_session_continues(server):
    with server.session() as s:
        check(s.cmd("QUIT please"), 501, "5.5.4", text="Syntax error, no parameters allowed")
        check(s.cmd("NOOP"), 250, "2.0.0", text="OK")
        check(s.cmd("QUIT"), 221, "2.0.0", text=CLOSING)


def test_quit_inside_data_is_data_and_lost_connection_delivers_nothing(server):
    marker = unique_marker("quit")
    with server.session() as s:
        s.start_mail()
        check(s.cmd("DATA"), 354)
        s.send(make_message(marker) + b"QUIT\r\n")  # still data: no end of data yet
        s.expect_silence(0.3)
    assert_not_delivered(server.data_dir, marker)


def test_quit_after_rcpt_discards_transaction(server):
    with server.session() as s:
        s.start_mail(sender="quit-after-rcpt@other.example")
        check(s.cmd("QUIT"), 221, "2.0.0", text=CLOSING)
        s.expect_eof()


def test_eof_executes_complete_commands_received_before(server):
    marker = unique_marker("eof")
    msg = make_message(marker)
    with server.session() as s:
        s.send(b"EHLO client.example.net\r\nMAIL FROM:<sender@other.example>\r\n"
               b"RCPT TO:<user@example.com>\r\nDATA\r\n" + dot_stuff(msg) + b".\r\n")
        s.sock.shutdown(socket.SHUT_WR)
        # the replies may or may not still be read by us; the message is stored
        try:
            for _ in range(5):
                s.read_reply()
        except (ConnectionError, TimeoutError, OSError):
            pass
    got = wait_delivered(server.data_dir, "user@example.com", marker)
    assert parse_delivered(got[0]).message == sent_as_stored(msg)


def test_eof_inside_data_discards_transaction(server):
    marker = unique_marker("eofdata")
    with server.session() as s:
        s.start_mail()
        check(s.cmd("DATA"), 354)
        s.send(make_message(marker, b"half a message\r\n"))
        s.sock.shutdown(socket.SHUT_WR)
        time.sleep(0.3)
    assert_not_delivered(server.data_dir, marker)


# ---------------------------------------------------------------- no-mail mode

NO_MAIL_COMMANDS = ["EHLO client.example.net", "HELO client.example.net",
                    "MAIL FROM:<user@example.com>", "RCPT TO:<user@example.com>", "DATA",
                    "BDAT 0 LAST", "NOOP", "RSET", "VRFY user", "HELP", "HELP STATUS", "FOOBAR",
                    "EXPN staff", "TURN", "STARTTLS", "AUTH PLAIN", ""]


def test_no_mail_mode(tern_factory):
    srv = tern_factory({"accept_mail": False})
    with srv.session() as s:
        check(s.greeting, 521, text=NO_MAIL)
        assert s.greeting.enhanced is None
        # the connection stays open and every command but QUIT gets 521 5.3.2
        for line in NO_MAIL_COMMANDS:
            check(s.cmd(line), 521, "5.3.2", text=NO_MAIL)
        # QUIT is exempt from no-mail mode, so QUIT's own checks apply (§0.4 order)
        check(s.cmd("QUIT please"), 501, "5.5.4", text="Syntax error, no parameters allowed")
        check(s.cmd("QUIT"), 221, "2.0.0", text=CLOSING)
        s.expect_eof()


def test_no_mail_mode_executes_nothing(tern_factory):
    srv = tern_factory({"accept_mail": False})
    marker = unique_marker("nomail")
    msg = make_message(marker)
    with srv.session() as s:
        lines = [b"EHLO client.example.net", b"MAIL FROM:<sender@other.example>",
                 b"RCPT TO:<user@example.com>", b"DATA"] + msg.split(b"\r\n")[:-1] + [b"."]
        replies = s.pipeline(lines)
        for rep in replies:
            check(rep, 521, "5.3.2", text=NO_MAIL)
        # 521 is not counted as an error (SPEC §8): still answering after 25+
        for _ in range(25):
            check(s.cmd("FOOBAR"), 521, "5.3.2")
        check(s.cmd("QUIT"), 221, "2.0.0")
    assert_not_delivered(srv.data_dir, marker)


def test_connection_limit_comes_before_no_mail_mode(tern_factory):
    srv = tern_factory({"accept_mail": False, "limits": {"connections": 1}})
    time.sleep(0.3)
    first = None
    for _ in range(40):  # bounded: wait until the probe connection is released
        first = srv.session()
        if first.greeting.code == 521:
            break
        first.close()
        time.sleep(0.05)
    try:
        check(first.greeting, 521, text=NO_MAIL)
        with srv.session() as second:
            check(second.greeting, 421, "4.3.2",
                  text=f"{HOST} Too many connections, closing transmission channel")
            second.expect_eof()
    finally:
        first.close()


# ---------------------------------------------------------------- connection limits

def test_server_connection_limit(tern_factory):
    srv = tern_factory({"limits": {"connections": 2}})
    time.sleep(0.3)
    a = srv.ready_session()
    b = srv.ready_session()
    try:
        check(a.greeting, 220, text=GREETING)
        check(b.greeting, 220, text=GREETING)
        with srv.session() as c:
            check(c.greeting, 421, "4.3.2",
                  text=f"{HOST} Too many connections, closing transmission channel")
            c.expect_eof()
        # the open sessions still work
        check(a.cmd("NOOP"), 250, "2.0.0")
        a.quit()
        # a slot is free again (bounded retry while the close is noticed)
        with srv.ready_session() as d:
            check(d.greeting, 220, text=GREETING)
    finally:
        a.close()
        b.close()


def test_per_client_limit_without_exemption(tern_factory):
    srv = tern_factory({"limits": {"connections_per_client": 1, "exempt_networks": []}})
    time.sleep(0.3)
    a = srv.ready_session()
    try:
        with srv.session() as b:
            check(b.greeting, 421, "4.7.0",
                  text=f"{HOST} Too many connections from your address, closing transmission channel")
            b.expect_eof()
        # another client address is counted on its own
        with srv.session(source="127.0.0.2") as other:
            check(other.greeting, 220, text=GREETING)
        check(a.cmd("NOOP"), 250, "2.0.0")
    finally:
        a.close()


def test_loopback_is_exempt_from_per_client_limit_by_default(tern_factory):
    srv = tern_factory({"limits": {"connections_per_client": 1}})
    time.sleep(0.3)
    a = srv.ready_session()
    try:
        with srv.session() as b:
            check(b.greeting, 220, text=GREETING)
        with srv.session() as c:
            check(c.greeting, 220, text=GREETING)
    finally:
        a.close()
