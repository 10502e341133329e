"""Keep committed notebooks diff-friendly: no execution noise, no machine-specific metadata."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat

from ..fileio import write_text_atomic

KEEP_CELL_METADATA = ("tags",)
#: The notebook metadata exactly as ipykernel and JupyterLab write it, less the Python version
#: (which differs between machines; the git filter below drops what JupyterLab adds).
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
                 "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
                 "pygments_lexer": "ipython3"}


def clean_notebook(nb: nbformat.NotebookNode, *, drop_injected: bool = True) -> nbformat.NotebookNode:
    """Strip papermill/execution metadata, cell ids and (optionally) papermill's injected cell."""
    if drop_injected:
        nb.cells = [c for c in nb.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO)}
    nb.nbformat, nb.nbformat_minor = 4, 4
    count = 0
    for cell in nb.cells:
        cell.pop("id", None)
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
    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception:  # never lose content in a git filter
        return text
    return nbformat.writes(clean_notebook(nb), version=4) + "\n"


def write_clean(nb: nbformat.NotebookNode, path: str | os.PathLike) -> Path:
    """Clean and write a notebook atomically (a crash never leaves a half-written notebook)."""
    nb = clean_notebook(nb)
    return write_text_atomic(path, nbformat.writes(nb, version=4) + "\n")


def main(argv=None) -> int:
    """``--filter``: git's clean filter (stdin -> stdout), so that opening a notebook in
    JupyterLab (which rewrites its metadata) never shows up in ``git status`` or blocks a pull."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__.split("\n")[0])
    parser.add_argument("--filter", action="store_true", required=True)
    parser.parse_args(argv)
    sys.stdout.write(clean_text(sys.stdin.read()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
