"""docs/behaviour.md §5: RCPT TO and recipient outcomes (hold domains are in
test_s14_etrn.py, authenticated relay in test_roles.py)."""

import subprocess

import pytest

from smtp_client import check, make_message, send_message, smtp, smtp_close, unique_marker, wait_delivered

UNKNOWN = "Requested action not taken: mailbox unavailable"
BAD_ADDR = "Requested action not taken: mailbox name not allowed"
RELAY = "<x@other.example>: Relay access denied"


@pytest.fixture
def client(server):
    """EHLO done and a transaction open."""
    c = smtp(server.port, ehlo=True)
    check(c.docmd("MAIL", "FROM:<sender@other.example>"), 250, "2.1.0")
    yield c
    smtp_close(c)


def rcpt(c, arg):
    return c.docmd("RCPT", arg)


def test_no_transaction_before_ehlo(server):
    c = smtp(server.port)
    try:
        check(rcpt(c, "TO:<user@example.com>"), 503, "5.5.1")
    finally:
        smtp_close(c)


def test_no_transaction_after_ehlo(server):
    c = smtp(server.port, ehlo=True)
    try:
        check(rcpt(c, "TO:<user@example.com>"), 503, "5.5.1")
    finally:
        smtp_close(c)


@pytest.mark.parametrize("arg", ["user@example.com", "TO user@example.com", "TO:user@example.com",
                                 "FROM:<user@example.com>", "TO:", "", "TO:<user@example.com"])
def test_malformed(client, arg):
    check(rcpt(client, arg), 501, "5.5.4")


@pytest.mark.parametrize("params", [
    "NOTIFY=NEVER,SUCCESS", "NOTIFY=SOMETIMES", "NOTIFY=", "ORCPT=user", "ORCPT=rfc822",
    "NOTIFY=FAILURE NOTIFY=DELAY",
])
def test_bad_notify_orcpt(client, params):
    check(rcpt(client, f"TO:<user@example.com> {params}"), 501, "5.5.4")


@pytest.mark.parametrize("params", ["FOO=1", "FOO", "SIZE=10"])
def test_unknown_parameter(client, params):
    check(rcpt(client, f"TO:<user@example.com> {params}"), 555, "5.5.4")


def test_empty_path(client):
    check(rcpt(client, "TO:<>"), 553, "5.1.3")


def test_parameters_checked_before_empty_path(client):
    check(rcpt(client, "TO:<> FOO=1"), 555, "5.5.4")


def test_non_ascii_without_smtputf8(client):
    check(rcpt(client, "TO:<jöran@example.com>"), 553, "5.6.7")


def test_non_ascii_with_smtputf8(server):
    c = smtp(server.port, ehlo=True)
    try:
        check(c.docmd("MAIL", "FROM:<sender@other.example> SMTPUTF8"), 250, "2.1.0")
        check(rcpt(c, "TO:<jöran@example.org>"), 250, "2.1.5", text="Recipient OK")
    finally:
        smtp_close(c)


@pytest.mark.parametrize("addr", ["a@@example.com", "a b@example.com", "a@exa_mple..com",
                                  "a..b@example.com", "a@", "user@example.com.."])
def test_bad_syntax(client, addr):
    check(rcpt(client, f"TO:<{addr}>"), 553, "5.1.3", text=BAD_ADDR)


@pytest.mark.parametrize("arg", [
    "TO:<user@example.com>", "to:<user@example.com>", "TO: <user@example.com>",
    "TO:<USER@EXAMPLE.COM>", "TO:<User@Example.Com>", "TO:<staff@example.com>",
    "TO:<anything@example.org>", "TO:<@a.example,@b.example:user@example.com>",
    "TO:<user@example.com> NOTIFY=FAILURE,DELAY ORCPT=rfc822;user@example.com",
    "TO:<user@example.com> NOTIFY=NEVER", "TO:<user@example.com> notify=success",
])
def test_local_recipient(client, arg):
    check(rcpt(client, arg), 250, "2.1.5", text="Recipient OK")


@pytest.mark.parametrize("arg", ["TO:<Postmaster>", "TO:<postmaster>", "TO:<POSTMASTER>"])
def test_postmaster_without_domain(client, arg):
    check(rcpt(client, arg), 250, "2.1.5")


def test_forwarded(client):
    check(rcpt(client, "TO:<fwd@example.com>"), 251, "2.1.5",
          text="User not local; will forward to <fwd@other.example>")


def test_forwarded_any_case(client):
    check(rcpt(client, "TO:<FWD@Example.COM>"), 251, "2.1.5",
          text="User not local; will forward to <fwd@other.example>")


def test_relocated(client):
    check(rcpt(client, "TO:<old@example.com>"), 551, "5.1.6",
          text="User not local; please try <new@other.example>")


def test_relocated_any_case(client):
    check(rcpt(client, "TO:<OLD@EXAMPLE.com>"), 551, "5.1.6",
          text="User not local; please try <new@other.example>")


def test_unknown_local_user(client):
    check(rcpt(client, "TO:<nobody@example.com>"), 550, "5.1.1",
          text=f"<nobody@example.com>: {UNKNOWN}")


@pytest.mark.parametrize("addr", ["a%other.example@example.com", "other.example!a@example.com",
                                  '"a@other.example"@example.com', "user%example.com@example.com",
                                  "example.com!user@example.com"])
def test_routing_characters_are_plain_local_part(client, addr):
    rep = check(rcpt(client, f"TO:<{addr}>"), 550, "5.1.1")
    assert rep.text.endswith(f": {UNKNOWN}"), rep


