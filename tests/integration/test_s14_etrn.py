"""docs/behaviour.md §14: ETRN (RFC 1985) on `mx`.  Every row of the table (253 with
the count, 252 for `@` with a hold node below it, 250 for `#` even when empty,
251, 459, 458, 501, 503, 502/530 on the other listeners); the run itself
(held mail reaches the node's `[routes]` entry, or its MX, over a new
connection, byte for byte; a 4xx leaves it held, a 5xx sends a failure report
to the sender); the hold around it (mail waits for ETRN, `tern queue list
--json` says "held", VRFY 252 and RCPT 250 from anyone, HELP STATUS counts
it); the operator's `tern queue flush DOMAIN`; and fetchmail as a real ETRN
client.  docs/configuration.md: `[[etrn.node]]` (`domain`, `clients`), `[routes]`."""

from __future__ import annotations

import re
import time

import pytest

from smtp_client import (MX_PLAINTEXT_KEYWORDS, Reply, check, check_relayed, find_in_maildir,
                         queue_marked, split_trace, unique_marker, wait_delivered)
from tern_server import BOB, BOB_PASSWORD, merge, to_toml

HOST = "mx.example.com"
SENDER = "user@example.com"  # a local mailbox: failure reports land in its Maildir
NODE = "node.example.net"
SUB = "sub.node.example.net"  # a hold node below NODE, open to every client
LOCKED = "locked.node.example.net"  # below NODE, but only for STRANGERS
RESTRICTED = "restricted.example.net"  # only for STRANGERS
EMPTY = "empty.example.net"  # no test sends it mail
STRANGERS = ["192.0.2.0/24"]  # does not hold 127.0.0.1, the tests' own address
CLOSED_PORT = 1  # nothing listens there: a run cannot connect, the mail stays held

HOLD_NODES = [
    {"domain": NODE},
    {"domain": SUB},
    {"domain": EMPTY},
    {"domain": LOCKED, "clients": STRANGERS},
    {"domain": RESTRICTED, "clients": STRANGERS},
]

# Lines that need dot-stuffing on the way out, and a last line without a dot.
BODY = b"First line.\r\n.leading dot\r\n..\r\n.\r\nLast line.\r\n"

VRFY_252 = ("Cannot VRFY user (e.g., info is not local), but will take message for this user "
            "and attempt delivery")
RUN_TIMEOUT = 20.0  # a release run on loopback


def etrn_config(port: int = CLOSED_PORT, **sections) -> dict:
    """Overrides for tern_factory: the hold nodes above, each routed to
    smtp:127.0.0.1:port, and retries every second (the scheduler would try
    held mail at once if it did not hold it); plus the given sections."""
    config = {
        "etrn": {"node": HOLD_NODES},
        "routes": {node["domain"]: f"smtp:127.0.0.1:{port}" for node in HOLD_NODES},
        "delivery": {"retry": ["1s"]},
    }
    for name, table in sections.items():
        config.setdefault(name, {}).update(table)
    return config


@pytest.fixture(scope="module")
def etrn_server(module_tern_factory):
    """One server with the hold nodes, every route to a closed port, for
    the tests that release nothing (or nothing that can leave)."""
    return module_tern_factory(etrn_config())


# ---------------------------------------------------------------- helpers

def hold(srv, marker: str, rcpts: list[str], sender: str = SENDER) -> bytes:
    """Queue a message (Subject: marker) for `rcpts` on mx; returns it as
    sent (wire form, not stuffed)."""
    return queue_marked(srv.port, marker, BODY, sender, rcpts)


def etrn_when_idle(srv, argument: str, timeout: float = RUN_TIMEOUT) -> Reply:
    """ETRN again until the answer is not 458 (the run before has ended)."""
    deadline = time.monotonic() + timeout
    while True:
        rep = srv.etrn(argument)
        if rep.code != 458 or time.monotonic() >= deadline:
            return rep
        time.sleep(0.2)


def started(count: int, node: str = NODE) -> str:
    return f"OK, {count} pending messages for node {node} started"


def by_subject(messages) -> dict:
    return {m.header("Subject"): m for m in messages}


