"""Fixtures: a running `tern serve` on a free loopback port with the
configuration of SPEC.md's examples, and a factory for servers with extra
configuration.  On a failing test the logs of the servers involved are shown.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import smtp_client  # noqa: E402
import tern_server  # noqa: E402
from tern_server import TernServer, base_config, merge  # noqa: E402


@pytest.fixture(scope="session")
def tern_bin() -> Path:
    return tern_server.tern_binary()


def _new_server(workdir: Path, overrides: dict | None = None, **kw) -> TernServer:
    port = smtp_client.free_port()
    data_dir = workdir / "data"
    cfg = merge(base_config(port, data_dir), overrides or {})
    return TernServer(workdir, cfg, port=port, **kw)


@pytest.fixture(scope="module")
def server(tmp_path_factory, tern_bin) -> TernServer:
    """One server with SPEC.md's example configuration, shared by a module's
    tests (each test uses its own markers and sessions)."""
    srv = _new_server(tmp_path_factory.mktemp("tern"))
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def tern_factory(tmp_path, tern_bin):
    """make(overrides) -> started TernServer with the example configuration
    deep-merged with `overrides` (None deletes a key).  Pass start=False to
    get it unstarted."""
    made: list[TernServer] = []

    def make(overrides: dict | None = None, start: bool = True, **kw) -> TernServer:
        workdir = tmp_path / f"srv{len(made)}"
        srv = _new_server(workdir, overrides, name=f"tern{len(made)}", **kw)
        made.append(srv)
        if start:
            srv.start()
        return srv

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
