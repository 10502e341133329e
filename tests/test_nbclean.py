"""Committed notebooks are written clean and atomically."""
from __future__ import annotations

import platform

import nbformat

from course_tools import nbclean


def test_clean_strips_execution_noise(tmp_path):
    nb = nbformat.v4.new_notebook()
    injected = nbformat.v4.new_code_cell("profile = 'full'")
    injected.metadata["tags"] = ["injected-parameters"]
    code = nbformat.v4.new_code_cell("1 + 1", execution_count=7)
    code.metadata.update({"papermill": {"duration": 1.2}, "execution": {}, "tags": ["keep"]})
    code.outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=7)]
    nb.cells = [injected, code]
    nb.metadata.update({"papermill": {"parameters": {}}, "kernelspec": {"name": "python3"},
                        "language_info": {"name": "python", "version": "3.11.7"}})
    path = nbclean.write_clean(nb, tmp_path / "n.ipynb")
    back = nbformat.read(path, 4)
    assert len(back.cells) == 1 and back.cells[0].metadata == {"tags": ["keep"]}
    assert back.cells[0].execution_count == 1 and back.cells[0].outputs[0]["execution_count"] == 1
    # written as a checkout holds it: this kernel's Python version, which the clean filter drops
    assert back.metadata == {"kernelspec": nbclean.KERNELSPEC,
                             "language_info": {**nbclean.LANGUAGE_INFO, "version": platform.python_version()}}
    assert '"version": "' not in nbclean.clean_text(path.read_text())  # what git stores has none
    assert back.nbformat_minor == 5 and back.cells[0].id == code.id  # ids stay: catalogues are keyed on them


def _ids(nb):
    return [cell.get("id") for cell in nb.cells]


def test_a_notebook_without_ids_gets_the_keys_its_translations_had():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# T"), nbformat.v4.new_code_cell("1"),
                                         nbformat.v4.new_markdown_cell("a"), nbformat.v4.new_code_cell("2"),
                                         nbformat.v4.new_markdown_cell("b")])
    for cell in nb.cells:
        cell.pop("id")
    nbclean.clean_notebook(nb)
    assert _ids(nb) == ["md-01", "code-01", "md-02", "code-02", "md-03"]


def test_ids_stay_when_a_cell_is_inserted_and_a_new_or_pasted_cell_gets_its_own():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(t) for t in "abc"])
    for cell, key in zip(nb.cells, ("md-01", "md-02", "md-03")):
        cell["id"] = key
    inserted = nbformat.v4.new_markdown_cell("new")
    inserted.pop("id")
    pasted = nbformat.v4.new_markdown_cell("c")
    pasted["id"] = "md-03"  # a copy of a cell, with its id
    broken = nbformat.v4.new_markdown_cell("d")
    broken["id"] = "not a valid id!"
    nb.cells[1:1] = [inserted]
    nb.cells += [pasted, broken]
    nbclean.clean_notebook(nb)
    ids = _ids(nb)
    assert ids[0] == "md-01" and ids[2:4] == ["md-02", "md-03"]
    assert len(set(ids)) == len(ids) and all(nbclean.CELL_ID.match(i) for i in ids)
    assert ids[1].startswith("cell-") and ids[4].startswith("cell-") and ids[5].startswith("cell-")
    again = nbclean.clean_notebook(nbformat.reads(nbformat.writes(nb), 4))
    assert _ids(again) == ids, "the filter gives the same ids each time"


def test_clean_keeps_alt_text_and_drops_other_output_metadata(tmp_path):
    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("show()", execution_count=3)
    code.outputs = [nbformat.v4.new_output("display_data", {"image/png": "iVBOR"},
                                           metadata={"image/png": {"alt": "Figure. ROC", "width": 400},
                                                     "application/json": {"expanded": True}})]
    nb.cells = [code]
    back = nbformat.read(nbclean.write_clean(nb, tmp_path / "n.ipynb"), 4)
    assert back.cells[0].outputs[0]["metadata"] == {"image/png": {"alt": "Figure. ROC"}}