def held_messages(srv) -> int:
    """The held-messages count of HELP STATUS (docs/behaviour.md §3)."""
    with srv.session() as s:
        rep = check(s.cmd("HELP STATUS"), 211, "2.0.0")
        s.quit()
    texts = [rep.text_after_enhanced(i) for i in range(len(rep.lines))]
    lines = [t for t in texts if re.search(r"(?i)\bheld\b", t)]
    assert len(lines) == 1, f"expected one line about held messages:\n{rep}"
    m = re.search(r"(?i)(\d+)\s+held\b|\bheld\b\D*(\d+)", lines[0])
    assert m, f"no count of held messages in {lines[0]!r}"
    return int(m.group(1) or m.group(2))


# ---------------------------------------------------------------- EHLO

def test_mx_advertises_etrn(etrn_server):
    """§2.1: ETRN after DSN on `mx` (the shared keyword list names it)."""
    with etrn_server.session() as s:
        assert s.ehlo().lines[1:] == MX_PLAINTEXT_KEYWORDS
        assert "ETRN" in MX_PLAINTEXT_KEYWORDS
        s.quit()


# ---------------------------------------------------------------- replies without a run

@pytest.mark.parametrize("argument", [EMPTY, f"@{EMPTY}", EMPTY.upper()])
def test_nothing_held_251(etrn_server, argument):
    rep = etrn_server.etrn(argument)
    check(rep, 251, "2.0.0")
    if argument != EMPTY.upper():
        check(rep, 251, "2.0.0", text=f"OK, no messages waiting for node {EMPTY}")


def test_hash_queue_even_when_empty_250(etrn_server):
    check(etrn_server.etrn(f"#{EMPTY}"), 250, "2.0.0", text=f"OK, queuing for node {EMPTY} started")


@pytest.mark.parametrize("node", [
    "other.example",  # routed, but not a hold domain
    "example.com",  # a local domain
    "unknown.example.net",  # nothing at all
    RESTRICTED,  # a hold node whose clients do not hold 127.0.0.1
    LOCKED,  # the same, below NODE
])
def test_node_not_allowed_459(etrn_server, node):
    check(etrn_server.etrn(node), 459, "4.7.1", startswith=f"Node {node} not allowed")


@pytest.mark.parametrize("argument", ["#other.example", "@other.example", f"#{RESTRICTED}"])
def test_prefixed_node_not_allowed_459(etrn_server, argument):
    """`#` and `@` name a node too: not a hold domain, or not this client's."""
    check(etrn_server.etrn(argument), 459, "4.7.1", regex="not allowed")


def test_restricted_node_mail_is_still_accepted_and_held(etrn_server):
    """`clients` limits only ETRN: RCPT from anyone is 250, and the mail waits."""
    marker = unique_marker("restricted")
    hold(etrn_server, marker, [f"r1@{RESTRICTED}"])
    etrn_server.wait_held({f"r1@{RESTRICTED}"})
    check(etrn_server.etrn(RESTRICTED), 459, "4.7.1", startswith=f"Node {RESTRICTED} not allowed")
    assert etrn_server.held_recipients() == {f"r1@{RESTRICTED}"}


@pytest.mark.parametrize("line", [
    "ETRN",
    "ETRN ",
    f"ETRN {NODE} {SUB}",
    f"ETRN {NODE} now",
    "ETRN @",
    "ETRN #",
    "ETRN node..example.net",
    "ETRN node_1.example.net",
    "ETRN -node.example.net",
    f"ETRN @#{NODE}",
    f"ETRN <{NODE}>",
])
def test_syntax_501(etrn_server, line):
    with etrn_server.session() as s:
        s.ehlo()
        check(s.cmd(line), 501, "5.5.4")
        check(s.cmd(f"ETRN {EMPTY}"), 251, "2.0.0")  # the session goes on
        s.quit()


@pytest.mark.parametrize("line", [f"ETRN {NODE}", "ETRN", "ETRN other.example"])
def test_before_helo_503(etrn_server, line):
    """Order: HELO comes before syntax and permission."""
    with etrn_server.session() as s:
        check(s.cmd(line), 503, "5.5.1")
        check(s.cmd("HELO client.example.net"), 250)
        check(s.cmd(f"ETRN {EMPTY}"), 251, "2.0.0")  # HELO is enough
        s.quit()


@pytest.mark.parametrize("line", [f"ETRN {NODE}", "ETRN", "ETRN other.example"])
def test_inside_a_transaction_503(etrn_server, line):
    """Order: the transaction comes before syntax and permission; RSET
    ends it."""
    with etrn_server.session() as s:
        s.ehlo()
        check(s.cmd(f"MAIL FROM:<{SENDER}>"), 250, "2.1.0")
        check(s.cmd(line), 503, "5.5.1")
        check(s.cmd(f"RCPT TO:<t@{NODE}>"), 250, "2.1.5")
        check(s.cmd(line), 503, "5.5.1")
        check(s.cmd("RSET"), 250, "2.0.0")
        check(s.cmd(f"ETRN {EMPTY}"), 251, "2.0.0")
        s.quit()


