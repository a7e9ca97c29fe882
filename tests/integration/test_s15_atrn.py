"""docs/behaviour.md §15: ODMR and ATRN (RFC 2645) on an `odmr` listener.  The
greeting and EHLO keywords (§1, §2.1), 502 for every verb outside the
listener's set (§0.4), AUTH without TLS only by CRAM-MD5 and SCRAM-SHA-256
(§13), then every row of the table: 530, 501, 450, 451 (a domain busy with
another ATRN session or an ETRN run), 453, 250 and 502 on the other
listeners.  After the 250 the test's own socket plays the customer's SMTP
server on the turned connection (greeting, EHLO, MAIL/RCPT/DATA, QUIT) and
checks every command and the message byte for byte; per-recipient replies,
a connection dropped mid-delivery, a customer that never greets.  Last,
fetchmail as a real ODMR client relaying to smtp-sink.  docs/configuration.md:
`[odmr] domains`, `[[listen]] role = "odmr"`, `tern user add`."""

from __future__ import annotations

import re
import socket
import time
from dataclasses import dataclass

import pytest

from smtp_client import (Reply, Session, check, check_relayed, dot_unstuff, find_in_maildir,
                         odmr_keywords, queue_marked, split_trace, unique_marker, wait_delivered)
from tern_server import BOB, BOB_PASSWORD, merge

HOST = "mx.example.com"
SENDER = "user@example.com"  # a local mailbox: failure reports land in its Maildir
NODE = "node.example.net"
EMPTY = "empty.example.net"  # ACCOUNT's too; the shared server never holds mail for it
FOREIGN = "foreign.example.net"  # OTHER's
ACCOUNT, PASSWORD = "customer", "customer-pw"
OTHER, OTHER_PASSWORD = "neighbour", "neighbour-pw"
ROLES = ("mx", "odmr")
CLOSED_PORT = 1

# Lines that need dot-stuffing on the way out, and a last line without a dot.
BODY = b"First line.\r\n.leading dot\r\n..\r\n.\r\nLast line.\r\n"

TURNAROUND = "OK now reversing the connection"
REFUSED = "ATRN request refused"
BUSY = "Unable to process ATRN request now"
NO_MAIL = "You have no mail"
AUTH_REQUIRED = "Authentication required"
ENCRYPTION = "Encryption required for requested authentication mechanism"
VRFY_252 = ("Cannot VRFY user (e.g., info is not local), but will take message for this user "
            "and attempt delivery")
TURN_TIMEOUT = 20.0  # one wait on the turned connection (Tern as the client)


def odmr_config(**sections) -> dict:
    """Overrides: three ODMR domains of two accounts, retries every second
    (the scheduler would try held mail at once if it did not hold it)."""
    config = {
        "odmr": {"domains": {NODE: ACCOUNT, EMPTY: ACCOUNT, FOREIGN: OTHER}},
        "delivery": {"retry": ["1s"]},
    }
    for name, table in sections.items():
        config = merge(config, {name: table})
    return config


def dual_config(port: int) -> dict:
    """NODE is also an `[[etrn.node]]`, routed to 127.0.0.1:port: an ETRN
    run and an ATRN session compete for it."""
    return odmr_config(etrn={"node": [{"domain": NODE}]},
                       routes={NODE: f"smtp:127.0.0.1:{port}"})


def start_odmr(make, overrides: dict | None = None, **kw):
    """A started server (listeners mx and odmr) with the two accounts; the
    odmr listener answers."""
    srv = make(overrides if overrides is not None else odmr_config(), roles=ROLES, **kw)
    srv.add_user(ACCOUNT, PASSWORD, "--allow-cram-md5")
    srv.add_user(OTHER, OTHER_PASSWORD, "--allow-cram-md5")
    deadline = time.monotonic() + 10
    while True:  # TernServer.wait_ready does not probe odmr listeners
        try:
            with Session(srv.port_of("odmr")) as s:
                check(s.greeting, 220)
                s.quit()
            return srv
        except (ConnectionError, OSError):
            assert time.monotonic() < deadline, f"odmr listener does not answer\n{srv.log()}"
            time.sleep(0.1)


