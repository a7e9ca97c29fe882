"""docs/behaviour.md §0: reply conventions (§0.1), line limits (§0.2), order of checks
(§0.4) and pipelining (§0.5)."""

import pytest

from smtp_client import (CRLF, ENHANCED_RE, check, check_has_enhanced, check_queued, dot_stuff,
                         make_message, sent_as_stored, parse_delivered, unique_marker,
                         wait_delivered)

HOST = "mx.example.com"


# ---------------------------------------------------------------- §0.1

def test_greeting_names_host_first_without_enhanced_code(server):
    with server.session() as s:
        check(s.greeting, 220, text=f"{HOST} ESMTP service ready")
        assert s.greeting.enhanced is None


BEFORE_EHLO = [
    "NOOP", "RSET", "VRFY user", "VRFY nobody@example.com", "HELP", "HELP MAIL", "HELP STATUS",
    "HELP FROBNICATE", "MAIL FROM:<user@example.com>", "RCPT TO:<user@example.com>", "DATA",
    "BDAT lots", "FOOBAR", "EXPN staff", "TURN", "", "QUIT please", "RSET now",
]


def test_enhanced_code_on_every_line_before_ehlo(server):
    with server.session() as s:
        for line in BEFORE_EHLO:
            rep = s.cmd(line)
            assert rep.code // 100 in (2, 4, 5), f"{line!r}: {rep}"
            check_has_enhanced(rep)


def test_enhanced_code_on_every_line_after_helo(server):
    with server.session() as s:
        helo = check(s.cmd("HELO client.example.net"), 250,
                     text=f"{HOST} Hello client.example.net")
        assert helo.enhanced is None, "the 250 to HELO carries no enhanced code (RFC 2034)"
        for line in ["NOOP", "MAIL FROM:<>", "RCPT TO:<nobody@example.com>",
                     "RCPT TO:<user@example.com>", "RSET", "FOOBAR", "HELP", "VRFY user"]:
            check_has_enhanced(s.cmd(line))


def test_ehlo_lines_have_no_enhanced_code_but_others_do(server):
    with server.session() as s:
        rep = s.ehlo()
        for ln in rep.lines:
            assert not ENHANCED_RE.match(ln.split(" ")[0]), f"EHLO line with enhanced code: {rep}"
        check(s.cmd("NOOP"), 250, "2.0.0", text="OK")


def test_quit_names_host_first(server):
    with server.session() as s:
        check(s.cmd("QUIT"), 221, "2.0.0", text=f"{HOST} Service closing transmission channel")
        s.expect_eof()


def test_verbs_are_case_insensitive(server):
    with server.session() as s:
        check(s.cmd("ehlo client.example.net"), 250)
        check(s.cmd("NoOp"), 250, "2.0.0", text="OK")
        check(s.cmd("mail FROM:<sender@other.example>"), 250, "2.1.0", text="Sender OK")
        check(s.cmd("Rcpt To:<user@example.com>"), 250, "2.1.5", text="Recipient OK")
        check(s.cmd("rset"), 250, "2.0.0")
        check(s.cmd("quit"), 221, "2.0.0")


def test_command_line_ends_at_bare_lf(server):
    with server.session() as s:
        s.send(b"NOOP\n")
        check(s.read_reply(), 250, "2.0.0", text="OK")
        s.send(b"EHLO client.example.net\n")
        check(s.read_reply(), 250)


def test_echoed_verb_cut_to_32_characters(server):
    with server.session() as s:
        verb = "X" * 50
        check(s.cmd(verb), 500, "5.5.1", text="Command not recognized: " + "X" * 32)


def test_echoed_input_is_printable_ascii(server):
    with server.session() as s:
        rep = check(s.cmd(b"FO\x01O\x7f\xc3\xa9BAR baz"), 500, "5.5.1",
                    startswith="Command not recognized: ")
        for ch in rep.text:
            assert 32 <= ord(ch) < 127, f"non-printable octet echoed: {rep.text!r}"


