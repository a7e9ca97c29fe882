"""docs/configuration.md `tern sendmail`: local programs hand mail to Tern as to
/usr/sbin/sendmail (-t, -f, -i/-oi, -bs, sysexits.h statuses), also through a
`sendmail` symlink, and it works while the server is down: the message waits
in <data_dir>/maildrop/ until the server picks it up.

Every command runs with a timeout; the one server started is stopped by the
fixture."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import smtp_client
from smtp_client import parse_delivered, unique_marker, wait_delivered
from tern_server import base_config, tern_binary, to_toml

TIMEOUT = 20.0


def write_config(tmp_path: Path) -> tuple[Path, Path]:
    """docs/behaviour.md's example configuration (host mx.example.com, local domains
    example.com and example.org) with its data directory in tmp_path; no
    server is started.  Returns (config file, data directory)."""
    data_dir = tmp_path / "data"
    config = tmp_path / "tern.toml"
    config.write_text(to_toml(base_config(smtp_client.free_port(), data_dir)))
    return config, data_dir


def sendmail(args: list[str], stdin: bytes, program: Path | None = None, env: dict | None = None,
             cwd: Path | None = None) -> subprocess.CompletedProcess:
    e = dict(os.environ)
    e.pop("TERN_CONFIG", None)
    e.update(env or {})
    command = [str(program)] if program else [str(tern_binary()), "sendmail"]
    return subprocess.run(command + args, input=stdin, capture_output=True, timeout=TIMEOUT, env=e,
                          cwd=cwd)


def drops(data_dir: Path) -> list[Path]:
    folder = data_dir / "maildrop"
    return sorted(folder.glob("*.drop")) if folder.is_dir() else []


def read_drop(path: Path) -> tuple[dict[str, list[str]], bytes]:
    """The header fields (key -> values) and the message text of a maildrop file."""
    head, text = path.read_bytes().split(b"\n\n", 1)
    lines = head.decode().split("\n")
    assert lines[0] == "TERN-MAILDROP 1"
    fields: dict[str, list[str]] = {}
    for line in lines[1:]:
        key, value = line.split(": ", 1)
        fields.setdefault(key, []).append(value)
    return fields, text


def explain(res: subprocess.CompletedProcess) -> str:
    return f"exit {res.returncode}\nstdout: {res.stdout!r}\nstderr: {res.stderr!r}"


# --------------------------------------------------------------------------
# With the server down
# --------------------------------------------------------------------------

def test_message_waits_in_the_maildrop_while_the_server_is_down(tmp_path):
    config, data_dir = write_config(tmp_path)
    res = sendmail(["--config", str(config), "-f", "alice@example.org", "user@example.com"],
                   b"Subject: down\nTo: user@example.com\n\nHello.\n")
    assert res.returncode == 0, explain(res)
    assert res.stdout == b"" and res.stderr == b""
    [drop] = drops(data_dir)
    assert oct(drop.stat().st_mode & 0o777) == oct(0o600)
    assert list((data_dir / "maildrop").iterdir()) == [drop], "no temporary file left"
    fields, text = read_drop(drop)
    assert fields["sender"] == ["<alice@example.org>"]
    assert fields["rcpt"] == ["<user@example.com>"]
    assert fields["uid"] == [str(os.getuid())]
    head, body = text.split(b"\r\n\r\n", 1)
    assert body == b"Hello.\r\n"
    names = [line.split(b":")[0] for line in head.split(b"\r\n")]
    assert names == [b"Subject", b"To", b"From", b"Date", b"Message-ID"]
    assert b"\n" not in text.replace(b"\r\n", b"")


def test_dash_t_reads_recipients_and_hides_bcc_through_a_sendmail_symlink(tmp_path):
    config, data_dir = write_config(tmp_path)
    link = tmp_path / "bin" / "sendmail"
    link.parent.mkdir()
    link.symlink_to(tern_binary())
    message = (b"From: Alice <alice@example.org>\nTo: User <user@example.com>, user2\n"
               b"Bcc: staff@example.com\nSubject: hidden copy\n\nline one\n.\nline three\n")
    res = sendmail(["-C", str(config), "-t", "-oi"], message, program=link)
    assert res.returncode == 0, explain(res)
    [drop] = drops(data_dir)
    fields, text = read_drop(drop)
    assert fields["rcpt"] == ["<user@example.com>", "<user2@example.com>", "<staff@example.com>"]
    assert b"Bcc" not in text and b"staff" not in text
    assert text.endswith(b"\r\n\r\nline one\r\n.\r\nline three\r\n"), "with -oi a lone dot is text"


def test_a_lone_dot_ends_the_message_without_dash_i(tmp_path):
    config, data_dir = write_config(tmp_path)
    res = sendmail(["user"], b"Subject: dot\n\nkept\n.\nnever read\n", env={"TERN_CONFIG": str(config)})
    assert res.returncode == 0, explain(res)
    [drop] = drops(data_dir)
    fields, text = read_drop(drop)
    assert fields["rcpt"] == ["<user@example.com>"], "a bare name gets the primary local domain"
    assert fields["sender"] == [f"<{fields['user'][0]}@mx.example.com>"]
    assert text.endswith(b"\r\n\r\nkept\r\n")


def test_dash_bs_speaks_smtp_on_standard_input_and_output(tmp_path):
    config, data_dir = write_config(tmp_path)
    marker = unique_marker("bs")
    dialog = (b"EHLO client.example\r\nMAIL FROM:<alice@example.org>\r\nRCPT TO:<user@example.com>\r\n"
              b"DATA\r\n" + f"Subject: {marker}\r\n\r\n..dot-stuffed\r\n.\r\nQUIT\r\n".encode())
    res = sendmail(["-bs", "-C", str(config)], dialog)
    assert res.returncode == 0, explain(res)
    replies = res.stdout.decode().split("\r\n")
    assert replies[0].startswith("220 mx.example.com ")
    queued = [r for r in replies if r.startswith("250 2.0.0 ") and "queued as" in r]
    assert len(queued) == 1, res.stdout
    assert replies[-2].startswith("221 ")
    drop_id = queued[0].rsplit(" ", 1)[1]
    [drop] = drops(data_dir)
    assert drop.name == f"{drop_id}.drop"
    fields, text = read_drop(drop)
    assert fields["sender"] == ["<alice@example.org>"]
    assert text == f"Subject: {marker}\r\n\r\n.dot-stuffed\r\n".encode()


@pytest.mark.parametrize("args, stdin, status, message", [
    (["user@example.com", "-x"], b"x\n", 64, "sendmail: unknown option -x"),
    ([], b"x\n", 64, "sendmail: no recipients"),
    (["-t"], b"Subject: nobody\n\nx\n", 64, "sendmail: no recipients"),
    (["-bp"], b"", 64, "sendmail: unsupported mode -bp"),
    (["bad address@@"], b"x\n", 65, "sendmail: malformed recipient address: bad address@@"),
    (["-t"], b"To: Bob <bob@example.com\n\nx\n", 65, "sendmail: malformed to: field"),
])
def test_failures_exit_with_sysexits_statuses(tmp_path, args, stdin, status, message):
    config, data_dir = write_config(tmp_path)
    res = sendmail(["--config", str(config), *args], stdin)
    assert res.returncode == status, explain(res)
    assert res.stderr.decode().startswith(message), explain(res)
    assert drops(data_dir) == []
    assert not (data_dir / "maildrop").exists() or not any((data_dir / "maildrop").iterdir())


def test_configuration_and_maildrop_failures(tmp_path):
    res = sendmail(["--config", str(tmp_path / "missing.toml"), "user@example.com"], b"x\n")
    assert res.returncode == 78, explain(res)
    bad = tmp_path / "bad.toml"
    bad.write_text('data_dir = 3\n')
    assert sendmail(["-C", str(bad), "user@example.com"], b"x\n").returncode == 78
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the data directory should be\n")
    config = tmp_path / "blocked.toml"
    config.write_text(to_toml(base_config(smtp_client.free_port(), blocked / "data")))
    res = sendmail(["-C", str(config), "user@example.com"], b"x\n")
    assert res.returncode == 73, explain(res)
    assert res.stderr.decode().startswith("sendmail: cannot create the maildrop folder"), explain(res)


# --------------------------------------------------------------------------
# End to end: the server picks the maildrop up
# --------------------------------------------------------------------------

def test_pickup_delivers_sendmail_mail_to_the_maildir(tern_factory):
    srv = tern_factory(start=False)
    early = unique_marker("early")
    res = sendmail(["-C", str(srv.config_path), "-f", "alice@example.org", "user@example.com"],
                   f"Subject: {early}\n\nWritten while the server was down.\n".encode())
    assert res.returncode == 0, explain(res)
    assert len(drops(srv.data_dir)) == 1
    srv.start()
    got = wait_delivered(srv.data_dir, "user@example.com", early)
    delivered = parse_delivered(got[0])
    assert delivered.return_path == "<alice@example.org>"
    assert "from localhost (user " in delivered.received
    assert "with local id" in delivered.received
    assert b"Written while the server was down.\n" in got[0]

    late = unique_marker("late")
    res = sendmail(["-C", str(srv.config_path), "-t"],
                   f"To: user2@example.com\nBcc: user@example.com\nSubject: {late}\n\nx\n".encode())
    assert res.returncode == 0, explain(res)
    for address in ("user2@example.com", "user@example.com"):
        [content] = wait_delivered(srv.data_dir, address, late)
        assert b"Bcc:" not in content
    assert drops(srv.data_dir) == []
