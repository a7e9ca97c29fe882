"""docs/behaviour.md §11: what a 250 means, local delivery to Maildir (file format,
recipients, aliases, forwards) and the storage replies."""

import re
import shutil
import subprocess
import time

import pytest

from smtp_client import (check, check_queued, dot_stuff, files_containing, find_in_maildir, make_message,
                         maildir_new, parse_delivered, sent_as_stored, spool_files,
                         unique_marker, wait_delivered)

HOST = "mx.example.com"
STORAGE = "Requested action not taken: insufficient system storage"


def send(srv, marker, rcpts=("user@example.com",), sender="sender@other.example", body=b"Hi.\r\n",
         mail_params="", helo="EHLO"):
    msg = make_message(marker, body, sender=sender or "x@y.example")
    with srv.session() as s:
        check(s.cmd(f"{helo} client.example.net"), 250)
        check(s.cmd(f"MAIL FROM:<{sender}>{' ' + mail_params if mail_params else ''}"), 250, "2.1.0")
        for r in rcpts:
            assert s.cmd(f"RCPT TO:<{r}>").code in (250, 251)
        qid = check_queued(s.data(dot_stuff(msg)))
        s.quit()
    return msg, qid


# ---------------------------------------------------------------- delivered file

def test_delivered_file_format(server):
    marker = unique_marker("format")
    msg, qid = send(server, marker)
    got = wait_delivered(server.data_dir, "user@example.com", marker)
    assert len(got) == 1
    d = parse_delivered(got[0])
    assert d.return_path == "<sender@other.example>"
    assert "user@example.com" in d.delivered_to
    r = d.received
    assert "client.example.net" in r, r
    assert "127.0.0.1" in r, r
    assert f"by {HOST}" in r, r
    assert re.search(r"\bwith ESMTP\b", r), r
    assert qid in r, r
    assert "for <user@example.com>" in r, r
    assert re.search(r";\s*\w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}", r), \
        f"Received: must end with an RFC 5322 date: {r}"
    assert d.message == sent_as_stored(msg)


def test_received_folded_with_whitespace(server):
    marker = unique_marker("fold")
    send(server, marker)
    raw = wait_delivered(server.data_dir, "user@example.com", marker)[0]
    head = raw.split(b"\nFrom: ", 1)[0]
    for line in head.split(b"\n")[3:]:
        assert line[:1] in (b"\t", b" "), f"continuation line not folded: {line!r}"
    for line in head.split(b"\n"):
        assert len(line) <= 998


def test_null_sender_return_path(server):
    marker = unique_marker("null")
    msg, _ = send(server, marker, sender="")
    d = parse_delivered(wait_delivered(server.data_dir, "user@example.com", marker)[0])
    assert d.return_path == "<>"
    assert d.message == sent_as_stored(msg)


def test_helo_protocol_keyword(server):
    marker = unique_marker("helo")
    send(server, marker, helo="HELO")
    d = parse_delivered(wait_delivered(server.data_dir, "user@example.com", marker)[0])
    assert re.search(r"\bwith SMTP\b", d.received), d.received


def test_a_hello_name_that_is_no_domain_cannot_forge_trace_clauses(server):
    """The EHLO argument as typed goes into `Received: from`; one that is neither a domain
    nor an address literal is recorded with `%XX` for everything but letters, digits, `-`,
    `.` and `_`: no TAB, parenthesis or space lets it pose as a comment or another clause."""
    marker = unique_marker("helo-name")
    msg = make_message(marker, b"Hi.\r\n")
    with server.session() as s:
        check(s.cmd("EHLO trusted.example\t(authenticated)by[10.0.0.1]"), 250)
        check(s.cmd("MAIL FROM:<sender@other.example>"), 250, "2.1.0")
        check(s.cmd("RCPT TO:<user@example.com>"), 250, "2.1.5")
        check_queued(s.data(dot_stuff(msg)))
    d = parse_delivered(wait_delivered(server.data_dir, "user@example.com", marker)[0])
    assert d.received.startswith(
        "Received: from trusted.example%09%28authenticated%29by%5B10.0.0.1%5D ([127.0.0.1]) "), d.received


def test_smtputf8_protocol_keyword(server):
    marker = unique_marker("u8kw")
    send(server, marker, mail_params="SMTPUTF8")
    d = parse_delivered(wait_delivered(server.data_dir, "user@example.com", marker)[0])
    assert re.search(r"\bwith UTF8SMTP\b", d.received), d.received


