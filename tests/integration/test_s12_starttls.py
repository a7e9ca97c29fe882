"""docs/behaviour.md §12: STARTTLS (RFC 3207) on `mx` — the replies, the state after
the handshake, the plaintext-injection defence (CVE-2011-0411), TLS 1.2+,
`openssl s_client`, the `Received:` trace of a TLS session, and the
certificate reload on SIGHUP (docs/configuration.md `[tls]`)."""

import re
import signal
import ssl
import time

import pytest

from smtp_client import (MX_PLAINTEXT_KEYWORDS, assert_tls_1_1_refused_by_server, check,
                         ehlo_keywords, parse_delivered, s_client, tls_client_context,
                         unique_marker, wait_delivered)
from tern_server import make_certificate

HOST = "mx.example.com"
READY = "Ready to start TLS"
NOT_AVAILABLE = "TLS not available due to temporary reason"
NO_PARAMS = "Syntax error, no parameters allowed"


# ---------------------------------------------------------------- EHLO

def test_ehlo_plaintext_with_certificate_offers_starttls(tls_server):
    with tls_server.session("mx") as s:
        check(s.greeting, 220, text=f"{HOST} ESMTP service ready")
        rep = s.ehlo()
        assert rep.lines[0] == f"{HOST} Hello client.example.net"
        assert rep.lines[1:] == ehlo_keywords(tls=False), rep
        s.quit()


def test_ehlo_after_starttls_offers_auth_not_starttls(tls_server):
    with tls_server.tls_session("mx") as s:
        rep = s.ehlo()
        assert rep.lines[0] == f"{HOST} Hello client.example.net"
        assert rep.lines[1:] == ehlo_keywords(tls=True), rep
        s.quit()


def test_no_certificate_no_starttls_keyword(server):
    with server.session() as s:
        assert s.ehlo().lines[1:] == MX_PLAINTEXT_KEYWORDS


# ---------------------------------------------------------------- STARTTLS replies

def test_starttls_ready_then_handshake(tls_server):
    with tls_server.session("mx") as s:
        s.ehlo()
        rep = s.starttls()
        assert len(rep.lines) == 1
        assert s.tls_version() in ("TLSv1.2", "TLSv1.3")
        s.ehlo()
        check(s.cmd("NOOP"), 250, "2.0.0")
        s.quit()


def test_no_new_greeting_after_handshake(tls_server):
    with tls_server.session("mx") as s:
        s.ehlo()
        s.starttls()
        s.expect_silence(0.7)
        s.ehlo()


def test_starttls_before_ehlo_is_allowed(tls_server):
    with tls_server.session("mx") as s:
        s.starttls()
        rep = s.ehlo("first.example.net")
        assert rep.lines[0] == f"{HOST} Hello first.example.net"


def test_starttls_without_certificate(server):
    with server.session() as s:
        s.ehlo()
        check(s.cmd("STARTTLS"), 454, "4.7.0", text=NOT_AVAILABLE)
        # plaintext session continues
        check(s.cmd("NOOP"), 250, "2.0.0")
        assert s.ehlo().lines[1:] == MX_PLAINTEXT_KEYWORDS
        s.quit()


def test_starttls_with_argument_without_certificate_is_unavailable_first(server):
    # §12 order: TLS unavailable, argument, already active
    with server.session() as s:
        s.ehlo()
        check(s.cmd("STARTTLS now"), 454, "4.7.0", text=NOT_AVAILABLE)
        s.quit()


def test_starttls_with_argument(tls_server):
    with tls_server.session("mx") as s:
        s.ehlo()
        check(s.cmd("STARTTLS now"), 501, "5.5.4", text=NO_PARAMS)
        # still plaintext, and STARTTLS still works
        s.starttls()
        s.ehlo()
        s.quit()


def test_starttls_inside_tls(tls_server):
    with tls_server.tls_session("mx") as s:
        check(s.cmd("STARTTLS"), 503, "5.5.1")
        # the argument check comes before "already active"
        check(s.cmd("STARTTLS now"), 501, "5.5.4", text=NO_PARAMS)
        check(s.cmd("NOOP"), 250, "2.0.0")
        s.quit()


def test_starttls_verb_case_insensitive(tls_server):
    with tls_server.session("mx") as s:
        s.ehlo()
        check(s.cmd("starttls"), 220, "2.0.0", text=READY)
        s.wrap_tls()
        s.ehlo()


# ---------------------------------------------------------------- state after the handshake

def test_mail_before_new_ehlo_after_handshake(tls_server):
    with tls_server.session("mx") as s:
        s.ehlo()
        s.starttls()
        check(s.cmd("MAIL FROM:<sender@other.example>"), 503, "5.5.1")
        s.ehlo()
        check(s.cmd("MAIL FROM:<sender@other.example>"), 250, "2.1.0")
        s.quit()