@pytest.fixture(scope="module")
def odmr_server(module_tern_factory):
    """One server for the replies that release nothing: no test holds mail
    on it."""
    return start_odmr(module_tern_factory)


def odmr_session(srv) -> Session:
    return srv.session("odmr")


def login(s: Session, user: str = ACCOUNT, password: str = PASSWORD) -> None:
    """EHLO and AUTH CRAM-MD5 on plaintext (RFC 2645's way)."""
    s.ehlo()
    check(s.auth_cram_md5(user, password), 235, "2.7.0", text="Authentication successful")


def hold(srv, marker: str, rcpts: list[str], sender: str = SENDER) -> bytes:
    """Queue a message (Subject: marker) for `rcpts` on mx; returns it as
    sent (wire form, not stuffed)."""
    return queue_marked(srv.port, marker, BODY, sender, rcpts)


def retry_while(code: int, attempt, timeout: float = TURN_TIMEOUT) -> Reply:
    """Call `attempt()` until its reply is not `code` (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        rep = attempt()
        if rep.code != code or time.monotonic() >= deadline:
            return rep
        time.sleep(0.2)


# ---------------------------------------------------------------- the customer's side

@dataclass
class Delivery:
    """One transaction Tern ran on the turned connection."""
    mail_from: str
    rcpts: list[str]
    stream: bytes | None  # the DATA stream as sent (stuffed, with the final `.` CRLF)

    @property
    def message(self) -> bytes:
        """The message as the customer stores it: un-stuffed."""
        assert self.stream is not None, "no DATA in this transaction"
        return dot_unstuff(self.stream[:-3])


def _path(command: str, prefix: str) -> str:
    m = re.fullmatch(re.escape(prefix) + r"<([^>]*)>", command)
    assert m, f"expected {prefix}<...> without parameters, got {command!r}"
    return m.group(1)


class Customer:
    """The test's socket after `250 ... reversing the connection`: it plays
    the customer's SMTP server and Tern is the client.  It advertises no
    extension, so Tern sends plain commands, one at a time."""

    def __init__(self, session: Session):
        self.s = session

    def command(self) -> str:
        return self.s.read_line(timeout=TURN_TIMEOUT).decode("utf-8")

    def expect(self, command: str) -> None:
        got = self.command()
        assert got == command, f"expected {command!r} from Tern, got {got!r}"

    def reply(self, line: str) -> None:
        self.s.send(line.encode() + b"\r\n")

    def hello(self, greet: bool = True) -> None:
        if greet:
            self.reply("220 customer.example.net ESMTP ready")
        self.expect(f"EHLO {HOST}")
        self.reply("250 customer.example.net")

    def transaction(self, mail_reply: str = "250 2.1.0 OK", rcpt_replies: dict | None = None,
                    data_reply: str | None = "250 2.0.0 OK") -> Delivery:
        """One message: MAIL, the RCPTs, then DATA and the stream (answered
        with `data_reply`; None: no answer), or RSET when nothing was
        accepted."""
        mail_from = _path(self.command(), "MAIL FROM:")
        self.reply(mail_reply)
        rcpts: list[str] = []
        if not mail_reply.startswith("2"):
            self.expect("RSET")
            self.reply("250 2.0.0 OK")
            return Delivery(mail_from, rcpts, None)
        while (command := self.command()) not in ("DATA", "RSET"):
            rcpts.append(_path(command, "RCPT TO:"))
            self.reply((rcpt_replies or {}).get(rcpts[-1], "250 2.1.5 OK"))
        if command == "RSET":
            self.reply("250 2.0.0 OK")
            return Delivery(mail_from, rcpts, None)
        self.reply("354 Start mail input")
        stream = self.s.read_until(b"\r\n.\r\n", timeout=TURN_TIMEOUT)
        if data_reply is not None:
            self.reply(data_reply)
        return Delivery(mail_from, rcpts, stream)

    def quit(self) -> None:
        """QUIT, the 221, then Tern closes the connection."""
        self.expect("QUIT")
        self.reply("221 2.0.0 customer.example.net closing connection")
        self.s.expect_eof(timeout=TURN_TIMEOUT)


def turn(srv, request: str = f"ATRN {NODE}", user: str = ACCOUNT,
         password: str = PASSWORD) -> tuple[Session, Customer]:
    """An odmr session: login, `request` → 250; the caller closes it."""
    s = odmr_session(srv)
    try:
        login(s, user, password)
        check(s.cmd(request), 250, "2.0.0", text=TURNAROUND)
    except BaseException:
        s.close()
        raise
    return s, Customer(s)


def check_delivery(got: Delivery, message: bytes, rcpts: list[str], sender: str = SENDER) -> None:
    assert got.mail_from == sender
    assert sorted(got.rcpts) == sorted(rcpts), got.rcpts
    fields, rest = split_trace(got.message)
    assert fields, f"no Received: field of Tern's at the top:\n{got.message[:400]!r}"
    assert rest == message, f"content differs:\nsent {message!r}\ngot  {rest!r}"


# ---------------------------------------------------------------- greeting, EHLO, other verbs

def test_greeting(odmr_server):
    with odmr_session(odmr_server) as s:
        check(s.greeting, 220, text=f"{HOST} on-demand mail relay service ready")
        s.quit()


def test_ehlo_keywords_on_plaintext_without_certificate(odmr_server):
    with odmr_session(odmr_server) as s:
        rep = s.ehlo()
        assert rep.lines[0] == f"{HOST} Hello client.example.net"
        assert rep.lines[1:] == odmr_keywords(tls=False, certificate=False), rep
        s.quit()


OTHER_VERBS = [
    f"MAIL FROM:<{SENDER}>",
    f"RCPT TO:<x@{NODE}>",
    "DATA",
    f"VRFY x@{NODE}",
    "VRFY user",
    f"ETRN {NODE}",
    "ETRN",
    "HELP",
    "HELP STATUS",
    "BDAT 0 LAST",
    "EXPN staff",
    "TURN",
]


@pytest.mark.parametrize("line", OTHER_VERBS)
def test_other_verbs_502(odmr_server, line):
    """Before EHLO, after it and after AUTH: outside the listener's set."""
    with odmr_session(odmr_server) as s:
        check(s.cmd(line), 502, "5.5.1")
        s.ehlo()
        check(s.cmd(line), 502, "5.5.1")
        check(s.auth_cram_md5(ACCOUNT, PASSWORD), 235, "2.7.0")
        check(s.cmd(line), 502, "5.5.1")
        check(s.cmd("NOOP"), 250, "2.0.0", text="OK")
        s.quit()


