"""docs/behaviour.md §3: NOOP, RSET, HELP, VRFY, EXPN and the obsolete commands."""

import pytest

from smtp_client import check, check_queued, dot_stuff, make_message, smtp, smtp_close, unique_marker

HOST = "mx.example.com"


@pytest.fixture
def client(server):
    c = smtp(server.port)
    yield c
    smtp_close(c)


@pytest.mark.parametrize("args", ["", "x", "anything at all"])
def test_noop(client, args):
    check(client.docmd("NOOP", args), 250, "2.0.0", text="OK")


def test_rset_discards_transaction_and_keeps_ehlo(client):
    client.ehlo("client.example.net")
    check(client.docmd("MAIL", "FROM:<sender@other.example>"), 250, "2.1.0")
    check(client.docmd("RCPT", "TO:<user@example.com>"), 250, "2.1.5")
    check(client.docmd("RSET"), 250, "2.0.0")
    check(client.docmd("RCPT", "TO:<user@example.com>"), 503, "5.5.1")
    check(client.docmd("DATA"), 503, "5.5.1")
    # EHLO is kept: MAIL works without a new EHLO
    check(client.docmd("MAIL", "FROM:<sender@other.example>"), 250, "2.1.0")


def test_rset_before_ehlo(client):
    check(client.docmd("RSET"), 250, "2.0.0")
    check(client.docmd("MAIL", "FROM:<sender@other.example>"), 503, "5.5.1")


def test_rset_with_argument(client):
    client.ehlo("client.example.net")
    check(client.docmd("MAIL", "FROM:<sender@other.example>"), 250, "2.1.0")
    check(client.docmd("RSET", "now"), 501, "5.5.4", text="Syntax error, no parameters allowed")
    # the refused RSET did nothing: the transaction is still open
    check(client.docmd("MAIL", "FROM:<sender@other.example>"), 503, "5.5.1")


def test_help(server):
    with server.session() as s:
        rep = check(s.cmd("HELP"), 214, "2.0.0")
        assert HOST in rep.lines[0], rep
        words = " ".join(rep.lines).upper()
        for verb in ["EHLO", "HELO", "MAIL", "RCPT", "DATA", "BDAT", "RSET", "NOOP", "QUIT",
                     "VRFY", "HELP"]:
            assert verb in words, f"HELP does not list {verb}: {rep}"


@pytest.mark.parametrize("topic,syntax", [
    ("MAIL", "MAIL FROM:<reverse-path>"),
    ("mail", "MAIL FROM:<reverse-path>"),
    ("RCPT", "RCPT TO:<"),
    ("BDAT", "BDAT"),
    ("VRFY", "VRFY"),
])
def test_help_on_a_command(client, topic, syntax):
    rep = check(client.docmd("HELP", topic), 214, "2.0.0")
    assert syntax in " ".join(rep.lines), rep


def test_help_mail_names_its_parameters(client):
    rep = check(client.docmd("HELP", "MAIL"), 214, "2.0.0")
    text = " ".join(rep.lines)
    for p in ["SIZE=", "BODY=", "SMTPUTF8", "RET=", "ENVID=", "AUTH="]:
        assert p in text, rep


def test_help_status(server):
    with server.session() as s:
        rep = check(s.cmd("HELP STATUS"), 211, "2.0.0")
        assert len(rep.lines) >= 3, rep
        assert rep.text_after_enhanced(0) == f"{HOST} System status"
        assert rep.text_after_enhanced(-1) == "End of status"


def _status_figures(srv) -> dict[str, str]:
    with srv.session() as s:
        rep = check(s.cmd("HELP STATUS"), 211, "2.0.0")
    return dict(line.split(": ", 1) for line in (rep.text_after_enhanced(i) for i in range(len(rep.lines)))
                if ": " in line)


@pytest.mark.file_spool
def test_help_status_counts_from_memory_without_reading_the_spool(tern_factory):
    """The figures come from the queue manager's counts: a stray file in the spool is neither
    counted nor quarantined by asking (it is the queue runner's to find)."""
    srv = tern_factory()
    ids = []
    for _ in range(2):
        with srv.session() as s:
            s.ehlo()
            check(s.cmd("MAIL FROM:<sender@other.example>"), 250, "2.1.0")
            check(s.cmd("RCPT TO:<fwd@example.com>"), 251)  # to other.example's closed port: stays queued
            ids.append(check_queued(s.data(dot_stuff(make_message(unique_marker("status"))))))
    res = srv.queue("hold", ids[0])
    assert res.returncode == 0, res.stderr
    figures = _status_figures(srv)
    assert (figures["Queued messages"], figures["Held messages"]) == ("2", "1"), figures
    stray = srv.data_dir / "spool" / "incoming" / "0000000000ZZZZZZ.env"
    stray.write_text("not an envelope\n")
    assert _status_figures(srv)["Queued messages"] == "2"
    assert stray.exists(), "HELP STATUS moved a spool file"


