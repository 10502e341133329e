"""Keep committed notebooks diff-friendly: no execution noise, no machine-specific metadata."""
from __future__ import annotations

import os
from pathlib import Path

import nbformat

from ..fileio import write_text_atomic

KEEP_NOTEBOOK_METADATA = ("kernelspec", "language_info")
KEEP_CELL_METADATA = ("tags",)


def clean_notebook(nb: nbformat.NotebookNode, *, drop_injected: bool = True) -> nbformat.NotebookNode:
    """Strip papermill/execution metadata, cell ids and (optionally) papermill's injected cell."""
    if drop_injected:
        nb.cells = [c for c in nb.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    nb.metadata = {k: nb.metadata[k] for k in KEEP_NOTEBOOK_METADATA if k in nb.metadata}
    if "language_info" in nb.metadata:
        nb.metadata["language_info"] = {"name": nb.metadata["language_info"].get("name", "python")}
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


def write_clean(nb: nbformat.NotebookNode, path: str | os.PathLike) -> Path:
    """Clean and write a notebook atomically (a crash never leaves a half-written notebook)."""
    nb = clean_notebook(nb)
    return write_text_atomic(path, nbformat.writes(nb, version=4) + "\n")
