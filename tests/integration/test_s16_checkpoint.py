"""docs/behaviour.md §16: CHECKPOINT and restart (RFC 1845).  The keyword on `mx`,
`submission` and `smtps` (not `odmr`), the TRANSID syntax, then transfers
cut in the middle and resumed from the 355's offset: a 5 MB message whose
lines need dot-stuffing, cut by closing the connection or by `kill -9` of
the server, through DATA and through BDAT; each resumed message is delivered
once and byte for byte as sent.  The completed transaction ("already
accepted", no second delivery), 503 for the other command, the key (client
name in any case, TRANSID exactly, the account), a live session holding the
record, expiry after `keep_partial`, and `tern queue list --partial`.
docs/configuration.md: `[checkpoint] keep_partial`, `sync_every`."""

from __future__ import annotations

import json
import time

import pytest

from checkpoint_client import (CLIENT, MIB, RCPT, Transfer, big_message, is_line_end,
                               last_line_end, new_transid)
from smtp_client import (Session, assert_not_delivered, check, check_queued,
                         ehlo_keywords, find_in_maildir, make_message, odmr_keywords,
                         parse_delivered, sent_as_stored, unique_marker, wait_delivered)
from tern_server import BOB, BOB_PASSWORD, merge

SYNC_EVERY = 64 * 1024
CONFIG = {"limits": {"message_size": "16MiB"}, "checkpoint": {"sync_every": "64KiB"}}
BIG = 5 * 1000 * 1000
SMALL_BODY = b"Checkpointed.\r\n.a line with a dot\r\n..\r\n.\r\nLast line.\r\n"
ALREADY_RE = r"^Requested mail action okay, completed: already accepted as (\S+)$"
OTHER_COMMAND = "resume with the interrupted command"
DELIVERY_TIMEOUT = 30.0
LIST_TIMEOUT = 10.0


@pytest.fixture(scope="module")
def checkpoint_server(module_tern_factory):
    """One server for the tests that neither crash it nor wait for expiry;
    every test uses TRANSIDs and markers of its own."""
    return module_tern_factory(CONFIG)


def session(srv, **kw) -> Session:
    """A session with room for multi-megabyte writes and final replies."""
    kw.setdefault("timeout", 30)
    return srv.session(**kw)


def assert_same(got: bytes, want: bytes) -> None:
    """Byte for byte; on a difference, where it starts (not 5 MB of diff)."""
    if got == want:
        return
    at = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
    raise AssertionError(f"content differs at octet {at} (got {len(got)} octets, want {len(want)}):\n"
                         f"got  {got[max(0, at - 60):at + 60]!r}\nwant {want[max(0, at - 60):at + 60]!r}")


def check_delivered_once(srv, marker: str, message: bytes) -> None:
    """The Maildir of user@example.com holds exactly one file with `marker`,
    whose message is `message` as an uninterrupted transfer leaves it."""
    [got] = wait_delivered(srv.data_dir, RCPT, marker, timeout=DELIVERY_TIMEOUT)
    assert_same(parse_delivered(got).message, sent_as_stored(message))
    time.sleep(1.0)
    assert len(find_in_maildir(srv.data_dir, RCPT, marker)) == 1, "delivered more than once"


def check_already_accepted(rep, qid: str) -> None:
    check(rep, 250, "2.0.0", regex=ALREADY_RE)
    assert rep.text.endswith(f"already accepted as {qid}"), f"another queue id than {qid}: {rep}"


def partials(srv) -> list[dict]:
    """`tern queue list --partial --json`, which must succeed, parsed."""
    res = srv.queue("list", "--partial", "--json")
    assert res.returncode == 0, f"tern queue list --partial --json failed ({res.returncode}):\n{res.stderr}"
    return json.loads(res.stdout or "[]")


def record_of(srv, transid: str) -> dict | None:
    found = [entry for entry in partials(srv) if entry["transactionID"] == transid]
    assert len(found) <= 1, f"two records for {transid}: {found}"
    return found[0] if found else None


