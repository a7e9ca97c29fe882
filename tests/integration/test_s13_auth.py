"""docs/behaviour.md §13: AUTH (RFC 4954) on `mx` after STARTTLS — PLAIN, LOGIN,
CRAM-MD5 and SCRAM-SHA-256 with smtplib, swaks and a Python SCRAM client;
every reply of the table (503, 501, 504, 538, 535, 534, 432, 454, 500 5.5.6);
the per-account policies and the password transition of imported accounts
(docs/configuration.md `tern user ...`, `[auth]`, `[limits] auth_failures`)."""

import base64
import hashlib
import os
import re
import subprocess
import time

import pytest

from smtp_client import (ScramClient, b64e, check, ehlo_keywords, files_containing,
                         parse_delivered, sasl_plain, smtp_auth, smtp_close, smtp_starttls,
                         spool_files, swaks, unique_marker, wait_delivered)
from tern_server import BOB, BOB_PASSWORD

HOST = "mx.example.com"
OK = "Authentication successful"
INVALID = "Authentication credentials invalid"
TOO_WEAK = "Authentication mechanism is too weak"
TRANSITION = "A password transition is needed"
ENCRYPTION = "Encryption required for requested authentication mechanism"
TEMPFAIL = "Temporary authentication failure"
MECHANISMS = ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"]
FAIL_PAUSE_MAX = 5.0  # a failure is answered after a short pause (≤ 2 s); generous bound


def ok(rep):
    return check(rep, 235, "2.7.0", text=OK)


def ssha256(password: str, salt: bytes) -> str:
    """Dovecot's {SSHA256}: base64(SHA-256(password ‖ salt) ‖ salt)."""
    digest = hashlib.sha256(password.encode() + salt).digest()
    return "{SSHA256}" + base64.b64encode(digest + salt).decode()


def sha512_crypt(password: str, salt: str = "saltsalt") -> str:
    res = subprocess.run(["openssl", "passwd", "-6", "-salt", salt, password],
                         capture_output=True, timeout=20, stdin=subprocess.DEVNULL)
    assert res.returncode == 0, res.stderr
    return "{SHA512-CRYPT}" + res.stdout.decode().strip()


# ---------------------------------------------------------------- the SCRAM helper itself