def test_unknown_verb_is_500_before_the_listener_check(odmr_server):
    with odmr_session(odmr_server) as s:
        check(s.cmd("FOOBAR baz"), 500, "5.5.1", text="Command not recognized: FOOBAR")
        s.quit()


def test_commands_of_the_listener(odmr_server):
    with odmr_session(odmr_server) as s:
        check(s.cmd("NOOP"), 250, "2.0.0", text="OK")
        check(s.cmd("RSET"), 250, "2.0.0")
        check(s.cmd("HELO client.example.net"), 250, text=f"{HOST} Hello client.example.net")
        s.ehlo()
        check(s.cmd("STARTTLS"), 454, "4.7.0", text="TLS not available due to temporary reason")
        check(s.cmd("QUIT"), 221, "2.0.0", text=f"{HOST} Service closing transmission channel")
        s.expect_eof()


def test_plain_and_login_need_tls_538(odmr_server):
    with odmr_session(odmr_server) as s:
        s.ehlo()
        check(s.auth_plain(ACCOUNT, PASSWORD), 538, "5.7.11", text=ENCRYPTION)
        check(s.cmd("AUTH LOGIN"), 538, "5.7.11", text=ENCRYPTION)
        s.quit()


@pytest.mark.parametrize("mechanism", ["CRAM-MD5", "SCRAM-SHA-256"])
def test_cram_md5_and_scram_work_without_tls(odmr_server, mechanism):
    with odmr_session(odmr_server) as s:
        s.ehlo()
        check(s.auth(mechanism, ACCOUNT, PASSWORD), 235, "2.7.0", text="Authentication successful")
        s.quit()


def test_wrong_password_535(odmr_server):
    with odmr_session(odmr_server) as s:
        s.ehlo()
        check(s.auth_cram_md5(ACCOUNT, "wrong-pw"), 535, "5.7.8")
        check(s.cmd(f"ATRN {NODE}"), 530, "5.7.0", text=AUTH_REQUIRED)
        s.quit()


