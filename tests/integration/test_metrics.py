"""Metrics and health (docs/operations.md): the HTTP listener of `[metrics] address`
serving `GET /metrics` (the Prometheus text format 0.0.4, read here with the official
Python client's parser) and `GET /health`; `tern check-config` on a bad address; `tern
--version` and `tern_build_info`.  The counters are checked against real traffic: mail
taken over SMTP for local mailboxes, relayed to smtp-sink, refused by a next hop (a
failure report comes back), held for ETRN and then released, and a relay attempt
refused, each counted exactly once; TLS handshakes taken (STARTTLS and `smtps`, completed
or broken off) and made (relaying to a second Tern over STARTTLS), and AUTH exchanges
with each mechanism, right and wrong passwords."""

from __future__ import annotations

import os
import re
import socket
import stat
import time
from collections import Counter

import pytest

from metrics_client import (SPEC_FAMILIES, HttpAnswer, Scrape, by_labels, check_histograms, check_spec_names,
                            http_request, labels, show, wait_http, wait_scrape)
from smtp_client import (Session, check, free_port, make_message, smtp_close, smtp_ssl, smtp_starttls,
                         unique_marker, wait_delivered)
from tern_server import BOB, BOB_PASSWORD, NOBODY, output, run_tern

SENDER = "user@example.com"  # a local mailbox: the failure report lands in its Maildir
LOCAL = "user2@example.com"
POSTMASTER = "postmaster@example.com"
SINK_DOMAIN = "sink.test"  # routed to an smtp-sink that takes everything
REFUSING_DOMAIN = "refuse.test"  # routed to an smtp-sink that refuses every RCPT with 550
NODE = "node.example.net"  # a hold domain for ETRN, routed to a second smtp-sink
STRANGER = "127.0.0.2"  # a loopback address outside [relay] networks
RUN_TIMEOUT = 20.0

# Lines that are dot-stuffed on the wire: the counted size is of the message un-stuffed.
BODY = b"First line.\r\n.leading dot\r\n..\r\nLast line.\r\n"


def metrics_overrides(port: int, **sections) -> dict:
    config = {"metrics": {"address": f"127.0.0.1:{port}"}}
    config.update(sections)
    return config


@pytest.fixture(scope="module")
def metrics_server(module_tern_factory):
    """The example configuration with the metrics listener on a free loopback port
    (`.metrics_port`), answering before the tests start."""
    port = free_port()
    srv = module_tern_factory(metrics_overrides(port))
    srv.metrics_port = port
    wait_http(port)
    return srv


class RecordedSession(Session):
    """A raw session that counts every reply it reads in `seen`, keyed as the
    `tern_smtp_replies_total` labels: (code, enhanced code or "none")."""

    def __init__(self, port: int, seen: Counter, **kw):
        self.seen = seen
        super().__init__(port, **kw)

    def read_reply(self, timeout=None):
        rep = super().read_reply(timeout)
        self.seen[(str(rep.code), rep.enhanced or "none")] += 1
        return rep


def quit_and_wait_close(s: Session) -> None:
    check(s.cmd("QUIT"), 221, "2.0.0")
    s.expect_eof()
    s.close()


def mail(s: Session, rcpts: list[str], marker: str, sent: list[bytes], sender: str = SENDER) -> None:
    """One transaction on `s` (EHLO done), which must be answered 250; the message (as
    sent, not stuffed) is added to `sent`."""
    message = make_message(marker, BODY, sender=sender, to=rcpts[0])
    s.send_mail(marker, sender=sender, rcpts=tuple(rcpts), message=message)
    sent.append(message)


def noop_then_close(client) -> None:
    """A NOOP answered 250 over an smtplib client that has finished its handshake, then QUIT."""
    try:
        assert client.noop()[0] == 250
    finally:
        smtp_close(client)


# ---------------------------------------------------------------- configuration


def test_check_config_refuses_a_metrics_address_that_is_not_one(tmp_path):
    (tmp_path / "tern.toml").write_text('hostname = "mx.example.com"\n\n[metrics]\naddress = "nonsense"\n')
    res = run_tern(["check-config", "tern.toml"], cwd=tmp_path)
    assert res.returncode == 1, output(res)
    assert re.search(r'(?m)^(?:.*/)?tern\.toml:4: metrics\.address: .*"nonsense".*$', output(res)), output(res)


