"""The real peers of the outbound-delivery tests (tests/integration/peers),
checked on their own, and the first real-peer tests: a private Postfix
relaying into Tern, swaks into smtp-sink, dnsmasq answering MX queries,
Postfix delivering into its own Maildir and relaying into smtp-sink."""

from __future__ import annotations

import smtplib
import socket
import subprocess

import pytest

import smtp_client
from peers import process
from peers.dns import query as dns_query
from peers.sink import Sink
from smtp_client import swaks, unique_marker

TERN_LOCALHOST = {
    "local": {
        "domains": ["example.com", "example.org", "localhost"],
        "mailboxes": ["user@example.com", "user2@example.com", "postmaster@example.com",
                      "busy@example.com", "gone@example.com", "*@example.org", "*@localhost"],
    }
}


def message(marker: str, to: str = "you@localhost", sender: str = "sender@pf.test") -> bytes:
    return (f"From: <{sender}>\r\nTo: <{to}>\r\nSubject: {marker}\r\n"
            f"Message-ID: <{marker}@client.test>\r\n\r\nBody {marker}\r\n"
            f".leading dot {marker}\r\n").encode()


def smtp_reply(port: int, commands: list[bytes]) -> list[bytes]:
    """Send each command on a fresh session after the greeting and EHLO; the
    first line of each reply."""
    out = []
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        f = s.makefile("rb")

        def reply() -> bytes:
            for _ in range(50):
                line = f.readline()
                if line[3:4] != b"-":
                    return line.rstrip(b"\r\n")
            raise AssertionError("endless multi-line reply")

        reply()
        s.sendall(b"EHLO client.test\r\n")
        reply()
        for cmd in commands:
            s.sendall(cmd + b"\r\n")
            out.append(reply())
    return out


# --------------------------------------------------------------------------
# smtp-sink
# --------------------------------------------------------------------------

def test_sink_accepts_and_dumps_swaks_message(sink_factory):
    sink = sink_factory()
    marker = unique_marker("sink")
    res = swaks(sink.port, "--from", "a@client.test", "--to", "x@dest.test,y@dest.test",
                "--header", f"Subject: {marker}", "--header", f"Message-Id: <{marker}@c>")
    assert res.returncode == 0, res.stdout + res.stderr
    [got] = sink.wait_messages(1)
    assert got.proto == "ESMTP"
    assert got.client_addr == "127.0.0.1"
    assert got.mail_from == "a@client.test"
    assert got.rcpts == ["x@dest.test", "y@dest.test"]
    assert got.message_id == f"<{marker}@c>"
    assert got.header("Subject") == marker
    assert b"by smtp-sink" not in got.data  # the sink's own Received: is not content


def test_sink_keeps_content_exactly(sink_factory):
    sink = sink_factory()
    marker = unique_marker("exact")
    msg = message(marker)
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=5) as c:
        c.sendmail("a@client.test", ["b@dest.test"], msg, mail_options=["BODY=8BITMIME"])
    [got] = sink.wait_messages(1)
    assert got.wire == msg
    assert "BODY=8BITMIME" in got.mail_params
    assert [m.path for m in sink.find(marker)] == [got.path]


@pytest.mark.parametrize("mode,at,code", [
    ("tempfail", b"RCPT TO:<x@dest.test>", b"4"),
    ("permfail", b"RCPT TO:<x@dest.test>", b"5"),
])
def test_sink_refuses_rcpt_in_fail_modes(sink_factory, mode, at, code):
    sink = sink_factory(mode)
    mail, rcpt = smtp_reply(sink.port, [b"MAIL FROM:<a@client.test>", at])
    assert mail.startswith(b"250"), mail
    assert rcpt[:1] == code, rcpt
    assert sink.messages() == []


def test_sink_drop_421_at_mail(sink_factory):
    sink = sink_factory("drop_421")
    [mail] = smtp_reply(sink.port, [b"MAIL FROM:<a@client.test>"])
    assert mail.startswith(b"421"), mail


