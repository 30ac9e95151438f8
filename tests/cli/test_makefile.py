"""`make run` installs what running needs, `make test` what testing needs, each once.

The targets run for real against a stand-in virtualenv whose programs only note their
arguments, so nothing is installed or served.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.conftest import ROOT

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


@pytest.fixture
def make(tmp_path: Path) -> Callable[..., list[str]]:
    """``make(target, *variables)``: run the target; the commands the venv's programs ran."""
    venv, calls = tmp_path / "venv", tmp_path / "calls"
    # Not the settings of a make that runs this suite (CI's `make test PYTEST_ARGS=…`
    # reaches a nested make through MAKEFLAGS), nor a port chosen for the shell.
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "PYTEST_ARGS", "IJAZA_HOST",
                        "IJAZA_PORT")}
    (venv / "bin").mkdir(parents=True)
    for program in ("python", "pip", "pytest", "ijaza"):
        path = venv / "bin" / program
        path.write_text(f'#!/bin/sh\necho "{program} $*" >> {calls}\n')
        path.chmod(0o755)

    def run(target: str, *variables: str) -> list[str]:
        calls.write_text("")
        done = subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), target,
                               f"VENV={venv}", *variables],
                              capture_output=True, text=True, timeout=60, env=env)
        assert done.returncode == 0, done.stderr
        run.stdout = done.stdout  # type: ignore[attr-defined]
        return [line.rstrip() for line in calls.read_text().splitlines()]

    return run


def test_run_installs_the_runtime_only_and_once(make) -> None:  # noqa: ANN001
    assert make("run")[0] == "pip install --quiet -e ."
    assert not any(call.startswith("pip") for call in make("run"))


def test_test_after_run_still_installs_the_dev_tools(make) -> None:  # noqa: ANN001
    make("run")
    assert make("test") == ["pip install --quiet -e .[dev]", "pytest"]
    assert make("test") == ["pytest"]


def test_run_after_test_installs_nothing_more(make) -> None:  # noqa: ANN001
    make("test")
    assert make("run") == ["ijaza migrate", "ijaza demo",
                           "ijaza serve --host 127.0.0.1 --port 8000"]


def test_install_is_the_dev_install_ci_relies_on(make) -> None:  # noqa: ANN001
    assert make("install") == ["pip install --quiet -e .[dev]"]


def test_run_prints_where_to_browse(make) -> None:  # noqa: ANN001
    calls = make("run", "IJAZA_HOST=0.0.0.0", "IJAZA_PORT=8765")
    assert calls[-1] == "ijaza serve --host 0.0.0.0 --port 8765"
    assert "http://127.0.0.1:8765/docs" in make.stdout and "http://127.0.0.1:8765/p/demo" in make.stdout
    assert "http://127.0.0.1:8765/admin" in make.stdout
