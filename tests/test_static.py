"""The static checks of ``make lint``: ruff and mypy find nothing in the course package, the
instructor's tools and the tests, with the configuration in pyproject.toml ([tool.ruff],
[tool.mypy]). Both run as subprocesses of this Python, from the repository's root, so they read
that configuration exactly as ``make lint`` does. Both are dev dependencies
(tools/pyproject.toml): without them these tests fail, they do not skip."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUFF_PATHS = ("course_utils", "tools/course_tools", "tests")


def _run(*args: str, timeout: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def _shown(run: subprocess.CompletedProcess) -> str:
    return f"exit code {run.returncode}\n{run.stdout}\n{run.stderr}"


def test_ruff_finds_nothing():
    run = _run("ruff", "check", *RUFF_PATHS, timeout=120)
    assert run.returncode == 0, _shown(run)


def test_mypy_finds_nothing_with_the_pyproject_configuration():
    run = _run("mypy", timeout=600)  # no paths: [tool.mypy]'s files, mypy_path and settings
    assert run.returncode == 0, _shown(run)
