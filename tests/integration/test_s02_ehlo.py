"""docs/behaviour.md §2: EHLO, HELO and the extensions advertised (§2.1)."""

import pytest

from smtp_client import ENHANCED_RE, MX_PLAINTEXT_KEYWORDS, check, smtp, smtp_close

HOST = "mx.example.com"


def ehlo_lines(srv, name="client.example.net"):
    with srv.session() as s:
        rep = check(s.cmd(f"EHLO {name}"), 250)
        s.quit()
    return rep


def test_ehlo_exact_reply_for_mx_plaintext(server):
    rep = ehlo_lines(server)
    assert rep.lines[0] == f"{HOST} Hello client.example.net"
    assert rep.lines[1:] == MX_PLAINTEXT_KEYWORDS
    for ln in rep.lines:
        assert not ENHANCED_RE.match(ln.split(" ")[0]), f"EHLO carries no enhanced codes: {rep}"


def test_ehlo_never_advertises_tls_auth_expn_binarymime(server):
    rep = ehlo_lines(server)
    words = {ln.split(" ")[0].upper() for ln in rep.lines[1:]}
    assert not words & {"STARTTLS", "AUTH", "EXPN", "BINARYMIME"}


def test_ehlo_through_smtplib(server):
    client = smtp(server.port)
    try:
        code, msg = client.ehlo("client.example.net")
        assert code == 250
        assert client.has_extn("pipelining") and client.has_extn("chunking")
        assert client.has_extn("smtputf8") and client.has_extn("8bitmime")
        assert client.has_extn("enhancedstatuscodes") and client.has_extn("dsn")
        assert client.esmtp_features["size"] == "1048576"
    finally:
        smtp_close(client)


def test_helo(server):
    with server.session() as s:
        rep = check(s.cmd("HELO client.example.net"), 250, text=f"{HOST} Hello client.example.net")
        assert len(rep.lines) == 1


@pytest.mark.parametrize("verb", ["EHLO", "HELO", "ehlo", "EHLO ", "HELO  "])
def test_no_argument(server, verb):
    with server.session() as s:
        check(s.cmd(verb), 501, "5.5.4")


def test_first_word_is_the_client_name(server):
    with server.session() as s:
        check(s.cmd("EHLO client.example.net and more words"), 250)
        rep = check(s.cmd("HELO other.example.net trailing"), 250)
        assert rep.text == f"{HOST} Hello other.example.net"


def test_address_literal_as_client_name(server):
    with server.session() as s:
        rep = check(s.cmd("EHLO [127.0.0.1]"), 250)
        assert rep.lines[0] == f"{HOST} Hello [127.0.0.1]"


def test_repeated_ehlo_discards_transaction(server):
    with server.session() as s:
        s.ehlo()
        check(s.cmd("MAIL FROM:<sender@other.example>"), 250, "2.1.0")
        check(s.cmd("RCPT TO:<user@example.com>"), 250, "2.1.5")
        rep = check(s.cmd("EHLO again.example.net"), 250)
        assert rep.lines[0] == f"{HOST} Hello again.example.net"
        assert rep.lines[1:] == MX_PLAINTEXT_KEYWORDS
        check(s.cmd("RCPT TO:<user@example.com>"), 503, "5.5.1")
        check(s.cmd("DATA"), 503, "5.5.1")
        check(s.cmd("MAIL FROM:<sender@other.example>"), 250, "2.1.0")


def test_helo_inside_transaction_discards_it(server):
    with server.session() as s:
        s.ehlo()
        check(s.cmd("MAIL FROM:<sender@other.example>"), 250, "2.1.0")
        check(s.cmd("HELO client.example.net"), 250)
        check(s.cmd("RCPT TO:<user@example.com>"), 503, "5.5.1")


def test_mail_parameters_work_after_helo(server):
    with server.session() as s:
        check(s.cmd("HELO client.example.net"), 250)
        check(s.cmd("MAIL FROM:<sender@other.example> SIZE=100 BODY=8BITMIME SMTPUTF8"),
              250, "2.1.0", text="Sender OK")
        check(s.cmd("RCPT TO:<user@example.com> NOTIFY=FAILURE"), 250, "2.1.5")


@pytest.mark.parametrize("line", ["STARTTLS", "STARTTLS now", "starttls"])
def test_starttls_without_certificate(server, line):
    """§12: no certificate configured, STARTTLS not advertised -> 454, and
    the plaintext session continues (TLS unavailable is checked first)."""
    with server.session() as s:
        s.ehlo()
        check(s.cmd(line), 454, "4.7.0", text="TLS not available due to temporary reason")
        check(s.cmd("MAIL FROM:<sender@other.example>"), 250, "2.1.0")


def test_size_shows_configured_limit(tern_factory):
    srv = tern_factory({"limits": {"message_size": "2MiB"}})
    rep = ehlo_lines(srv)
    assert "SIZE 2097152" in rep.lines
    assert rep.lines.index("SIZE 2097152") == 2


def test_size_default_is_35_mib(tern_factory):
    srv = tern_factory({"limits": {"message_size": None}})
    rep = ehlo_lines(srv)
    assert rep.lines[2] == f"SIZE {35 * 1024 * 1024}"