def test_starttls_inside_transaction_discards_it(tls_server):
    with tls_server.session("mx") as s:
        s.ehlo()
        check(s.cmd("MAIL FROM:<sender@other.example>"), 250, "2.1.0")
        check(s.cmd("RCPT TO:<user@example.com>"), 250, "2.1.5")
        s.starttls()
        s.ehlo()
        check(s.cmd("RCPT TO:<user@example.com>"), 503, "5.5.1")
        check(s.cmd("DATA"), 503, "5.5.1")
        check(s.cmd("MAIL FROM:<sender@other.example>"), 250, "2.1.0")
        s.quit()


def test_helo_name_forgotten_after_handshake(tls_server):
    marker = unique_marker("tlsname")
    with tls_server.session("mx") as s:
        check(s.cmd("EHLO before.example.net"), 250)
        s.starttls()
        check(s.cmd("EHLO after.example.net"), 250)
        s.send_mail(marker)
        s.quit()
    d = parse_delivered(wait_delivered(tls_server.data_dir, "user@example.com", marker)[0])
    assert "after.example.net" in d.received and "before.example.net" not in d.received, d.received


# ---------------------------------------------------------------- injection (CVE-2011-0411)

@pytest.mark.parametrize("injected", [
    "RSET",
    "MAIL FROM:<attacker@other.example>",
    "EHLO evil.example.net",
    "NOOP",
])
def test_plaintext_after_starttls_is_discarded(tls_server, injected):
    with tls_server.session("mx") as s:
        s.ehlo()
        s.send(f"STARTTLS\r\n{injected}\r\n")  # one write, one packet
        check(s.read_reply(), 220, "2.0.0", text=READY)
        s.wrap_tls()
        # the first reply read inside TLS answers the first command sent inside TLS
        rep = check(s.cmd("EHLO x"), 250)
        assert rep.lines[0] == f"{HOST} Hello x", rep
        # the injected MAIL was not executed: no transaction is open
        check(s.cmd("RCPT TO:<user@example.com>"), 503, "5.5.1")
        check(s.cmd("NOOP"), 250, "2.0.0")
        s.expect_silence(0.3)
        s.quit()


def test_plaintext_before_starttls_reply_is_discarded_too(tls_server):
    """Commands pipelined behind STARTTLS before EHLO: only the 220."""
    with tls_server.session("mx") as s:
        s.send("STARTTLS\r\nEHLO evil.example.net\r\nMAIL FROM:<a@other.example>\r\n")
        check(s.read_reply(), 220, "2.0.0", text=READY)
        s.wrap_tls()
        check(s.cmd("MAIL FROM:<sender@other.example>"), 503, "5.5.1")
        s.ehlo()
        s.quit()


# ---------------------------------------------------------------- handshake failure

def test_failed_handshake_closes_without_reply(tls_server):
    with tls_server.session("mx") as s:
        s.ehlo()
        check(s.cmd("STARTTLS"), 220, "2.0.0", text=READY)
        s.send(b"this is not a TLS client hello\r\nNOOP\r\n")
        data = s.read_until_close(timeout=10)
        assert not re.search(rb"(^|\r\n)\d{3}[ -]", data), f"SMTP reply after a failed handshake: {data!r}"
    assert tls_server.running()


# ---------------------------------------------------------------- protocol versions

@pytest.mark.parametrize("version,name", [
    (ssl.TLSVersion.TLSv1_2, "TLSv1.2"),
    (ssl.TLSVersion.TLSv1_3, "TLSv1.3"),
])
def test_tls_1_2_and_1_3_accepted(tls_server, version, name):
    with tls_server.session("mx") as s:
        s.ehlo()
        check(s.cmd("STARTTLS"), 220, "2.0.0", text=READY)
        s.wrap_tls(tls_client_context(minimum=version, maximum=version))
        assert s.tls_version() == name
        s.ehlo()
        s.quit()


def test_tls_1_1_refused(tls_server):
    """§12 "TLS 1.2 or later": after STARTTLS the server itself answers a
    TLS 1.1 ClientHello with the protocol_version alert."""
    out = assert_tls_1_1_refused_by_server(tls_server.port_of("mx"))
    assert "221 2.0.0" not in out, out


def test_tls_1_2_refused_with_min_version_1_3(tern_factory):
    srv = tern_factory({"tls": {"min_version": "1.3"}}, tls=True, roles=("mx",))
    with srv.session() as s:
        s.ehlo()
        check(s.cmd("STARTTLS"), 220, "2.0.0", text=READY)
        with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
            s.wrap_tls(tls_client_context(maximum=ssl.TLSVersion.TLSv1_2))
            s.cmd("EHLO x")
    with srv.session() as s:
        s.ehlo()
        s.starttls(tls_client_context(minimum=ssl.TLSVersion.TLSv1_3))
        assert s.tls_version() == "TLSv1.3"
        s.ehlo()
        s.quit()