def wait_record(srv, transid: str, until, what: str, timeout: float = LIST_TIMEOUT) -> dict | None:
    """Poll `tern queue list --partial` (≤ timeout) until `until(record or
    None)` holds; returns that record."""
    deadline = time.monotonic() + timeout
    while True:
        record = record_of(srv, transid)
        if until(record):
            return record
        assert time.monotonic() < deadline, f"no record of {transid} {what} within {timeout} s: {record}"
        time.sleep(0.1)


def cut_data(srv, transfer: Transfer, cut: int, client: str = CLIENT) -> None:
    """A session that opens the transaction (250), sends the DATA stream up
    to `cut` and closes the connection without a word."""
    with session(srv) as s:
        assert transfer.open(s, client) is None
        transfer.data(s, 0, cut)


def cut_bdat(srv, transfer: Transfer, chunks: int, client: str = CLIENT) -> None:
    """A session that sends `chunks` chunks of 1 MiB (each answered 250),
    then half of the next one, and closes the connection."""
    with session(srv) as s:
        assert transfer.open(s, client) is None
        for rep in transfer.bdat(s, 0, chunks * MIB):
            check(rep, 250, "2.0.0", text=f"{MIB} octets received")
        transfer.bdat_cut(s, chunks * MIB, MIB // 2)


def resume_data(srv, transfer: Transfer, client: str = CLIENT) -> tuple[int, str]:
    """A new session: MAIL → 355, RCPTs, the stream from the offset → 250
    queued; returns the offset and the queue id."""
    with session(srv) as s:
        offset = transfer.resume(s, client)
        qid = check_queued(transfer.data(s, offset))
        s.quit()
    return offset, qid


def check_data_offset(transfer: Transfer, offset: int, sent: int) -> None:
    """SPEC's DATA offset: within what was sent, just after a CRLF of the
    stuffed stream."""
    assert 0 <= offset <= sent, f"offset {offset} outside the {sent} octets sent"
    assert is_line_end(transfer.stream, offset), \
        f"offset {offset} is not just after a CRLF: {transfer.stream[offset - 10:offset + 10]!r}"


# ---------------------------------------------------------------- keyword and syntax

def test_checkpoint_keyword_on_mx_submission_and_smtps(tls_server):
    """CHECKPOINT right after DSN: plaintext and TLS on mx and submission,
    and on smtps, no AUTH done anywhere."""
    for role, tls in (("mx", False), ("submission", False), ("mx", True), ("submission", True),
                      ("smtps", True)):
        with (tls_server.tls_session(role, ehlo=False) if tls else tls_server.session(role)) as s:
            lines = s.ehlo().lines[1:]
            assert lines == ehlo_keywords(tls=tls, role=role), f"{role}, tls={tls}: {lines}"
            assert lines[lines.index("DSN") + 1] == "CHECKPOINT"
            s.quit()


def test_no_checkpoint_on_odmr(tern_factory):
    srv = tern_factory(roles=("mx", "odmr"))
    deadline = time.monotonic() + 10
    while True:  # TernServer.wait_ready does not probe odmr listeners
        try:
            s = srv.session("odmr")
            break
        except OSError:
            assert time.monotonic() < deadline, f"odmr listener does not answer\n{srv.log()}"
            time.sleep(0.1)
    with s:
        lines = s.ehlo().lines[1:]
        assert lines == odmr_keywords(tls=False, certificate=False), lines
        assert "CHECKPOINT" not in lines
        check(s.cmd(f"MAIL FROM:<{RCPT}> TRANSID={new_transid()}"), 502, "5.5.1")
        s.quit()


@pytest.mark.parametrize("transid", [
    "no-brackets@x",
    "<no-at-sign>",
    "<" + "a" * 86 + "@x>",  # 90 characters
    "<" + "a" * 77 + "@x>",  # 81 characters
    "<a@b@client.example.net>",
    "<a<b@client.example.net>",
    "<a>b@client.example.net>",
    "<@client.example.net>",
    "<local@>",
    "<>",
    "",
    "<local@client.example.net",
    "local@client.example.net>",
])
def test_transid_syntax_501(checkpoint_server, transid):
    with checkpoint_server.session() as s:
        s.ehlo()
        check(s.cmd(f"MAIL FROM:<sender@other.example> TRANSID={transid}"), 501, "5.5.4")
        check(s.cmd(f"MAIL FROM:<sender@other.example> TRANSID={new_transid()} TRANSID={new_transid()}"),
              501, "5.5.4")  # repeated
        check(s.cmd("MAIL FROM:<sender@other.example>"), 250, "2.1.0")  # no transaction was opened
        s.quit()


def test_transid_of_80_characters_opens_a_transaction(checkpoint_server):
    transid = "<" + "a" * 76 + "@x>"
    assert len(transid) == 80
    with checkpoint_server.session() as s:
        s.ehlo()
        check(s.cmd(f"MAIL FROM:<sender@other.example> TRANSID={transid}"), 250, "2.1.0",
              text="Sender OK")
        s.quit()


# ---------------------------------------------------------------- cut and resumed: DATA

def test_data_cut_by_closing_the_connection_resumes_byte_for_byte(tern_factory):
    """Half the stuffed stream, cut inside a line, then the connection
    closes; the same MAIL from the client name in other case gets a 355
    with an offset after a CRLF, within what was sent and above 0; the rest
    from there gives the message of an uninterrupted transfer, once."""
    srv = tern_factory(CONFIG)
    marker = unique_marker("cutdata")
    transfer = Transfer(big_message(marker, BIG), new_transid("cutdata"))
    cut = len(transfer.stream) // 2
    assert not is_line_end(transfer.stream, cut), "the cut must fall inside a line"
    cut_data(srv, transfer, cut)
    offset, _ = resume_data(srv, transfer, client=CLIENT.upper().replace("EXAMPLE", "Example"))
    check_data_offset(transfer, offset, cut)
    assert offset > 0, "nothing of 2.5 MB was kept"
    check_delivered_once(srv, marker, transfer.message)


def test_data_cut_by_kill_9_resumes_after_a_restart(tern_factory):
    """While half the stream is in, the server dies by SIGKILL and starts
    again on the same spool: the offset is a line end that was synced,
    at least what `tern queue list --partial` showed before the crash, and
    the resumed message is byte for byte as sent."""
    srv = tern_factory(CONFIG)
    marker = unique_marker("kill9data")
    transfer = Transfer(big_message(marker, BIG), new_transid("kill9data"))
    cut = len(transfer.stream) // 2
    with session(srv) as s:
        assert transfer.open(s) is None
        transfer.data(s, 0, cut)
        before = wait_record(srv, transfer.transid, lambda r: r and r["offset"] >= cut - 2 * SYNC_EVERY,
                             "synced up to the last sync interval")
        srv.kill9()
    srv.start()
    offset, _ = resume_data(srv, transfer)
    check_data_offset(transfer, offset, cut)
    assert offset >= before["offset"], f"the 355 offset {offset} is behind the synced {before}"
    check_delivered_once(srv, marker, transfer.message)


def test_idle_timeout_mid_data_keeps_the_checkpoint(tern_factory):
    """§10: the idle timeout ends the transaction with 421 but keeps its
    text; every line sent had arrived, so the offset is the last line end."""
    srv = tern_factory(merge(CONFIG, {"limits": {"idle_timeout": "2s"}}))
    marker = unique_marker("idle")
    transfer = Transfer(make_message(marker, SMALL_BODY * 4000), new_transid("idle"))
    cut = len(transfer.stream) // 2 + 1
    with session(srv) as s:
        assert transfer.open(s) is None
        transfer.data(s, 0, cut)
        check(s.read_reply(timeout=10), 421, "4.4.2", startswith="mx.example.com Timeout exceeded")
        s.expect_eof()
    offset, _ = resume_data(srv, transfer)
    assert offset == last_line_end(transfer.stream, cut)
    check_delivered_once(srv, marker, transfer.message)

def test_cut_and_never_resumed_is_never_delivered(tern_factory):
    srv = tern_factory(CONFIG)
    marker = unique_marker("never")
    transfer = Transfer(make_message(marker, SMALL_BODY * 2000), new_transid("never"))
    cut_data(srv, transfer, len(transfer.stream) - 10)
    wait_record(srv, transfer.transid, lambda r: r is not None, "kept")
    assert_not_delivered(srv.data_dir, marker, wait=2.0)
    assert srv.queue_list() == []


def test_record_starts_at_the_354(checkpoint_server):
    """A connection closed after MAIL and RCPT leaves nothing: the same MAIL
    gets 250.  Closed right after the 354, the record holds nothing:
    `355 0`, and the whole stream follows."""
    srv = checkpoint_server
    marker = unique_marker("at354")
    transfer = Transfer(make_message(marker, SMALL_BODY), new_transid("at354"))
    with session(srv) as s:
        assert transfer.open(s) is None
    with session(srv) as s:
        assert transfer.open(s) is None, "no record before DATA's 354"
        transfer.data(s, 0, 0)
    offset, _ = resume_data(srv, transfer)
    assert offset == 0
    check_delivered_once(srv, marker, transfer.message)


def test_resumed_transaction_uses_the_new_recipients(checkpoint_server):
    """The RCPTs after the 355 are the recipients, not the first ones."""
    srv = checkpoint_server
    marker = unique_marker("newrcpt")
    first = Transfer(make_message(marker, SMALL_BODY * 4000), new_transid("newrcpt"))
    cut_data(srv, first, len(first.stream) // 2)
    again = Transfer(first.message, first.transid, rcpts=("user2@example.com", "postmaster@example.com"))
    with session(srv) as s:
        offset = again.resume(s)
        check_queued(again.data(s, offset))
        s.quit()
    for rcpt in again.rcpts:
        [got] = wait_delivered(srv.data_dir, rcpt, marker, timeout=DELIVERY_TIMEOUT)
        assert_same(parse_delivered(got).message, sent_as_stored(first.message))
    assert find_in_maildir(srv.data_dir, RCPT, marker) == []


@pytest.mark.parametrize("where", ["stored before the cut", "sent after the resume"])
def test_resumed_message_is_checked_whole(checkpoint_server, where):
    """A bare LF in the part stored before the cut, or in the part sent
    after the 355, refuses the resumed message at its end (§7.3); nothing
    is delivered.  The record of a transfer with a fault is kept (355), but
    Tern stores nothing from the read that brought the fault on: the offset
    may then be 0."""
    srv = checkpoint_server
    marker = unique_marker("bare")
    fault = b"a bare\nline feed\r\n"
    body = fault + SMALL_BODY * 4000 if where == "stored before the cut" else SMALL_BODY * 4000 + fault
    transfer = Transfer(make_message(marker, body), new_transid("bare"))
    cut = len(transfer.stream) // 2
    cut_data(srv, transfer, cut)
    with session(srv) as s:
        offset = transfer.resume(s)
        check_data_offset(transfer, offset, cut)
        assert offset > 0 or where == "stored before the cut"
        check(transfer.data(s, offset), 554, "5.6.0",
              text="Transaction failed: message contains bare CR or LF")
        s.quit()
    assert_not_delivered(srv.data_dir, marker)


# ---------------------------------------------------------------- cut and resumed: BDAT

@pytest.mark.parametrize("cut", ["connection closed", "kill -9"])
def test_bdat_cut_resumes_from_the_chunks_answered(tern_factory, cut):
    """Chunks of 1 MiB; two answered 250, the third cut half-way.  A closed
    connection keeps both chunks (offset 2 MiB); after SIGKILL and a restart
    the offset is the end of a chunk answered 250.  The rest in chunks from
    there, the last with LAST."""
    srv = tern_factory(CONFIG)
    marker = unique_marker("cutbdat")
    transfer = Transfer(big_message(marker, BIG, seed=3030), new_transid("cutbdat"))
    if cut == "kill -9":
        with session(srv) as s:
            assert transfer.open(s) is None
            for rep in transfer.bdat(s, 0, 2 * MIB):
                check(rep, 250, "2.0.0", text=f"{MIB} octets received")
            transfer.bdat_cut(s, 2 * MIB, MIB // 2)
            srv.kill9()
        srv.start()
    else:
        cut_bdat(srv, transfer, 2)
    with session(srv) as s:
        offset = transfer.resume(s)
        if cut == "kill -9":
            assert offset in (0, MIB, 2 * MIB), f"offset {offset} is not the end of a chunk answered 250"
        else:
            assert offset == 2 * MIB, f"offset {offset}, the chunks answered 250 hold {2 * MIB}"
        replies = transfer.bdat(s, offset)
        for rep in replies[:-1]:
            check(rep, 250, "2.0.0", text=f"{MIB} octets received")
        check_queued(replies[-1])
        s.quit()
    check_delivered_once(srv, marker, transfer.message)


# ---------------------------------------------------------------- completed transactions

def test_completed_data_transaction_is_already_accepted(checkpoint_server):
    """The 250 may have been lost: the same MAIL gets 355 with the full
    length, and DATA with only the final dot gets "already accepted as" the
    same queue id; one delivery."""
    srv = checkpoint_server
    marker = unique_marker("donedata")
    transfer = Transfer(make_message(marker, SMALL_BODY), new_transid("donedata"))
    with session(srv) as s:
        assert transfer.open(s) is None
        qid = check_queued(transfer.data(s))
        check(s.cmd("RSET"), 250, "2.0.0")
        assert transfer.resume(s, ehlo=False) == len(transfer.stream)
        check_already_accepted(transfer.data(s, len(transfer.stream)), qid)
        s.quit()
    with session(srv) as s:  # again from a new connection, with data, which is discarded
        assert transfer.resume(s) == len(transfer.stream)
        check(s.cmd("DATA"), 354)
        s.send(b"Subject: a second copy\r\n\r\nnever stored\r\n.\r\n")
        check_already_accepted(s.read_reply(), qid)
        s.quit()
    check_delivered_once(srv, marker, transfer.message)


def test_completed_bdat_transaction_is_already_accepted(checkpoint_server):
    srv = checkpoint_server
    marker = unique_marker("donebdat")
    transfer = Transfer(make_message(marker, SMALL_BODY), new_transid("donebdat"))
    with session(srv) as s:
        assert transfer.open(s) is None
        replies = transfer.bdat(s, chunk=40)
        for rep in replies[:-1]:
            check(rep, 250, "2.0.0", text="40 octets received")
        qid = check_queued(replies[-1])
    with session(srv) as s:
        assert transfer.resume(s) == len(transfer.message)
        [rep] = transfer.bdat(s, len(transfer.message))  # BDAT 0 LAST
        check_already_accepted(rep, qid)
        s.quit()
    check_delivered_once(srv, marker, transfer.message)


# ---------------------------------------------------------------- the other command

def test_bdat_after_an_interrupted_data_503(checkpoint_server):
    """The BDAT's octets are still read (§0.5); the record is untouched and
    DATA resumes it."""
    srv = checkpoint_server
    marker = unique_marker("databdat")
    transfer = Transfer(make_message(marker, SMALL_BODY * 4000), new_transid("databdat"))
    cut = len(transfer.stream) // 2
    cut_data(srv, transfer, cut)
    with session(srv) as s:
        offset = transfer.resume(s)
        check_data_offset(transfer, offset, cut)
        s.send(b"BDAT 10\r\nNOOP\r\nNOOP")
        check(s.read_reply(), 503, "5.5.1", regex=OTHER_COMMAND + "$")
        check(s.cmd("NOOP"), 250, "2.0.0", text="OK")  # the only reply after the 503
        check(s.cmd("RSET"), 250, "2.0.0")
        assert transfer.resume(s, ehlo=False) == offset
        check_queued(transfer.data(s, offset))
        s.quit()
    check_delivered_once(srv, marker, transfer.message)


def test_data_after_an_interrupted_bdat_503(checkpoint_server):
    srv = checkpoint_server
    marker = unique_marker("bdatdata")
    transfer = Transfer(make_message(marker, SMALL_BODY * 30000), new_transid("bdatdata"))
    assert len(transfer.message) > 1.5 * MIB
    cut_bdat(srv, transfer, 1)
    with session(srv) as s:
        assert transfer.resume(s) == MIB
        check(s.cmd("DATA"), 503, "5.5.1", regex=OTHER_COMMAND + "$")
        check(s.cmd("NOOP"), 250, "2.0.0", text="OK")
        check(s.cmd("RSET"), 250, "2.0.0")
        assert transfer.resume(s, ehlo=False) == MIB
        check_queued(transfer.bdat(s, MIB)[-1])
        s.quit()
    check_delivered_once(srv, marker, transfer.message)


# ---------------------------------------------------------------- the key

def test_another_client_name_or_transid_case_is_another_transaction(checkpoint_server):
    """Client name and TRANSID with the same words: another client name,
    or the TRANSID in other case, gets a fresh 250 (and a whole message
    sent there is delivered on its own); the cut one keeps its offset."""
    srv = checkpoint_server
    marker = unique_marker("key")
    transfer = Transfer(make_message(marker, SMALL_BODY * 4000), new_transid("key"))
    cut_data(srv, transfer, len(transfer.stream) // 2)
    with session(srv) as s:
        offset = transfer.resume(s)
        s.quit()
    other_client = Transfer(transfer.message, transfer.transid)
    other_case = Transfer(transfer.message, transfer.transid.replace("key-", "KEY-"))
    for t, client in ((other_client, "other.example.net"), (other_case, CLIENT)):
        with session(srv) as s:
            assert t.open(s, client) is None, f"{client} {t.transid}: a fresh transaction"
            check_queued(t.data(s))
            s.quit()
    wait_delivered(srv.data_dir, RCPT, marker, count=2, timeout=DELIVERY_TIMEOUT)
    with session(srv) as s:  # HELO names the client as EHLO does
        check(s.cmd(f"HELO {CLIENT}"), 250)
        assert transfer.resume(s, ehlo=False) == offset
        check_queued(transfer.data(s, offset))
        s.quit()
    wait_delivered(srv.data_dir, RCPT, marker, count=3, timeout=DELIVERY_TIMEOUT)
    time.sleep(1.0)
    assert len(find_in_maildir(srv.data_dir, RCPT, marker)) == 3


def test_the_account_is_part_of_the_key(tls_server):
    """Cut on submission as bob: the same client name and TRANSID without
    AUTH (on mx) is another transaction; as bob again, on smtps, the 355."""
    srv = tls_server
    marker = unique_marker("account")
    transfer = Transfer(make_message(marker, SMALL_BODY * 8000, sender="bob@example.com"),
                        new_transid("account"), sender="bob@example.com")
    cut = len(transfer.stream) // 2
    with srv.tls_session("submission", timeout=30) as s:
        check(s.auth_plain(BOB, BOB_PASSWORD), 235, "2.7.0")
        assert transfer.open(s, ehlo=False) is None
        transfer.data(s, 0, cut)
    with srv.session("mx") as s:
        assert transfer.open(s) is None, "without the account: a fresh transaction"
        check(s.cmd("RSET"), 250, "2.0.0")
        s.quit()
    record = wait_record(srv, transfer.transid, lambda r: r is not None, "kept")
    assert record["account"] == BOB, record
    with srv.tls_session("smtps", timeout=30) as s:
        check(s.auth_plain(BOB, BOB_PASSWORD), 235, "2.7.0")
        offset = transfer.resume(s, ehlo=False)
        check_data_offset(transfer, offset, cut)
        check_queued(transfer.data(s, offset))
        s.quit()
    check_delivered_once(srv, marker, transfer.message)


# ---------------------------------------------------------------- a live session holds the record

def test_record_held_by_a_live_session_is_taken_over(tern_factory):
    """Session A is in the middle of DATA and stays connected; session B
    sends the same MAIL: A is closed without a reply, its lines are kept,
    B gets the 355 and finishes the message."""
    srv = tern_factory(CONFIG)
    marker = unique_marker("takeover")
    transfer = Transfer(big_message(marker, 1000 * 1000, seed=7), new_transid("takeover"))
    sent = last_line_end(transfer.stream, 600 * 1000)
    with session(srv) as a:
        assert transfer.open(a) is None
        transfer.data(a, 0, sent)
        wait_record(srv, transfer.transid, lambda r: r and r["offset"] > 0, "synced")
        with session(srv) as b:
            offset = transfer.resume(b)
            assert a.read_until_close(timeout=10) == b"", "A must be closed without a reply"
            check_data_offset(transfer, offset, sent)
            assert offset > 0
            check_queued(transfer.data(b, offset))
            b.quit()
    check_delivered_once(srv, marker, transfer.message)


# ---------------------------------------------------------------- expiry

def test_records_expire_after_keep_partial(tern_factory):
    """keep_partial = 2s: a cut transfer and a completed one are both gone
    a few seconds later (records and kept text); the TRANSIDs open fresh
    transactions, and nothing was delivered from the cut one."""
    srv = tern_factory(merge(CONFIG, {"checkpoint": {"keep_partial": "2s"}}))
    cut_marker, done_marker = unique_marker("expirecut"), unique_marker("expiredone")
    cut = Transfer(make_message(cut_marker, SMALL_BODY * 4000), new_transid("expirecut"))
    done = Transfer(make_message(done_marker, SMALL_BODY), new_transid("expiredone"))
    cut_data(srv, cut, len(cut.stream) // 2)
    with session(srv) as s:
        assert done.open(s) is None
        check_queued(done.data(s))
        s.quit()
    started = time.monotonic()
    for t in (cut, done):
        wait_record(srv, t.transid, lambda r: r is not None, "kept")
    for t in (cut, done):
        wait_record(srv, t.transid, lambda r: r is None, "removed", timeout=15)
    assert time.monotonic() - started >= 1.0, "expired long before keep_partial"
    partial_dir = srv.data_dir / "spool" / "partial"
    leftovers = [p for p in partial_dir.rglob("*") if p.is_file()] if partial_dir.exists() else []
    assert leftovers == [], f"kept text left after expiry: {leftovers}"
    with session(srv) as s:
        for i, t in enumerate((cut, done)):
            check(t.mail(s, ehlo=i == 0), 250, "2.1.0", text="Sender OK")
            check(s.cmd("RSET"), 250, "2.0.0")
        s.quit()
    assert find_in_maildir(srv.data_dir, RCPT, cut_marker) == []
    assert len(find_in_maildir(srv.data_dir, RCPT, done_marker)) == 1


# ---------------------------------------------------------------- tern queue list --partial

def test_queue_list_partial_shows_the_record(tern_factory):
    """After a clean close inside a line the record shows the client name
    (lower-cased), the TRANSID, command DATA and, once the broken connection
    is synced, the offset of the last complete line sent; the 355 gives the
    same offset; after the resume the record is accepted as the queue id."""
    srv = tern_factory(CONFIG)
    marker = unique_marker("list")
    transfer = Transfer(big_message(marker, 1000 * 1000, seed=11), new_transid("list"))
    cut = len(transfer.stream) // 2 + 1
    line_end = last_line_end(transfer.stream, cut)
    assert line_end < cut
    cut_data(srv, transfer, cut, client="Client.Example.NET")
    record = wait_record(srv, transfer.transid, lambda r: r and r["offset"] == line_end,
                         f"at offset {line_end} (the last line end sent)")
    assert record["client"] == CLIENT
    assert record["command"] == "DATA"
    assert record.get("account") is None and record.get("acceptedAs") is None, record
    assert 0 < record["stored"] <= record["offset"], record
    for key in ("id", "updated"):
        assert record[key], record
    text = srv.queue("list", "--partial")
    assert text.returncode == 0 and transfer.transid in text.stdout, text.stdout
    offset, qid = resume_data(srv, transfer)
    assert offset == line_end
    check_delivered_once(srv, marker, transfer.message)
    record = record_of(srv, transfer.transid)
    assert record is not None and record["acceptedAs"] == qid, record
    assert record["offset"] == len(transfer.stream), record


def test_queue_list_partial_shows_a_bdat_record(tern_factory):
    srv = tern_factory(CONFIG)
    marker = unique_marker("listbdat")
    transfer = Transfer(big_message(marker, 3 * MIB, seed=12), new_transid("listbdat"))
    cut_bdat(srv, transfer, 2)
    record = wait_record(srv, transfer.transid, lambda r: r and r["offset"] == 2 * MIB,
                         "at the end of the chunks answered 250")
    assert record["command"] == "BDAT" and record["client"] == CLIENT, record
