"""What the notebooks extra must bring for a notebook to render as it does in the course."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_notebooks_extra_brings_ipywidgets_for_tqdms_progress_bars():
    """Without ipywidgets, tqdm.auto in a plain Jupyter warns "IProgress not found" and prints text."""
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["notebooks"]
    assert any(re.match(r"ipywidgets\s*>=\s*8", requirement) for requirement in extra), extra