def test_sink_custom_hard_reply(sink_factory):
    sink = sink_factory("permfail", hard_reply="550 5.1.1 No such user here")
    _, rcpt = smtp_reply(sink.port, [b"MAIL FROM:<a@client.test>", b"RCPT TO:<x@dest.test>"])
    assert rcpt == b"550 5.1.1 No such user here"


@pytest.mark.parametrize("mode,code", [("tempfail_data", "4"), ("permfail_data", "5")])
def test_sink_refuses_end_of_data_in_fail_modes(sink_factory, mode, code):
    sink = sink_factory(mode)
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=5) as c:
        with pytest.raises(smtplib.SMTPDataError) as err:
            c.sendmail("a@client.test", ["b@dest.test"], message(unique_marker()))
    assert str(err.value.smtp_code).startswith(code)


def test_sink_lmtp_on_unix_socket(sink_factory, tmp_path):
    sock = tmp_path / "lmtp.sock"
    sink = sink_factory(lmtp=True, unix_path=sock)
    assert sink.port is None and sink.address == f"unix:{sock}"
    marker = unique_marker("lmtp")
    res = subprocess.run(
        ["swaks", "--socket", str(sock), "--protocol", "LMTP", "--from", "a@client.test",
         "--to", "x@dest.test", "--header", f"Subject: {marker}"],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert res.returncode == 0, res.stdout + res.stderr
    [got] = sink.wait_messages(1)
    assert got.proto == "LMTP"
    assert got.header("Subject") == marker


def test_sink_lmtp_on_tcp_answers_lhlo(sink_factory):
    sink = sink_factory(lmtp=True)
    with socket.create_connection(("127.0.0.1", sink.port), timeout=5) as s:
        f = s.makefile("rb")
        assert f.readline().startswith(b"220")
        s.sendall(b"LHLO client.test\r\n")
        lines = []
        for _ in range(50):
            line = f.readline()
            lines.append(line)
            if line[3:4] != b"-":
                break
        assert lines[-1].startswith(b"250"), lines


def test_sink_stop_frees_port(sink_factory):
    sink = sink_factory()
    pid = sink.pid
    sink.stop()
    assert not process.pid_alive(pid)
    assert not process.tcp_answers(sink.port)


# --------------------------------------------------------------------------
# dnsmasq
# --------------------------------------------------------------------------

def test_dns_answers_mx_a_aaaa_and_null_mx(dns_factory):
    dns = dns_factory(
        mx={"dest.test": [(10, "mx1.dest.test"), (20, "mx2.dest.test")]},
        a={"mx1.dest.test": ["127.0.0.1", "127.0.0.2"]},
        aaaa={"mx2.dest.test": ["::1"]},
        null_mx=["nomail.test"],
    )
    mx = dns.query("dest.test", "MX")
    assert mx.rcode == "NOERROR"
    assert sorted(mx.records) == [(10, "mx1.dest.test"), (20, "mx2.dest.test")]
    a = dns.query("mx1.dest.test", "A")
    assert sorted(a.records) == ["127.0.0.1", "127.0.0.2"]
    assert dns.query("mx2.dest.test", "AAAA").records == ["::1"]
    assert dns.query("nomail.test", "MX").records == [(0, "")]


def test_dns_nxdomain_nodata_and_refused(dns_factory):
    dns = dns_factory(a={"host.test": ["127.0.0.1"]})
    assert dns.query("absent.test", "MX").rcode == "NXDOMAIN"
    nodata = dns.query("host.test", "MX")
    assert (nodata.rcode, nodata.records) == ("NOERROR", [])
    assert dns.query("elsewhere.example", "A").rcode == "REFUSED"


def test_dns_stop_by_pid(dns_factory):
    dns = dns_factory(a={"host.test": ["127.0.0.1"]})
    pid = dns.proc.pid
    dns.stop()
    assert not process.pid_alive(pid)
    with pytest.raises(OSError):
        dns_query(dns.port, "host.test", "A", timeout=0.5)


# --------------------------------------------------------------------------
# Postfix
# --------------------------------------------------------------------------

def test_postfix_delivers_to_its_own_maildir(postfix_factory):
    pf = postfix_factory()
    marker = unique_marker("pf")
    pf.send("sender@client.test", ["alice@pf.test"], message(marker, to="alice@pf.test"))
    [stored] = pf.wait_maildir("alice")
    assert marker.encode() in stored
    assert b"Delivered-To: alice@pf.test" in stored
    pf.wait_queue_empty()
    assert pf.maildir_messages("bob") == []


def test_postfix_rejects_unknown_user_of_its_domain(postfix_factory):
    pf = postfix_factory()
    with pytest.raises(smtplib.SMTPRecipientsRefused) as err:
        pf.send("sender@client.test", ["nobody@pf.test"], message(unique_marker()))
    assert err.value.recipients["nobody@pf.test"][0] == 550


def test_postfix_stop_ends_master(postfix_factory):
    pf = postfix_factory()
    pid = pf.master_pid()
    assert pid and process.pid_alive(pid)
    root = pf.root
    pf.stop()
    assert not process.pid_alive(pid)
    assert not root.exists()
    # The log is kept. (Its "stopping" line is not checked: postfix-script sends it to postlogd
    # as a datagram just before the master goes, and under load it can be lost with postlogd.)
    assert "starting the Postfix mail system" in pf.log()


def test_postfix_relays_into_tern(postfix_factory, tern_factory):
    tern = tern_factory(TERN_LOCALHOST)
    pf = postfix_factory(relayhost=f"[127.0.0.1]:{tern.port}")
    marker = unique_marker("relay")
    pf.send("sender@pf.test", ["you@localhost"], message(marker))
    [stored] = smtp_client.wait_delivered(tern.data_dir, "you@localhost", marker, timeout=20)
    assert stored.startswith(b"Return-Path: <sender@pf.test>")
    assert b"by mail.pf.test (Postfix)" in stored  # Postfix's own Received: came along
    assert f"\n.leading dot {marker}".encode() in stored.replace(b"\r\n", b"\n")
    pf.wait_queue_empty()


def test_postfix_relays_into_smtp_sink(postfix_factory, sink_factory):
    sink = sink_factory()
    pf = postfix_factory(relayhost=f"[127.0.0.1]:{sink.port}")
    markers = [unique_marker("pfsink") for _ in range(3)]
    for m in markers:
        pf.send("sender@pf.test", [f"r-{m}@dest.test"], message(m, to=f"r-{m}@dest.test"))
    got = sink.wait_messages(3, timeout=20)
    assert sorted(g.message_id for g in got) == sorted(f"<{m}@client.test>" for m in markers)
    assert all(g.helo == "mail.pf.test" for g in got)
    assert sorted(g.rcpts[0] for g in got) == sorted(f"r-{m}@dest.test" for m in markers)
    pf.wait_queue_empty()


def test_postfix_defers_on_sink_tempfail(postfix_factory, sink_factory):
    sink = sink_factory("tempfail")
    pf = postfix_factory(relayhost=f"[127.0.0.1]:{sink.port}")
    pf.send("sender@pf.test", ["r@dest.test"], message(unique_marker("defer")))
    process.wait_until(lambda: "status=deferred" in pf.log(), 20, interval=0.1,
                       what="a deferral in the Postfix log")
    assert not pf.queue_empty()
    assert sink.messages() == []


def test_postfix_flush_delivers_deferred_mail_at_once(postfix_factory, tmp_path):
    """Backoff and queue runs of minutes: only `flush()` gets the deferred
    message to the sink that starts after the first attempt failed."""
    sink = Sink(tmp_path / "late-sink", name="late-sink")
    slow = {"queue_run_delay": "300s", "minimal_backoff_time": "300s",
            "maximal_backoff_time": "600s"}
    pf = postfix_factory(relayhost=f"[127.0.0.1]:{sink.port}", main_cf=slow)
    marker = unique_marker("flush")
    pf.send("sender@pf.test", ["r@dest.test"], message(marker))
    process.wait_until(lambda: "status=deferred" in pf.log(), 20, interval=0.1,
                       what="a deferral (connection refused) in the Postfix log")
    try:
        sink.start()
        pf.flush()
        [got] = sink.wait_messages(1, timeout=20)
        assert got.message_id == f"<{marker}@client.test>"
        pf.wait_queue_empty()
    finally:
        sink.stop()