@pytest.mark.parametrize("topic", ["FROBNICATE", "frobnicate"])
def test_help_unknown_topic(client, topic):
    check(client.docmd("HELP", topic), 504, "5.5.4")


# ---------------------------------------------------------------- VRFY

@pytest.mark.parametrize("arg", ["user", "user@example.com", "<user@example.com>"])
def test_vrfy_local_user(client, arg):
    check(client.docmd("VRFY", arg), 250, "2.1.5", text="<user@example.com>")


@pytest.mark.parametrize("arg", ["USER@EXAMPLE.COM", "User", "<user@Example.Com>"])
def test_vrfy_compares_case_insensitively(client, arg):
    rep = check(client.docmd("VRFY", arg), 250, "2.1.5")
    assert rep.text_after_enhanced().lower() == "<user@example.com>", rep


def test_vrfy_needs_no_ehlo_and_works_after_ehlo(client):
    check(client.docmd("VRFY", "user"), 250, "2.1.5", text="<user@example.com>")
    client.ehlo("client.example.net")
    check(client.docmd("VRFY", "user"), 250, "2.1.5", text="<user@example.com>")


def test_vrfy_forwarded(client):
    check(client.docmd("VRFY", "fwd@example.com"), 251, "2.1.5",
          text="User not local; will forward to <fwd@other.example>")


def test_vrfy_relocated(client):
    check(client.docmd("VRFY", "old@example.com"), 551, "5.1.6",
          text="User not local; please try <new@other.example>")


def test_vrfy_unknown(client):
    check(client.docmd("VRFY", "nobody@example.com"), 550, "5.1.1",
          text="<nobody@example.com>: Requested action not taken: mailbox unavailable")


def test_vrfy_disabled(client):
    check(client.docmd("VRFY", "gone@example.com"), 550, "5.2.1", startswith="<gone@example.com>:")


def test_vrfy_unavailable(client):
    check(client.docmd("VRFY", "busy@example.com"), 450, "4.2.1",
          text="<busy@example.com>: Requested mail action not taken: mailbox unavailable")


def test_vrfy_non_local_unauthenticated(client):
    check(client.docmd("VRFY", "x@other.example"), 550, "5.7.1",
          text="<x@other.example>: Relay access denied")


@pytest.mark.parametrize("arg", ["a@@b", "<a@@example.com>", "a..b@example.com"])
def test_vrfy_bad_syntax(client, arg):
    check(client.docmd("VRFY", arg), 553, "5.1.3")


def test_vrfy_no_argument(client):
    check(client.docmd("VRFY"), 501, "5.5.4")


def test_vrfy_never_mode_answers_252(tern_factory):
    srv = tern_factory({"local": {"vrfy": "never"}})
    c = smtp(srv.port)
    try:
        text = ("Cannot VRFY user (e.g., info is not local), but will take message for this user "
                "and attempt delivery")
        check(c.docmd("VRFY", "user@example.com"), 252, "2.1.5", text=text)
        check(c.docmd("VRFY", "nobody@example.com"), 252, "2.1.5", text=text)
        check(c.docmd("VRFY", "a@@b"), 553, "5.1.3")
    finally:
        smtp_close(c)


# ---------------------------------------------------------------- EXPN, obsolete

@pytest.mark.parametrize("verb,args", [
    ("EXPN", "staff"), ("EXPN", ""), ("TURN", ""), ("SEND", "FROM:<user@example.com>"),
    ("SOML", "FROM:<user@example.com>"), ("SAML", "FROM:<user@example.com>"),
])
def test_not_implemented(client, verb, args):
    check(client.docmd(verb, args), 502, "5.5.1")


def test_not_implemented_inside_transaction_keeps_it(client):
    client.ehlo("client.example.net")
    check(client.docmd("MAIL", "FROM:<sender@other.example>"), 250, "2.1.0")
    check(client.docmd("TURN"), 502, "5.5.1")
    check(client.docmd("RCPT", "TO:<user@example.com>"), 250, "2.1.5")
