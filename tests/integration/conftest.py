"""Fixtures: a running `tern serve` on a free loopback port with the
configuration of docs/behaviour.md's examples, and a factory for servers with extra
configuration.  On a failing test the logs of the servers involved are shown.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import smtp_client  # noqa: E402
import tern_server  # noqa: E402
from tern_server import (BOB, BOB_PASSWORD, TLS_CONFIG, TernServer, base_config,  # noqa: E402
                         listen_config, make_certificate, merge)

# Listeners of `tls_server` and of `tern_factory(..., tls=True)`, in order.
TLS_ROLES = ("mx", "submission", "smtps")


@pytest.fixture(scope="session")
def tern_bin() -> Path:
    return tern_server.tern_binary()


def _free_ports(n: int) -> list[int]:
    ports: list[int] = []
    for _ in range(50):
        p = smtp_client.free_port()
        if p not in ports:
            ports.append(p)
        if len(ports) == n:
            return ports
    raise AssertionError("no distinct free ports")


def _new_server(workdir: Path, overrides: dict | None = None, tls: bool = False,
                roles: tuple[str, ...] | None = None, **kw) -> TernServer:
    """The example configuration on free loopback ports.  `roles`: one
    listener per role (default: one `mx`; with tls: mx, submission, smtps).
    `tls`: a self-signed certificate for mx.example.com in the work
    directory and `[tls]` naming it relative to the config file."""
    workdir.mkdir(parents=True, exist_ok=True)
    roles = tuple(roles or (TLS_ROLES if tls else ("mx",)))
    ports = _free_ports(len(roles))
    data_dir = workdir / "data"
    cfg = base_config(ports[0], data_dir)
    cfg["listen"] = listen_config(dict(zip(roles, ports)))
    if tls:
        make_certificate(workdir)
        cfg = merge(cfg, TLS_CONFIG)
    cfg = merge(cfg, overrides or {})
    if os.environ.get("TERN_TEST_SPOOL") == "postgres" and "spool" not in cfg:
        cfg["spool"] = _postgres_spool()
    return TernServer(workdir, cfg, port=ports[0], **kw)


def _postgres_spool() -> dict:
    """With TERN_TEST_SPOOL=postgres, every server whose test names no `[spool]` gets its
    queue in a fresh database of the server TERN_TEST_POSTGRES_URL names (scripts/test starts
    one): the whole suite runs on the queue on PostgreSQL."""
    url = os.environ["TERN_TEST_POSTGRES_URL"]
    password_file = os.environ["TERN_TEST_POSTGRES_PASSWORD_FILE"]
    server, _, _ = url.rpartition("/")
    name = f"tern_it_{random.getrandbits(48):x}"
    host_port = server.rpartition("@")[2]
    host, _, port = host_port.rpartition(":")
    env = dict(os.environ, PGPASSWORD=Path(password_file).read_text().strip())
    subprocess.run(["psql", "-h", host, "-p", port, "-U", "tern", "-d", "postgres", "-qc",
                    f"CREATE DATABASE {name}"], env=env, check=True, capture_output=True, timeout=30)
    return {"backend": "postgres", "postgres_url": f"{server}/{name}", "postgres_password_file": password_file}


@pytest.fixture(scope="module")
def server(tmp_path_factory, tern_bin) -> TernServer:
    """One server with docs/behaviour.md's example configuration, shared by a module's
    tests (each test uses its own markers and sessions)."""
    srv = _new_server(tmp_path_factory.mktemp("tern"))
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory, tern_bin) -> TernServer:
    """The example configuration plus `[tls]` (self-signed mx.example.com)
    and three listeners: mx, submission, smtps (`srv.port_of(role)`).  The
    account bob (password secret-pw, --allow-cram-md5) is created with
    `tern user add` while the server runs."""
    srv = _new_server(tmp_path_factory.mktemp("tern-tls"), tls=True)
    srv.start()
    try:
        srv.add_user(BOB, BOB_PASSWORD, "--allow-cram-md5")
    except BaseException:
        srv.stop()
        raise
    yield srv
    srv.stop()


def _server_factory(directory: Path):
    """make(overrides, start=True, **kw) and the list of servers it made."""
    made: list[TernServer] = []

    def make(overrides: dict | None = None, start: bool = True, **kw) -> TernServer:
        workdir = directory / f"srv{len(made)}"
        srv = _new_server(workdir, overrides, name=f"tern{len(made)}", **kw)
        made.append(srv)
        if start:
            srv.start()
        return srv

    return make, made


@pytest.fixture(scope="module")
def open_dir():
    """A directory everyone may enter and read, holding a copy of the tern binary (the
    build folder may sit below a directory `nobody` cannot enter)."""
    directory = Path(tempfile.mkdtemp(prefix="tern-open-"))
    os.chmod(directory, 0o755)
    shutil.copy2(tern_server.tern_binary(), directory / "tern")
    os.chmod(directory / "tern", 0o755)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def nobody_tern(tern_factory, open_dir):
    """make(name, overrides) -> an unstarted TernServer that `tern serve` runs as `nobody`
    (root writes through any mode; `nobody` does not): its data folder below
    `open_dir/name`, owned by `nobody`, and a configuration everyone may read."""
    def make(name: str, overrides: dict | None = None):
        base = open_dir / name
        base.mkdir(mode=0o755)
        os.chown(base, tern_server.NOBODY, tern_server.NOBODY)
        srv = tern_factory({**(overrides or {}), "data_dir": str(base / "data")}, start=False)
        config = base / "tern.toml"
        config.write_text(srv.config_path.read_text())
        os.chmod(config, 0o644)
        srv.binary = "setpriv"
        srv.args = [f"--reuid={tern_server.NOBODY}", f"--regid={tern_server.NOBODY}", "--clear-groups", "--",
                    str(open_dir / "tern"), "serve", "--config", str(config)]
        return srv
    return make


@pytest.fixture
def tern_factory(tmp_path, tern_bin):
    """make(overrides) -> started TernServer with the example configuration
    deep-merged with `overrides` (None deletes a key).  Pass start=False to
    get it unstarted; tls=True for a certificate and `[tls]`, roles=(...)
    for the listeners (with tls: mx, submission, smtps)."""
    make, made = _server_factory(tmp_path)
    yield make
    for srv in made:
        srv.stop()


@pytest.fixture(scope="module")
def module_tern_factory(tmp_path_factory, tern_bin):
    """As `tern_factory`, for servers that the tests of one module share
    (a module fixture of their own calls it once)."""
    make, made = _server_factory(tmp_path_factory.mktemp("tern-module"))
    yield make
    for srv in made:
        srv.stop()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    item._tern_started = time.monotonic()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        since = getattr(item, "_tern_started", 0.0)
        for srv in tern_server.REGISTRY:
            if srv.running() or srv.started_at >= since:
                rep.sections.append((f"tern server log ({srv.log_path})", srv.log()))


# --------------------------------------------------------------------------
# Real peers for outbound delivery (tests/integration/peers): smtp-sink,
# dnsmasq, a private Postfix and Dovecot, each stopped by PID when the test
# ends; a scripted SMTP server in a thread; fetchmail as an ETRN/ODMR client;
# a private PostgreSQL server for the session.
# --------------------------------------------------------------------------

from peers import report as peer_report  # noqa: E402
from peers.dns import DnsServer  # noqa: E402
from peers.dovecot import DovecotLMTP  # noqa: E402
from peers.fetchmail import Fetchmail  # noqa: E402
from peers.postfix import PostfixInstance  # noqa: E402
from peers.postgres import PrivatePostgres  # noqa: E402
from peers.scripted import ScriptedPeer  # noqa: E402
from peers.sink import Sink  # noqa: E402


def pytest_configure(config):
    """Failing tests also show the logs of the peers they used."""
    if not config.pluginmanager.is_registered(peer_report):
        config.pluginmanager.register(peer_report, "tern-peer-report")
    config.addinivalue_line(
        "markers", "file_spool: looks at the file spool itself (its files, its free-space check, "
        "its census, a password file an ordinary user can read); not run with TERN_TEST_SPOOL=postgres")


def pytest_collection_modifyitems(config, items):
    """With TERN_TEST_SPOOL=postgres the tests about the file spool itself are skipped."""
    if os.environ.get("TERN_TEST_SPOOL") != "postgres":
        return
    skip = pytest.mark.skip(reason="about the file spool itself (TERN_TEST_SPOOL=postgres)")
    for item in items:
        if item.get_closest_marker("file_spool"):
            item.add_marker(skip)


def _peers(tmp_path, peer_class, name: str):
    """A factory of started `peer_class` instances, each in its own work
    directory under `tmp_path`, and a generator that stops them all at
    teardown (by PID, in the classes' `stop`)."""
    made: list = []

    def make(*args, **kw):
        peer = peer_class(tmp_path / f"{name}{len(made)}", *args, name=f"{name}{len(made)}", **kw)
        made.append(peer)
        return peer.start()

    yield make
    for peer in made:
        peer.stop()


@pytest.fixture
def sink_factory(tmp_path):
    """make(mode="accept", lmtp=False, unix_path=None, **kw) -> started Sink
    (smtp-sink on a free 127.0.0.1 port; modes in peers/sink.py)."""
    yield from _peers(tmp_path, Sink, "smtp-sink")


@pytest.fixture
def dns_factory(tmp_path):
    """make(mx={...}, a={...}, aaaa={...}, null_mx=[...]) -> started
    DnsServer (dnsmasq on a free 127.0.0.1 port; `.server` for `[dns]`)."""
    yield from _peers(tmp_path, DnsServer, "dnsmasq")


@pytest.fixture
def postfix_factory(tmp_path):
    """make(relayhost="[127.0.0.1]:PORT", domain="pf.test", users=(...),
    main_cf={...}) -> started private PostfixInstance."""
    yield from _peers(tmp_path, PostfixInstance, "postfix")


@pytest.fixture
def dovecot_factory(tmp_path):
    """make(domain="lmtp.test", users=(...)) -> started private Dovecot LMTP
    server (`.socket` for an `lmtp:unix:` route)."""
    yield from _peers(tmp_path, DovecotLMTP, "dovecot")


@pytest.fixture
def scripted_peer_factory(tmp_path):
    """make(silent=False, replies={VERB: "reply line"}) -> started
    ScriptedPeer (an SMTP server in a thread on a free 127.0.0.1 port; a
    silent one never greets)."""
    yield from _peers(tmp_path, ScriptedPeer, "scripted-peer")


@pytest.fixture
def fetchmail(tmp_path):
    """A Fetchmail runner with a private home under tmp_path:
    `.etrn(port, domains)`, `.odmr(port, user, password, domains, smtp_port)`;
    a run still going at teardown is stopped by its PID."""
    runner = Fetchmail(tmp_path / "fetchmail")
    yield runner
    runner.stop()


@pytest.fixture(scope="session")
def postgres():
    """A private PostgreSQL server shared by the session, started by the first
    test that asks for it (peers/postgres.py): superuser `tern`,
    `.url(database)`, `.password`, `.password_file`, `.create_database(name)`,
    `.drop_database(name)`, `.psql(sql, database)`.  Stopped by its PID, and
    its directory removed, when the session ends."""
    pg = PrivatePostgres()
    try:
        pg.start()
    except BaseException:
        pg.stop()
        raise
    yield pg
    pg.stop()
