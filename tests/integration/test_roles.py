"""docs/behaviour.md §0.3, §0.4, §4, §13 for the `submission` and `smtps` listener
roles: STARTTLS first (530 5.7.0), AUTH before MAIL (530 5.7.0), senders
the account owns (553 5.7.1); implicit TLS on `smtps`.  docs/configuration.md: roles
that need `[tls]`."""

import re
import socket

import pytest

from smtp_client import (Session, assert_tls_1_1_refused_by_server, check, ehlo_keywords,
                         parse_delivered, smtp_auth, smtp_close, smtp_ssl, s_client, swaks,
                         unique_marker, wait_delivered)
from tern_server import BOB, BOB_PASSWORD, TLS_CONFIG, make_certificate, run_tern, output, to_toml

HOST = "mx.example.com"
STARTTLS_FIRST = "Must issue a STARTTLS command first"
AUTH_REQUIRED = "Authentication required"
GREETING = f"{HOST} ESMTP service ready"


@pytest.fixture(scope="module")
def alias_account(tls_server):
    """An account that also owns alias@other.example (--address)."""
    tls_server.add_user("alice", "alice-pw", "--address", "alias@other.example")
    return "alice", "alice-pw"


# ---------------------------------------------------------------- submission before TLS

def test_submission_greeting_and_ehlo(tls_server):
    with tls_server.session("submission") as s:
        check(s.greeting, 220, text=GREETING)
        rep = s.ehlo()
        assert rep.lines[0] == f"{HOST} Hello client.example.net"
        assert rep.lines[1:] == ehlo_keywords(tls=False, role="submission"), rep
        s.quit()


@pytest.mark.parametrize("line", [
    "MAIL FROM:<bob@example.com>",
    "RCPT TO:<user@example.com>",
    "DATA",
    "VRFY user@example.com",
    "HELP",
    "HELP MAIL",
    "AUTH PLAIN",
    "AUTH CRAM-MD5",
    "AUTH SCRAM-SHA-256",
    "AUTH X-UNKNOWN",
    "AUTH",
])
def test_submission_before_tls_needs_starttls(tls_server, line):
    with tls_server.session("submission") as s:
        s.ehlo()
        check(s.cmd(line), 530, "5.7.0", text=STARTTLS_FIRST)
        s.quit()


def test_submission_before_tls_even_before_ehlo(tls_server):
    with tls_server.session("submission") as s:
        check(s.cmd("MAIL FROM:<bob@example.com>"), 530, "5.7.0", text=STARTTLS_FIRST)
        check(s.cmd("VRFY user"), 530, "5.7.0", text=STARTTLS_FIRST)


def test_submission_before_tls_allowed_commands(tls_server):
    with tls_server.session("submission") as s:
        check(s.cmd("NOOP"), 250, "2.0.0")
        check(s.cmd("RSET"), 250, "2.0.0")
        check(s.cmd("HELO client.example.net"), 250, text=f"{HOST} Hello client.example.net")
        s.ehlo()
        check(s.cmd("NOOP"), 250, "2.0.0")
        check(s.cmd("RSET"), 250, "2.0.0")
        check(s.cmd("QUIT"), 221, "2.0.0")
        s.expect_eof()


def test_submission_before_tls_check_order(tls_server):
    """§0.4: unknown verbs (5), obsolete commands (4) and over-long lines (1)
    come before the STARTTLS requirement (7); argument checks after it."""
    with tls_server.session("submission") as s:
        s.ehlo()
        check(s.cmd("FOOBAR baz"), 500, "5.5.1", text="Command not recognized: FOOBAR")
        check(s.cmd("EXPN staff"), 502, "5.5.1")
        check(s.cmd("TURN"), 502, "5.5.1")
        check(s.cmd("MAIL " + "x" * 3000), 500, "5.5.2")
        check(s.cmd("MAIL"), 530, "5.7.0", text=STARTTLS_FIRST)
        check(s.cmd("RSET now"), 501, "5.5.4")
        s.quit()


# ---------------------------------------------------------------- submission after TLS

def test_submission_ehlo_after_starttls(tls_server):
    with tls_server.tls_session("submission") as s:
        rep = s.ehlo()
        assert rep.lines[1:] == ehlo_keywords(tls=True, role="submission"), rep
        s.quit()


