"""docs/configuration.md `tern user add|import|passwd|del|list`: accounts under
`<data_dir>/accounts`, mode 0600, never the plain password; the running
server sees every change without a restart (docs/behaviour.md §13)."""

import base64
import hashlib
import re
import stat

import pytest

from smtp_client import check
from tern_server import BOB, BOB_PASSWORD, output, run_tern

OK = "Authentication successful"
INVALID = "Authentication credentials invalid"


@pytest.fixture
def srv(tern_factory):
    """A started server with [tls] and one mx listener, no accounts yet."""
    return tern_factory(tls=True, roles=("mx",))


def accounts_files(srv):
    path = srv.data_dir / "accounts"
    assert path.exists(), f"no {path} after `tern user add`"
    return [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]


def auth_ok(srv, name, password, mechanism="PLAIN"):
    with srv.tls_session("mx") as s:
        check(s.auth(mechanism, name, password), 235, "2.7.0", text=OK)
        s.quit()


def auth_fails(srv, name, password, mechanism="PLAIN"):
    with srv.tls_session("mx") as s:
        check(s.auth(mechanism, name, password), 535, "5.7.8", text=INVALID)
        s.quit()


def listed_names(srv) -> str:
    res = srv.user("list")
    assert res.returncode == 0, output(res)
    return output(res)


# ---------------------------------------------------------------- add, list

def test_add_and_list_without_secrets(srv):
    srv.add_user(BOB, BOB_PASSWORD, "--allow-cram-md5")
    srv.add_user("carol", "carol-pw", "--strong-only")
    srv.add_user("alice", "alice-pw", "--address", "alias@other.example")
    out = listed_names(srv)
    for name in (BOB, "carol", "alice"):
        assert re.search(rf"(?m)^\W*{name}\b", out), f"{name} not listed:\n{out}"
    for secret in (BOB_PASSWORD, "carol-pw", "alice-pw"):
        assert secret not in out, f"`tern user list` shows a password:\n{out}"
    # no key material either (long base64 runs)
    assert not re.search(r"[A-Za-z0-9+/]{40,}={0,2}", out), f"`tern user list` shows keys:\n{out}"


def test_add_twice_fails_and_keeps_the_account(srv):
    srv.add_user(BOB, BOB_PASSWORD)
    res = srv.user("add", BOB, "--password-stdin", password="another-pw")
    assert res.returncode == 1, output(res)
    auth_ok(srv, BOB, BOB_PASSWORD)
    auth_fails(srv, BOB, "another-pw")


def test_add_while_running_is_seen(srv):
    auth_fails(srv, "late", "late-pw")
    srv.add_user("late", "late-pw")
    auth_ok(srv, "late", "late-pw", "SCRAM-SHA-256")


def test_password_never_from_argv(srv):
    res = srv.user("add", "argv", "argv-password", stdin=b"")
    assert res.returncode != 0, output(res)
    assert "argv" not in listed_names(srv).split()


def test_config_from_environment(srv):
    srv.add_user(BOB, BOB_PASSWORD)
    res = run_tern(["user", "list"], cwd=srv.workdir.parent,
                   env={"TERN_CONFIG": str(srv.config_path)})
    assert res.returncode == 0, output(res)
    assert BOB in output(res)


# ---------------------------------------------------------------- storage

def test_accounts_file_mode_and_content(srv):
    srv.add_user(BOB, BOB_PASSWORD, "--allow-cram-md5")
    srv.add_user("carol", "carol-pw", "--strong-only")
    files = accounts_files(srv)
    assert files
    for f in files:
        mode = stat.S_IMODE(f.stat().st_mode)
        assert mode == 0o600, f"{f} has mode {oct(mode)}, want 0600"
        data = f.read_bytes()
        for pw in (BOB_PASSWORD, "carol-pw"):
            assert pw.encode() not in data, f"plain password in {f}"
            assert hashlib.sha256(pw.encode()).hexdigest().encode() not in data, \
                f"unsalted hash in {f}"


