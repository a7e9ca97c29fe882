"""docs/behaviour.md §8: errors 500–504/555, and the session closed after too many."""

import pytest

from smtp_client import check

HOST = "mx.example.com"
TOO_MANY = f"{HOST} Too many errors, closing transmission channel"


@pytest.mark.parametrize("line,code,enh", [
    ("FOOBAR baz", 500, "5.5.1"),
    ("", 500, "5.5.2"),
    ("NOOP " + "x" * 600, 500, "5.5.2"),
    ("RSET now", 501, "5.5.4"),
    ("QUIT please", 501, "5.5.4"),
    ("DATA now", 501, "5.5.4"),
    ("MAIL user", 501, "5.5.4"),
    ("TURN", 502, "5.5.1"),
    ("EXPN x", 502, "5.5.1"),
    ("RCPT TO:<user@example.com>", 503, "5.5.1"),
    ("HELP FOO", 504, "5.5.4"),
])
def test_error_replies(server, line, code, enh):
    with server.session() as s:
        s.ehlo()
        check(s.cmd(line), code, enh)


def test_no_parameters_allowed_text(server):
    with server.session() as s:
        for line in ["RSET now", "QUIT please", "DATA now"]:
            check(s.cmd(line), 501, "5.5.4", text="Syntax error, no parameters allowed")


def test_unknown_mail_parameter_555(server):
    with server.session() as s:
        s.ehlo()
        check(s.cmd("MAIL FROM:<user@example.com> FOO=BAR"), 555, "5.5.4")


def _errors(n):
    """n commands whose replies are each one of 500–504/555."""
    kinds = [("FOOBAR", 500), ("RSET now", 501), ("TURN", 502), ("DATA", 503),
             ("HELP FOO", 504), ("MAIL FROM:<user@example.com> FOO=1", 555), ("", 500)]
    return [kinds[i % len(kinds)] for i in range(n)]


def test_twenty_first_error_closes_session(server):
    with server.session() as s:
        s.ehlo()
        for line, code in _errors(20):
            rep = s.cmd(line)
            assert rep.code == code, f"{line!r}: {rep}"
        check(s.cmd("FOOBAR"), 421, "4.7.0", text=TOO_MANY)
        s.expect_eof()


def test_recipient_refusals_and_good_commands_do_not_count(server):
    with server.session() as s:
        s.ehlo()
        check(s.cmd("MAIL FROM:<sender@other.example>"), 250, "2.1.0")
        for _ in range(25):
            assert s.cmd("RCPT TO:<nobody@example.com>").code == 550
            assert s.cmd("RCPT TO:<x@other.example>").code == 554
            assert s.cmd("RCPT TO:<a@@example.com>").code == 553
            assert s.cmd("NOOP").code == 250
        check(s.cmd("DATA"), 554, "5.5.1")  # every RCPT refused: not counted either
        check(s.cmd("RSET"), 250, "2.0.0")
        for line, code in _errors(20):
            assert s.cmd(line).code == code
        check(s.cmd("TURN"), 421, "4.7.0", text=TOO_MANY)
        s.expect_eof()


def test_limit_is_configurable(tern_factory):
    srv = tern_factory({"limits": {"bad_commands": 3}})
    with srv.session() as s:
        for _ in range(3):
            check(s.cmd("FOOBAR"), 500, "5.5.1")
        check(s.cmd("NOOP"), 250, "2.0.0")  # a good command does not trigger the close
        check(s.cmd("HELP FOO"), 421, "4.7.0", text=TOO_MANY)
        s.expect_eof()


def test_pipelined_errors_stop_at_the_limit(tern_factory):
    srv = tern_factory({"limits": {"bad_commands": 3}})
    with srv.session() as s:
        s.send(b"FOOBAR\r\n" * 10)
        for _ in range(3):
            check(s.read_reply(), 500, "5.5.1")
        check(s.read_reply(), 421, "4.7.0", text=TOO_MANY)
        s.expect_eof()