def test_submission_mail_needs_auth(tls_server):
    with tls_server.tls_session("submission") as s:
        check(s.cmd("MAIL FROM:<bob@example.com>"), 530, "5.7.0", text=AUTH_REQUIRED)
        check(s.cmd("MAIL FROM:<>"), 530, "5.7.0", text=AUTH_REQUIRED)
        check(s.cmd("RCPT TO:<user@example.com>"), 503, "5.5.1")
        s.quit()


def test_submission_mail_syntax_before_auth_check(tls_server):
    """§4 order: syntax comes before authentication."""
    with tls_server.tls_session("submission") as s:
        check(s.cmd("MAIL bob@example.com"), 501, "5.5.4")
        s.quit()


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"])
def test_submission_auth_then_owned_sender(tls_server, mechanism):
    with tls_server.tls_session("submission") as s:
        check(s.auth(mechanism, BOB, BOB_PASSWORD), 235, "2.7.0", text="Authentication successful")
        check(s.cmd("MAIL FROM:<bob@example.com>"), 250, "2.1.0", text="Sender OK")
        s.quit()


def test_submission_sender_in_every_local_domain(tls_server):
    with tls_server.tls_session("submission") as s:
        check(s.auth_plain(BOB, BOB_PASSWORD), 235, "2.7.0")
        check(s.cmd("MAIL FROM:<bob@example.org>"), 250, "2.1.0")
        s.quit()


@pytest.mark.parametrize("sender", ["other@example.com", "bob@other.example", "user@example.com",
                                    "bobby@example.com"])
def test_submission_sender_not_owned(tls_server, sender):
    with tls_server.tls_session("submission") as s:
        check(s.auth_plain(BOB, BOB_PASSWORD), 235, "2.7.0")
        rep = check(s.cmd(f"MAIL FROM:<{sender}>"), 553, "5.7.1")
        assert f"<{sender}>" in rep.text and BOB in rep.text, rep
        # the session goes on
        check(s.cmd("MAIL FROM:<bob@example.com>"), 250, "2.1.0")
        s.quit()


def test_submission_address_option(tls_server, alias_account):
    name, pw = alias_account
    with tls_server.tls_session("submission") as s:
        check(s.auth_plain(name, pw), 235, "2.7.0")
        check(s.cmd("MAIL FROM:<alias@other.example>"), 250, "2.1.0")
        check(s.cmd("RSET"), 250, "2.0.0")
        check(s.cmd(f"MAIL FROM:<{name}@example.com>"), 250, "2.1.0")
        check(s.cmd("RSET"), 250, "2.0.0")
        rep = check(s.cmd("MAIL FROM:<bob@example.com>"), 553, "5.7.1")
        assert "<bob@example.com>" in rep.text and name in rep.text, rep
        s.quit()
    # bob does not own alice's extra address
    with tls_server.tls_session("submission") as s:
        check(s.auth_plain(BOB, BOB_PASSWORD), 235, "2.7.0")
        check(s.cmd("MAIL FROM:<alias@other.example>"), 553, "5.7.1")
        s.quit()


def test_submission_delivers_and_relays(tls_server):
    marker = unique_marker("submit")
    with tls_server.tls_session("submission") as s:
        check(s.auth_scram(BOB, BOB_PASSWORD), 235, "2.7.0")
        s.send_mail(marker, sender="bob@example.com", rcpts=("user@example.com", "x@other.example"))
        s.quit()
    d = parse_delivered(wait_delivered(tls_server.data_dir, "user@example.com", marker)[0])
    assert d.return_path == "<bob@example.com>"
    assert re.search(r"\bwith ESMTPSA\b", d.received), d.received


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_submission_swaks_tls_auth(tls_server, mechanism):
    marker = unique_marker(f"sub-swaks-{mechanism}")
    res = swaks(tls_server.port_of("submission"), "--tls", "--auth", mechanism,
                "--auth-user", BOB, "--auth-password", BOB_PASSWORD,
                "--from", "bob@example.com", "--to", "user@example.com",
                "--header", f"Subject: {marker}")
    assert res.returncode == 0, res.stdout + res.stderr
    wait_delivered(tls_server.data_dir, "user@example.com", marker)