@pytest.mark.parametrize("flags", [(), ("--allow-cram-md5",), ("--strong-only",)])
def test_password_not_stored_in_a_reversible_encoding(srv, flags):
    """Never the plain password: not as such, nor base64 or hex
    of it — also not as the CRAM-MD5 secret of --allow-cram-md5, which can
    be kept as the HMAC-MD5 inner/outer digest state (as Dovecot does)."""
    srv.add_user(BOB, BOB_PASSWORD, *flags)
    pw = BOB_PASSWORD.encode()
    encodings = {"plain": pw, "base64": base64.b64encode(pw),
                 "base64 (unpadded)": base64.b64encode(pw).rstrip(b"="),
                 "hex": pw.hex().encode(), "HEX": pw.hex().upper().encode()}
    for f in accounts_files(srv):
        data = f.read_bytes()
        for how, enc in encodings.items():
            assert enc not in data, f"the password is stored as {how} in {f}:\n{data.decode()}"


def test_accounts_file_mode_after_passwd_and_del(srv):
    srv.add_user(BOB, BOB_PASSWORD)
    srv.add_user("carol", "carol-pw")
    assert srv.user("passwd", BOB, "--password-stdin", password="new-pw-1").returncode == 0
    assert srv.user("del", "carol").returncode == 0
    for f in accounts_files(srv):
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
        assert b"new-pw-1" not in f.read_bytes()


# ---------------------------------------------------------------- del, passwd

def test_del(srv):
    srv.add_user(BOB, BOB_PASSWORD)
    srv.add_user("carol", "carol-pw")
    auth_ok(srv, BOB, BOB_PASSWORD)
    res = srv.user("del", BOB)
    assert res.returncode == 0, output(res)
    out = listed_names(srv)
    assert not re.search(rf"(?m)^\W*{BOB}\b", out), out
    assert "carol" in out
    auth_fails(srv, BOB, BOB_PASSWORD)
    auth_fails(srv, BOB, BOB_PASSWORD, "SCRAM-SHA-256")
    auth_ok(srv, "carol", "carol-pw")


def test_del_unknown_fails(srv):
    res = srv.user("del", "nobody")
    assert res.returncode != 0, output(res)


def test_passwd(srv):
    srv.add_user(BOB, BOB_PASSWORD, "--allow-cram-md5")
    res = srv.user("passwd", BOB, "--password-stdin", password="brand-new-pw")
    assert res.returncode == 0, output(res)
    for mech in ("PLAIN", "SCRAM-SHA-256", "CRAM-MD5"):
        auth_fails(srv, BOB, BOB_PASSWORD, mech)
        auth_ok(srv, BOB, "brand-new-pw", mech)


def test_passwd_unknown_fails(srv):
    res = srv.user("passwd", "nobody", "--password-stdin", password="x-pw")
    assert res.returncode != 0, output(res)


def test_passwd_keeps_policy(srv):
    srv.add_user("carol", "carol-pw", "--strong-only")
    assert srv.user("passwd", "carol", "--password-stdin", password="carol-pw-2").returncode == 0
    with srv.tls_session("mx") as s:
        check(s.auth_plain("carol", "carol-pw-2"), 534, "5.7.9",
              text="Authentication mechanism is too weak")
        check(s.auth_scram("carol", "carol-pw-2"), 235, "2.7.0", text=OK)


# ---------------------------------------------------------------- import

def test_import_is_listed_without_hash(srv):
    salt = b"12345678"
    legacy = "{SSHA256}" + base64.b64encode(
        hashlib.sha256(b"imported-pw" + salt).digest() + salt).decode()
    res = srv.user("import", "imported", legacy)
    assert res.returncode == 0, output(res)
    out = listed_names(srv)
    assert "imported" in out
    assert legacy.split("}", 1)[1] not in out, out
    auth_ok(srv, "imported", "imported-pw")


@pytest.mark.parametrize("bad", ["{MD5}abc", "plaintext", "{SSHA256}!!!", "{SHA512-CRYPT}$1$x$y"])
def test_import_refuses_unknown_or_bad_hash(srv, bad):
    res = srv.user("import", "weird", bad)
    assert res.returncode != 0, output(res)
    assert "weird" not in listed_names(srv).split()


def test_import_existing_name_fails(srv):
    srv.add_user(BOB, BOB_PASSWORD)
    salt = b"abcdefgh"
    legacy = "{SSHA256}" + base64.b64encode(hashlib.sha256(b"x" + salt).digest() + salt).decode()
    res = srv.user("import", BOB, legacy)
    assert res.returncode != 0, output(res)
    auth_ok(srv, BOB, BOB_PASSWORD, "SCRAM-SHA-256")