# ---------------------------------------------------------------- ATRN replies without mail

@pytest.mark.parametrize("line", [f"ATRN {NODE}", "ATRN", "ATRN a.example,,b", "ATRN example.com"])
def test_atrn_before_auth_530(odmr_server, line):
    """Order: AUTH comes before syntax and ownership; before EHLO too."""
    with odmr_session(odmr_server) as s:
        check(s.cmd(line), 530, "5.7.0", text=AUTH_REQUIRED)
        s.ehlo()
        check(s.cmd(line), 530, "5.7.0", text=AUTH_REQUIRED)
        s.quit()


@pytest.mark.parametrize("line", [
    "ATRN a.example,,b",
    f"ATRN ,{NODE}",
    f"ATRN {NODE},",
    "ATRN node..example.net",
    f"ATRN {NODE} {EMPTY}",
    "ATRN example.com,,b",  # syntax comes before ownership
])
def test_atrn_syntax_501(odmr_server, line):
    with odmr_session(odmr_server) as s:
        login(s)
        check(s.cmd(line), 501, "5.5.4")
        check(s.cmd("NOOP"), 250, "2.0.0")
        s.quit()


@pytest.mark.parametrize("domains", [
    "example.com",  # a local domain
    FOREIGN,  # OTHER's
    f"{NODE},{FOREIGN}",  # one domain not owned refuses the whole request
    f"{EMPTY}, {FOREIGN}",
    "other.example",  # not a hold domain
    "unknown.example.net",
])
def test_domain_not_owned_450(odmr_server, domains):
    with odmr_session(odmr_server) as s:
        login(s)
        check(s.cmd(f"ATRN {domains}"), 450, "4.7.1", text=REFUSED)
        check(s.cmd("NOOP"), 250, "2.0.0")
        s.quit()


def test_nothing_held_453_and_the_session_continues(odmr_server):
    with odmr_session(odmr_server) as s:
        login(s)
        for request in (f"ATRN {EMPTY}", f"ATRN {EMPTY.upper()}", f"ATRN {NODE}, {EMPTY}", "ATRN"):
            check(s.cmd(request), 453, "4.2.0", text=NO_MAIL)
            check(s.cmd("NOOP"), 250, "2.0.0", text="OK")
        check(s.cmd("RSET"), 250, "2.0.0")
        check(s.cmd("QUIT"), 221, "2.0.0")
        s.expect_eof()
    with odmr_session(odmr_server) as s:
        login(s, OTHER, OTHER_PASSWORD)
        check(s.cmd("ATRN"), 453, "4.2.0", text=NO_MAIL)  # every domain OTHER owns
        s.quit()


@pytest.mark.parametrize("line", [f"ATRN {NODE}", "ATRN"])
def test_atrn_on_mx_502(odmr_server, line):
    with odmr_server.session("mx") as s:
        check(s.cmd(line), 502, "5.5.1")
        s.ehlo()
        check(s.cmd(line), 502, "5.5.1")
        s.quit()


@pytest.mark.parametrize("role", ["submission", "smtps"])
def test_atrn_on_submission_and_smtps_502(tls_server, role):
    with tls_server.tls_session(role) as s:
        check(s.cmd(f"ATRN {NODE}"), 502, "5.5.1")
        check(s.auth_plain(BOB, BOB_PASSWORD), 235, "2.7.0")
        check(s.cmd(f"ATRN {NODE}"), 502, "5.5.1")
        s.quit()


def test_atrn_on_submission_before_tls_wants_starttls_530(tls_server):
    with tls_server.session("submission") as s:
        s.ehlo()
        check(s.cmd(f"ATRN {NODE}"), 530, "5.7.0", text="Must issue a STARTTLS command first")
        s.quit()