def test_submission_swaks_without_auth_refused(tls_server):
    res = swaks(tls_server.port_of("submission"), "--tls",
                "--from", "bob@example.com", "--to", "user@example.com")
    assert res.returncode != 0
    assert "530 5.7.0 Authentication required" in res.stdout, res.stdout


def test_submission_swaks_without_tls_refused(tls_server):
    res = swaks(tls_server.port_of("submission"),
                "--from", "bob@example.com", "--to", "user@example.com")
    assert res.returncode != 0
    assert "530 5.7.0 Must issue a STARTTLS command first" in res.stdout, res.stdout


def test_submission_starttls_replies(tls_server):
    with tls_server.session("submission") as s:
        s.ehlo()
        check(s.cmd("STARTTLS now"), 501, "5.5.4")
        s.starttls()
        s.ehlo()
        check(s.cmd("STARTTLS"), 503, "5.5.1")
        s.quit()


def test_submission_injection_discarded(tls_server):
    with tls_server.session("submission") as s:
        s.ehlo()
        s.send("STARTTLS\r\nRSET\r\n")
        check(s.read_reply(), 220, "2.0.0", text="Ready to start TLS")
        s.wrap_tls()
        rep = check(s.cmd("EHLO x"), 250)
        assert rep.lines[0] == f"{HOST} Hello x"


def test_submission_without_tls_config_is_an_error(tmp_path):
    text = '[[listen]]\nrole = "submission"\naddress = "127.0.0.1:2587"\n'
    (tmp_path / "tern.toml").write_text(text)
    res = run_tern(["check-config", "tern.toml"], cwd=tmp_path)
    assert res.returncode == 1, output(res)
    assert re.search(r"(?m)^(?:.*/)?tern\.toml:[12]: listen\[0\]\.role: .+$", output(res)), output(res)


def test_smtps_without_tls_config_is_an_error(tmp_path):
    text = ('[[listen]]\nrole = "mx"\naddress = "127.0.0.1:2525"\n\n'
            '[[listen]]\nrole = "smtps"\naddress = "127.0.0.1:2465"\n')
    (tmp_path / "tern.toml").write_text(text)
    res = run_tern(["check-config", "tern.toml"], cwd=tmp_path)
    assert res.returncode == 1, output(res)
    assert re.search(r"(?m)^(?:.*/)?tern\.toml:[56]: listen\[1\]\.role: .+$", output(res)), output(res)


def test_roles_with_tls_config_pass(tmp_path):
    make_certificate(tmp_path)
    cfg = {"hostname": HOST, "data_dir": "data",
           "listen": [{"role": "mx", "address": "127.0.0.1:2525"},
                      {"role": "submission", "address": "127.0.0.1:2587"},
                      {"role": "smtps", "address": "127.0.0.1:2465"}],
           **TLS_CONFIG, "auth": {"mechanisms": ["SCRAM-SHA-256", "PLAIN"], "require_tls": True},
           "limits": {"auth_failures": 5}}
    (tmp_path / "tern.toml").write_text(to_toml(cfg))
    res = run_tern(["check-config", "tern.toml"], cwd=tmp_path)
    assert res.returncode == 0, output(res)


# ---------------------------------------------------------------- smtps

def test_smtps_greeting_after_handshake(tls_server):
    with tls_server.session("smtps") as s:
        assert s.tls_version() in ("TLSv1.2", "TLSv1.3")
        check(s.greeting, 220, text=GREETING)
        rep = s.ehlo()
        assert rep.lines[0] == f"{HOST} Hello client.example.net"
        assert rep.lines[1:] == ehlo_keywords(tls=True, role="smtps"), rep
        s.quit()


def test_smtps_starttls_not_available(tls_server):
    with tls_server.session("smtps") as s:
        s.ehlo()
        check(s.cmd("STARTTLS"), 454, "4.7.0", text="TLS not available due to temporary reason")
        check(s.cmd("NOOP"), 250, "2.0.0")
        s.quit()


def test_smtps_mail_needs_auth_and_owned_sender(tls_server):
    with tls_server.session("smtps") as s:
        s.ehlo()
        check(s.cmd("MAIL FROM:<bob@example.com>"), 530, "5.7.0", text=AUTH_REQUIRED)
        check(s.auth_scram(BOB, BOB_PASSWORD), 235, "2.7.0")
        check(s.cmd("MAIL FROM:<other@example.com>"), 553, "5.7.1")
        check(s.cmd("MAIL FROM:<bob@example.com>"), 250, "2.1.0")
        s.quit()


