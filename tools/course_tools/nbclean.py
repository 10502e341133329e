"""Keep committed notebooks diff-friendly: no execution noise, no machine-specific metadata."""
from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from collections.abc import Sequence

if TYPE_CHECKING:
    import nbformat

from course_utils.fileio import write_text_atomic

KEEP_CELL_METADATA = ("tags",)
#: The notebook metadata exactly as ipykernel and JupyterLab write it, less the Python version
#: (which differs between machines; the git filter below drops what JupyterLab adds).
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
                 "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
                 "pygments_lexer": "ipython3"}


#: What nbformat 4.5 allows in a cell id.
CELL_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def stable_cell_ids(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Give every cell an id (nbformat 4.5) that stays with it, in place.

    A cell keeps the id it has. A notebook without any id (written before ids were kept) gets
    ``md-NN`` for its markdown cells, their position among the markdown cells, which is the key
    their translations had in the catalogues, and ``code-NN`` for the others; so the catalogues
    carry over unchanged. A cell added later without one, or with an id another cell already
    holds (a pasted copy), gets ``cell-`` and the first hex digits of a hash of its source and
    place, which a re-run of the filter computes again.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The notebook, changed in place.

    Returns
    -------
    nbformat.NotebookNode
        The same notebook.
    """
    import hashlib

    migrating = not any(CELL_ID.match(str(cell.get("id") or "")) for cell in nb.cells)
    taken: set[str] = set()
    counts = {"markdown": 0, "code": 0}
    for index, cell in enumerate(nb.cells):
        kind = "markdown" if cell.cell_type == "markdown" else "code"
        counts[kind] += 1
        wanted = str(cell.get("id") or "")
        if migrating:
            wanted = f"{'md' if kind == 'markdown' else 'code'}-{counts[kind]:02d}"
        if not CELL_ID.match(wanted) or wanted in taken:
            digest = hashlib.sha256(f"{index}\0{cell.source}".encode()).hexdigest()
            width = 8
            while f"cell-{digest[:width]}" in taken:
                width += 1
            wanted = f"cell-{digest[:width]}"
        cell["id"] = wanted
        taken.add(wanted)
    return nb


def clean_notebook(nb: nbformat.NotebookNode, *, drop_injected: bool = True) -> nbformat.NotebookNode:
    """Strip papermill/execution metadata and (optionally) papermill's injected cell; keep every
    cell's id (nbformat 4.5: the translation catalogues are keyed on them), giving one to a cell
    that has none (:func:`stable_cell_ids`)."""
    if drop_injected:
        nb.cells = [c for c in nb.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO)}
    nb.nbformat, nb.nbformat_minor = 4, 5
    stable_cell_ids(nb)
    count = 0
    for cell in nb.cells:
        cell.metadata = {k: cell.metadata[k] for k in KEEP_CELL_METADATA if k in cell.metadata}
        if cell.cell_type == "code":
            # Stable 1, 2, 3... numbering: nbval treats an unnumbered cell with outputs as unrun.
            count += 1 if cell.get("outputs") or cell.execution_count else 0
            cell.execution_count = count if cell.get("outputs") or cell.execution_count else None
            for output in cell.get("outputs", []):
                if output.get("output_type") == "execute_result":
                    output["execution_count"] = cell.execution_count
                if "metadata" in output:  # keep only images' alt text (screen readers)
                    output["metadata"] = {mime: {"alt": meta["alt"]} for mime, meta in output["metadata"].items()
                                          if isinstance(meta, dict) and "alt" in meta}
    return nb


def clean_text(text: str) -> str:
    """A notebook's JSON, cleaned; text that is not a notebook comes back unchanged."""
    import nbformat

    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception:  # never lose content in a git filter
        return text
    return nbformat.writes(clean_notebook(nb), version=4) + "\n"


def smudge_text(text: str, python_version: str | None = None) -> str:
    """A committed notebook as this environment's kernel would save it: the language_info
    ``version`` (left out of committed notebooks) set to this Python's.

    git's smudge filter, run on checkout. JupyterLab copies the kernel's ``language_info`` into
    a notebook it opens and autosaves it; git reports a file whose *size* differs from the
    checked-out one as modified even when the clean filter makes its content identical. With
    the version already there, that save rewrites the same bytes and ``git status`` stays clean.

    The key is inserted as text where nbformat's sorted, one-space-indented JSON puts it (no
    nbformat import: a filter runs once per file), and the result is checked by parsing it; text
    that is not a clean course notebook comes back unchanged.
    """
    try:
        nb = json.loads(text)
        info = nb["metadata"]["language_info"]
    except (ValueError, KeyError, TypeError):  # never lose content in a git filter
        return text
    if info != LANGUAGE_INFO:
        return text
    version = python_version or platform.python_version()
    pattern = re.compile(r'(\n( *)"pygments_lexer": "ipython3")(\n *\})')
    smudged, count = pattern.subn(lambda m: f'{m.group(1)},\n{m.group(2)}"version": {json.dumps(version)}{m.group(3)}',
                                  text)
    expected = {**nb, "metadata": {**nb["metadata"], "language_info": {**info, "version": version}}}
    try:
        return smudged if count == 1 and json.loads(smudged) == expected else text
    except ValueError:
        return text


#: The notebooks the git filter applies to (``.gitattributes``).
FILTERED = ("notebooks/*.ipynb", "notebooks/*/*.ipynb")


def install_git_filter(repo: str | os.PathLike, python: str | os.PathLike = sys.executable,
                       paths: Sequence[str] | None = None) -> list[str]:
    """Configure the ``nbclean`` git filter in ``repo`` and check the notebooks out through it.

    The clean filter keeps committed notebooks free of what Jupyter adds; the smudge filter
    writes what this environment's kernel would (its Python version), so opening a notebook in
    JupyterLab leaves ``git status`` clean. Notebooks already checked out are checked out again
    through the filter only when they carry no change of the user's (``paths``: only these).
    Returns the paths checked out again.
    """
    repo = Path(repo)
    command = f"{Path(python).absolute()} -m course_tools.nbclean"
    git = ["git", "-C", str(repo)]
    subprocess.run(git + ["config", "filter.nbclean.clean", f"{command} --filter"], check=True)
    subprocess.run(git + ["config", "filter.nbclean.smudge", f"{command} --smudge"], check=True)
    tracked = subprocess.run(git + ["ls-files", "-z", "--", *(paths or FILTERED)], check=True, capture_output=True,
                             text=True).stdout.split("\0")
    refreshed = []
    for path in filter(None, tracked):
        unchanged = subprocess.run(git + ["diff", "--quiet", "--", path]).returncode == 0
        if unchanged and (repo / path).is_file():
            (repo / path).unlink()
            subprocess.run(git + ["checkout", "--", path], check=True)
            refreshed.append(path)
    return refreshed


def checkout_text(nb: nbformat.NotebookNode) -> str:
    """The notebook cleaned, as a checkout holds it: what git stores, then smudged (this Python's
    version in language_info, exactly what JupyterLab will save), so a notebook written by a tool
    and then opened in JupyterLab stays unmodified in ``git status``."""
    import nbformat

    return smudge_text(nbformat.writes(clean_notebook(nb), version=4) + "\n")


def write_clean(nb: nbformat.NotebookNode, path: str | os.PathLike) -> Path:
    """Clean and write a notebook atomically (a crash never leaves a half-written notebook)."""
    return write_text_atomic(path, checkout_text(nb))


def main(argv=None) -> int:
    """git's filters for notebooks (stdin -> stdout): ``--filter`` cleans what is committed,
    ``--smudge`` writes what this kernel would on checkout; ``--install`` configures both in the
    current repository (``make setup``)."""
    import argparse

    parser = argparse.ArgumentParser(description=(main.__doc__ or "").split("\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--filter", action="store_true", help="clean filter: stdin -> stdout")
    mode.add_argument("--smudge", action="store_true", help="smudge filter: stdin -> stdout")
    mode.add_argument("--install", action="store_true", help="configure both in this repository")
    args = parser.parse_args(argv)
    if args.install:
        refreshed = install_git_filter(Path.cwd())
        print(f"git filter nbclean installed; {len(refreshed)} notebooks checked out through it")
        return 0
    text = sys.stdin.read()
    sys.stdout.write(smudge_text(text) if args.smudge else clean_text(text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