def test_unavailable(client):
    check(rcpt(client, "TO:<busy@example.com>"), 450, "4.2.1",
          text="<busy@example.com>: Requested mail action not taken: mailbox unavailable")


def test_disabled(client):
    check(rcpt(client, "TO:<gone@example.com>"), 550, "5.2.1", startswith="<gone@example.com>:")


@pytest.mark.parametrize("arg", ["TO:<x@other.example>", "TO:<@example.com:x@other.example>",
                                 "TO:<@example.com,@example.org:x@other.example>"])
def test_relay_denied(client, arg):
    check(rcpt(client, arg), 554, "5.7.1", text=RELAY)


def test_relay_denied_upper_case_domain(client):
    rep = check(rcpt(client, "TO:<x@OTHER.example>"), 554, "5.7.1")
    assert rep.text_after_enhanced().lower() == RELAY.lower(), rep


@pytest.mark.parametrize("addr", ["x@example.com.other.example", "x@[192.0.2.1]",
                                  "x@sub.example.com", "x@localhost"])
def test_relay_denied_lookalikes(client, addr):
    rep = check(rcpt(client, f"TO:<{addr}>"), 554, "5.7.1")
    assert rep.text.endswith("Relay access denied"), rep


def test_refusals_leave_the_transaction_open(client):
    for arg in ["TO:<nobody@example.com>", "TO:<x@other.example>", "TO:<old@example.com>",
                "TO:<a@@example.com>", "TO:<user@example.com> FOO=1"]:
        assert rcpt(client, arg)[0] >= 500
    check(rcpt(client, "TO:<user@example.com>"), 250, "2.1.5")


# ---------------------------------------------------------------- recipient limit

def test_recipient_limit(server):
    c = smtp(server.port, ehlo=True)
    try:
        check(c.docmd("MAIL", "FROM:<sender@other.example>"), 250, "2.1.0")
        for i in range(50):
            check(rcpt(c, f"TO:<r{i}@example.org>"), 250, "2.1.5")
            if i % 10 == 0:  # refusals do not count
                check(rcpt(c, "TO:<nobody@example.com>"), 550, "5.1.1")
        check(rcpt(c, "TO:<r50@example.org>"), 452, "4.5.3", text="Too many recipients")
        # order: syntax before the limit, the limit before the recipient table
        check(rcpt(c, "TO:<a@@example.com>"), 553, "5.1.3")
        check(rcpt(c, "TO:<nobody@example.com>"), 452, "4.5.3")
        check(rcpt(c, "TO:<user@example.com>"), 452, "4.5.3")
        # the rest goes in a new transaction
        check(c.docmd("RSET"), 250, "2.0.0")
        check(c.docmd("MAIL", "FROM:<sender@other.example>"), 250, "2.1.0")
        check(rcpt(c, "TO:<r50@example.org>"), 250, "2.1.5")
    finally:
        smtp_close(c)


def test_recipient_limit_configurable(tern_factory):
    srv = tern_factory({"limits": {"recipients": 2}})
    c = smtp(srv.port, ehlo=True)
    try:
        check(c.docmd("MAIL", "FROM:<sender@other.example>"), 250, "2.1.0")
        check(rcpt(c, "TO:<a@example.org>"), 250, "2.1.5")
        check(rcpt(c, "TO:<b@example.org>"), 250, "2.1.5")
        check(rcpt(c, "TO:<c@example.org>"), 452, "4.5.3", text="Too many recipients")
    finally:
        smtp_close(c)


# ---------------------------------------------------------------- swaks

def test_swaks_to_unknown_user_fails(server):
    res = subprocess.run(
        ["swaks", "--server", f"127.0.0.1:{server.port}", "--from", "sender@other.example",
         "--to", "nobody@example.com", "--helo", "client.example.net"],
        capture_output=True, text=True, timeout=30)
    assert res.returncode != 0, res.stdout
    assert "<** 550 5.1.1 <nobody@example.com>: Requested action not taken: mailbox unavailable" \
        in res.stdout, res.stdout


def test_swaks_relay_attempt_refused(server):
    res = subprocess.run(
        ["swaks", "--server", f"127.0.0.1:{server.port}", "--from", "sender@other.example",
         "--to", "x@other.example", "--helo", "client.example.net"],
        capture_output=True, text=True, timeout=30)
    assert res.returncode != 0, res.stdout
    assert "<** 554 5.7.1 <x@other.example>: Relay access denied" in res.stdout, res.stdout


def test_forward_to_a_local_address_is_delivered_locally(tern_factory):
    """docs/behaviour.md §11: a forward whose target is a local address is delivered
    here (251 all the same), never relayed out and back."""
    srv = tern_factory({"local": {"forward": {"fwd@example.com": None, "home@example.com": "user2@example.com"}}})
    marker = unique_marker("fwd-local")
    with srv.session() as s:
        s.ehlo()
        check(s.cmd("MAIL FROM:<sender@other.example>"), 250, "2.1.0")
        check(s.cmd("RCPT TO:<home@example.com>"), 251, "2.1.5",
              text="User not local; will forward to <user2@example.com>")
        s.quit()
    send_message(srv.port, make_message(marker), "sender@other.example", ["home@example.com"])
    [copy] = wait_delivered(srv.data_dir, "user2@example.com", marker)
    assert b"Delivered-To: user2@example.com" in copy
    srv.wait_queue_empty()