def test_scram_client_matches_rfc7677_vector():
    """RFC 7677 §3: user, pencil — checks the test's own SCRAM client."""
    sc = ScramClient("user", "pencil", nonce="rOprNGfwEbeRWgbNEkqO")
    assert sc.client_first() == "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
    final = sc.client_final("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                            "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")
    assert final == ("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                     "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
    sc.verify_server_final("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")


# ---------------------------------------------------------------- success with every mechanism

@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
@pytest.mark.parametrize("initial", [True, False], ids=["initial-response", "no-initial"])
def test_smtplib_login_each_mechanism(tls_server, mechanism, initial):
    client = smtp_starttls(tls_server.port_of("mx"))
    try:
        assert client.esmtp_features["auth"].split() == MECHANISMS
        ok(smtp_auth(client, mechanism, BOB, BOB_PASSWORD, initial_response_ok=initial))
    finally:
        smtp_close(client)


def test_smtplib_login_default_choice(tls_server):
    client = smtp_starttls(tls_server.port_of("mx"))
    try:
        ok(client.login(BOB, BOB_PASSWORD))
    finally:
        smtp_close(client)


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_raw_auth_each_mechanism(tls_server, mechanism):
    with tls_server.tls_session("mx") as s:
        ok(s.auth(mechanism, BOB, BOB_PASSWORD))
        s.quit()


@pytest.mark.parametrize("initial", [True, False], ids=["initial-response", "no-initial"])
def test_scram_sha_256(tls_server, initial):
    with tls_server.tls_session("mx") as s:
        ok(s.auth_scram(BOB, BOB_PASSWORD, initial=initial))
        assert s.scram.server_verified
        assert s.scram.iterations >= 4096
        assert len(s.scram.salt) >= 8
        s.quit()


def test_login_with_initial_response(tls_server):
    with tls_server.tls_session("mx") as s:
        ok(s.auth_login(BOB, BOB_PASSWORD, initial=True))


def test_plain_with_matching_authzid(tls_server):
    with tls_server.tls_session("mx") as s:
        ok(s.auth_plain(BOB, BOB_PASSWORD, authzid=BOB))


def test_plain_empty_initial_response_marker(tls_server):
    """`AUTH PLAIN =` is an empty initial response: it fails as bad PLAIN form."""
    with tls_server.tls_session("mx") as s:
        check(s.cmd("AUTH PLAIN ="), 535, "5.7.8", text=INVALID)


def test_mechanism_name_case_insensitive(tls_server):
    with tls_server.tls_session("mx") as s:
        ok(s.cmd(f"auth plain {b64e(sasl_plain(BOB, BOB_PASSWORD))}"))


def test_account_added_while_running(tls_server):
    name = f"run{os.getpid() % 10000}x{time.monotonic_ns() % 100000}"
    tls_server.add_user(name, "fresh-pw-1")
    with tls_server.tls_session("mx") as s:
        ok(s.auth_scram(name, "fresh-pw-1"))
    with tls_server.tls_session("mx") as s:
        ok(s.auth_plain(name, "fresh-pw-1"))
    # no --allow-cram-md5: the account holds no CRAM-MD5 secret
    with tls_server.tls_session("mx") as s:
        check(s.auth_cram_md5(name, "fresh-pw-1"), 535, "5.7.8", text=INVALID)


# ---------------------------------------------------------------- after AUTH: relay and trace

def test_authenticated_relay_on_mx(tls_server):
    with tls_server.tls_session("mx") as s:
        check(s.cmd("MAIL FROM:<sender@other.example>"), 250, "2.1.0")
        check(s.cmd("RCPT TO:<x@other.example>"), 554, "5.7.1")
        check(s.cmd("RSET"), 250, "2.0.0")
        ok(s.auth_plain(BOB, BOB_PASSWORD))
        check(s.cmd("MAIL FROM:<anyone@other.example>"), 250, "2.1.0")  # mx: no sender check
        check(s.cmd("RCPT TO:<x@other.example>"), 250, "2.1.5")
        s.quit()


def test_received_records_esmtpsa(tls_server):
    marker = unique_marker("esmtpsa")
    with tls_server.tls_session("mx") as s:
        ok(s.auth_scram(BOB, BOB_PASSWORD))
        s.send_mail(marker, sender="bob@example.com")
        s.quit()
    d = parse_delivered(wait_delivered(tls_server.data_dir, "user@example.com", marker)[0])
    assert re.search(r"\bwith ESMTPSA\b", d.received), d.received
    assert re.search(r"\(using TLSv1\.[23][ )]", d.received), d.received


def test_rset_and_ehlo_keep_authentication(tls_server):
    with tls_server.tls_session("mx") as s:
        ok(s.auth_plain(BOB, BOB_PASSWORD))
        check(s.cmd("RSET"), 250, "2.0.0")
        s.ehlo()
        check(s.cmd("AUTH PLAIN"), 503, "5.5.1")  # still authenticated
        check(s.cmd("MAIL FROM:<bob@example.com>"), 250, "2.1.0")
        check(s.cmd("RCPT TO:<x@other.example>"), 250, "2.1.5")
        s.quit()


# ---------------------------------------------------------------- swaks

def swaks_auth(srv, to, mechanism, marker, password=BOB_PASSWORD):
    return swaks(srv.port_of("mx"), "--tls", "--auth", mechanism, "--auth-user", BOB,
                 "--auth-password", password, "--from", "bob@example.com", "--to", to,
                 "--header", f"Subject: {marker}")


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_swaks_auth_to_local(tls_server, mechanism):
    marker = unique_marker(f"swaks-{mechanism}")
    res = swaks_auth(tls_server, "user@example.com", mechanism, marker)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "235 2.7.0" in res.stdout, res.stdout
    got = wait_delivered(tls_server.data_dir, "user@example.com", marker)
    assert re.search(r"\bwith ESMTPSA\b", parse_delivered(got[0]).received)


@pytest.mark.file_spool
@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_swaks_auth_relay_stays_queued(tls_server, mechanism):
    marker = unique_marker(f"relay-{mechanism}")
    res = swaks_auth(tls_server, "someone@other.example", mechanism, marker)
    out = res.stdout
    assert res.returncode == 0, out + res.stderr
    assert "235 2.7.0" in out and re.search(r"250 2\.1\.5", out), out
    m = re.search(r"queued as (\S+)", out)
    assert m, out
    # other.example is routed to a closed port: once the server logs the deferred attempt,
    # the message waits in the spool
    tls_server.wait_log(rf"queue_id={re.escape(m.group(1))} .*\[TernDelivery\] delivery deferred$")
    assert files_containing(spool_files(tls_server.data_dir), marker), \
        f"relayed message {m.group(1)} not in the spool"


def test_swaks_wrong_password(tls_server):
    res = swaks_auth(tls_server, "user@example.com", "PLAIN", unique_marker("wrongpw"),
                     password="wrong")
    assert res.returncode != 0
    assert "535 5.7.8" in res.stdout, res.stdout


# ---------------------------------------------------------------- sequence and syntax

def test_auth_before_ehlo(tls_server):
    with tls_server.session("mx") as s:
        s.ehlo()
        s.starttls()  # EHLO forgotten
        check(s.cmd(f"AUTH PLAIN {b64e(sasl_plain(BOB, BOB_PASSWORD))}"), 503, "5.5.1")
        s.ehlo()
        ok(s.auth_plain(BOB, BOB_PASSWORD))


def test_auth_after_helo(tls_server):
    with tls_server.session("mx") as s:
        s.ehlo()
        s.starttls()
        check(s.cmd("HELO client.example.net"), 250)
        check(s.cmd(f"AUTH PLAIN {b64e(sasl_plain(BOB, BOB_PASSWORD))}"), 503, "5.5.1")
        check(s.cmd("AUTH SCRAM-SHA-256"), 503, "5.5.1")


def test_auth_before_ehlo_plaintext(tls_server):
    with tls_server.session("mx") as s:
        check(s.cmd("AUTH PLAIN"), 503, "5.5.1")


@pytest.mark.parametrize("line", ["AUTH", "AUTH ", "AUTH PLAIN a b", "AUTH LOGIN a b"])
def test_auth_syntax(tls_server, line):
    with tls_server.tls_session("mx") as s:
        check(s.cmd(line), 501, "5.5.4")
        ok(s.auth_plain(BOB, BOB_PASSWORD))


def test_cram_md5_with_initial_response(tls_server):
    with tls_server.tls_session("mx") as s:
        check(s.cmd("AUTH CRAM-MD5 abc"), 501, "5.5.4")


@pytest.mark.parametrize("mech", ["X-UNKNOWN", "GSSAPI", "DIGEST-MD5", "SCRAM-SHA-1"])
def test_unknown_mechanism(tls_server, mech):
    with tls_server.tls_session("mx") as s:
        check(s.cmd(f"AUTH {mech}"), 504, "5.5.4")


def test_auth_twice(tls_server):
    with tls_server.tls_session("mx") as s:
        ok(s.auth_plain(BOB, BOB_PASSWORD))
        check(s.cmd(f"AUTH PLAIN {b64e(sasl_plain(BOB, BOB_PASSWORD))}"), 503, "5.5.1")
        check(s.cmd("AUTH SCRAM-SHA-256"), 503, "5.5.1")
        s.quit()


def test_auth_inside_transaction(tls_server):
    with tls_server.tls_session("mx") as s:
        check(s.cmd("MAIL FROM:<sender@other.example>"), 250, "2.1.0")
        check(s.cmd(f"AUTH PLAIN {b64e(sasl_plain(BOB, BOB_PASSWORD))}"), 503, "5.5.1")
        check(s.cmd("RSET"), 250, "2.0.0")
        ok(s.auth_plain(BOB, BOB_PASSWORD))


def test_order_ehlo_before_syntax_before_mechanism(tls_server):
    with tls_server.session("mx") as s:
        s.starttls()
        check(s.cmd("AUTH"), 503, "5.5.1")  # EHLO seen comes first
        s.ehlo()
        check(s.cmd("AUTH X-UNKNOWN a b"), 501, "5.5.4")  # syntax before mechanism


# ---------------------------------------------------------------- encryption required (538)

@pytest.mark.parametrize("line", [
    f"AUTH PLAIN {b64e(sasl_plain(BOB, BOB_PASSWORD))}",
    "AUTH PLAIN",
    "AUTH LOGIN",
    "AUTH CRAM-MD5",
    "AUTH SCRAM-SHA-256",
    f"AUTH SCRAM-SHA-256 {b64e('n,,n=bob,r=abcdefgh')}",
])
def test_mx_without_tls(tls_server, line):
    with tls_server.session("mx") as s:
        rep = s.ehlo()
        assert not any(ln.upper().startswith("AUTH") for ln in rep.lines[1:]), rep
        check(s.cmd(line), 538, "5.7.11", text=ENCRYPTION)
        check(s.cmd("NOOP"), 250, "2.0.0")  # no exchange started
        s.quit()


def test_mx_without_tls_order(tls_server):
    """Mechanism known comes before encryption; 538 is not a failure."""
    with tls_server.session("mx") as s:
        s.ehlo()
        check(s.cmd("AUTH X-UNKNOWN"), 504, "5.5.4")
        for _ in range(4):
            check(s.cmd("AUTH PLAIN"), 538, "5.7.11", text=ENCRYPTION)
        s.starttls()
        s.ehlo()
        ok(s.auth_plain(BOB, BOB_PASSWORD))


def test_no_certificate_at_all(server):
    with server.session() as s:
        s.ehlo()
        check(s.cmd("AUTH PLAIN"), 538, "5.7.11", text=ENCRYPTION)


# ---------------------------------------------------------------- failures

@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_wrong_password(tls_server, mechanism):
    with tls_server.tls_session("mx") as s:
        t0 = time.monotonic()
        check(s.auth(mechanism, BOB, "not-the-password"), 535, "5.7.8", text=INVALID)
        assert time.monotonic() - t0 < FAIL_PAUSE_MAX
        check(s.cmd("NOOP"), 250, "2.0.0")
        ok(s.auth(mechanism, BOB, BOB_PASSWORD))


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "SCRAM-SHA-256"])
def test_unknown_user(tls_server, mechanism):
    with tls_server.tls_session("mx") as s:
        check(s.auth(mechanism, "nobody-here", "whatever"), 535, "5.7.8", text=INVALID)


