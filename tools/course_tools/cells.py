"""The cells every notebook starts with, written from ``config`` so that they never drift:
the Colab badge, the setup cell (installs the pinned release in Colab) and the papermill
parameters cell. ``python -m course_tools.cells`` rewrites them in every notebook."""
from __future__ import annotations

import json
import re
import sys
import textwrap
from pathlib import Path
from urllib.parse import urlparse

import nbformat

from course_utils import config
from course_utils.i18n import EDITIONS, N_, gettext
from .layout import discover, notebook_dir
from .nbclean import write_clean

#: What the setup cell says, marked for the catalogues (``i18n.N_``) and translated when a cell is
#: written: the cell runs before the package is installed, so it carries its edition's text.
_SETUP_COMMENT = N_("# Setup: run this cell first. In Colab it installs the course package; locally `make setup` did.")
_SETUP_MISSING = N_("course_utils is not installed: run `make setup` in the repository, then open the notebooks "
                    "with `make lab`.")
_SETUP_INSTALLING = N_("Installing the course package {REF} (about {package} MB, once per runtime). The IMDB "
                       "reviews ({reviews} MB) download on first use.")


def setup_cell(repo_url: str, ref: str, edition: str = "en") -> str:
    """The setup cell that installs release ``ref`` of ``repo_url`` in Colab, its messages in
    ``edition``'s language (``SETUP_CELL`` is this repository's English one; ``release`` builds
    another ref's to compare against)."""
    missing = gettext(_SETUP_MISSING, edition=edition)
    installing = gettext(_SETUP_INSTALLING, edition=edition).format(
        REF="{REF}", package=config.DOWNLOAD_SIZES_MB["course package with GloVe vectors"],
        reviews=config.DOWNLOAD_SIZES_MB["IMDB reviews"])
    return f'''{gettext(_SETUP_COMMENT, edition=edition)}
import importlib.util, subprocess, sys
REPO_URL, REF = "{repo_url}", "{ref}"
if importlib.util.find_spec("course_utils") is None:
    if "google.colab" not in sys.modules:
        raise ModuleNotFoundError({_literal(missing, 34)})
    print({_literal(installing, 10)})
    subprocess.run([sys.executable, "-m", "pip", "install", "--progress-bar", "on",
                    f"git+{{REPO_URL}}@{{REF}}"], check=True)'''


def _literal(text: str, indent: int, width: int = 64) -> str:
    """``text`` as adjacent string literals of about ``width`` characters, one per line; a piece
    with a ``{...}`` field is an f-string."""
    pieces = textwrap.wrap(text, width, drop_whitespace=False, break_long_words=False, break_on_hyphens=False)
    return ("\n" + " " * indent).join(("f" if "{" in piece else "") + json.dumps(piece, ensure_ascii=False)
                                       for piece in pieces)


#: The first code cell of every notebook, verbatim (tests/test_project.py checks).
#: In Colab it installs the pinned release of this package; elsewhere it only checks.
SETUP_CELL = setup_cell(config.REPO_URL, config.COURSE_REF)

#: What the parameters cell's comments say, marked for the catalogues (``i18n.N_``): it is the one
#: cell students are told to edit, so each edition's cell speaks its language (``parameters_cell``).
_PARAMETERS_COMMENTS = (
    N_("# Parameters (papermill overrides these; see `make smoke` / `make all`)"),
    N_('# "smoke": a small subset, one epoch; "full": the real course run'),
    N_("# None: outputs/<profile> beside this notebook"),
    N_("# None: the profile's seed"),
    N_("# the edition's language"),
)


def parameters_cell(edition: str = "en") -> str:
    """The papermill parameters cell (tagged ``parameters``) of ``edition``: the same code in every
    edition, its comments in the edition's language; a translation's also sets ``edition``."""
    head, profile, output, seed, language = (gettext(c, edition=edition) for c in _PARAMETERS_COMMENTS)
    cell = f'''{head}
profile = "full"    {profile}
output_dir = None   {output}
seed = None         {seed}'''
    return cell if edition == "en" else cell + f'\nedition = "{edition}"   {language}'


#: The English parameters cell every English notebook carries.
PARAMETERS_CELL = parameters_cell()
_EDITION_LINE = re.compile(r"""^(edition\s*=\s*)(["'])[A-Za-z_]*\2""", re.MULTILINE)

#: The "Open in Colab" badge line at the top of a notebook's first cell, with the blank line after it.
BADGE = re.compile(r"^\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)\n\n", re.MULTILINE)
_BADGE = BADGE  # its former, private name


def set_edition_parameter(source: str, locale: str) -> str:
    """The parameters cell with ``edition = "<locale>"``.

    Parameters
    ----------
    source : str
        A parameters cell (``PARAMETERS_CELL`` or a translation's).
    locale : str
        The edition, e.g. ``"es"``.

    Returns
    -------
    str
        ``source`` with the ``edition`` line's value replaced if the line exists, the line
        appended otherwise.
    """
    if _EDITION_LINE.search(source):
        return _EDITION_LINE.sub(lambda m: f'{m.group(1)}"{locale}"', source, count=1)
    return source.rstrip("\n") + f'\nedition = "{locale}"'


def colab_url(notebook: str, ref: str | None = None, repo_url: str | None = None) -> str:
    """The Colab link that opens ``notebooks/<notebook>`` of the pinned release (or of ``ref``
    in ``repo_url``)."""
    path = urlparse(repo_url or config.REPO_URL).path.strip("/")
    return f"https://colab.research.google.com/github/{path}/blob/{ref or config.COURSE_REF}/notebooks/{notebook}"


def colab_badge(notebook: str, ref: str | None = None, repo_url: str | None = None) -> str:
    """Markdown for the "Open in Colab" badge of one notebook."""
    return (f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
            f"({colab_url(notebook, ref, repo_url)})")


def sync_notebook(path: Path, edition: str = "en") -> bool:
    """Put the current badge, setup cell and parameters cell into one notebook of ``edition``
    (a translation lives in ``notebooks/<edition>/``); True if changed."""
    nb = nbformat.read(path, 4)
    before = nbformat.writes(nb)
    title = nb.cells[0]
    name = path.name if edition == "en" else f"{edition}/{path.name}"
    title.source = colab_badge(name) + "\n\n" + BADGE.sub("", title.source, count=1)
    code = [c for c in nb.cells if c.cell_type == "code"]
    code[0].source = setup_cell(config.REPO_URL, config.COURSE_REF, edition)
    code[1].source = parameters_cell(edition)
    code[1].metadata["tags"] = ["parameters"]
    if nbformat.writes(nb) == before:
        return False
    write_clean(nb, path)
    return True


def edition_of(path: Path, notebooks_dir: Path) -> str:
    """The edition of a notebook from its folder: ``notebooks/`` is English, ``notebooks/<edition>/``
    a translation."""
    relative = path.resolve().parent.relative_to(Path(notebooks_dir).resolve())
    return relative.parts[0] if relative.parts else "en"


def main() -> int:
    """Rewrite the first cells of every numbered notebook, of every edition, from ``config``."""
    notebooks = notebook_dir()
    changed = []
    for folder in [notebooks, *sorted(p for p in notebooks.iterdir()
                                      if p.is_dir() and p.name in EDITIONS and p.name != "en")]:
        changed += [p.relative_to(notebooks).as_posix() for p in discover(folder)
                    if sync_notebook(p, edition_of(p, notebooks))]
    print("updated: " + (", ".join(changed) if changed else "nothing (all in step)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
