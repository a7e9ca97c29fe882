"""The private PostgreSQL peer (peers/postgres.py) that the `postgres` fixture
starts: a database can be created and queried, only the generated password
is accepted, and the password file is private."""

from __future__ import annotations

import os
import stat
import uuid


def test_create_database_and_query(postgres):
    name = f"peer_{uuid.uuid4().hex[:12]}"
    postgres.create_database(name)
    try:
        assert postgres.psql("SELECT 1", name).strip() == "1"
        assert postgres.url(name) == f"postgres://tern@127.0.0.1:{postgres.port}/{name}"
    finally:
        postgres.drop_database(name)
    assert postgres.psql(f"SELECT count(*) FROM pg_database WHERE datname = '{name}'",
                         "postgres").strip() == "0"


def test_settings(postgres):
    """Loopback only, and durable: fsync stays on."""
    out = postgres.psql("SHOW listen_addresses; SHOW fsync; SHOW server_encoding", "postgres")
    assert out.split() == ["127.0.0.1", "on", "UTF8"]


def test_wrong_password_refused(postgres):
    result = postgres.run_psql("SELECT 1", "postgres", password="not-" + postgres.password)
    assert result.returncode != 0
    assert "password authentication failed" in result.stderr
    assert postgres.run_psql("SELECT 1", "postgres").returncode == 0


def test_password_file(postgres):
    st = os.stat(postgres.password_file)
    assert stat.S_IMODE(st.st_mode) == 0o600
    assert st.st_uid == os.geteuid()
    assert postgres.password_file.read_text() == postgres.password
    assert postgres.data_dir not in postgres.password_file.parents
