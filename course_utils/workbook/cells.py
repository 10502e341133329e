"""The cells every notebook starts with, written from ``config`` so that they never drift:
the Colab badge, the setup cell (installs the pinned release in Colab) and the papermill
parameters cell. ``python -m course_utils.workbook.cells`` rewrites them in every notebook."""
from __future__ import annotations

import re
import sys
from pathlib import Path
from urllib.parse import urlparse

import nbformat

from .. import config
from .nbclean import write_clean

def setup_cell(repo_url: str, ref: str) -> str:
    """The setup cell that installs release ``ref`` of ``repo_url`` in Colab (``SETUP_CELL``
    is this repository's; ``release`` builds another ref's to compare against)."""
    return f'''# Setup: run this cell first. In Colab it installs the course package; locally `make setup` did.
import importlib.util, subprocess, sys
REPO_URL, REF = "{repo_url}", "{ref}"
if importlib.util.find_spec("course_utils") is None:
    if "google.colab" not in sys.modules:
        raise ModuleNotFoundError("course_utils is not installed: run `make setup` in the repository, "
                                  "then open the notebooks with `make lab`.")
    print(f"Installing the course package {{REF}} ({config.DOWNLOAD_SIZES["course package with GloVe vectors"]}, "
          "once per runtime). The IMDB reviews ({config.DOWNLOAD_SIZES["IMDB reviews"]}) download on first use.")
    subprocess.run([sys.executable, "-m", "pip", "install", "--progress-bar", "on",
                    f"git+{{REPO_URL}}@{{REF}}"], check=True)'''


#: The first code cell of every notebook, verbatim (tests/test_project.py checks).
#: In Colab it installs the pinned release of this package; elsewhere it only checks.
SETUP_CELL = setup_cell(config.REPO_URL, config.COURSE_REF)

#: The papermill parameters cell (tagged ``parameters``) every notebook carries.
PARAMETERS_CELL = '''# Parameters (papermill overrides these; see `make smoke` / `make all`)
profile = "full"    # "smoke": a small subset, one epoch; "full": the real course run
output_dir = None   # None: outputs/<profile> beside this notebook
seed = None         # None: the profile's seed'''

_BADGE = re.compile(r"^\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)\n\n", re.MULTILINE)


def colab_url(notebook: str, ref: str | None = None, repo_url: str | None = None) -> str:
    """The Colab link that opens ``notebooks/<notebook>`` of the pinned release (or of ``ref``
    in ``repo_url``)."""
    path = urlparse(repo_url or config.REPO_URL).path.strip("/")
    return f"https://colab.research.google.com/github/{path}/blob/{ref or config.COURSE_REF}/notebooks/{notebook}"


def colab_badge(notebook: str, ref: str | None = None, repo_url: str | None = None) -> str:
    """Markdown for the "Open in Colab" badge of one notebook."""
    return (f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
            f"({colab_url(notebook, ref, repo_url)})")


def sync_notebook(path: Path) -> bool:
    """Put the current badge, setup cell and parameters cell into one notebook; True if changed."""
    nb = nbformat.read(path, 4)
    before = nbformat.writes(nb)
    title = nb.cells[0]
    title.source = colab_badge(path.name) + "\n\n" + _BADGE.sub("", title.source, count=1)
    code = [c for c in nb.cells if c.cell_type == "code"]
    code[0].source, code[1].source = SETUP_CELL, PARAMETERS_CELL
    code[1].metadata["tags"] = ["parameters"]
    if nbformat.writes(nb) == before:
        return False
    write_clean(nb, path)
    return True


def main() -> int:
    """Rewrite the first cells of every numbered notebook from ``config``."""
    from .runner import discover

    changed = [p.name for p in discover() if sync_notebook(p)]
    print("updated: " + (", ".join(changed) if changed else "nothing (all in step)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