# ---------------------------------------------------------------- §0.2 line limits

def test_command_line_of_512_octets_is_accepted(server):
    with server.session() as s:
        line = b"NOOP " + b"x" * (512 - len(b"NOOP ") - 2)
        assert len(line + CRLF) == 512
        check(s.cmd(line), 250, "2.0.0", text="OK")


def test_command_line_of_513_octets_is_too_long(server):
    with server.session() as s:
        line = b"NOOP " + b"x" * (513 - len(b"NOOP ") - 2)
        replies = s.pipeline([line, b"NOOP"])
        check(replies[0], 500, "5.5.2")
        check(replies[1], 250, "2.0.0", text="OK")


def test_huge_line_gets_one_reply_and_is_discarded(server):
    with server.session() as s:
        s.send(b"NOOP " + b"y" * (1024 * 1024) + CRLF + b"NOOP" + CRLF)
        check(s.read_reply(timeout=15), 500, "5.5.2")
        check(s.read_reply(), 250, "2.0.0", text="OK")
        s.expect_silence(0.5)


def test_mail_and_rcpt_lines_may_exceed_512_octets(server):
    long_domain = ".".join(["d" * 60] * 3) + ".example"
    sender = "s" * 60 + "@" + long_domain  # 251 octets: within docs/behaviour.md §6's 256
    with server.session() as s:
        s.ehlo()
        mail = (f"MAIL FROM:<{sender}> SIZE=1000 BODY=8BITMIME RET=HDRS ENVID={'e' * 100} "
                f"AUTH=<{sender}>")
        assert 512 < len(mail) + 2 <= 2048
        check(s.cmd(mail), 250, "2.1.0")
        rcpt = "RCPT TO:<user@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;" + \
            "o" * 460 + "@example.com"
        assert 512 < len(rcpt) + 2 <= 2048
        check(s.cmd(rcpt), 250, "2.1.5")


def test_mail_line_over_2048_octets_is_too_long(server):
    with server.session() as s:
        s.ehlo()
        mail = "MAIL FROM:<user@example.com> ENVID=" + "e" * 2100
        check(s.cmd(mail), 500, "5.5.2")
        check(s.cmd("MAIL FROM:<user@example.com>"), 250, "2.1.0")
        rcpt = "RCPT TO:<user@example.com> ORCPT=rfc822;" + "o" * 2100
        check(s.cmd(rcpt), 500, "5.5.2")
        check(s.cmd("RCPT TO:<user@example.com>"), 250, "2.1.5")


# ---------------------------------------------------------------- §0.4 order of checks

def test_empty_line_is_500_5_5_2(server):
    with server.session() as s:
        check(s.cmd(""), 500, "5.5.2")


@pytest.mark.parametrize("line", ["TURN", "EXPN staff", "SEND FROM:<user@example.com>",
                                  "SOML FROM:<user@example.com>", "SAML FROM:<user@example.com>"])
def test_not_implemented_before_unknown(server, line):
    with server.session() as s:
        check(s.cmd(line), 502, "5.5.1")


def test_unknown_verb(server):
    with server.session() as s:
        check(s.cmd("FOOBAR baz"), 500, "5.5.1", text="Command not recognized: FOOBAR")


def test_order_in_no_mail_mode(tern_factory):
    srv = tern_factory({"accept_mail": False})
    with srv.session() as s:
        check(s.greeting, 521, text=f"{HOST} Machine does not accept mail")
        # 1: line over its limit comes before no-mail mode
        check(s.cmd("NOOP " + "x" * 600), 500, "5.5.2")
        # 2: no-mail mode comes before empty line, obsolete and unknown verbs
        for line in ["", "TURN", "EXPN staff", "FOOBAR"]:
            check(s.cmd(line), 521, "5.3.2", text=f"{HOST} Machine does not accept mail")
        check(s.cmd("QUIT"), 221, "2.0.0", text=f"{HOST} Service closing transmission channel")