def test_vrfy_hold_address_252_unauthenticated(etrn_server):
    with etrn_server.session() as s:
        for address in (f"x@{NODE}", f"<y@{SUB}>", f"z@{RESTRICTED}"):
            check(s.cmd(f"VRFY {address}"), 252, "2.1.5", text=VRFY_252)
        s.quit()


def test_rcpt_to_a_hold_domain_from_anyone_250(etrn_server):
    with etrn_server.session() as s:
        s.ehlo("stranger.example.org")
        check(s.cmd("MAIL FROM:<stranger@other.example>"), 250, "2.1.0")
        for rcpt in (f"a@{NODE}", f"b@{NODE.upper()}", f"c@{SUB}", f"d@{RESTRICTED}", f"e@{LOCKED}"):
            check(s.cmd(f"RCPT TO:<{rcpt}>"), 250, "2.1.5")
        check(s.cmd("RCPT TO:<x@other.example>"), 554, "5.7.1")  # still no open relay
        check(s.cmd("RSET"), 250, "2.0.0")
        s.quit()


def test_etrn_inside_tls_on_mx_is_still_etrn(tls_server):
    """ETRN stays an `mx` command after STARTTLS: a domain that is not held
    gets 459, not 502."""
    with tls_server.tls_session("mx") as s:
        assert "ETRN" in s.ehlo().lines
        check(s.cmd(f"ETRN {NODE}"), 459, "4.7.1", startswith=f"Node {NODE} not allowed")
        s.quit()


@pytest.mark.parametrize("role", ["submission", "smtps"])
def test_other_listeners_502(tls_server, role):
    """§0.3/§14: ETRN only on `mx`; after TLS (and AUTH) on `submission`
    and on `smtps` it is not implemented."""
    with tls_server.tls_session(role) as s:
        assert "ETRN" not in s.ehlo().lines
        check(s.cmd(f"ETRN {NODE}"), 502, "5.5.1")
        check(s.auth_plain(BOB, BOB_PASSWORD), 235, "2.7.0")
        check(s.cmd(f"ETRN {NODE}"), 502, "5.5.1")
        check(s.cmd("ETRN"), 502, "5.5.1")  # the listener comes before syntax
        s.quit()


def test_submission_before_tls_wants_starttls_530(tls_server):
    """§0.4: the STARTTLS requirement (check 7) comes before ETRN's own."""
    with tls_server.session("submission") as s:
        s.ehlo()
        check(s.cmd(f"ETRN {NODE}"), 530, "5.7.0", text="Must issue a STARTTLS command first")
        s.quit()


# ---------------------------------------------------------------- the hold and the run

def test_held_mail_waits_for_etrn_then_arrives_byte_for_byte(tern_factory, sink_factory):
    sink = sink_factory()
    srv = tern_factory(etrn_config(sink.port))
    marker = unique_marker("wait")
    message = hold(srv, marker, [f"a@{NODE}", SENDER])
    # The local recipient is delivered at once; the held one waits.
    wait_delivered(srv.data_dir, SENDER, marker)
    srv.wait_held({f"a@{NODE}"})
    time.sleep(2.5)  # more than two retry intervals
    assert sink.messages() == []
    assert srv.held_recipients() == {f"a@{NODE}"}
    check(srv.etrn(NODE), 253, "2.0.0", text=started(1))
    [got] = sink.wait_messages(1, timeout=RUN_TIMEOUT)
    check_relayed(got, message, [f"a@{NODE}"], SENDER)
    srv.wait_queue_empty()