def test_check_config_takes_a_metrics_address(tmp_path):
    (tmp_path / "tern.toml").write_text('hostname = "mx.example.com"\n\n[metrics]\naddress = "127.0.0.1:9090"\n')
    res = run_tern(["check-config", "tern.toml"], cwd=tmp_path)
    assert res.returncode == 0, output(res)


@pytest.mark.parametrize("taken", ["metrics", "listen"])
def test_serve_names_the_address_it_cannot_listen_on(tmp_path, taken):
    """A port already taken stops `tern serve` with exit status 1 and a line naming the
    address and what it was for: the `[metrics]` listener, or an SMTP listener."""
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    try:
        busy = holder.getsockname()[1]
        smtp, metrics = (free_port(), busy) if taken == "metrics" else (busy, free_port())
        (tmp_path / "tern.toml").write_text(
            f'hostname = "mx.example.com"\ndata_dir = "{tmp_path / "data"}"\n\n'
            f'[[listen]]\naddress = "127.0.0.1:{smtp}"\n\n[metrics]\naddress = "127.0.0.1:{metrics}"\n')
        res = run_tern(["serve", "--config", "tern.toml"], cwd=tmp_path)
    finally:
        holder.close()
    purpose = "[metrics] address" if taken == "metrics" else "[[listen]] role mx"
    assert res.returncode == 1, output(res)
    assert f"cannot listen on 127.0.0.1:{busy} ({purpose}): Address already in use" in output(res), output(res)


# ---------------------------------------------------------------- HTTP

def test_health_is_ok_while_all_is_well(metrics_server):
    answer = http_request(metrics_server.metrics_port, "/health")
    assert (answer.status, answer.body) == (200, b"ok\n"), answer


def test_metrics_is_the_text_format_0_0_4(metrics_server):
    answer = http_request(metrics_server.metrics_port, "/metrics")
    assert answer.status == 200, answer
    assert answer.headers.get("content-type", "").startswith("text/plain; version=0.0.4"), answer.headers
    scrape = Scrape.parse(answer.text)
    check_spec_names(scrape)
    check_histograms(scrape)


def test_other_paths_404_other_methods_405(metrics_server):
    port = metrics_server.metrics_port
    assert http_request(port, "/nope").status == 404
    assert http_request(port, "/metrics/extra").status == 404
    assert http_request(port, "/metrics", method="POST").status == 405
    assert http_request(port, "/health", method="DELETE").status == 405
    assert http_request(port, "/metrics").status == 200  # the listener goes on


def test_version_and_build_info_agree(metrics_server):
    res = run_tern(["--version"])
    assert res.returncode == 0, output(res)
    printed = res.stdout.decode("utf-8", "replace").strip()
    # The short commit, `-modified` after it when the tree had uncommitted changes.
    m = re.fullmatch(r"tern (\S+) \(revision ([0-9a-f]{7,40}(?:-modified)?|unknown)\)", printed)
    assert m, f"tern --version printed {printed!r}"
    scrape = Scrape.get(metrics_server.metrics_port)
    assert scrape.family_type("tern_build_info") == "gauge", scrape.types
    info = scrape.matching("tern_build_info")
    assert info == {("tern_build_info", labels(version=m.group(1), revision=m.group(2))): 1.0}, \
        f"tern --version: {printed!r}; tern_build_info samples:\n{show(info)}"


# ---------------------------------------------------------------- the counters

