"""docs/configuration.md `[relay] smarthost_user` / `smarthost_password_file`: Tern
authenticates to its smarthost (here another Tern) with SCRAM-SHA-256 when offered, only
over TLS; a refused login leaves the mail queued with the smarthost's reply."""

import os

from smtp_client import check_queued, dot_stuff, make_message, unique_marker, wait_delivered

RELAY_USER, RELAY_PASSWORD = "tern-relay", "relay-pw-8472"

# The sending Tern's own mail: a.example only, so example.com goes to the smarthost.
NOT_EXAMPLE_COM = {"domains": ["a.example"], "mailboxes": ["postmaster@a.example"], "aliases": None,
                   "forward": None, "relocated": None, "unavailable": None, "disabled": None}


def _password_file(directory, password: str):
    path = directory / "smarthost-password"
    path.write_text(password + "\n")
    os.chmod(path, 0o600)
    return path


def _sender(tern_factory, tmp_path, smarthost, password: str):
    """A Tern that relays for loopback clients through `smarthost`'s submission listener."""
    return tern_factory({
        "local": NOT_EXAMPLE_COM,
        "routes": None,
        "relay": {"networks": ["127.0.0.0/8"],
                  "smarthost": f"127.0.0.1:{smarthost.port_of('submission')}",
                  "smarthost_user": RELAY_USER,
                  "smarthost_password_file": str(_password_file(tmp_path, password))},
        "delivery": {"retry": ["1h"]},
    })


def _send(srv, marker: str) -> None:
    with srv.session() as s:
        s.start_mail(sender="alice@a.example", rcpts=["user@example.com"])
        check_queued(s.data(dot_stuff(make_message(marker))))


def test_mail_goes_through_the_smarthost_after_scram_sha_256(tern_factory, tmp_path):
    smarthost = tern_factory(tls=True, roles=("mx", "submission"))
    # --strong-only: the account takes SCRAM-SHA-256 and nothing else (534 for PLAIN).
    smarthost.add_user(RELAY_USER, RELAY_PASSWORD, "--strong-only", "--address", "alice@a.example")
    sender = _sender(tern_factory, tmp_path, smarthost, RELAY_PASSWORD)
    marker = unique_marker("smarthost-auth")
    _send(sender, marker)
    got = wait_delivered(smarthost.data_dir, "user@example.com", marker, timeout=20)
    assert b"with ESMTPSA" in got[0], got[0][:600]
    smarthost.wait_log(rf"account={RELAY_USER} .*authenticated$")
    sender.wait_queue_empty()
    assert RELAY_PASSWORD not in sender.log_path.read_text(errors="replace")


def test_a_refused_login_keeps_the_mail_queued(tern_factory, tmp_path):
    smarthost = tern_factory(tls=True, roles=("mx", "submission"))
    smarthost.add_user(RELAY_USER, RELAY_PASSWORD, "--strong-only", "--address", "alice@a.example")
    sender = _sender(tern_factory, tmp_path, smarthost, "not-the-password")
    marker = unique_marker("smarthost-refused")
    _send(sender, marker)
    smarthost.wait_log(r"authentication failed")
    sender.wait_log(r"reply=535 .*delivery deferred$")
    listing = sender.queue("list")
    assert listing.returncode == 0, listing.stderr
    assert "user@example.com" in listing.stdout and "535" in listing.stdout, listing.stdout
    assert "not-the-password" not in sender.log_path.read_text(errors="replace")