def test_maildir_layout_and_unique_names(server):
    m1, m2 = unique_marker("u1"), unique_marker("u2")
    send(server, m1, rcpts=["user2@example.com"])
    send(server, m2, rcpts=["user2@example.com"])
    wait_delivered(server.data_dir, "user2@example.com", m1)
    wait_delivered(server.data_dir, "user2@example.com", m2)
    base = maildir_new(server.data_dir, "user2@example.com").parent
    for sub in ["new", "cur", "tmp"]:
        assert (base / sub).is_dir(), f"Maildir {base} lacks {sub}/"
    names = [p.name for p in (base / "new").iterdir()]
    assert len(names) == len(set(names)) >= 2
    for n in names:
        assert "/" not in n and not n.startswith(".")
    deadline = time.monotonic() + 5
    while any((base / "tmp").iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any((base / "tmp").iterdir()), "files left in Maildir tmp/"


def test_each_recipient_gets_one_copy(server):
    marker = unique_marker("multi")
    msg, _ = send(server, marker, rcpts=["user@example.com", "user2@example.com", "multi@example.org"])
    for r in ["user@example.com", "user2@example.com", "multi@example.org"]:
        got = wait_delivered(server.data_dir, r, marker)
        d = parse_delivered(got[0])
        assert d.message == sent_as_stored(msg)
        assert r in d.delivered_to
    time.sleep(0.5)
    for r in ["user@example.com", "user2@example.com", "multi@example.org"]:
        assert len(wait_delivered(server.data_dir, r, marker)) == 1


def test_upper_case_recipient_lands_in_lower_case_maildir(server):
    marker = unique_marker("upper")
    send(server, marker, rcpts=["USER2@EXAMPLE.COM", "MiXeD@Example.ORG"])
    wait_delivered(server.data_dir, "user2@example.com", marker)
    wait_delivered(server.data_dir, "mixed@example.org", marker)
    assert (server.data_dir / "mail" / "example.org" / "mixed" / "new").is_dir()


def test_wildcard_mailbox(server):
    marker = unique_marker("wild")
    send(server, marker, rcpts=["whoever@example.org"])
    wait_delivered(server.data_dir, "whoever@example.org", marker)


def test_postmaster_without_domain_is_delivered(server):
    marker = unique_marker("pm")
    send(server, marker, rcpts=["Postmaster"])
    wait_delivered(server.data_dir, "postmaster@example.com", marker)


def test_source_route_recipient_delivered_to_mailbox(server):
    marker = unique_marker("route")
    send(server, marker, rcpts=["@a.example,@b.example:user@example.com"])
    wait_delivered(server.data_dir, "user@example.com", marker)


def test_alias_delivers_to_every_target(server):
    marker = unique_marker("alias")
    msg, _ = send(server, marker, rcpts=["staff@example.com"])
    for target in ["user@example.com", "user2@example.com"]:
        d = parse_delivered(wait_delivered(server.data_dir, target, marker)[0])
        assert d.message == sent_as_stored(msg)
    assert not maildir_new(server.data_dir, "staff@example.com").exists()


@pytest.mark.file_spool
def test_forward_is_queued_not_delivered_locally(server):
    marker = unique_marker("fwd")
    with server.session() as s:
        s.ehlo()
        check(s.cmd("MAIL FROM:<sender@other.example>"), 250, "2.1.0")
        check(s.cmd("RCPT TO:<fwd@example.com>"), 251, "2.1.5",
              text="User not local; will forward to <fwd@other.example>")
        check(s.cmd("RCPT TO:<user@example.com>"), 250, "2.1.5")
        check_queued(s.data(dot_stuff(make_message(marker))))
    wait_delivered(server.data_dir, "user@example.com", marker)
    time.sleep(1.0)
    hits = files_containing(
        [p for p in (server.data_dir / "mail").rglob("*") if p.is_file()], marker)
    assert len(hits) == 1, f"only user@example.com gets a local copy: {hits}"
    assert not maildir_new(server.data_dir, "fwd@example.com").exists()
    assert not (server.data_dir / "mail" / "other.example").exists()
    queued = files_containing(spool_files(server.data_dir), marker)
    assert queued, (f"the message for fwd@other.example waits in the spool; spool files: "
                    f"{spool_files(server.data_dir)[:20]}")


def test_relocated_and_unknown_get_no_copy(server):
    marker = unique_marker("reloc")
    with server.session() as s:
        s.ehlo()
        check(s.cmd("MAIL FROM:<sender@other.example>"), 250, "2.1.0")
        check(s.cmd("RCPT TO:<old@example.com>"), 551, "5.1.6")
        check(s.cmd("RCPT TO:<nobody@example.com>"), 550, "5.1.1")
        check(s.cmd("RCPT TO:<busy@example.com>"), 450, "4.2.1")
        check(s.cmd("RCPT TO:<gone@example.com>"), 550, "5.2.1")
        check(s.cmd("RCPT TO:<user2@example.com>"), 250, "2.1.5")
        check_queued(s.data(dot_stuff(make_message(marker))))
    wait_delivered(server.data_dir, "user2@example.com", marker)
    for a in ["old@example.com", "nobody@example.com", "busy@example.com", "gone@example.com"]:
        assert not files_containing(
            [p for p in maildir_new(server.data_dir, a).parent.rglob("*") if p.is_file()]
            if maildir_new(server.data_dir, a).parent.exists() else [], marker)


def test_relative_data_dir_is_relative_to_config_file(tern_factory, tmp_path):
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    srv = tern_factory({"data_dir": "rel-data"}, cwd=elsewhere)
    marker = unique_marker("rel")
    send(srv, marker)
    wait_delivered(srv.config_path.parent / "rel-data", "user@example.com", marker)
    assert not (elsewhere / "rel-data").exists()


def test_swaks_end_to_end_pipelined(server, tmp_path):
    marker = unique_marker("swaks")
    body = f"Subject: {marker}\n\nline one\n.dot line\n..two dots\nlast\n"
    (tmp_path / "msg.eml").write_text(body.rstrip("\n"))  # swaks adds the last CRLF
    res = subprocess.run(
        ["swaks", "--server", f"127.0.0.1:{server.port}", "--helo", "client.example.net",
         "--from", "sender@other.example", "--to", "user@example.com,user2@example.com",
         "--pipeline", "--data", f"@{tmp_path / 'msg.eml'}"],
        capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stdout + res.stderr
    assert re.search(r"<-  250 2\.0\.0 Requested mail action okay, completed: queued as \S+",
                     res.stdout), res.stdout
    for r in ["user@example.com", "user2@example.com"]:
        d = parse_delivered(wait_delivered(server.data_dir, r, marker)[0])
        assert d.message == body.encode()


# ---------------------------------------------------------------- delivery at acceptance
# docs/architecture.md "Local delivery at acceptance"

def test_local_mail_is_in_the_maildir_when_the_250_comes(tern_factory):
    srv = tern_factory()
    marker = unique_marker("accept")
    send(srv, marker)
    # No waiting: the copy is there before the 250, and the spool never held the message.
    assert len(find_in_maildir(srv.data_dir, "user@example.com", marker)) == 1
    assert spool_files(srv.data_dir) == []
    assert "at=acceptance" in srv.log()


def test_a_maildir_that_cannot_be_written_leaves_the_message_to_the_queue(tern_factory):
    srv = tern_factory()
    maildir = maildir_new(srv.data_dir, "user@example.com").parent
    maildir.mkdir(parents=True)
    (maildir / "tmp").write_text("not a folder")  # every copy's open fails: ENOTDIR
    marker = unique_marker("fallback")
    _, qid = send(srv, marker)
    assert find_in_maildir(srv.data_dir, "user@example.com", marker) == []
    deadline = time.monotonic() + 10
    while not any(entry["id"] == qid for entry in srv.queue_list()):
        assert time.monotonic() < deadline, f"{qid} not queued: {srv.log()}"
        time.sleep(0.1)
    assert "delivery at acceptance not made" in srv.log()

    (maildir / "tmp").unlink()
    (maildir / "tmp").mkdir()
    assert srv.queue("flush").returncode == 0
    assert len(wait_delivered(srv.data_dir, "user@example.com", marker)) == 1
    srv.wait_queue_empty()
    assert len(find_in_maildir(srv.data_dir, "user@example.com", marker)) == 1


# ---------------------------------------------------------------- storage replies

@pytest.mark.file_spool
def test_low_disk_refuses_mail(tern_factory):
    srv = tern_factory({"limits": {"min_free_disk": "1000000GiB"}})
    with srv.session() as s:
        s.ehlo()
        check(s.cmd("MAIL FROM:<sender@other.example>"), 452, "4.3.1", text=STORAGE)
        check(s.cmd("MAIL FROM:<>"), 452, "4.3.1", text=STORAGE)
        # storage comes before size
        check(s.cmd("MAIL FROM:<sender@other.example> SIZE=1048577"), 452, "4.3.1", text=STORAGE)
        # address syntax comes before storage
        check(s.cmd("MAIL FROM:<a@@example.com>"), 553, "5.1.7")
        check(s.cmd("RCPT TO:<user@example.com>"), 503, "5.5.1")
        check(s.cmd("NOOP"), 250, "2.0.0")


@pytest.mark.file_spool
def test_low_disk_counts_declared_size(tern_factory, tmp_path):
    free = shutil.disk_usage(tmp_path).free
    margin = min(2 << 30, free // 4)
    threshold = free - margin
    srv = tern_factory({"limits": {"min_free_disk": threshold, "message_size": "64GiB"}})
    with srv.session() as s:
        s.ehlo()
        check(s.cmd("MAIL FROM:<sender@other.example>"), 250, "2.1.0")
        check(s.cmd("RSET"), 250, "2.0.0")
        check(s.cmd(f"MAIL FROM:<sender@other.example> SIZE={margin * 2}"), 452, "4.3.1",
              text=STORAGE)
        check(s.cmd(f"MAIL FROM:<sender@other.example> SIZE={margin // 8}"), 250, "2.1.0")