def test_smtps_smtplib_sends(tls_server):
    marker = unique_marker("smtps")
    client = smtp_ssl(tls_server.port_of("smtps"))
    try:
        assert "starttls" not in client.esmtp_features
        check(smtp_auth(client, "PLAIN", BOB, BOB_PASSWORD), 235, "2.7.0")
        msg = (f"From: <bob@example.com>\r\nTo: <user@example.com>\r\nSubject: {marker}\r\n"
               f"\r\nvia smtps\r\n")
        refused = client.sendmail("bob@example.com", ["user@example.com"], msg)
        assert refused == {}
    finally:
        smtp_close(client)
    d = parse_delivered(wait_delivered(tls_server.data_dir, "user@example.com", marker)[0])
    assert re.search(r"\bwith ESMTPSA\b", d.received), d.received


def test_smtps_swaks_tlsc(tls_server):
    marker = unique_marker("smtps-swaks")
    res = swaks(tls_server.port_of("smtps"), "--tlsc", "--auth", "PLAIN",
                "--auth-user", BOB, "--auth-password", BOB_PASSWORD,
                "--from", "bob@example.com", "--to", "user@example.com",
                "--header", f"Subject: {marker}")
    assert res.returncode == 0, res.stdout + res.stderr
    wait_delivered(tls_server.data_dir, "user@example.com", marker)


def test_smtps_openssl_s_client(tls_server):
    res = s_client(tls_server.port_of("smtps"), "EHLO client.example.net\nQUIT\n", starttls=False)
    out = res.stdout
    assert res.returncode == 0, out + res.stderr
    assert f"220 {GREETING}" in out, out
    assert "250-AUTH PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256" in out, out
    assert "STARTTLS" not in out, out


def test_smtps_plaintext_client_gets_no_greeting(tls_server):
    with Session(tls_server.port_of("smtps"), read_greeting=False) as s:
        s.send("EHLO client.example.net\r\n")
        data = s.read_until_close(timeout=10)
        assert not re.search(rb"(^|\r\n)\d{3}[ -]", data), f"SMTP text to a plaintext client: {data!r}"
    assert tls_server.running()


def test_smtps_silent_plaintext_client_gets_no_greeting(tls_server):
    """§1: on `smtps` the greeting follows the handshake.  A client that
    sends nothing gets nothing, and the connection stays open while the
    server waits for its ClientHello (a wait bounded by the idle timeout,
    §0.2): no data, no close, no reset; a late handshake still gets the
    greeting."""
    with Session(tls_server.port_of("smtps"), read_greeting=False) as s:
        s.sock.settimeout(1.0)
        try:
            data = s.sock.recv(65536)
        except (socket.timeout, TimeoutError):
            data = None  # one second of silence on an open connection
        finally:
            s.sock.settimeout(s.timeout)
        assert data is None, ("the server closed the connection" if data == b""
                              else f"data before the handshake: {data[:300]!r}")
        s.wrap_tls()
        check(s.read_reply(), 220, text=GREETING)
        s.quit()


def test_smtps_tls_1_1_refused(tls_server):
    """§12 "TLS 1.2 or later" on `smtps`: the server answers a TLS 1.1
    ClientHello with the protocol_version alert, and no greeting follows."""
    out = assert_tls_1_1_refused_by_server(tls_server.port_of("smtps"), starttls=False)
    assert "220 " not in out, out


def test_mx_has_no_sender_check_and_no_auth_requirement(tls_server):
    with tls_server.tls_session("mx") as s:
        check(s.cmd("MAIL FROM:<other@example.com>"), 250, "2.1.0")
        check(s.cmd("RCPT TO:<user@example.com>"), 250, "2.1.5")
        s.quit()


def test_listeners_are_independent(tls_server):
    """A plaintext mx session and a submission one at the same time."""
    with tls_server.session("mx") as a, tls_server.session("submission") as b:
        a.ehlo()
        b.ehlo()
        check(a.cmd("MAIL FROM:<sender@other.example>"), 250, "2.1.0")
        check(b.cmd("MAIL FROM:<sender@other.example>"), 530, "5.7.0", text=STARTTLS_FIRST)