def test_mx_takes_mail_for_odmr_domains_from_anyone(odmr_server):
    with odmr_server.session("mx") as s:
        check(s.cmd(f"VRFY x@{NODE}"), 252, "2.1.5", text=VRFY_252)
        s.ehlo("stranger.example.org")
        check(s.cmd("MAIL FROM:<stranger@other.example>"), 250, "2.1.0")
        for rcpt in (f"a@{NODE}", f"b@{FOREIGN}", f"c@{EMPTY.upper()}"):
            check(s.cmd(f"RCPT TO:<{rcpt}>"), 250, "2.1.5")
        check(s.cmd("RSET"), 250, "2.0.0")  # nothing is held on this server
        s.quit()


def test_etrn_for_an_odmr_only_domain_459(odmr_server):
    """An `[odmr]` domain is no `[[etrn.node]]`: ETRN may not release it."""
    check(odmr_server.etrn(NODE), 459, "4.7.1", startswith=f"Node {NODE} not allowed")


# ---------------------------------------------------------------- the turned connection

def test_atrn_turns_the_connection_around(tern_factory):
    """The held mail waits (the scheduler leaves it), then ATRN: Tern
    greets nobody, sends EHLO, one transaction per message, oldest first,
    one RCPT per held recipient, the message dot-stuffed; QUIT, close."""
    srv = start_odmr(tern_factory)
    first, second = unique_marker("turn1"), unique_marker("turn2")
    sent1 = hold(srv, first, [f"a@{NODE}", f"b@{NODE}", SENDER])
    sent2 = hold(srv, second, [f"c@{NODE}"])
    wait_delivered(srv.data_dir, SENDER, first)  # the local recipient is not held
    srv.wait_held({f"a@{NODE}", f"b@{NODE}", f"c@{NODE}"})
    time.sleep(2.5)  # more than two retry intervals
    assert srv.held_recipients() == {f"a@{NODE}", f"b@{NODE}", f"c@{NODE}"}
    s, customer = turn(srv)
    with s:
        customer.hello()
        d1 = customer.transaction()
        check_delivery(d1, sent1, [f"a@{NODE}", f"b@{NODE}"])
        assert b"\r\n..leading dot\r\n...\r\n..\r\nLast line.\r\n.\r\n" in d1.stream, d1.stream
        check_delivery(customer.transaction(), sent2, [f"c@{NODE}"])
        customer.quit()
    srv.wait_queue_empty()
    with odmr_session(srv) as s:
        login(s)
        check(s.cmd(f"ATRN {NODE}"), 453, "4.2.0", text=NO_MAIL)
        s.quit()


def test_atrn_without_argument_fetches_every_domain_of_the_account(tern_factory):
    srv = start_odmr(tern_factory)
    m1, m2, m3 = (unique_marker(f"all{i}") for i in (1, 2, 3))
    sent1 = hold(srv, m1, [f"x@{NODE}"])
    sent2 = hold(srv, m2, [f"y@{EMPTY}"])
    hold(srv, m3, [f"z@{FOREIGN}"])
    srv.wait_held({f"x@{NODE}", f"y@{EMPTY}", f"z@{FOREIGN}"})
    s, customer = turn(srv, "ATRN")
    with s:
        customer.hello()
        check_delivery(customer.transaction(), sent1, [f"x@{NODE}"])
        check_delivery(customer.transaction(), sent2, [f"y@{EMPTY}"])
        customer.quit()
    srv.wait_held({f"z@{FOREIGN}"})


def test_domain_list_with_spaces_and_any_case(tern_factory):
    srv = start_odmr(tern_factory)
    m1, m2 = unique_marker("list1"), unique_marker("list2")
    sent1 = hold(srv, m1, [f"x@{NODE}"])
    sent2 = hold(srv, m2, [f"y@{EMPTY}"])
    srv.wait_held({f"x@{NODE}", f"y@{EMPTY}"})
    s, customer = turn(srv, "ATRN Node.Example.NET, EMPTY.example.net")
    with s:
        customer.hello()
        check_delivery(customer.transaction(), sent1, [f"x@{NODE}"])
        check_delivery(customer.transaction(), sent2, [f"y@{EMPTY}"])
        customer.quit()
    srv.wait_queue_empty()