def test_counters_move_by_exactly_what_was_sent(tern_factory, sink_factory):
    relay_sink = sink_factory()
    refusing = sink_factory("permfail", hard_reply="550 5.1.1 No such user here")
    node_sink = sink_factory()
    mport = free_port()
    srv = tern_factory(metrics_overrides(
        mport,
        relay={"networks": ["127.0.0.1"]},
        etrn={"node": [{"domain": NODE}]},
        routes={
            SINK_DOMAIN: f"smtp:127.0.0.1:{relay_sink.port}",
            REFUSING_DOMAIN: f"smtp:127.0.0.1:{refusing.port}",
            NODE: f"smtp:127.0.0.1:{node_sink.port}",
        },
    ))
    wait_http(mport)
    spool = "postgres" if os.environ.get("TERN_TEST_SPOOL") == "postgres" else "files"
    before = wait_scrape(mport, lambda sc: sc.value("tern_smtp_connections_open", role="mx") == 0)
    assert before.value("tern_smtp_connections_open", role="mx") == 0, \
        "the start-up probe's connection is still counted as open"

    seen: Counter = Counter()
    sent: list[bytes] = []
    m_local1, m_local2 = unique_marker("local1"), unique_marker("local2")
    m_relay, m_bounce, m_held = unique_marker("relay"), unique_marker("bounce"), unique_marker("held")
    held_rcpt = f"h@{NODE}"

    # Connection 1: two messages for local mailboxes, the second for two of them.
    with RecordedSession(srv.port, seen) as s:
        check(s.greeting, 220)
        s.ehlo()
        mail(s, [LOCAL], m_local1, sent)
        mail(s, [LOCAL, POSTMASTER], m_local2, sent)
        quit_and_wait_close(s)
    # Connection 2: relayed to the sink; to the refusing peer; held for ETRN.
    with RecordedSession(srv.port, seen) as s:
        check(s.greeting, 220)
        s.ehlo()
        mail(s, [f"r@{SINK_DOMAIN}"], m_relay, sent)
        mail(s, [f"p@{REFUSING_DOMAIN}"], m_bounce, sent)
        mail(s, [held_rcpt], m_held, sent)
        quit_and_wait_close(s)
    # Connection 3, from an address that may not relay: one RCPT refused.
    with RecordedSession(srv.port, seen, source=STRANGER) as s:
        check(s.greeting, 220)
        s.ehlo()
        check(s.cmd("MAIL FROM:<stranger@other.example>"), 250, "2.1.0")
        check(s.cmd("RCPT TO:<x@elsewhere.example>"), 554, "5.7.1")
        check(s.cmd("RSET"), 250, "2.0.0")
        quit_and_wait_close(s)

    # Every delivery done: 3 local copies, the relayed message, the failure report of the
    # refused one in the sender's Maildir; the held one waits.
    wait_delivered(srv.data_dir, LOCAL, m_local1)
    wait_delivered(srv.data_dir, LOCAL, m_local2)
    wait_delivered(srv.data_dir, POSTMASTER, m_local2)
    relay_sink.wait_messages(1, timeout=RUN_TIMEOUT)
    [report] = wait_delivered(srv.data_dir, SENDER, m_bounce, timeout=RUN_TIMEOUT)
    assert b"Action: failed" in report and b"Status: 5.1.1" in report, report[:2000]
    srv.wait_held({held_rcpt})
    assert refusing.messages() == [] and node_sink.messages() == []

    maildir_copies = 4  # user2 ×2, postmaster, the report to the sender
    expected_attempts = {
        labels(courier="maildir", outcome="delivered"): maildir_copies,
        labels(courier="smtp", outcome="delivered"): 1,
        labels(courier="smtp", outcome="failed"): 1,
    }

    def settled(sc: Scrape) -> bool:
        return (by_labels(sc.family_delta(before, "tern_delivery_attempts_total")) == expected_attempts
                and sc.value("tern_smtp_connections_open", role="mx") == 0
                and sc.value("tern_queue_messages", state="held") == 1)

    mid = wait_scrape(mport, settled, timeout=RUN_TIMEOUT)
    changes = mid.delta(before)
    context = f"\nchanges since the first scrape:\n{show(changes)}"

    def moved(name: str) -> dict:
        """{labels: change} of the samples `name` in `changes` (rebound below for ETRN)."""
        return by_labels({k: v for k, v in changes.items() if k[0] == name})

    # Sessions and replies.
    assert moved("tern_smtp_connections_total") == {labels(role="mx"): 3}, context
    assert mid.value("tern_smtp_connections_open", role="mx") == 0, context
    replies = moved("tern_smtp_replies_total")
    assert replies == {labels(code=c, enhanced=e): n for (c, e), n in seen.items()}, \
        f"the replies the client read: {dict(seen)}{context}"
    assert replies[labels(code="220", enhanced="none")] == 3, context  # one greeting per connection
    assert replies[labels(code="354", enhanced="none")] == 5, context  # five DATA commands
    assert replies[labels(code="221", enhanced="2.0.0")] == 3, context
    assert replies[labels(code="250", enhanced="2.0.0")] == 6, context  # 5 end of data + RSET
    assert replies[labels(code="554", enhanced="5.7.1")] == 1, context

    # Messages: five transactions answered 250, whatever their recipient count; one RCPT refused.
    assert moved("tern_messages_accepted_total") == {labels(role="mx"): 5}, context
    # The size Tern records: the octets of the message as received, un-stuffed, CRLF line
    # ends, without Tern's own trace fields.
    size = sum(len(m) for m in sent)
    assert moved("tern_message_bytes_total") == {labels(role="mx"): size}, \
        f"sent {len(sent)} messages of {[len(m) for m in sent]} octets (un-stuffed){context}"
    assert moved("tern_messages_refused_total") == {labels(stage="rcpt", reason="5.7.1"): 1}, context

    # Deliveries: one attempt per recipient, none deferred, nothing for the held one.
    assert moved("tern_delivery_attempts_total") == expected_attempts, context
    assert mid.value("tern_delivery_delay_seconds_count", courier="smtp") \
        - before.value("tern_delivery_delay_seconds_count", courier="smtp") == 1, context
    # One delay per delivered recipient: the Maildir copies, the report included.
    assert mid.value("tern_delivery_delay_seconds_count", courier="maildir") \
        - before.value("tern_delivery_delay_seconds_count", courier="maildir") == maildir_copies, context
    assert mid.value("tern_queue_messages", state="held") == 1, context
    for state in ("active", "deferred", "partial"):
        assert mid.value("tern_queue_messages", state=state) == 0, f"{state}{context}"
    assert not moved("tern_on_demand_runs_total"), context

    # The spool: at least the three messages that went through the queue (relayed,
    # refused, held) were made durable behind their 250 (the local ones were delivered at
    # acceptance; the failure report is made durable too, without a 250).
    commits = mid.value("tern_spool_commit_seconds_count", backend=spool) \
        - before.value("tern_spool_commit_seconds_count", backend=spool)
    # Committed to the spool: the relayed, the refused-by-the-peer and the held message, and
    # the failure report; the local ones were delivered at acceptance, never committed.
    assert commits == 4, context
    if spool == "files":
        # Every commit waits for a group commit, which also serves the envelope updates.
        batched = mid.value("tern_spool_commit_batch_size_sum") - before.value("tern_spool_commit_batch_size_sum")
        assert batched >= commits, context

    # ETRN releases the held message to its node's sink.
    seen_etrn: Counter = Counter()
    with RecordedSession(srv.port, seen_etrn) as s:
        check(s.greeting, 220)
        s.ehlo()
        check(s.cmd(f"ETRN {NODE}"), 253, "2.0.0")
        quit_and_wait_close(s)
    node_sink.wait_messages(1, timeout=RUN_TIMEOUT)
    srv.wait_queue_empty()

    def released(sc: Scrape) -> bool:
        return (sc.value("tern_delivery_attempts_total", courier="smtp", outcome="delivered")
                - mid.value("tern_delivery_attempts_total", courier="smtp", outcome="delivered") >= 1
                and sc.value("tern_smtp_connections_open", role="mx") == 0
                and sc.value("tern_queue_messages", state="held") == 0)

    after = wait_scrape(mport, released, timeout=RUN_TIMEOUT)
    changes = after.delta(mid)
    context = f"\nchanges since the scrape before ETRN:\n{show(changes)}"
    assert moved("tern_on_demand_runs_total") == {labels(command="etrn"): 1}, context
    assert moved("tern_delivery_attempts_total") == {labels(courier="smtp", outcome="delivered"): 1}, context
    assert after.value("tern_delivery_delay_seconds_count", courier="smtp") \
        - mid.value("tern_delivery_delay_seconds_count", courier="smtp") == 1, context
    assert moved("tern_smtp_connections_total") == {labels(role="mx"): 1}, context
    assert moved("tern_smtp_replies_total") == {labels(code=c, enhanced=e): n for (c, e), n in seen_etrn.items()}, \
        f"the replies the client read: {dict(seen_etrn)}{context}"
    assert not moved("tern_messages_accepted_total") and not moved("tern_messages_refused_total"), context
    assert after.value("tern_queue_messages", state="held") == 0, context
    assert after.value("tern_smtp_connections_open", role="mx") == 0, context

    # The exposition as a whole: names, types and labels of the contract; every family
    # this traffic moved is there with its type; histograms well formed.
    check_spec_names(after)
    check_histograms(after)
    must_be_there = [
        "tern_build_info", "tern_smtp_connections_open", "tern_smtp_connections_total",
        "tern_smtp_replies_total", "tern_messages_accepted_total", "tern_message_bytes_total",
        "tern_messages_refused_total", "tern_delivery_attempts_total", "tern_delivery_delay_seconds",
        "tern_queue_messages", "tern_on_demand_runs_total", "tern_spool_commit_seconds",
    ] + (["tern_spool_commit_batch_size"] if spool == "files" else ["tern_spool_leases_taken_total"])
    for name in must_be_there:
        assert after.family_type(name) == SPEC_FAMILIES[name], \
            f"{name}: type {after.family_type(name)}, expected {SPEC_FAMILIES[name]} (families: {after.types})"
    [(_, info)] = after.matching("tern_build_info").items()
    assert info == 1.0