def test_scram_unknown_user_gets_normal_server_first(tls_server):
    with tls_server.tls_session("mx") as s:
        sc = ScramClient("nobody-here", "whatever")
        rep = check(s.cmd(f"AUTH SCRAM-SHA-256 {b64e(sc.client_first())}"), 334)
        server_first = base64.b64decode(rep.text).decode()
        assert re.fullmatch(r"r=[!-+\--~]+,s=[A-Za-z0-9+/=]+,i=\d+", server_first), server_first
        final = sc.client_final(server_first)
        check(s.cmd(b64e(final)), 535, "5.7.8", text=INVALID)


def scram_server_first(srv, user):
    with srv.tls_session("mx") as s:
        sc = ScramClient(user, "whatever")
        rep = check(s.cmd(f"AUTH SCRAM-SHA-256 {b64e(sc.client_first())}"), 334)
        check(s.cmd("*"), 501, "5.7.0")
        return ScramClient._attrs(base64.b64decode(rep.text).decode())


def test_scram_unknown_user_cannot_be_told_apart(tls_server):
    """Names cannot be probed (§13): an unknown user's server-first has the
    iteration count and salt size of a real one, and the same salt each time
    (a real account's salt does not change between attempts either)."""
    real = scram_server_first(tls_server, BOB)
    assert scram_server_first(tls_server, BOB)["s"] == real["s"]
    first = scram_server_first(tls_server, "nobody-probe")
    again = scram_server_first(tls_server, "nobody-probe")
    assert first["i"] == real["i"], (first, real)
    assert len(base64.b64decode(first["s"])) == len(base64.b64decode(real["s"])), (first, real)
    assert first["s"] == again["s"], "an unknown user's salt changes between attempts"
    assert first["r"] != again["r"], "the server nonce must be fresh each time"