def test_only_recipients_of_the_requested_domains(tern_factory):
    srv = start_odmr(tern_factory)
    marker = unique_marker("split")
    sent = hold(srv, marker, [f"x@{NODE}", f"y@{EMPTY}", f"z@{FOREIGN}"])
    srv.wait_held({f"x@{NODE}", f"y@{EMPTY}", f"z@{FOREIGN}"})
    s, customer = turn(srv, f"ATRN {NODE}")
    with s:
        customer.hello()
        check_delivery(customer.transaction(), sent, [f"x@{NODE}"])
        customer.quit()
    srv.wait_held({f"y@{EMPTY}", f"z@{FOREIGN}"})
    s, customer = turn(srv, f"ATRN {EMPTY}")
    with s:
        customer.hello()
        check_delivery(customer.transaction(), sent, [f"y@{EMPTY}"])
        customer.quit()


def test_per_recipient_replies(tern_factory):
    """250 leaves the hold, 4xx stays, 5xx gets a failure report; MAIL
    refused or no RCPT accepted → RSET and the next message."""
    srv = start_odmr(tern_factory)
    m1, m2, m3, m4 = (unique_marker(f"reply{i}") for i in (1, 2, 3, 4))
    sent1 = hold(srv, m1, [f"a@{NODE}", f"b@{NODE}"])
    hold(srv, m2, [f"c@{NODE}"])
    sent3 = hold(srv, m3, [f"d@{NODE}"])
    sent4 = hold(srv, m4, [f"e@{NODE}"])
    srv.wait_held({f"{x}@{NODE}" for x in "abcde"})
    s, customer = turn(srv)
    with s:
        customer.hello()
        d1 = customer.transaction(rcpt_replies={f"b@{NODE}": "450 4.2.1 Mailbox busy"})
        check_delivery(d1, sent1, [f"a@{NODE}", f"b@{NODE}"])
        d2 = customer.transaction(rcpt_replies={f"c@{NODE}": "550 5.1.1 No such user"})
        assert d2.rcpts == [f"c@{NODE}"] and d2.stream is None  # RSET, no DATA
        d3 = customer.transaction(mail_reply="451 4.3.0 Not now")
        assert d3.mail_from == SENDER and d3.stream is None  # RSET
        check_delivery(customer.transaction(), sent4, [f"e@{NODE}"])
        customer.quit()
    [report] = wait_delivered(srv.data_dir, SENDER, m2, timeout=TURN_TIMEOUT)
    assert b"Action: failed" in report
    assert re.search(rb"Final-Recipient: rfc822; ?c@node\.example\.net", report, re.I), report[:2000]
    srv.wait_held({f"b@{NODE}", f"d@{NODE}"})
    assert find_in_maildir(srv.data_dir, SENDER, m1) == []  # no report for a 4xx
    assert find_in_maildir(srv.data_dir, SENDER, m3) == []
    s, customer = turn(srv)
    with s:
        customer.hello()
        check_delivery(customer.transaction(), sent1, [f"b@{NODE}"])
        check_delivery(customer.transaction(), sent3, [f"d@{NODE}"])
        customer.quit()
    srv.wait_queue_empty()


def test_customer_that_never_greets(tern_factory):
    """No 220 within the idle timeout: Tern closes without a word and the
    mail stays held (and the domain is free again)."""
    srv = start_odmr(tern_factory, odmr_config(limits={"idle_timeout": "2s"}))
    marker = unique_marker("silent")
    sent = hold(srv, marker, [f"s@{NODE}"])
    srv.wait_held({f"s@{NODE}"})
    s, _ = turn(srv)
    with s:
        assert s.read_until_close(timeout=15) == b""
    srv.wait_held({f"s@{NODE}"})
    s, customer = turn(srv)
    with s:
        customer.hello()
        check_delivery(customer.transaction(), sent, [f"s@{NODE}"])
        customer.quit()


def test_greeting_sent_early_counts(tern_factory):
    """Bytes the customer sends right after ATRN, before the 250 arrives,
    are its greeting."""
    srv = start_odmr(tern_factory)
    marker = unique_marker("early")
    sent = hold(srv, marker, [f"e@{NODE}"])
    srv.wait_held({f"e@{NODE}"})
    with odmr_session(srv) as s:
        login(s)
        s.send(f"ATRN {NODE}\r\n220 customer.example.net ESMTP ready\r\n")
        check(s.read_reply(), 250, "2.0.0", text=TURNAROUND)
        customer = Customer(s)
        customer.hello(greet=False)
        check_delivery(customer.transaction(), sent, [f"e@{NODE}"])
        customer.quit()