# ---------------------------------------------------------------- TLS and AUTH

TLS = "tern_tls_handshakes_total"
AUTH = "tern_auth_attempts_total"
WRONG_PASSWORD = "not-" + BOB_PASSWORD
AUTH_OK = "Authentication successful"
AUTH_INVALID = "Authentication credentials invalid"
SMTP_REPLY = re.compile(rb"(^|\r\n)\d{3}[ -]")

# The relaying Tern's own mail: a.test only, so example.com (its peer's) is relayed.
NOT_EXAMPLE_COM = {"domains": ["a.test"], "mailboxes": ["*@a.test"], "aliases": None, "forward": None,
                   "relocated": None, "unavailable": None, "disabled": None}


def no_connection_open(sc: Scrape) -> bool:
    return sc.total("tern_smtp_connections_open") == 0


def quiet_scrape(port: int) -> Scrape:
    """A first scrape once no SMTP connection is open (the start-up probe's are over)."""
    sc = wait_scrape(port, no_connection_open)
    assert no_connection_open(sc), f"connections still open:\n{show(sc.matching('tern_smtp_connections_open'))}"
    return sc


def wait_moved(port: int, before: Scrape, expected: dict[str, dict], step: str) -> Scrape:
    """Scrape (bounded) until each family named in `expected` has changed since `before`
    by exactly {labels: n} (no other label set of it moved), and assert it."""
    want = {name: {lbls: n for lbls, n in changes.items() if n} for name, changes in expected.items()}

    def moved(sc: Scrape) -> dict:
        return {name: by_labels(sc.family_delta(before, name)) for name in want}

    sc = wait_scrape(port, lambda sc: moved(sc) == want)
    wanted = {(name, lbls): n for name, changes in want.items() for lbls, n in changes.items()}
    assert moved(sc) == want, \
        f"after {step}: expected\n{show(wanted)}\nchanges since the first scrape:\n{show(sc.delta(before))}"
    return sc


