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
    assert '"id"' not in path.read_text()


def test_clean_keeps_alt_text_and_drops_other_output_metadata(tmp_path):
    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("show()", execution_count=3)
    code.outputs = [nbformat.v4.new_output("display_data", {"image/png": "iVBOR"},
                                           metadata={"image/png": {"alt": "Figure. ROC", "width": 400},
                                                     "application/json": {"expanded": True}})]
    nb.cells = [code]
    back = nbformat.read(nbclean.write_clean(nb, tmp_path / "n.ipynb"), 4)
    assert back.cells[0].outputs[0]["metadata"] == {"image/png": {"alt": "Figure. ROC"}}