@pytest.mark.parametrize("tamper", ["proof", "nonce"])
def test_scram_bad_proof_or_nonce(tls_server, tamper):
    with tls_server.tls_session("mx") as s:
        check(s.auth_scram(BOB, BOB_PASSWORD, tamper=tamper), 535, "5.7.8", text=INVALID)


@pytest.mark.parametrize("first", [
    "p=tls-exporter,,n=bob,r=abcdefgh",   # channel binding we did not negotiate
    "n,a=other,n=bob,r=abcdefgh",         # authzid ≠ user
])
def test_scram_channel_binding_or_authzid(tls_server, first):
    with tls_server.tls_session("mx") as s:
        rep = s.cmd(f"AUTH SCRAM-SHA-256 {b64e(first)}")
        if rep.code == 334:  # the server may defer the verdict to the proof
            sc = ScramClient(BOB, BOB_PASSWORD, nonce="abcdefgh")
            sc.gs2_header = first.split("n=", 1)[0]
            rep = s.cmd(b64e(sc.client_final(base64.b64decode(rep.text).decode())))
        check(rep, 535, "5.7.8", text=INVALID)


def test_scram_gs2_header_y(tls_server):
    """`y,,`: the client could bind but thinks the server cannot (no -PLUS offered)."""
    with tls_server.tls_session("mx") as s:
        ok(s.auth_scram(BOB, BOB_PASSWORD, gs2_header="y,,"))


