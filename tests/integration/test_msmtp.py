"""msmtp, configured as a user would (submission port, STARTTLS, AUTH, no
certificate check for the test's self-signed certificate), sends mail that
lands in the recipient's Maildir (a real mail client over submission and smtps)."""

import os
import re
import shutil
import subprocess

import pytest

from smtp_client import parse_delivered, unique_marker, wait_delivered
from tern_server import BOB, BOB_PASSWORD

MSMTP_TIMEOUT = 60


def msmtprc(tmp_path, port, auth="on", starttls=True, user=BOB, password=BOB_PASSWORD,
            sender="bob@example.com"):
    rc = tmp_path / f"msmtprc-{auth}-{port}"
    rc.write_text(
        "defaults\n"
        "timeout 20\n"
        "\n"
        "account tern\n"
        "host 127.0.0.1\n"
        f"port {port}\n"
        "domain client.example.net\n"
        "tls on\n"
        f"tls_starttls {'on' if starttls else 'off'}\n"
        "tls_certcheck off\n"
        f"auth {auth}\n"
        f"user {user}\n"
        f"password {password}\n"
        f"from {sender}\n"
        "\n"
        "account default : tern\n")
    os.chmod(rc, 0o600)  # msmtp refuses a password file others can read
    return rc


def message(marker, sender="bob@example.com", to="user@example.com"):
    return (f"From: Bob <{sender}>\nTo: <{to}>\nSubject: {marker}\n"
            f"Message-ID: <{marker}@client.example.net>\n\nSent with msmtp.\n").encode()


def run_msmtp(args, stdin: bytes):
    assert shutil.which("msmtp"), "msmtp is not installed (scripts/test installs it)"
    return subprocess.run(["msmtp", *args], input=stdin, capture_output=True,
                          timeout=MSMTP_TIMEOUT)


def out(res):
    return (res.stdout + res.stderr).decode("utf-8", "replace")


@pytest.mark.parametrize("auth", ["on", "plain", "login", "cram-md5", "scram-sha-256"])
def test_msmtp_submission_read_envelope_from(tls_server, tmp_path, auth):
    marker = unique_marker(f"msmtp-{auth}")
    rc = msmtprc(tmp_path, tls_server.port_of("submission"), auth=auth)
    res = run_msmtp(["-C", str(rc), "--read-envelope-from", "-t"], message(marker))
    assert res.returncode == 0, out(res)
    d = parse_delivered(wait_delivered(tls_server.data_dir, "user@example.com", marker)[0])
    assert d.return_path == "<bob@example.com>"
    assert re.search(r"\bwith ESMTPSA\b", d.received), d.received
    assert re.search(r"\(using TLSv1\.[23][ )]", d.received), d.received
    assert d.message.endswith(b"Sent with msmtp.\n")


def test_msmtp_recipient_as_argument(tls_server, tmp_path):
    marker = unique_marker("msmtp-arg")
    rc = msmtprc(tmp_path, tls_server.port_of("submission"))
    res = run_msmtp(["-C", str(rc), "user2@example.com"], message(marker, to="user2@example.com"))
    assert res.returncode == 0, out(res)
    d = parse_delivered(wait_delivered(tls_server.data_dir, "user2@example.com", marker)[0])
    assert d.return_path == "<bob@example.com>"


def test_msmtp_smtps(tls_server, tmp_path):
    marker = unique_marker("msmtp-smtps")
    rc = msmtprc(tmp_path, tls_server.port_of("smtps"), starttls=False)
    res = run_msmtp(["-C", str(rc), "--read-envelope-from", "-t"], message(marker))
    assert res.returncode == 0, out(res)
    wait_delivered(tls_server.data_dir, "user@example.com", marker)


def test_msmtp_sender_not_owned(tls_server, tmp_path):
    marker = unique_marker("msmtp-notowned")
    rc = msmtprc(tmp_path, tls_server.port_of("submission"), sender="other@example.com")
    res = run_msmtp(["-C", str(rc), "user@example.com"],
                    message(marker, sender="other@example.com"))
    assert res.returncode != 0, out(res)
    assert "553" in out(res) and "5.7.1" in out(res), out(res)


def test_msmtp_wrong_password(tls_server, tmp_path):
    marker = unique_marker("msmtp-wrongpw")
    rc = msmtprc(tmp_path, tls_server.port_of("submission"), auth="plain", password="wrong")
    res = run_msmtp(["-C", str(rc), "user@example.com"], message(marker))
    assert res.returncode != 0, out(res)
    assert "535" in out(res), out(res)
