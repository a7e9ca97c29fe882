"""`tern queue ...` against a running server (docs/configuration.md): list (also
as JSON), show, flush, hold, release, delete and bounce, over the control
socket in the data directory."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import time

import smtp_client
from smtp_client import swaks, unique_marker

SENDER = "user@example.com"


def queue(tern, *args: str) -> subprocess.CompletedProcess:
    return tern.queue(*args)


def deferred_message(tern_factory, sink_factory, marker: str, retry: str = "1h"):
    """A server whose route to sink.test is refused for now, and the id of a
    queued message that was tried once."""
    sink = sink_factory("tempfail")
    tern = tern_factory({
        "relay": {"networks": ["127.0.0.1"]},
        "routes": {"sink.test": f"smtp:127.0.0.1:{sink.port}"},
        "delivery": {"retry": [retry]},
    })
    res = swaks(tern.port, "--from", SENDER, "--to", "r@sink.test", "--header", f"Subject: {marker}")
    assert res.returncode == 0, res.stdout + res.stderr
    deadline = time.monotonic() + 20
    while True:
        entries = json.loads(queue(tern, "list", "--json").stdout or "[]")
        if entries and entries[0]["recipients"][0]["status"] == "deferred":
            return tern, sink, entries[0]["id"]
        assert time.monotonic() < deadline, tern.log()
        time.sleep(0.2)


def test_list_shows_the_deferred_message(tern_factory, sink_factory):
    tern, _, qid = deferred_message(tern_factory, sink_factory, unique_marker("list"))
    [entry] = json.loads(queue(tern, "list", "--json").stdout)
    assert entry["sender"] == f"<{SENDER}>"
    assert entry["attempts"] == 1 and entry["held"] is False
    assert entry["recipients"][0]["address"] == "r@sink.test"
    assert entry["recipients"][0]["reason"].startswith("4")
    text = queue(tern, "list")
    assert text.returncode == 0
    assert qid in text.stdout and "r@sink.test" in text.stdout
    assert "1 Request" in text.stdout
    mode = os.stat(tern.data_dir / "control.sock").st_mode
    assert stat.S_ISSOCK(mode) and stat.S_IMODE(mode) == 0o600


def test_show_prints_the_headers(tern_factory, sink_factory):
    marker = unique_marker("show")
    tern, _, qid = deferred_message(tern_factory, sink_factory, marker)
    res = queue(tern, "show", qid)
    assert res.returncode == 0, res.stderr
    assert f"Subject: {marker}" in res.stdout


def test_hold_release_and_flush(tern_factory, sink_factory):
    marker = unique_marker("hold")
    tern, sink, qid = deferred_message(tern_factory, sink_factory, marker)
    assert queue(tern, "hold", qid).returncode == 0
    [entry] = json.loads(queue(tern, "list", "--json").stdout)
    assert entry["held"] is True
    assert f"{qid}!" in queue(tern, "list").stdout
    flushed = queue(tern, "flush")
    assert flushed.returncode == 0, flushed.stderr
    # held mail is not flushed (docs/configuration.md `tern queue flush`: prints how many)
    assert flushed.stdout == "0 messages scheduled for delivery\n", flushed.stdout
    assert queue(tern, "release", qid).returncode == 0
    [entry] = json.loads(queue(tern, "list", "--json").stdout)
    assert entry["held"] is False
    deadline = time.monotonic() + 20
    while json.loads(queue(tern, "list", "--json").stdout)[0]["attempts"] < 2:
        assert time.monotonic() < deadline, tern.log()
        time.sleep(0.2)
    res = queue(tern, "flush", "sink.test")
    assert res.returncode == 0, res.stderr
    assert res.stdout == "1 message scheduled for delivery\n", res.stdout


def test_delete_removes_without_a_report(tern_factory, sink_factory):
    marker = unique_marker("delete")
    tern, _, qid = deferred_message(tern_factory, sink_factory, marker)
    assert queue(tern, "delete", qid).returncode == 0
    assert json.loads(queue(tern, "list", "--json").stdout) == []
    assert "empty" in queue(tern, "list").stdout.lower()
    smtp_client.assert_not_delivered(tern.data_dir, marker)
    again = queue(tern, "delete", qid)
    assert again.returncode == 1 and again.stderr


def test_bounce_returns_the_message_to_its_sender(tern_factory, sink_factory):
    marker = unique_marker("bounce")
    tern, _, qid = deferred_message(tern_factory, sink_factory, marker)
    assert queue(tern, "bounce", qid).returncode == 0
    [report] = smtp_client.wait_delivered(tern.data_dir, SENDER, marker, timeout=20)
    assert b"Action: failed" in report
    deadline = time.monotonic() + 10
    while json.loads(queue(tern, "list", "--json").stdout):
        assert time.monotonic() < deadline
        time.sleep(0.2)


def test_errors_have_exit_codes(tern_factory, sink_factory):
    tern = tern_factory()
    assert queue(tern, "show", "NOTANID").returncode == 64
    assert queue(tern, "hold", "0000000000000000").returncode == 1
    tern.stop()
    down = queue(tern, "list")
    assert down.returncode == 69 and "not running" in down.stderr