def test_scram_escaped_username(tls_server):
    with tls_server.tls_session("mx") as s:
        check(s.auth_scram("bo=b,x", BOB_PASSWORD), 535, "5.7.8", text=INVALID)


@pytest.mark.parametrize("payload", [
    b"bob\0secret-pw",             # one NUL only
    b"\0bob",                      # no password
    b"other\0bob\0secret-pw",      # authzid ≠ user
])
def test_plain_bad_forms(tls_server, payload):
    with tls_server.tls_session("mx") as s:
        check(s.cmd(f"AUTH PLAIN {b64e(payload)}"), 535, "5.7.8", text=INVALID)


@pytest.mark.parametrize("start", ["AUTH PLAIN", "AUTH LOGIN", "AUTH CRAM-MD5", "AUTH SCRAM-SHA-256"])
def test_cancel(tls_server, start):
    with tls_server.tls_session("mx") as s:
        check(s.cmd(start), 334)
        check(s.cmd("*"), 501, "5.7.0")
        check(s.cmd("NOOP"), 250, "2.0.0")


def test_cancel_at_login_password_step(tls_server):
    with tls_server.tls_session("mx") as s:
        check(s.cmd(f"AUTH LOGIN {b64e(BOB)}"), 334)
        check(s.cmd("*"), 501, "5.7.0")


def test_bad_base64_response(tls_server):
    with tls_server.tls_session("mx") as s:
        check(s.cmd("AUTH PLAIN"), 334)
        check(s.cmd("!!!not-base64!!!"), 501, "5.5.2")
        check(s.cmd("NOOP"), 250, "2.0.0")


def test_bad_base64_initial_response(tls_server):
    with tls_server.tls_session("mx") as s:
        check(s.cmd("AUTH PLAIN !!!not-base64!!!"), 501, "5.5.2")


