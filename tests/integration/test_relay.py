"""Outbound delivery with real peers on loopback: Tern relays to
Postfix's smtp-sink and to a private Postfix, finds mail exchangers through
dnsmasq, bounces with RFC 3464 reports into the sender's Maildir, retries on
schedule, and loses nothing and sends nothing twice across a kill -9."""

from __future__ import annotations

import email
import email.policy
import subprocess
import time

import pytest

import smtp_client
from peers.process import wait_until
from smtp_client import swaks, unique_marker
from tern_server import BOB, BOB_PASSWORD, merge, tern_binary, to_toml

SENDER = "user@example.com"


def relay_config(**sections) -> dict:
    """Overrides for tern_factory: clients on 127.0.0.1 may relay, plus the
    given sections ({"routes": {...}, "delivery": {...}, ...})."""
    config = {"relay": {"networks": ["127.0.0.1"]}}
    for name, table in sections.items():
        config.setdefault(name, {}).update(table)
    return config


def send(tern, to: str, marker: str, sender: str = SENDER, extra: tuple = ()) -> None:
    res = swaks(tern.port, "--from", sender, "--to", to, "--header", f"Subject: {marker}",
                "--header", f"Message-Id: <{marker}@client.test>", *extra)
    assert res.returncode == 0, res.stdout + res.stderr


def wait_report(tern, marker: str, timeout: float = 20.0) -> email.message.EmailMessage:
    """The delivery report about the message `marker`, from the sender's Maildir."""
    [raw] = smtp_client.wait_delivered(tern.data_dir, SENDER, marker, timeout=timeout)
    report = email.message_from_bytes(raw, policy=email.policy.default)
    assert report.get_content_type() == "multipart/report"
    assert report.get_param("report-type") == "delivery-status"
    return report


def status_fields(report) -> list[dict[str, str]]:
    """The per-recipient groups of the message/delivery-status part."""
    [part] = [p for p in report.walk() if p.get_content_type() == "message/delivery-status"]
    groups = []
    for block in part.get_payload()[1:]:
        groups.append({k.lower(): str(v) for k, v in block.items()})
    return groups