def test_server_tls_handshakes_and_auth_attempts(tern_factory):
    """Listeners mx, submission and smtps with a certificate, and bob's account. A handshake
    that completes (STARTTLS with smtplib, implicit TLS on smtps) counts `ok`; one that began
    and then met bytes that are not TLS, or the end of the connection, counts `failed`. Each
    AUTH exchange counts once, by mechanism and result. Checked after every dialog."""
    mport = free_port()
    srv = tern_factory(metrics_overrides(mport), tls=True)  # mx, submission, smtps
    srv.add_user(BOB, BOB_PASSWORD, "--allow-cram-md5")
    wait_http(mport)
    before = quiet_scrape(mport)
    expected = {TLS: Counter(), AUTH: Counter()}
    ok, failed = labels(side="server", result="ok"), labels(side="server", result="failed")

    # STARTTLS on mx with smtplib, then a command inside TLS.
    noop_then_close(smtp_starttls(srv.port_of("mx")))
    expected[TLS][ok] += 1
    wait_moved(mport, before, expected, "a STARTTLS completed by smtplib")

    # STARTTLS answered 220, then plaintext instead of a ClientHello: the server closes.
    with srv.session("mx") as s:
        s.ehlo()
        check(s.cmd("STARTTLS"), 220, "2.0.0", text="Ready to start TLS")
        s.send(b"this is not a TLS client hello\r\nNOOP\r\n")
        data = s.read_until_close(timeout=10)
        assert not SMTP_REPLY.search(data), f"SMTP reply after a failed handshake: {data!r}"
    expected[TLS][failed] += 1
    wait_moved(mport, before, expected, "plaintext sent after STARTTLS's 220")

    # STARTTLS answered 220, and the client closes without a ClientHello.
    with srv.session("mx") as s:
        s.ehlo()
        check(s.cmd("STARTTLS"), 220, "2.0.0", text="Ready to start TLS")
    expected[TLS][failed] += 1
    wait_moved(mport, before, expected, "a close right after STARTTLS's 220")

    # smtps: an implicit handshake with smtplib; then plaintext where the ClientHello goes.
    noop_then_close(smtp_ssl(srv.port_of("smtps")))
    expected[TLS][ok] += 1
    wait_moved(mport, before, expected, "an smtps handshake completed by smtplib")
    with Session(srv.port_of("smtps"), read_greeting=False) as s:
        s.send(b"EHLO plaintext.example\r\n")
        data = s.read_until_close(timeout=10)
        assert not SMTP_REPLY.search(data), f"SMTP text to a plaintext client on smtps: {data!r}"
    expected[TLS][failed] += 1
    wait_moved(mport, before, expected, "plaintext sent to smtps")

    # AUTH inside TLS, one exchange per mechanism: PLAIN with the password and LOGIN with a
    # wrong one on submission, SCRAM-SHA-256 with the password on smtps, CRAM-MD5 with a wrong
    # one on mx. Each session is one more completed handshake.
    exchanges = [
        ("submission", "PLAIN", lambda s: s.auth_plain(BOB, BOB_PASSWORD), True),
        ("submission", "LOGIN", lambda s: s.auth_login(BOB, WRONG_PASSWORD), False),
        ("smtps", "SCRAM-SHA-256", lambda s: s.auth_scram(BOB, BOB_PASSWORD), True),
        ("mx", "CRAM-MD5", lambda s: s.auth_cram_md5(BOB, WRONG_PASSWORD), False),
    ]
    after = before
    for listener, mechanism, authenticate, right in exchanges:
        with srv.tls_session(listener) as s:
            if right:
                check(authenticate(s), 235, "2.7.0", text=AUTH_OK)
            else:
                check(authenticate(s), 535, "5.7.8", text=AUTH_INVALID)
            if mechanism == "SCRAM-SHA-256":
                assert s.scram.server_verified
            s.quit()
        expected[TLS][ok] += 1
        expected[AUTH][labels(mechanism=mechanism, result="success" if right else "failure")] += 1
        after = wait_moved(mport, before, expected, f"AUTH {mechanism} on {listener}, right password: {right}")

    assert expected[TLS] == {ok: 6, failed: 3}
    check_spec_names(after)
    for name in (TLS, AUTH):
        assert after.family_type(name) == "counter", after.types
    assert srv.running(), srv.log()


