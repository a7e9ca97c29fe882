"""Tern run by an ordinary user, here `nobody`: what root would never see (files it
cannot read) is reported clearly (docs/configuration.md `tern check-config`), and
`tern sendmail` works for every local user, who is recorded and may not pose as another
sender (docs/configuration.md `tern sendmail`)."""

import os
import subprocess

import pytest

from smtp_client import queue_marked, unique_marker, wait_delivered
from tern_server import NOBODY, make_certificate, to_toml

def as_nobody(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """`args` run with the user and group ids of `nobody` and no supplementary groups."""
    return subprocess.run(
        ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--", *args],
        input=stdin, capture_output=True, text=True, timeout=30,
        stdin=None if stdin is not None else subprocess.DEVNULL)


def test_check_config_names_a_key_file_it_cannot_read(open_dir):
    work = open_dir / "tls-config"
    work.mkdir(mode=0o755)
    make_certificate(work)
    os.chmod(work / "cert.pem", 0o644)
    os.chmod(work / "key.pem", 0o600)  # root's; nobody may not read it
    config = work / "tern.toml"
    config.write_text(to_toml({"hostname": "mx.example.com",
                               "tls": {"certificate": "cert.pem", "private_key": "key.pem"}}))
    os.chmod(config, 0o644)
    res = as_nobody(str(open_dir / "tern"), "check-config", str(config))
    out = res.stdout + res.stderr
    assert res.returncode == 1, out
    assert 'tern.toml:5: tls.private_key: cannot read "key.pem": permission denied' in out, out


# ---------------------------------------------------------------- tern serve as an ordinary user

@pytest.mark.file_spool
def test_a_server_run_by_an_ordinary_user_serves_its_clients(nobody_tern):
    """`tern serve` needs no privilege but binding its ports (docs/operations.md: the service
    runs as `tern`): a connection it accepts is set up without any, and mail is delivered."""
    srv = nobody_tern("serve")
    srv.start()  # waits for the greeting
    marker = unique_marker("nobody-serves")
    queue_marked(srv.port, marker, b"Hello.\r\n", "sender@other.example", ["user@example.com"])
    wait_delivered(srv.data_dir, "user@example.com", marker)
    assert srv.running(), srv.log()


# ---------------------------------------------------------------- tern sendmail as any user

def _open_server(tern_factory, open_dir, name: str):
    """A server whose data directory and configuration `nobody` can reach, and the path of a
    copy of its configuration that everyone may read."""
    base = open_dir / name
    base.mkdir(mode=0o755)
    srv = tern_factory({"data_dir": str(base / "data")})
    config = base / "tern.toml"
    config.write_text(srv.config_path.read_text())
    os.chmod(config, 0o644)
    return srv, config


def _sendmail(open_dir, config, *args: str, text: str = "Subject: from nobody\n\nhello\n"):
    return as_nobody(str(open_dir / "tern"), "sendmail", "-C", str(config), *args, stdin=text)


def test_any_local_user_can_send_and_is_recorded(tern_factory, open_dir):
    srv, config = _open_server(tern_factory, open_dir, "send")
    maildrop = srv.data_dir / "maildrop"
    assert oct(maildrop.stat().st_mode & 0o7777) == oct(0o1733), "sticky, writable by all, listable by none"
    marker = unique_marker("nobody-sends")
    res = _sendmail(open_dir, config, "user@example.com", text=f"Subject: {marker}\n\nhello\n")
    assert res.returncode == 0, res.stdout + res.stderr
    got = wait_delivered(srv.data_dir, "user@example.com", marker)[0].decode()
    assert "Return-Path: <nobody@mx.example.com>" in got, got[:600]
    assert "(user nobody uid 65534)" in got, got[:600]


def test_only_trusted_users_set_another_sender(tern_factory, open_dir):
    srv, config = _open_server(tern_factory, open_dir, "dash-f")
    res = _sendmail(open_dir, config, "-f", "ceo@example.com", "user@example.com")
    assert res.returncode == 77, res.stdout + res.stderr
    assert "may set the sender" in res.stderr, res.stderr
    own = _sendmail(open_dir, config, "-f", "nobody@mx.example.com", "user@example.com")
    assert own.returncode == 0, own.stderr


def test_a_forged_maildrop_file_is_believed_only_as_far_as_its_owner(tern_factory, open_dir):
    """Writing a maildrop file by hand, claiming root and another sender, gains nothing."""
    srv, config = _open_server(tern_factory, open_dir, "forged")
    marker = unique_marker("forged")
    name = f"{'1' * 10}ABCDEF"
    header = ("TERN-MAILDROP 1\narrived: 2026-12-07T00:00:00.000000Z\nuser: root\nuid: 0\n"
              "sender: <ceo@example.com>\nrcpt: <user@example.com>\n\n")
    script = (f"import os\np = {str(srv.data_dir / 'maildrop')!r}\n"
              f"open(p + '/.tmp-{name}', 'w').write({header!r} + 'Subject: {marker}\\r\\n\\r\\nx\\r\\n')\n"
              f"os.rename(p + '/.tmp-{name}', p + '/{name}.drop')\n")
    res = as_nobody("python3", "-c", script)
    assert res.returncode == 0, res.stderr
    got = wait_delivered(srv.data_dir, "user@example.com", marker)[0].decode()
    assert "Return-Path: <nobody@mx.example.com>" in got, got[:600]
    assert "(user nobody uid 65534)" in got and "uid 0" not in got, got[:600]
    srv.wait_log(r"sender replaced")


def test_sendmail_needs_none_of_the_servers_secrets(tern_factory, open_dir):
    """The server's configuration names a TLS key and a smarthost password file that only
    root may read; a local user's `tern sendmail` with that same file still queues the mail
    (it opens neither), while `tern check-config` as that user names the key it cannot read."""
    srv, config = _open_server(tern_factory, open_dir, "secrets")
    secrets = open_dir / "secrets" / "private"
    secrets.mkdir(mode=0o700)
    certificate, key = make_certificate(secrets)
    password = secrets / "smarthost.pw"
    password.write_text("hunter2\n")
    for path in (certificate, key, password):
        os.chmod(path, 0o600)
    config.write_text(config.read_text() + to_toml({
        "tls": {"certificate": str(certificate), "private_key": str(key)},
        "relay": {"smarthost": "127.0.0.1:2", "smarthost_user": "relay",
                  "smarthost_password_file": str(password)},
    }))
    marker = unique_marker("no-secrets")
    res = _sendmail(open_dir, config, "user@example.com", text=f"Subject: {marker}\n\nhello\n")
    assert res.returncode == 0, res.stdout + res.stderr
    wait_delivered(srv.data_dir, "user@example.com", marker)
    check = as_nobody(str(open_dir / "tern"), "check-config", str(config))
    assert check.returncode != 0 and "tls.private_key" in check.stdout + check.stderr, check


def test_mail_waits_while_the_server_is_down(tern_factory, open_dir):
    srv, config = _open_server(tern_factory, open_dir, "down")
    srv.stop()
    marker = unique_marker("while-down")
    res = _sendmail(open_dir, config, "user@example.com", text=f"Subject: {marker}\n\nhello\n")
    assert res.returncode == 0, res.stdout + res.stderr
    srv.start()
    wait_delivered(srv.data_dir, "user@example.com", marker)


def test_before_the_server_ever_ran_sendmail_says_why(open_dir):
    base = open_dir / "never"
    base.mkdir(mode=0o755)
    data = base / "data"
    data.mkdir(mode=0o700)  # made by the operator; the server has not opened it yet
    config = base / "tern.toml"
    config.write_text(to_toml({"hostname": "mx.example.com", "data_dir": str(data)}))
    os.chmod(config, 0o644)
    res = _sendmail(open_dir, config, "user@example.com")
    assert res.returncode == 73, res.stdout + res.stderr
    assert "start `tern serve` once" in res.stderr, res.stderr