def test_253_counts_messages_and_delivers_each(tern_factory, sink_factory):
    """The count is of messages (not recipients); each goes out once, with
    one RCPT per held recipient."""
    sink = sink_factory()
    srv = tern_factory(etrn_config(sink.port))
    first, second = unique_marker("count1"), unique_marker("count2")
    sent = {
        first: (hold(srv, first, [f"a@{NODE}", f"b@{NODE}"]), [f"a@{NODE}", f"b@{NODE}"]),
        second: (hold(srv, second, [f"c@{NODE}"]), [f"c@{NODE}"]),
    }
    srv.wait_held({f"a@{NODE}", f"b@{NODE}", f"c@{NODE}"})
    check(srv.etrn(NODE), 253, "2.0.0", text=started(2))
    arrived = by_subject(sink.wait_messages(2, timeout=RUN_TIMEOUT))
    assert set(arrived) == {first, second}
    for marker, (message, rcpts) in sent.items():
        check_relayed(arrived[marker], message, rcpts, SENDER)
    srv.wait_queue_empty()
    check(srv.etrn(NODE), 251, "2.0.0", text=f"OK, no messages waiting for node {NODE}")
    assert len(sink.messages()) == 2


def test_help_status_counts_held_messages(tern_factory):
    srv = tern_factory(etrn_config())
    assert held_messages(srv) == 0
    hold(srv, unique_marker("status1"), [f"a@{NODE}"])
    hold(srv, unique_marker("status2"), [f"b@{SUB}", f"c@{NODE}"])
    srv.wait_held({f"a@{NODE}", f"b@{SUB}", f"c@{NODE}"})
    assert held_messages(srv) == 2


def test_at_sign_releases_the_node_and_the_hold_nodes_below_it_252(tern_factory, sink_factory):
    sink = sink_factory()
    srv = tern_factory(etrn_config(sink.port))
    top, below = unique_marker("top"), unique_marker("below")
    sent = {top: hold(srv, top, [f"a@{NODE}"]), below: hold(srv, below, [f"b@{SUB}"])}
    srv.wait_held({f"a@{NODE}", f"b@{SUB}"})
    check(srv.etrn(f"@{NODE}"), 252, "2.0.0", text=f"OK, pending messages for node {NODE} started")
    arrived = by_subject(sink.wait_messages(2, timeout=RUN_TIMEOUT))
    check_relayed(arrived[top], sent[top], [f"a@{NODE}"], SENDER)
    check_relayed(arrived[below], sent[below], [f"b@{SUB}"], SENDER)
    srv.wait_queue_empty()


def test_at_sign_with_mail_only_below_252_and_plain_etrn_does_not_reach_below(tern_factory,
                                                                              sink_factory):
    sink = sink_factory()
    srv = tern_factory(etrn_config(sink.port))
    marker = unique_marker("onlybelow")
    message = hold(srv, marker, [f"b@{SUB}"])
    srv.wait_held({f"b@{SUB}"})
    # The plain form names one node: nothing is held for NODE itself.
    check(srv.etrn(NODE), 251, "2.0.0", text=f"OK, no messages waiting for node {NODE}")
    time.sleep(1.0)
    assert sink.messages() == [] and srv.held_recipients() == {f"b@{SUB}"}
    check(srv.etrn(f"@{NODE}"), 252, "2.0.0", text=f"OK, pending messages for node {NODE} started")
    [got] = sink.wait_messages(1, timeout=RUN_TIMEOUT)
    check_relayed(got, message, [f"b@{SUB}"], SENDER)


def test_at_sign_skips_hold_nodes_the_client_may_not_release(tern_factory, sink_factory):
    """Mail held only for LOCKED (below NODE, not for this client):
    `ETRN @NODE` finds nothing it may release, and the mail stays."""
    sink = sink_factory()
    srv = tern_factory(etrn_config(sink.port))
    hold(srv, unique_marker("locked"), [f"l@{LOCKED}"])
    srv.wait_held({f"l@{LOCKED}"})
    check(srv.etrn(f"@{NODE}"), 251, "2.0.0", text=f"OK, no messages waiting for node {NODE}")
    time.sleep(1.0)
    assert sink.messages() == []
    assert srv.held_recipients() == {f"l@{LOCKED}"}


def test_hash_releases_the_named_queue_250(tern_factory, sink_factory):
    sink = sink_factory()
    srv = tern_factory(etrn_config(sink.port))
    marker = unique_marker("hash")
    message = hold(srv, marker, [f"q@{NODE}"])
    srv.wait_held({f"q@{NODE}"})
    check(srv.etrn(f"#{NODE}"), 250, "2.0.0", text=f"OK, queuing for node {NODE} started")
    [got] = sink.wait_messages(1, timeout=RUN_TIMEOUT)
    check_relayed(got, message, [f"q@{NODE}"], SENDER)
    srv.wait_queue_empty()