def test_client_tls_handshake_relaying_to_a_peer_with_starttls(tern_factory):
    """A Tern relays one message for example.com to a second Tern whose mx listener has a
    certificate: the relay counts one `client` handshake `ok`, the peer one `server` one."""
    peer_mport = free_port()
    peer = tern_factory(metrics_overrides(peer_mport), tls=True, roles=("mx",))
    mport = free_port()
    relay = tern_factory(metrics_overrides(
        mport,
        local=NOT_EXAMPLE_COM,
        relay={"networks": ["127.0.0.1"]},
        routes={"example.com": f"smtp:127.0.0.1:{peer.port}"},
    ))
    wait_http(mport)
    wait_http(peer_mport)
    before, peer_before = quiet_scrape(mport), quiet_scrape(peer_mport)

    marker = unique_marker("tls-out")
    sent: list[bytes] = []
    with Session(relay.port) as s:
        check(s.greeting, 220)
        s.ehlo()
        mail(s, [LOCAL], marker, sent, sender="me@a.test")
        quit_and_wait_close(s)
    [stored] = wait_delivered(peer.data_dir, LOCAL, marker, timeout=RUN_TIMEOUT)
    assert b"with ESMTPS id" in stored, stored[:600]  # the peer took it over TLS
    relay.wait_queue_empty()

    wait_moved(mport, before, {
        TLS: {labels(side="client", result="ok"): 1},
        "tern_delivery_attempts_total": {labels(courier="smtp", outcome="delivered"): 1},
    }, "relaying one message over STARTTLS")
    wait_moved(peer_mport, peer_before, {
        TLS: {labels(side="server", result="ok"): 1},
        "tern_messages_accepted_total": {labels(role="mx"): 1},
    }, "the peer taking one message over STARTTLS")


