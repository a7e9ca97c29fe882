"""A pytest plugin (registered by conftest.py): a failing test shows the logs
of the peers (smtp-sink, dnsmasq, Postfix) it used, as conftest.py does for
Tern's servers."""

from __future__ import annotations

import pytest

from .process import REGISTRY


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        since = getattr(item, "_tern_started", 0.0)
        for peer in REGISTRY:
            if peer.running() or peer.started_at >= since:
                rep.sections.append((f"{peer.name} log", peer.log()))