def test_operator_flush_releases_the_node(tern_factory, sink_factory):
    """`tern queue flush DOMAIN` is the operator's ETRN."""
    sink = sink_factory()
    srv = tern_factory(etrn_config(sink.port))
    marker = unique_marker("flush")
    message = hold(srv, marker, [f"f@{NODE}"])
    srv.wait_held({f"f@{NODE}"})
    assert srv.queue("flush").returncode == 0  # a plain flush leaves held mail alone
    time.sleep(1.0)
    assert sink.messages() == [] and srv.held_recipients() == {f"f@{NODE}"}
    res = srv.queue("flush", NODE)
    assert res.returncode == 0, res.stdout + res.stderr
    [got] = sink.wait_messages(1, timeout=RUN_TIMEOUT)
    check_relayed(got, message, [f"f@{NODE}"], SENDER)
    srv.wait_queue_empty()


def test_released_mail_goes_to_the_mx_without_a_route(tern_factory, sink_factory, dns_factory):
    sink = sink_factory()
    dns = dns_factory(mx={NODE: [(10, f"mx1.{NODE}")]}, a={f"mx1.{NODE}": ["127.0.0.1"]})
    overrides = etrn_config(sink.port, dns={"servers": [dns.server]},
                            delivery={"smtp_port": sink.port})
    del overrides["routes"][NODE]
    srv = tern_factory(overrides)
    marker = unique_marker("viamx")
    message = hold(srv, marker, [f"m@{NODE}"])
    srv.wait_held({f"m@{NODE}"})
    time.sleep(1.5)
    assert sink.messages() == []
    check(srv.etrn(NODE), 253, "2.0.0", text=started(1))
    [got] = sink.wait_messages(1, timeout=RUN_TIMEOUT)
    check_relayed(got, message, [f"m@{NODE}"], SENDER)


def test_run_falls_back_to_helo_when_ehlo_is_refused(tern_factory, scripted_peer_factory):
    peer = scripted_peer_factory(replies={"EHLO": "502 5.5.1 Command not implemented"})
    srv = tern_factory(etrn_config(peer.port))
    marker = unique_marker("helo")
    message = hold(srv, marker, [f"h@{NODE}"])
    srv.wait_held({f"h@{NODE}"})
    check(srv.etrn(NODE), 253, "2.0.0", text=started(1))
    [session] = peer.wait_closed(1)
    assert session.commands[:2] == [f"EHLO {HOST}", f"HELO {HOST}"], session.commands
    assert session.commands[2:] == [f"MAIL FROM:<{SENDER}>", f"RCPT TO:<h@{NODE}>", "DATA", "QUIT"]
    [content] = session.messages
    assert split_trace(content)[1] == message
    srv.wait_queue_empty()


def test_temporary_refusal_leaves_the_mail_held(tern_factory, scripted_peer_factory):
    peer = scripted_peer_factory(replies={"RCPT": "451 4.3.0 Try again later"})
    srv = tern_factory(etrn_config(peer.port))
    marker = unique_marker("tempfail")
    hold(srv, marker, [f"t@{NODE}"])
    srv.wait_held({f"t@{NODE}"})
    check(srv.etrn(NODE), 253, "2.0.0", text=started(1))
    [session] = peer.wait_closed(1, timeout=RUN_TIMEOUT)
    assert f"RCPT TO:<t@{NODE}>" in session.commands and session.commands[-1] == "QUIT", session.commands
    assert session.messages == []
    srv.wait_held({f"t@{NODE}"})
    time.sleep(2.5)  # no retry on the schedule: only ETRN releases it
    assert len(peer.sessions) == 1
    check(etrn_when_idle(srv, NODE), 253, "2.0.0", text=started(1))
    peer.wait_closed(2, timeout=RUN_TIMEOUT)
    assert find_in_maildir(srv.data_dir, SENDER, marker) == []  # no report


def test_permanent_refusal_sends_a_failure_report(tern_factory, sink_factory):
    sink = sink_factory("permfail", hard_reply="550 5.1.1 No such user here")
    srv = tern_factory(etrn_config(sink.port))
    marker = unique_marker("permfail")
    hold(srv, marker, [f"p@{NODE}"])
    srv.wait_held({f"p@{NODE}"})
    check(srv.etrn(NODE), 253, "2.0.0", text=started(1))
    [report] = wait_delivered(srv.data_dir, SENDER, marker, timeout=RUN_TIMEOUT)
    assert b"multipart/report" in report and b"report-type=delivery-status" in report
    assert b"Action: failed" in report
    assert re.search(rb"Final-Recipient: rfc822; ?p@node\.example\.net", report, re.I), report[:2000]
    assert re.search(rb"Status: 5\.1\.1", report), report[:2000]
    srv.wait_queue_empty()
    assert sink.messages() == []
    check(etrn_when_idle(srv, NODE), 251, "2.0.0")