def test_response_line_too_long(tls_server):
    with tls_server.tls_session("mx") as s:
        check(s.cmd("AUTH PLAIN"), 334)
        check(s.cmd("QUFB" * 3300), 500, "5.5.6")  # 13 200 octets
        check(s.cmd("NOOP"), 250, "2.0.0")


def test_auth_command_line_too_long(tls_server):
    with tls_server.tls_session("mx") as s:
        check(s.cmd("AUTH PLAIN " + "QUFB" * 3300), 500, "5.5.2")
        check(s.cmd("NOOP"), 250, "2.0.0")


def test_long_but_allowed_auth_line(tls_server):
    """An AUTH line under 12 288 octets is not 'too long' (512 is not its limit)."""
    with tls_server.tls_session("mx") as s:
        rep = s.cmd("AUTH PLAIN " + b64e(sasl_plain(BOB, "x" * 3000)))
        check(rep, 535, "5.7.8", text=INVALID)


def test_auth_data_never_logged(tern_factory):
    srv = tern_factory({"log": {"level": "trace"}}, tls=True, roles=("mx",))
    srv.add_user(BOB, BOB_PASSWORD, "--allow-cram-md5")
    wrong = "wrong-pw-for-the-log"
    with srv.tls_session("mx") as s:
        check(s.auth_plain(BOB, wrong), 535, "5.7.8")
        check(s.auth_login(BOB, wrong), 535, "5.7.8")
        ok(s.auth_plain(BOB, BOB_PASSWORD))
        s.quit()
    with srv.tls_session("mx") as s:
        ok(s.auth_scram(BOB, BOB_PASSWORD))
        s.quit()
    # The log holds the exchanges before it is searched: both failures, both successes and
    # the end of the last session.
    failed = srv.wait_log(r"^.*\bsession=(\d+)\b.*\[TernSMTPServer\] authentication failed$", count=2)
    authenticated = srv.wait_log(
        r"^.*\baccount=bob\b.*\bsession=(\d+)\b.*\[TernSMTPServer\] authenticated$", count=2)
    assert {m.group(1) for m in failed} == {authenticated[0].group(1)}, srv.log()
    last = authenticated[1].group(1)
    srv.wait_log(rf"^.*\bsession={last}\b.*\[TernSMTPServer\] disconnect$")
    log = srv.log_path.read_bytes()
    for secret in (BOB_PASSWORD, wrong, b64e(sasl_plain(BOB, BOB_PASSWORD)),
                   b64e(sasl_plain(BOB, wrong)), b64e(BOB_PASSWORD), b64e(wrong)):
        assert secret.encode() not in log, f"AUTH data {secret!r} in the server log"


# ---------------------------------------------------------------- failure limit (454)

def test_failure_limit(tern_factory):
    srv = tern_factory({"limits": {"auth_failures": 3}}, tls=True, roles=("mx",))
    srv.add_user(BOB, BOB_PASSWORD, "--allow-cram-md5")
    with srv.tls_session("mx") as s:
        for mech in ("PLAIN", "LOGIN", "SCRAM-SHA-256"):
            t0 = time.monotonic()
            check(s.auth(mech, BOB, "wrong"), 535, "5.7.8", text=INVALID)
            assert time.monotonic() - t0 < FAIL_PAUSE_MAX
        # even a correct AUTH, any mechanism, now gets 454
        check(s.cmd(f"AUTH PLAIN {b64e(sasl_plain(BOB, BOB_PASSWORD))}"), 454, "4.7.0",
              startswith=TEMPFAIL)
        check(s.cmd("AUTH SCRAM-SHA-256"), 454, "4.7.0", startswith=TEMPFAIL)
        # the connection stays open
        check(s.cmd("NOOP"), 250, "2.0.0")
        check(s.cmd("MAIL FROM:<sender@other.example>"), 250, "2.1.0")
        check(s.cmd("RCPT TO:<x@other.example>"), 554, "5.7.1")  # not authenticated
        s.quit()
    # counted per connection: a new one authenticates
    with srv.tls_session("mx") as s:
        ok(s.auth_plain(BOB, BOB_PASSWORD))
        s.quit()