def wait_spool_empty(tern, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while smtp_client.spool_files(tern.data_dir):
        assert time.monotonic() < deadline, f"spool not empty: {smtp_client.spool_files(tern.data_dir)}"
        time.sleep(0.1)


def restart_and_expect_once(tern, sink, marker: str) -> None:
    """Starts the stopped `tern`; the message `marker` reaches `sink`, the
    spool empties, and 2 s later the sink still has that one copy."""
    tern.start()
    [got] = sink.wait_messages(1, timeout=30)
    assert got.header("Subject") == marker
    wait_spool_empty(tern)
    time.sleep(2)
    assert len(sink.messages()) == 1


def test_route_relays_to_smtp_sink_with_trace(tern_factory, sink_factory):
    sink = sink_factory()
    tern = tern_factory(relay_config(routes={"sink.test": f"smtp:127.0.0.1:{sink.port}"}))
    marker = unique_marker("route")
    send(tern, f"x-{marker}@sink.test", marker)
    [got] = sink.wait_messages(1)
    assert got.mail_from == SENDER
    assert got.rcpts == [f"x-{marker}@sink.test"]
    assert got.helo == "mx.example.com"
    assert b"by mx.example.com (Tern) with ESMTP" in got.data
    assert got.header("Subject") == marker
    wait_spool_empty(tern)


def test_subdomain_route_and_smarthost(tern_factory, sink_factory):
    routed, smart = sink_factory(), sink_factory()
    tern = tern_factory(relay_config(
        routes={".sink.test": f"smtp:127.0.0.1:{routed.port}"},
        relay={"networks": ["127.0.0.1"], "smarthost": f"127.0.0.1:{smart.port}"}))
    m1, m2 = unique_marker("sub"), unique_marker("smart")
    send(tern, "a@deep.sink.test", m1)
    send(tern, "b@elsewhere.test", m2)
    assert [g.header("Subject") for g in routed.wait_messages(1)] == [m1]
    assert [g.header("Subject") for g in smart.wait_messages(1)] == [m2]


def test_mx_lookup_through_dnsmasq(tern_factory, scripted_peer_factory, dns_factory):
    """RFC 5321 §5.1: the mail exchangers are tried in order of preference,
    lowest first.  Both are live SMTP servers on the port `delivery.smtp_port`
    names, at two loopback addresses: the preferred one (10, 127.0.0.2,
    listed second in the DNS data) gets the message, the other (20,
    127.0.0.1) not even a connection."""
    port = smtp_client.free_port()
    preferred = scripted_peer_factory(host="127.0.0.2", port=port)
    backup = scripted_peer_factory(host="127.0.0.1", port=port)
    dns = dns_factory(mx={"mx.test": [(20, "mx2.mx.test"), (10, "mx1.mx.test")]},
                      a={"mx1.mx.test": ["127.0.0.2"], "mx2.mx.test": ["127.0.0.1"]})
    tern = tern_factory(relay_config(dns={"servers": [dns.server]}, delivery={"smtp_port": port}))
    marker = unique_marker("mx")
    send(tern, "r@mx.test", marker)
    wait_spool_empty(tern, timeout=30)  # delivered
    assert backup.sessions == [], f"the less preferred exchanger was contacted: {backup.sessions}"
    [session] = preferred.wait_closed(1)
    assert "RCPT TO:<r@mx.test>" in session.commands, session.commands
    [message] = session.messages
    assert f"Subject: {marker}".encode() in message, message[:500]


def test_next_mx_when_the_preferred_one_does_not_answer(tern_factory, sink_factory, dns_factory):
    sink = sink_factory()
    dns = dns_factory(mx={"mx.test": [(10, "mx1.mx.test"), (20, "mx2.mx.test")]},
                      a={"mx1.mx.test": ["127.0.0.2"], "mx2.mx.test": ["127.0.0.1"]})
    tern = tern_factory(relay_config(dns={"servers": [dns.server]},
                                     delivery={"smtp_port": sink.port}))
    marker = unique_marker("mx")
    # mx1 (preference 10) is 127.0.0.2, where nothing listens: Tern goes on to mx2.
    send(tern, "r@mx.test", marker)
    [got] = sink.wait_messages(1, timeout=30)
    assert got.header("Subject") == marker
    wait_spool_empty(tern)


def test_domain_without_mx_gets_mail_at_its_address(tern_factory, sink_factory, dns_factory):
    sink = sink_factory()
    dns = dns_factory(a={"plain.test": ["127.0.0.1"]})
    tern = tern_factory(relay_config(dns={"servers": [dns.server]}, delivery={"smtp_port": sink.port}))
    marker = unique_marker("fallback")
    send(tern, "r@plain.test", marker)
    [got] = sink.wait_messages(1, timeout=30)
    assert got.header("Subject") == marker
    wait_spool_empty(tern)


def test_utf8_mail_to_a_peer_without_smtputf8_bounces_with_5_6_7(tern_factory, sink_factory):
    sink = sink_factory()  # smtp-sink does not offer SMTPUTF8
    tern = tern_factory(relay_config(routes={"sink.test": f"smtp:127.0.0.1:{sink.port}"}))
    marker = unique_marker("utf8")
    with smtp_client.smtp(tern.port, ehlo=True) as client:
        assert client.mail(SENDER, options=["SMTPUTF8"])[0] == 250
        assert client.rcpt("jürgen@sink.test")[0] == 250
        message = smtp_client.make_message(marker, sender=SENDER).replace(b"Subject:", "Subject: grüße".encode() + b" ", 1)
        assert client.data(message)[0] == 250
    report = wait_report(tern, marker)
    [group] = status_fields(report)
    assert group["action"] == "failed"
    assert group["status"] == "5.6.7"
    assert sink.messages() == []


def test_null_mx_bounces_with_5_1_10(tern_factory, dns_factory):
    dns = dns_factory(null_mx=["nomail.test"])
    tern = tern_factory(relay_config(dns={"servers": [dns.server]}))
    marker = unique_marker("nullmx")
    send(tern, "r@nomail.test", marker)
    report = wait_report(tern, marker)
    assert report["From"].startswith("Mail Delivery System")
    [group] = status_fields(report)
    assert group["action"] == "failed"
    assert group["status"] == "5.1.10"
    assert group["final-recipient"] == "rfc822; r@nomail.test"
    assert group["diagnostic-code"].startswith("smtp; 556 5.1.10")
    [headers] = [p for p in report.walk() if p.get_content_type() == "text/rfc822-headers"]
    assert marker in headers.get_payload(decode=True).decode()
    wait_spool_empty(tern)


def test_permanent_refusal_bounces_once_and_never_to_null_sender(tern_factory, sink_factory):
    sink = sink_factory("permfail")
    tern = tern_factory(relay_config(routes={"sink.test": f"smtp:127.0.0.1:{sink.port}"}))
    marker = unique_marker("perm")
    send(tern, "r@sink.test", marker)
    report = wait_report(tern, marker)
    [group] = status_fields(report)
    assert group["action"] == "failed"
    assert group["status"].startswith("5.")
    assert group["remote-mta"] == "dns; 127.0.0.1"
    # The same refusal for a message from <> produces no report at all.
    quiet = unique_marker("nullsender")
    send(tern, "r@sink.test", quiet, sender="")
    wait_spool_empty(tern)
    smtp_client.assert_not_delivered(tern.data_dir, quiet)


def test_ret_full_returns_the_whole_message(tern_factory, sink_factory):
    sink = sink_factory("permfail")
    tern = tern_factory(relay_config(routes={"sink.test": f"smtp:127.0.0.1:{sink.port}"}))
    marker = unique_marker("retfull")
    with smtp_client.smtp(tern.port, ehlo=True) as client:
        assert client.mail(SENDER, options=["RET=FULL", "ENVID=env-" + marker])[0] == 250
        assert client.rcpt("r@sink.test", options=["NOTIFY=FAILURE"])[0] == 250
        assert client.data(smtp_client.make_message(marker, body=f"whole body {marker}\r\n".encode(),
                                                    sender=SENDER))[0] == 250
    report = wait_report(tern, marker)
    [returned] = [p for p in report.walk() if p.get_content_type() == "message/rfc822"]
    assert f"whole body {marker}" in returned.as_string()
    [part] = [p for p in report.walk() if p.get_content_type() == "message/delivery-status"]
    assert str(part.get_payload()[0]["Original-Envelope-Id"]) == "env-" + marker


def test_temporary_failure_is_retried_then_expires_with_reports(tern_factory, sink_factory):
    sink = sink_factory("tempfail")
    tern = tern_factory(relay_config(
        routes={"sink.test": f"smtp:127.0.0.1:{sink.port}"},
        delivery={"retry": ["1s"], "warn_after": "2s", "max_lifetime": "6s"}))
    marker = unique_marker("temp")
    send(tern, "r@sink.test", marker)
    deadline = time.monotonic() + 40
    reports: list[bytes] = []
    while len(reports) < 2 and time.monotonic() < deadline:
        reports = smtp_client.find_in_maildir(tern.data_dir, SENDER, marker)
        time.sleep(0.2)
    assert len(reports) == 2, tern.log()
    parsed = [email.message_from_bytes(r, policy=email.policy.default) for r in reports]
    actions = sorted(status_fields(p)[0]["action"] for p in parsed)
    assert actions == ["delayed", "failed"]
    failed = next(p for p in parsed if status_fields(p)[0]["action"] == "failed")
    assert status_fields(failed)[0]["status"] == "5.4.7"
    wait_spool_empty(tern)
    assert "delivery deferred" in tern.log(tail=2000)


def test_notify_success_on_local_delivery(tern_factory):
    tern = tern_factory(relay_config())
    marker = unique_marker("success")
    with smtp_client.smtp(tern.port, ehlo=True) as client:
        client.mail(SENDER)
        code, _ = client.rcpt("user2@example.com", options=["NOTIFY=SUCCESS"])
        assert code == 250
        code, _ = client.data(smtp_client.make_message(marker, sender=SENDER))
        assert code == 250
    report = wait_report(tern, marker)
    [group] = status_fields(report)
    assert group["action"] == "delivered"
    assert group["final-recipient"] == "rfc822; user2@example.com"


def test_tern_relays_into_a_real_postfix(tern_factory, postfix_factory):
    pf = postfix_factory()
    tern = tern_factory(relay_config(routes={"pf.test": f"smtp:127.0.0.1:{pf.smtp_port}"}))
    marker = unique_marker("topf")
    send(tern, "alice@pf.test", marker)
    [stored] = pf.wait_maildir("alice", 1, timeout=30)
    assert marker.encode() in stored
    assert b"by mx.example.com (Tern) with ESMTP" in stored
    wait_spool_empty(tern)


def test_postfix_relays_through_tern_to_the_sink(tern_factory, postfix_factory, sink_factory):
    sink = sink_factory()
    tern = tern_factory(relay_config(routes={"sink.test": f"smtp:127.0.0.1:{sink.port}"}))
    pf = postfix_factory(relayhost=f"[127.0.0.1]:{tern.port}")
    marker = unique_marker("chain")
    body = (f"From: <sender@pf.test>\r\nTo: <x@sink.test>\r\nSubject: {marker}\r\n"
            f"Message-ID: <{marker}@client.test>\r\n\r\nBody {marker}\r\n").encode()
    pf.send("sender@pf.test", ["x@sink.test"], body)
    [got] = sink.wait_messages(1, timeout=30)
    assert got.header("Subject") == marker
    assert b"(Postfix)" in got.data and b"(Tern)" in got.data
    pf.wait_queue_empty()


def test_lmtp_route_to_sink_over_a_unix_socket(tern_factory, sink_factory, tmp_path):
    sink = sink_factory(lmtp=True, unix_path=tmp_path / "lmtp.sock")
    tern = tern_factory(relay_config(routes={"lmtp.test": f"lmtp:unix:{tmp_path / 'lmtp.sock'}"}))
    marker = unique_marker("lmtp")
    send(tern, "u@lmtp.test", marker)
    [got] = sink.wait_messages(1)
    assert got.proto == "LMTP"
    assert got.header("Subject") == marker
    wait_spool_empty(tern)


def test_kill_9_during_retries_loses_nothing_and_sends_once(tern_factory, sink_factory):
    sink = sink_factory("tempfail")
    overrides = relay_config(routes={"sink.test": f"smtp:127.0.0.1:{sink.port}"},
                             delivery={"retry": ["1s"], "warn_after": "1h"})
    tern = tern_factory(overrides)
    marker = unique_marker("crash")
    send(tern, "r@sink.test", marker)
    deadline = time.monotonic() + 20
    while "delivery deferred" not in tern.log(tail=500):
        assert time.monotonic() < deadline, tern.log()
        time.sleep(0.1)
    tern.kill9()
    sink.stop()
    accepting = sink_factory("accept", port=sink.port)
    restart_and_expect_once(tern, accepting, marker)


def test_sendmail_mail_for_another_domain_is_relayed(tern_factory, sink_factory):
    sink = sink_factory()
    tern = tern_factory(relay_config(routes={"sink.test": f"smtp:127.0.0.1:{sink.port}"}))
    marker = unique_marker("sendmail")
    res = subprocess.run(
        [str(tern_binary()), "sendmail", "--config", str(tern.config_path), "-f", SENDER, "-i", "x@sink.test"],
        input=f"Subject: {marker}\n\nfrom a local program\n".encode(), capture_output=True, timeout=30)
    assert res.returncode == 0, res.stderr
    [got] = sink.wait_messages(1, timeout=20)
    assert got.header("Subject") == marker
    assert got.mail_from == SENDER
    wait_spool_empty(tern)


# A relay whose only local domain is a.test, so example.com (the peer's) is not local.
OTHER_LOCAL = {"local": {"domains": ["a.test"], "mailboxes": ["*@a.test"], "aliases": None, "forward": None,
                         "relocated": None, "unavailable": None, "disabled": None}}


def test_starttls_is_used_when_the_peer_offers_it(tern_factory):
    peer = tern_factory(tls=True, roles=("mx",))
    tern = tern_factory({**relay_config(routes={"example.com": f"smtp:127.0.0.1:{peer.port}"}),
                         **OTHER_LOCAL})
    marker = unique_marker("tls")
    send(tern, "user@example.com", marker, sender="me@a.test")
    [stored] = smtp_client.wait_delivered(peer.data_dir, "user@example.com", marker, timeout=20)
    assert b"with ESMTPS id" in stored
    assert b"(using TLSv1." in stored
    assert b"by mx.example.com (Tern) with ESMTP id" in stored  # the relay's own trace field
    wait_spool_empty(tern)


@pytest.mark.file_spool
def test_require_tls_defers_for_a_peer_without_starttls(tern_factory, sink_factory):
    sink = sink_factory()
    tern = tern_factory(relay_config(routes={"sink.test": f"smtp:127.0.0.1:{sink.port}"},
                                     delivery={"require_tls": True}))
    marker = unique_marker("reqtls")
    send(tern, "r@sink.test", marker)
    deadline = time.monotonic() + 20
    while "4.7.4" not in tern.log(tail=500):
        assert time.monotonic() < deadline, tern.log()
        time.sleep(0.1)
    time.sleep(0.5)
    assert sink.messages() == []
    assert smtp_client.spool_files(tern.data_dir)


def test_lmtp_route_to_dovecot_with_per_recipient_replies(tern_factory, dovecot_factory):
    dovecot = dovecot_factory(users=("alice", "bob"))
    tern = tern_factory(relay_config(routes={"lmtp.test": f"lmtp:unix:{dovecot.socket}"}))
    marker = unique_marker("dovecot")
    with smtp_client.smtp(tern.port, ehlo=True) as client:
        assert client.mail(SENDER)[0] == 250
        for rcpt in ("alice@lmtp.test", "bob@lmtp.test", "nobody@lmtp.test"):
            assert client.rcpt(rcpt, options=["NOTIFY=SUCCESS,FAILURE"])[0] == 250
        assert client.data(smtp_client.make_message(marker, sender=SENDER))[0] == 250
    for user in ("alice", "bob"):
        [stored] = dovecot.wait_messages(user)
        assert marker.encode() in stored
        assert b"by mx.example.com (Tern) with ESMTP" in stored
    deadline = time.monotonic() + 20
    reports: list[bytes] = []
    while len(reports) < 1 and time.monotonic() < deadline:
        reports = smtp_client.find_in_maildir(tern.data_dir, SENDER, marker)
        time.sleep(0.2)
    [raw] = reports
    report = email.message_from_bytes(raw, policy=email.policy.default)
    groups = {g["final-recipient"]: g for g in status_fields(report)}
    assert groups["rfc822; alice@lmtp.test"]["action"] == "delivered"
    assert groups["rfc822; bob@lmtp.test"]["action"] == "delivered"
    assert groups["rfc822; nobody@lmtp.test"]["action"] == "failed"
    assert groups["rfc822; nobody@lmtp.test"]["status"] == "5.1.1"
    wait_spool_empty(tern)


def test_authenticated_client_relays(tern_factory, sink_factory):
    sink = sink_factory()
    tern = tern_factory({"routes": {"sink.test": f"smtp:127.0.0.1:{sink.port}"}}, tls=True)
    tern.add_user(BOB, BOB_PASSWORD)
    marker = unique_marker("authrelay")
    denied = swaks(tern.port_of("mx"), "--from", "bob@example.com", "--to", "r@sink.test")
    assert "554 5.7.1" in denied.stdout, denied.stdout
    res = swaks(tern.port_of("submission"), "--tls", "--auth", "PLAIN", "--auth-user", BOB,
                "--auth-password", BOB_PASSWORD, "--from", "bob@example.com", "--to", "r@sink.test",
                "--header", f"Subject: {marker}")
    assert res.returncode == 0, res.stdout + res.stderr
    [got] = sink.wait_messages(1)
    assert got.header("Subject") == marker
    assert b"with ESMTPSA id" in got.data


def test_mail_that_would_loop_back_to_myself_fails_with_5_4_6(tern_factory):
    """docs/behaviour.md §11 end: a route or an address literal that names one of
    Tern's own listening sockets never makes it connect to itself; the
    recipient fails with 554 5.4.6 and the sender gets one report."""
    tern = tern_factory(relay_config(), start=False)
    tern.config = merge(tern.config, {
        "routes": {"loop.test": f"smtp:127.0.0.1:{tern.port}"},
        "delivery": {"smtp_port": tern.port},
    })
    tern.config_path.write_text(to_toml(tern.config))
    tern.start()
    for to in ("r@loop.test", "r@[127.0.0.1]"):
        marker = unique_marker("loop")
        send(tern, to, marker)
        report = wait_report(tern, marker)
        [group] = status_fields(report)
        assert group["action"] == "failed"
        assert group["status"] == "5.4.6"
        assert "loops back to myself" in group["diagnostic-code"]
    wait_spool_empty(tern)
    assert tern.log().count("client=127.0.0.1 session=") == 3, "Tern connected to itself"


def test_messages_relayed_one_after_another_share_one_connection(tern_factory, scripted_peer_factory):
    """docs/architecture.md "Outbound connections": a connection to a next hop
    is kept for a moment after its batch, and the next message for that host
    goes over it (no new connect, greeting or EHLO); once idle it ends with
    QUIT."""
    peer = scripted_peer_factory()
    tern = tern_factory(relay_config(routes={"peer.test": f"smtp:127.0.0.1:{peer.port}"}))
    markers = [unique_marker(f"kept{i}") for i in range(3)]
    for count, marker in enumerate(markers, start=1):
        send(tern, "r@peer.test", marker)
        wait_until(lambda: sum(len(s.messages) for s in peer.sessions) == count, 20,
                               what=f"message {count} at the peer")
    [session] = peer.wait_closed(1, timeout=20)
    assert [m for m in markers if any(f"Subject: {m}".encode() in got for got in session.messages)] == markers
    assert [c.split(" ", 1)[0] for c in session.commands].count("EHLO") == 1, session.commands
    assert session.commands[-1] == "QUIT", session.commands
    assert len(peer.sessions) == 1, peer.log()
    wait_spool_empty(tern)


def test_a_kept_connection_the_peer_ends_is_replaced_at_once(tern_factory, scripted_peer_factory):
    """A kept connection that the peer ends just as Tern reuses it (421 to
    MAIL) costs the message nothing: it goes over a new connection at once,
    not at the next retry."""
    peer = scripted_peer_factory(messages_per_session=1)
    tern = tern_factory(relay_config(routes={"peer.test": f"smtp:127.0.0.1:{peer.port}"}))
    first, second = unique_marker("first"), unique_marker("second")
    send(tern, "r@peer.test", first)
    wait_until(lambda: len(peer.sessions) == 1 and len(peer.sessions[0].messages) == 1, 20,
                           what="the first message at the peer")
    send(tern, "r@peer.test", second)
    peer.wait_connections(2, timeout=10)
    wait_until(lambda: len(peer.sessions[1].messages) == 1, 10, what="the second message at the peer")
    assert peer.sessions[0].commands[-1].startswith("MAIL FROM:"), peer.log()
    assert f"Subject: {second}".encode() in peer.sessions[1].messages[0]
    wait_spool_empty(tern)


def test_stopping_quits_the_kept_connections(tern_factory, scripted_peer_factory):
    """A server told to stop ends the connections it keeps with QUIT, not by
    dropping them."""
    peer = scripted_peer_factory()
    tern = tern_factory(relay_config(routes={"peer.test": f"smtp:127.0.0.1:{peer.port}"}))
    send(tern, "r@peer.test", unique_marker("stop"))
    wait_until(lambda: peer.sessions and peer.sessions[0].messages, 20, what="the message at the peer")
    wait_spool_empty(tern)
    assert not peer.sessions[0].closed, "the connection was not kept"
    assert tern.stop() == 0
    [session] = peer.wait_closed(1, timeout=5)
    assert session.commands[-1] == "QUIT", session.commands


def test_stopping_cuts_a_delivery_that_waits_on_a_silent_peer(tern_factory, scripted_peer_factory, sink_factory):
    """SIGTERM while a delivery waits for a next hop that never greets: Tern
    stops within seconds, not after the peer timeout (5 minutes).  The
    recipient is recorded as deferred with 421 4.3.2 and the cut attempt does
    not count: at the next start the message is tried at once, although the
    retry wait is an hour, and once the route works it arrives exactly once."""
    peer = scripted_peer_factory(silent=True)
    tern = tern_factory(relay_config(routes={"peer.test": f"smtp:127.0.0.1:{peer.port}"},
                                     delivery={"retry": ["1h"], "warn_after": "1h"}))
    marker = unique_marker("cut")
    send(tern, "r@peer.test", marker)
    peer.wait_connections(1, timeout=20)
    started = time.monotonic()
    assert tern.stop(timeout=60) == 0
    assert time.monotonic() - started < 10, tern.log()
    assert "421 4.3.2" in tern.log(tail=100), tern.log()
    tern.start()
    peer.wait_connections(2, timeout=10)  # due at once, not in an hour
    [entry] = tern.queue_list()
    assert entry["attempts"] == 0, entry
    [rcpt] = entry["recipients"]
    assert rcpt["status"] == "deferred", entry
    assert rcpt["reason"].startswith("421 4.3.2 "), entry
    started = time.monotonic()
    assert tern.stop(timeout=60) == 0
    assert time.monotonic() - started < 10, tern.log()
    sink = sink_factory()
    tern.config = merge(tern.config, {"routes": {"peer.test": f"smtp:127.0.0.1:{sink.port}"}})
    tern.config_path.write_text(to_toml(tern.config))
    restart_and_expect_once(tern, sink, marker)