def test_run_in_progress_458(tern_factory, scripted_peer_factory):
    """The node's host accepts and says nothing: the first run is still
    waiting for its greeting when the second ETRN comes.  When the host
    goes away the run fails, the mail stays held, and ETRN works again."""
    peer = scripted_peer_factory(silent=True)
    srv = tern_factory(etrn_config(peer.port))
    hold(srv, unique_marker("busy"), [f"b@{NODE}"])
    srv.wait_held({f"b@{NODE}"})
    with srv.session() as s:
        s.ehlo()
        check(s.cmd(f"ETRN {NODE}"), 253, "2.0.0", text=started(1))
        peer.wait_connections(1)
        busy = f"Unable to queue messages for node {NODE}"
        check(s.cmd(f"ETRN {NODE}"), 458, "4.3.0", text=busy)
        check(s.cmd(f"ETRN #{NODE}"), 458, "4.3.0", text=busy)
        s.quit()
    check(srv.etrn(NODE), 458, "4.3.0", text=busy)  # from another session too
    check(srv.etrn(EMPTY), 251, "2.0.0")  # other nodes are not locked
    peer.stop()  # the connection closes before any greeting
    rep = etrn_when_idle(srv, NODE)
    check(rep, 253, "2.0.0", text=started(1))
    assert srv.held_recipients() == {f"b@{NODE}"}


def test_kill9_during_a_run_loses_nothing(tern_factory, scripted_peer_factory, sink_factory):
    """Tern is killed with SIGKILL while a run waits on the node's host;
    after a restart (the node's route now a working sink) the mail is still
    held, and the next ETRN delivers each message exactly once."""
    peer = scripted_peer_factory(silent=True)
    srv = tern_factory(etrn_config(peer.port))
    first, second = unique_marker("crash1"), unique_marker("crash2")
    sent = {first: hold(srv, first, [f"a@{NODE}"]), second: hold(srv, second, [f"b@{NODE}"])}
    srv.wait_held({f"a@{NODE}", f"b@{NODE}"})
    check(srv.etrn(NODE), 253, "2.0.0", text=started(2))
    peer.wait_connections(1)
    srv.kill9()
    sink = sink_factory()
    srv.config = merge(srv.config, {"routes": {NODE: f"smtp:127.0.0.1:{sink.port}"}})
    srv.config_path.write_text(to_toml(srv.config))
    srv.start()
    srv.wait_held({f"a@{NODE}", f"b@{NODE}"})
    check(srv.etrn(NODE), 253, "2.0.0", text=started(2))
    arrived = by_subject(sink.wait_messages(2, timeout=RUN_TIMEOUT))
    assert sorted(arrived) == sorted(sent)
    for marker, message in sent.items():
        check_relayed(arrived[marker], message, [f"{'a' if marker == first else 'b'}@{NODE}"], SENDER)
    srv.wait_queue_empty()


# ---------------------------------------------------------------- fetchmail, a real ETRN client

def test_fetchmail_etrn_releases_held_mail_to_the_node_route(tern_factory, sink_factory, fetchmail):
    sink = sink_factory()
    srv = tern_factory(etrn_config(sink.port))
    first, second = unique_marker("fm1"), unique_marker("fm2")
    sent = {first: hold(srv, first, [f"a@{NODE}"]), second: hold(srv, second, [f"b@{NODE}", f"c@{NODE}"])}
    srv.wait_held({f"a@{NODE}", f"b@{NODE}", f"c@{NODE}"})
    run = fetchmail.etrn(srv.port, [NODE])
    assert run.ok, str(run)
    assert f"ETRN {NODE}" in run.output and f"253 2.0.0 {started(2)}" in run.output, str(run)
    arrived = by_subject(sink.wait_messages(2, timeout=RUN_TIMEOUT))
    check_relayed(arrived[first], sent[first], [f"a@{NODE}"], SENDER)
    check_relayed(arrived[second], sent[second], [f"b@{NODE}", f"c@{NODE}"], SENDER)
    srv.wait_queue_empty()
