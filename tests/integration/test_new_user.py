"""README and docs/configuration.md "The embedded default": a new user's first start.

In an empty folder, `tern serve` with no file and no arguments listens on
127.0.0.1:2525, and `swaks --to you@localhost` lands in
./tern-data/mail/localhost/you/new/.  This test always runs: port 2525 must
be free."""

import subprocess

from smtp_client import parse_delivered, port_is_free, wait_delivered
from tern_server import TernServer


def test_first_start_without_configuration(tmp_path):
    assert port_is_free(2525), (
        "port 127.0.0.1:2525 is taken by another process: the new-user test needs it "
        "(stop whatever listens there)")
    workdir = tmp_path / "empty"
    workdir.mkdir()
    srv = TernServer(tmp_path / "logs", None, port=2525, cwd=workdir, args=["serve"],
                     name="default")
    srv.start()
    try:
        assert sorted(p.name for p in workdir.iterdir()) in ([], ["tern-data"])
        res = subprocess.run(
            ["swaks", "--server", "127.0.0.1:2525", "--to", "you@localhost",
             "--from", "me@localhost", "--header", "Subject: first mail"],
            capture_output=True, text=True, timeout=30)
        assert res.returncode == 0, res.stdout + res.stderr
        assert "<-  250 2.0.0 Requested mail action okay, completed: queued as" in res.stdout
        got = wait_delivered(workdir / "tern-data", "you@localhost", "Subject: first mail")
        d = parse_delivered(got[0])
        assert d.return_path == "<me@localhost>"
        assert (workdir / "tern-data" / "mail" / "localhost" / "you" / "new").is_dir()
    finally:
        code = srv.stop()
    assert code == 0