def test_domain_busy_with_another_atrn_session_451(tern_factory):
    srv = start_odmr(tern_factory)
    marker = unique_marker("busy")
    sent = hold(srv, marker, [f"x@{NODE}"])
    srv.wait_held({f"x@{NODE}"})
    first, _ = turn(srv)  # turned around, and never greets
    with first, odmr_session(srv) as second:
        login(second)
        check(second.cmd(f"ATRN {NODE}"), 451, "4.3.0", text=BUSY)
        check(second.cmd(f"ATRN {EMPTY}, {NODE}"), 451, "4.3.0", text=BUSY)
        check(second.cmd(f"ATRN {EMPTY}"), 453, "4.2.0", text=NO_MAIL)  # not locked
        check(second.cmd("NOOP"), 250, "2.0.0")
        first.close()  # the turned connection breaks: the lock goes with it
        rep = retry_while(451, lambda: second.cmd(f"ATRN {NODE}"))
        check(rep, 250, "2.0.0", text=TURNAROUND)
        customer = Customer(second)
        customer.hello()
        check_delivery(customer.transaction(), sent, [f"x@{NODE}"])
        customer.quit()


def test_domain_busy_with_an_etrn_run_451(tern_factory, scripted_peer_factory):
    """NODE is also an ETRN node whose host accepts and says nothing: while
    that run waits, ATRN for NODE gets 451."""
    peer = scripted_peer_factory(silent=True)
    srv = start_odmr(tern_factory, dual_config(peer.port))
    marker = unique_marker("etrnbusy")
    sent = hold(srv, marker, [f"x@{NODE}"])
    srv.wait_held({f"x@{NODE}"})
    check(srv.etrn(NODE), 253, "2.0.0", text=f"OK, 1 pending messages for node {NODE} started")
    peer.wait_connections(1)
    with odmr_session(srv) as s:
        login(s)
        check(s.cmd(f"ATRN {NODE}"), 451, "4.3.0", text=BUSY)
        peer.stop()  # the run fails before any greeting: the mail stays held
        rep = retry_while(451, lambda: s.cmd(f"ATRN {NODE}"))
        check(rep, 250, "2.0.0", text=TURNAROUND)
        customer = Customer(s)
        customer.hello()
        check_delivery(customer.transaction(), sent, [f"x@{NODE}"])
        customer.quit()


def test_etrn_while_an_atrn_session_is_turned_458(tern_factory):
    srv = start_odmr(tern_factory, dual_config(CLOSED_PORT))
    hold(srv, unique_marker("atrnbusy"), [f"x@{NODE}"])
    srv.wait_held({f"x@{NODE}"})
    s, _ = turn(srv)
    with s:
        check(srv.etrn(NODE), 458, "4.3.0", text=f"Unable to queue messages for node {NODE}")
    rep = retry_while(458, lambda: srv.etrn(NODE))
    check(rep, 253, "2.0.0", text=f"OK, 1 pending messages for node {NODE} started")


def test_starttls_then_atrn_inside_tls(tern_factory):
    """With a certificate: STARTTLS offered on plaintext; inside TLS PLAIN
    and LOGIN join the mechanisms, and the turned connection stays in TLS."""
    srv = start_odmr(tern_factory, tls=True)
    marker = unique_marker("tls")
    sent = hold(srv, marker, [f"t@{NODE}"])
    srv.wait_held({f"t@{NODE}"})
    with odmr_session(srv) as s:
        assert s.ehlo().lines[1:] == odmr_keywords(tls=False), "plaintext keywords"
        s.quit()
    with srv.tls_session("odmr") as s:
        assert s.ehlo().lines[1:] == odmr_keywords(tls=True)
        check(s.auth_plain(ACCOUNT, PASSWORD), 235, "2.7.0")
        check(s.cmd(f"ATRN {NODE}"), 250, "2.0.0", text=TURNAROUND)
        customer = Customer(s)
        customer.hello()
        check_delivery(customer.transaction(), sent, [f"t@{NODE}"])
        assert s.tls
        customer.quit()
    srv.wait_queue_empty()


# ---------------------------------------------------------------- fetchmail, a real ODMR client

