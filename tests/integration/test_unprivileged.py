"""Tern run by an ordinary user, here `nobody`: what root would never see (files it
cannot read) must still be reported clearly (docs/configuration.md `tern check-config`)."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tern_server import make_certificate, tern_binary, to_toml

NOBODY = 65534


@pytest.fixture(scope="module")
def open_dir():
    """A directory everyone may enter and read, holding a copy of the tern binary (the
    build folder may sit below a directory `nobody` cannot enter)."""
    directory = Path(tempfile.mkdtemp(prefix="tern-unprivileged-"))
    os.chmod(directory, 0o755)
    shutil.copy2(tern_binary(), directory / "tern")
    os.chmod(directory / "tern", 0o755)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


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