# ---------------------------------------------------------------- §0.5 pipelining

def test_many_commands_in_one_packet_answered_in_order(server):
    with server.session() as s:
        lines = ["EHLO client.example.net", "NOOP", "MAIL FROM:<sender@other.example>",
                 "RCPT TO:<nobody@example.com>", "RCPT TO:<user@example.com>", "FOOBAR",
                 "RCPT TO:<old@example.com>", "RSET", "RCPT TO:<user@example.com>",
                 "VRFY user", "HELP FROBNICATE", "NOOP"]
        replies = s.pipeline(lines)
        expected = [(250, None), (250, "2.0.0"), (250, "2.1.0"), (550, "5.1.1"), (250, "2.1.5"),
                    (500, "5.5.1"), (551, "5.1.6"), (250, "2.0.0"), (503, "5.5.1"),
                    (250, "2.1.5"), (504, "5.5.4"), (250, "2.0.0")]
        for line, rep, (code, enh) in zip(lines, replies, expected):
            assert rep.code == code, f"{line!r} -> {rep}"
            if enh:
                check(rep, code, enh)
        s.expect_silence(0.3)


def test_fifty_noops_in_one_send(server):
    with server.session() as s:
        replies = s.pipeline(["NOOP"] * 50)
        for rep in replies:
            check(rep, 250, "2.0.0", text="OK")


def test_whole_transaction_and_next_commands_in_one_packet(server):
    marker = unique_marker("pipe")
    msg = make_message(marker, b"pipelined body\r\n.leading dot\r\n")
    with server.session() as s:
        s.send(b"EHLO client.example.net\r\nMAIL FROM:<sender@other.example>\r\n"
               b"RCPT TO:<user@example.com>\r\nDATA\r\n")
        check(s.read_reply(), 250)
        check(s.read_reply(), 250, "2.1.0")
        check(s.read_reply(), 250, "2.1.5")
        check(s.read_reply(), 354)
        # message data, end of data and the next commands in one packet:
        # everything after the 354 is data up to CRLF.CRLF
        s.send(dot_stuff(msg) + b".\r\nMAIL FROM:<>\r\nRCPT TO:<nobody@example.com>\r\nNOOP\r\n")
        check_queued(s.read_reply())
        check(s.read_reply(), 250, "2.1.0")
        check(s.read_reply(), 550, "5.1.1")
        check(s.read_reply(), 250, "2.0.0", text="OK")
    got = wait_delivered(server.data_dir, "user@example.com", marker)
    assert parse_delivered(got[0]).message == sent_as_stored(msg)


def test_data_lines_look_like_commands_but_are_data(server):
    marker = unique_marker("cmdlike")
    body = b"QUIT\r\nRSET\r\nMAIL FROM:<evil@other.example>\r\n"
    msg = make_message(marker, body)
    with server.session() as s:
        s.start_mail()
        check_queued(s.data(dot_stuff(msg)))
        check(s.cmd("NOOP"), 250, "2.0.0")
    got = wait_delivered(server.data_dir, "user@example.com", marker)
    assert parse_delivered(got[0]).message == sent_as_stored(msg)


def test_refused_bdat_still_consumes_its_octets(server):
    with server.session() as s:
        s.ehlo()
        chunk = b"RSET\r\nQUIT\r\n"
        s.send(b"BDAT %d LAST\r\n" % len(chunk) + chunk + b"NOOP\r\n")
        check(s.read_reply(), 503, "5.5.1")
        check(s.read_reply(), 250, "2.0.0", text="OK")
        s.expect_silence(0.3)


def test_malformed_bdat_size_consumes_nothing(server):
    with server.session() as s:
        s.ehlo()
        s.send(b"BDAT lots LAST\r\nNOOP\r\n")
        check(s.read_reply(), 501, "5.5.4")
        check(s.read_reply(), 250, "2.0.0", text="OK")