# ---------------------------------------------------------------- openssl s_client

def test_openssl_s_client_starttls(tls_server):
    res = s_client(tls_server.port_of("mx"), "EHLO client.example.net\nQUIT\n")
    out = res.stdout
    assert res.returncode == 0, out + res.stderr
    assert re.search(r"subject=.*CN\s*=\s*mx\.example\.com", out), out
    assert re.search(r"Protocol\s*:\s*TLSv1\.[23]", out), out
    assert f"250-{HOST} Hello client.example.net" in out, out
    assert "250-AUTH PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256" in out, out
    assert "STARTTLS" not in out.split(f"250-{HOST} Hello client.example.net", 1)[1], out
    assert f"221 2.0.0 {HOST}" in out, out


# ---------------------------------------------------------------- Received: trace

def test_received_records_esmtps_and_tls_version(tls_server):
    marker = unique_marker("esmtps")
    with tls_server.tls_session("mx") as s:
        version = s.tls_version()
        s.send_mail(marker)
        s.quit()
    d = parse_delivered(wait_delivered(tls_server.data_dir, "user@example.com", marker)[0])
    assert re.search(r"\bwith ESMTPS\b", d.received), d.received
    m = re.search(r"\(using (TLSv1\.[23])[ )]", d.received)
    assert m, f"Received: must record the TLS version as (using TLSv1.x ...): {d.received}"
    assert m.group(1) == version, d.received


def test_received_records_utf8smtps(tls_server):
    marker = unique_marker("utf8s")
    with tls_server.tls_session("mx") as s:
        s.send_mail(marker, params="SMTPUTF8")
        s.quit()
    d = parse_delivered(wait_delivered(tls_server.data_dir, "user@example.com", marker)[0])
    assert re.search(r"\bwith UTF8SMTPS\b", d.received), d.received


def test_received_plaintext_stays_esmtp(tls_server):
    marker = unique_marker("plain")
    with tls_server.session("mx") as s:
        s.ehlo()
        s.send_mail(marker)
        s.quit()
    d = parse_delivered(wait_delivered(tls_server.data_dir, "user@example.com", marker)[0])
    assert re.search(r"\bwith ESMTP\b", d.received), d.received
    assert "(using TLS" not in d.received, d.received


# ---------------------------------------------------------------- reload on SIGHUP

def test_sighup_reloads_certificate_without_dropping_sessions(tern_factory):
    srv = tern_factory(tls=True, roles=("mx", "smtps"))
    old = srv.tls_session("mx")
    try:
        assert "mx.example.com" in old.peer_subject()
        with srv.session("smtps") as s:
            assert "mx.example.com" in s.peer_subject()
        make_certificate(srv.workdir, cn="new.example.com")
        srv.signal(signal.SIGHUP)

        # a new session sees the new certificate (bounded wait for the reload)
        deadline = time.monotonic() + 10
        subject = ""
        while time.monotonic() < deadline:
            res = s_client(srv.port_of("mx"), "QUIT\n")
            m = re.search(r"subject=(.*)", res.stdout)
            subject = m.group(1) if m else res.stdout[-500:]
            if "new.example.com" in subject:
                break
            time.sleep(0.2)
        assert "new.example.com" in subject, f"no reload after SIGHUP; last subject: {subject}"
        with srv.session("smtps") as s:
            assert "new.example.com" in s.peer_subject()
        with srv.tls_session("mx") as s:
            assert "new.example.com" in s.peer_subject()
            s.quit()

        # the server kept running and the old session still works
        assert srv.running()
        check(old.cmd("NOOP"), 250, "2.0.0")
        marker = unique_marker("afterhup")
        old.send_mail(marker)
        old.quit()
        wait_delivered(srv.data_dir, "user@example.com", marker)
    finally:
        old.close()


def test_sighup_with_broken_certificate_keeps_old_one(tern_factory):
    """A reload that cannot read the new pair keeps serving the old one."""
    srv = tern_factory(tls=True, roles=("mx",))
    (srv.workdir / "cert.pem").write_text("not a certificate\n")
    srv.signal(signal.SIGHUP)
    # the reload was attempted and refused (the server's log says so) before the check
    srv.wait_log(r"\[TernDaemon\] tls certificate reload failed; keeping the old one$")
    assert srv.running()
    with srv.tls_session("mx") as s:
        assert "mx.example.com" in s.peer_subject()
        s.quit()
