"""Fuzz/README.md: every fuzz target's seed corpus (Fuzz/Corpus/<Name>/) and every crash
input saved in the repository (Fuzz/Crashes/<Name>/) replay cleanly through the target's
replayer: the same `testOneInput` that libFuzzer drives, built by the ordinary
`swift build` next to `tern`.  Each replay runs as its own process, so an input that
traps fails with its file named and takes nothing else down."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tern_server import tern_binary

FUZZ = Path(__file__).resolve().parents[2] / "Fuzz"
TARGETS = sorted(p.name for p in (FUZZ / "Corpus").iterdir() if p.is_dir())

def replay(target: str, path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(tern_binary().parent / f"Fuzz{target}"), str(path)], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "SWIFT_BACKTRACE": "enable=no"})


def check_replay(target: str, path: Path) -> None:
    result = replay(target, path)
    assert result.returncode == 0, f"Fuzz{target} {path}:\n{result.stdout}\n{result.stderr[-4000:]}"
    assert result.stdout.startswith("replayed "), result.stdout


def test_every_target_has_a_corpus():
    sources = sorted(p.name for p in FUZZ.iterdir()
                     if p.is_dir() and p.name not in ("Corpus", "Crashes", "Support", "LibFuzzer"))
    assert TARGETS == sources, "each Fuzz/<Name>/ target needs seeds in Fuzz/Corpus/<Name>/"
    for target in TARGETS:
        assert any((FUZZ / "Corpus" / target).iterdir()), f"Fuzz/Corpus/{target}/ is empty"


@pytest.mark.parametrize("target", TARGETS)
def test_replays_seed_corpus_and_saved_crashes(target):
    check_replay(target, FUZZ / "Corpus" / target)
    for crash in sorted((FUZZ / "Crashes" / target).glob("*")):
        check_replay(target, crash)