def test_fetchmail_odmr_relays_each_held_message_to_smtp_sink(tern_factory, sink_factory, fetchmail):
    """fetchmail authenticates with CRAM-MD5 on plaintext, sends `ATRN
    node,empty`, and after the 250 relays the turned connection to
    smtp-sink: Tern's SMTP reaches the sink through it."""
    sink = sink_factory()
    srv = start_odmr(tern_factory)
    m1, m2, m3 = (unique_marker(f"fm{i}") for i in (1, 2, 3))
    sent = {m1: hold(srv, m1, [f"a@{NODE}", f"b@{NODE}"]), m2: hold(srv, m2, [f"c@{EMPTY}"])}
    hold(srv, m3, [f"z@{FOREIGN}"])
    srv.wait_held({f"a@{NODE}", f"b@{NODE}", f"c@{EMPTY}", f"z@{FOREIGN}"})
    run = fetchmail.odmr(srv.port_of("odmr"), ACCOUNT, PASSWORD, [NODE, EMPTY], sink.port)
    assert run.ok, str(run)
    assert "AUTH CRAM-MD5" in run.output and f"ATRN {NODE},{EMPTY}" in run.output, str(run)
    assert f"250 2.0.0 {TURNAROUND}" in run.output, str(run)
    arrived = {m.header("Subject"): m for m in sink.wait_messages(2, timeout=TURN_TIMEOUT)}
    check_relayed(arrived[m1], sent[m1], [f"a@{NODE}", f"b@{NODE}"], SENDER)
    check_relayed(arrived[m2], sent[m2], [f"c@{EMPTY}"], SENDER)
    srv.wait_held({f"z@{FOREIGN}"})


# ---------------------------------------------------------------- a cut on the turned connection

@pytest.mark.parametrize("cut", ["connection dropped", "kill -9"])
def test_cut_mid_turn_loses_nothing_and_repeats_nothing(tern_factory, cut):
    """The customer takes the first message (final 250); while the second
    one's data is in, the customer drops the connection without answering,
    or Tern is killed with SIGKILL (then restarted).  The first message is
    gone for good, the second and third are still held, and a new ATRN hands
    over exactly those two, each once."""
    srv = start_odmr(tern_factory)
    m1, m2, m3 = (unique_marker(f"cut{i}") for i in (1, 2, 3))
    sent1 = hold(srv, m1, [f"a@{NODE}"])
    sent2 = hold(srv, m2, [f"b@{NODE}"])
    sent3 = hold(srv, m3, [f"c@{NODE}"])
    srv.wait_held({f"{x}@{NODE}" for x in "abc"})
    s, customer = turn(srv)
    with s:
        customer.hello()
        check_delivery(customer.transaction(), sent1, [f"a@{NODE}"])
        check_delivery(customer.transaction(data_reply=None), sent2, [f"b@{NODE}"])
        if cut == "kill -9":
            srv.kill9()
        else:
            s.sock.shutdown(socket.SHUT_RDWR)
    if cut == "kill -9":
        srv.start()  # binds mx and odmr before it answers on mx
    srv.wait_held({f"b@{NODE}", f"c@{NODE}"})
    s, customer = turn(srv)
    with s:
        customer.hello()
        check_delivery(customer.transaction(), sent2, [f"b@{NODE}"])
        check_delivery(customer.transaction(), sent3, [f"c@{NODE}"])
        customer.quit()
    srv.wait_queue_empty()


def test_no_reply_to_quit_gets_a_short_wait(tern_factory):
    """Every message is decided once QUIT is out: a customer that never
    answers it is closed after a short wait (10 s), not the 5-minute idle
    timeout, and what it took stays delivered."""
    srv = start_odmr(tern_factory)
    sent = hold(srv, unique_marker("quit"), [f"a@{NODE}"])
    srv.wait_held({f"a@{NODE}"})
    s, customer = turn(srv)
    with s:
        customer.hello()
        check_delivery(customer.transaction(), sent, [f"a@{NODE}"])
        customer.expect("QUIT")
        started = time.monotonic()
        s.expect_eof(timeout=TURN_TIMEOUT)
        assert time.monotonic() - started < 15
    srv.wait_queue_empty()