def test_dns_lookups_by_type_and_result(tern_factory, sink_factory, dns_factory):
    """The relay's DNS queries through a private dnsmasq: a domain with an MX record (MX `ok`,
    then the exchanger's A `ok` and AAAA `nodata`), and a domain that does not exist (MX
    `nxdomain`, and no address query: the message bounces)."""
    sink = sink_factory()
    dns = dns_factory(mx={"mx.test": [(10, "mx1.mx.test")]}, a={"mx1.mx.test": ["127.0.0.1"]})
    mport = free_port()
    srv = tern_factory(metrics_overrides(
        mport, relay={"networks": ["127.0.0.1"]}, dns={"servers": [dns.server]},
        delivery={"smtp_port": sink.port}))
    wait_http(mport)
    before = quiet_scrape(mport)
    marker = unique_marker("dns")
    sent: list[bytes] = []
    with Session(srv.port) as s:
        check(s.greeting, 220)
        s.ehlo()
        mail(s, ["r@mx.test"], marker, sent)
        mail(s, ["r@nowhere.test"], marker + "-nx", sent)
        quit_and_wait_close(s)
    sink.wait_messages(1, timeout=RUN_TIMEOUT)
    srv.wait_queue_empty()
    wait_moved(mport, before, {"tern_dns_lookups_total": {
        labels(type="mx", result="ok"): 1,
        labels(type="a", result="ok"): 1,
        labels(type="aaaa", result="nodata"): 1,
        labels(type="mx", result="nxdomain"): 1,
    }}, "one message to a domain with an MX record, one to a domain that does not exist")


# ---------------------------------------------------------------- /health and the spool

def wait_health(port: int, status: int, timeout: float = 10.0) -> HttpAnswer:
    """GET /health until it answers `status`, ≤ timeout; the last answer either way."""
    deadline = time.monotonic() + timeout
    while True:
        answer = http_request(port, "/health")
        if answer.status == status or time.monotonic() >= deadline:
            return answer
        time.sleep(0.2)


@pytest.mark.file_spool
def test_health_names_the_spool_while_it_cannot_be_written(nobody_tern):
    """Run as `nobody` (root writes through any mode): with the spool's working folder
    made read-only, /health answers 503 naming the spool; writable again, 200 `ok`."""
    mport = free_port()
    srv = nobody_tern("health", metrics_overrides(mport))
    srv.start()
    wait_http(mport)
    answer = wait_health(mport, 200)
    assert (answer.status, answer.body) == (200, b"ok\n"), answer

    working = srv.data_dir / "spool" / "tmp"
    assert working.is_dir() and working.stat().st_uid == NOBODY, working
    mode = stat.S_IMODE(working.stat().st_mode)
    os.chmod(working, 0o500)
    try:
        answer = wait_health(mport, 503)
        assert answer.status == 503, answer
        lines = answer.text.splitlines(keepends=True)
        assert len(lines) == 1 and re.fullmatch(r"spool not writable: \S.*\n", lines[0]), answer.text
    finally:
        os.chmod(working, mode)
    answer = wait_health(mport, 200)
    assert (answer.status, answer.body) == (200, b"ok\n"), answer
    assert srv.running(), srv.log()