def test_failure_limit_configurable(tern_factory):
    srv = tern_factory({"limits": {"auth_failures": 1}}, tls=True, roles=("mx",))
    srv.add_user(BOB, BOB_PASSWORD)
    with srv.tls_session("mx") as s:
        check(s.auth_plain(BOB, "wrong"), 535, "5.7.8", text=INVALID)
        check(s.auth_plain(BOB, BOB_PASSWORD), 454, "4.7.0", startswith=TEMPFAIL)
        check(s.cmd("NOOP"), 250, "2.0.0")


def test_failure_count_kept_across_starttls(tern_factory):
    """§12: after the handshake the failed-AUTH count is kept (needs AUTH
    before TLS: `[auth] require_tls = false`)."""
    srv = tern_factory({"limits": {"auth_failures": 3}, "auth": {"require_tls": False}},
                       tls=True, roles=("mx",))
    srv.add_user(BOB, BOB_PASSWORD)
    with srv.session("mx") as s:
        s.ehlo()
        check(s.auth_plain(BOB, "wrong"), 535, "5.7.8")
        check(s.auth_plain(BOB, "wrong"), 535, "5.7.8")
        s.starttls()
        s.ehlo()
        check(s.auth_plain(BOB, "wrong"), 535, "5.7.8")
        check(s.auth_plain(BOB, BOB_PASSWORD), 454, "4.7.0", startswith=TEMPFAIL)


def test_syntax_errors_are_not_credential_failures(tern_factory):
    """504 and 501 before an exchange starts are protocol errors, not failed attempts
    (an exchange the client cancels does count: test_auth_probing.py)."""
    srv = tern_factory({"limits": {"auth_failures": 3}}, tls=True, roles=("mx",))
    srv.add_user(BOB, BOB_PASSWORD)
    with srv.tls_session("mx") as s:
        for _ in range(4):
            check(s.cmd("AUTH X-UNKNOWN"), 504, "5.5.4")
            check(s.cmd("AUTH"), 501, "5.5.4")
        ok(s.auth_plain(BOB, BOB_PASSWORD))


# ---------------------------------------------------------------- [auth] configuration

def test_mechanisms_filtered_by_config(tern_factory):
    mechs = ["SCRAM-SHA-256", "PLAIN"]
    srv = tern_factory({"auth": {"mechanisms": mechs}}, tls=True, roles=("mx",))
    srv.add_user(BOB, BOB_PASSWORD, "--allow-cram-md5")
    with srv.tls_session("mx") as s:
        rep = s.ehlo()
        assert rep.lines[1:] == ehlo_keywords(tls=True, mechanisms=mechs), rep
        assert "AUTH PLAIN SCRAM-SHA-256" in rep.lines
        check(s.cmd("AUTH LOGIN"), 504, "5.5.4")
        check(s.cmd("AUTH CRAM-MD5"), 504, "5.5.4")
        ok(s.auth_scram(BOB, BOB_PASSWORD))


def test_require_tls_false_allows_auth_in_plaintext(tern_factory):
    srv = tern_factory({"auth": {"require_tls": False}}, tls=True, roles=("mx",))
    srv.add_user(BOB, BOB_PASSWORD)
    with srv.session("mx") as s:
        s.ehlo()
        ok(s.auth_plain(BOB, BOB_PASSWORD))


def test_starttls_forgets_the_authentication_and_its_relay_right(tern_factory):
    """docs/behaviour.md §12: after STARTTLS the session starts over, authentication
    included, so mail for other domains is refused until AUTH again."""
    srv = tern_factory({"auth": {"require_tls": False}}, tls=True, roles=("mx",))
    srv.add_user(BOB, BOB_PASSWORD)
    with srv.session("mx") as s:
        s.ehlo()
        ok(s.auth_plain(BOB, BOB_PASSWORD))
        check(s.starttls(), 220, "2.0.0")
        s.ehlo()
        check(s.cmd("MAIL FROM:<bob@example.com>"), 250, "2.1.0")
        check(s.cmd("RCPT TO:<x@other.example>"), 554, "5.7.1", text="<x@other.example>: Relay access denied")
        check(s.cmd("RSET"), 250, "2.0.0")
        ok(s.auth_plain(BOB, BOB_PASSWORD))
        check(s.cmd("MAIL FROM:<bob@example.com>"), 250, "2.1.0")
        check(s.cmd("RCPT TO:<x@other.example>"), 250, "2.1.5")
        s.quit()


# ---------------------------------------------------------------- policy: --strong-only (534)

def test_strong_only_account(tls_server):
    tls_server.add_user("carol", "carol-pw", "--strong-only")
    with tls_server.tls_session("mx") as s:
        # more than auth_failures (3) times: 534 is not counted
        check(s.auth_plain("carol", "carol-pw"), 534, "5.7.9", text=TOO_WEAK)
        check(s.auth_login("carol", "carol-pw"), 534, "5.7.9", text=TOO_WEAK)
        check(s.auth_cram_md5("carol", "carol-pw"), 534, "5.7.9", text=TOO_WEAK)
        check(s.auth_plain("carol", "carol-pw"), 534, "5.7.9", text=TOO_WEAK)
        # the policy comes before the credentials: a wrong password also gets 534
        check(s.auth_plain("carol", "wrong"), 534, "5.7.9", text=TOO_WEAK)
        ok(s.auth_scram("carol", "carol-pw"))
        s.quit()


# ---------------------------------------------------------------- password transition (432)

@pytest.mark.parametrize("scheme", ["SSHA256", "SHA512-CRYPT"])
def test_password_transition(tls_server, scheme):
    name, pw = f"dave-{scheme.lower()}", f"legacy-{scheme}-pw"
    legacy = ssha256(pw, os.urandom(8)) if scheme == "SSHA256" else sha512_crypt(pw)
    tls_server.import_user(name, legacy)

    with tls_server.tls_session("mx") as s:
        # 432 is not counted: more than auth_failures (3) times
        check(s.auth_scram(name, pw), 432, "4.7.12", text=TRANSITION)
        check(s.auth_cram_md5(name, pw), 432, "4.7.12", text=TRANSITION)
        check(s.auth_scram(name, pw, initial=False), 432, "4.7.12", text=TRANSITION)
        check(s.auth_scram(name, pw), 432, "4.7.12", text=TRANSITION)
        # PLAIN checks the legacy hash: a wrong password is 535
        check(s.auth_plain(name, "wrong"), 535, "5.7.8", text=INVALID)
        ok(s.auth_plain(name, pw))
        s.quit()

    # the transition stored SCRAM keys: SCRAM works now (new connection)
    with tls_server.tls_session("mx") as s:
        ok(s.auth_scram(name, pw))
        s.quit()
    with tls_server.tls_session("mx") as s:
        ok(s.auth_login(name, pw))
        s.quit()
    # and the plain password is nowhere under data_dir
    for p in tls_server.data_dir.rglob("*"):
        if p.is_file() and "mail" not in p.relative_to(tls_server.data_dir).parts[:1]:
            assert pw.encode() not in p.read_bytes(), f"plain password stored in {p}"


def test_password_transition_with_login(tls_server):
    name, pw = "dave-login", "legacy-login-pw"
    tls_server.import_user(name, ssha256(pw, b"\x01\x02\x03\x04\x05\x06\x07\x08"))
    with tls_server.tls_session("mx") as s:
        check(s.auth_scram(name, pw), 432, "4.7.12", text=TRANSITION)
        ok(s.auth_login(name, pw))
    with tls_server.tls_session("mx") as s:
        ok(s.auth_scram(name, pw))


def test_imported_account_plain_needs_tls(tls_server):
    name, pw = "dave-plaintext", "legacy-plain-pw"
    tls_server.import_user(name, ssha256(pw, b"saltsalt"))
    with tls_server.session("mx") as s:
        s.ehlo()
        check(s.auth_plain(name, pw), 538, "5.7.11", text=ENCRYPTION)
