"""The site builder's refusals and generated sources (no browser; see test_site.py for the pages)."""
from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from course_utils import config
from course_tools import cells, site

ROOT = Path(__file__).resolve().parent.parent
FIRST = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))[0]


def test_editions_are_named_from_the_known_ones():
    assert [e.lang for e in site.resolve_editions(["en", "es"])] == ["en", "es"]
    with pytest.raises(ValueError, match=r"Unknown edition\(s\) \['fr'\].*KNOWN_EDITIONS"):
        site.resolve_editions(["en", "fr"])
    with pytest.raises(ValueError, match="named twice"):
        site.resolve_editions(["en", "en"])
    with pytest.raises(ValueError, match="at least one edition"):
        site.resolve_editions([])


def test_an_edition_without_notebooks_is_refused_before_anything_is_built(tmp_path):
    (tmp_path / "notebooks").mkdir()
    shutil.copyfile(FIRST, tmp_path / "notebooks" / FIRST.name)
    with pytest.raises(FileNotFoundError, match=r"Edition 'es' has no notebooks .*notebooks/es"):
        site.build_site(tmp_path / "build" / "site", ["en", "es"], root=tmp_path)
    assert not (tmp_path / "build" / "site").exists()


def test_a_notebook_whose_badge_is_not_the_pinned_one_is_refused(tmp_path):
    (tmp_path / "notebooks").mkdir()
    path = tmp_path / "notebooks" / FIRST.name
    nb = nbformat.read(FIRST, as_version=4)
    nb.cells[0].source = nb.cells[0].source.replace(config.COURSE_REF, "v0.0.1", 1)
    nbformat.write(nb, path)
    with pytest.raises(ValueError, match=rf"{FIRST.name}: the first cell does not start with the Colab badge.*make cells"):
        site.page_notebook(path, tmp_path)


def test_a_page_keeps_the_colab_link_and_shows_a_local_badge():
    nb, title = site.page_notebook(FIRST)
    assert title.startswith(FIRST.stem[:2] + " ·")
    assert nb.cells[0].source.startswith(f"[![Open In Colab](_static/colab-badge.svg)]({cells.colab_url(FIRST.name)})")
    assert "colab.research.google.com/assets" not in nb.cells[0].source


def test_the_generated_config_executes_nothing_and_switches_language_only_with_two_editions():
    en, es = site.resolve_editions(["en", "es"])
    pages = {"en": ["index", "results", "01_eda"], "es": ["index", "results"]}
    alone, both = {}, {}
    exec(site.conf_py(en, [en], pages), alone)
    exec(site.conf_py(en, [en, es], pages), both)
    assert alone["nb_execution_mode"] == both["nb_execution_mode"] == "off"
    assert "language-switch.html" not in alone["html_sidebars"]["**"] and "course_editions" not in alone["html_context"]
    assert "language-switch.html" in both["html_sidebars"]["**"]
    assert [e["lang"] for e in both["html_context"]["course_editions"]] == ["en", "es"]
    # on a phone the sidebar is behind the menu button: the article header switches language too
    assert "article_header_end" not in alone["html_theme_options"]
    assert both["html_theme_options"]["article_header_end"] == ["header-language-switch.html",
                                                                "article-header-buttons.html"]
    assert alone["html_js_files"] == both["html_js_files"] == ["course.js"]
    assert alone["mathjax_path"] == site.MATHJAX_FILE and "://" not in alone["mathjax_path"]


def test_the_sources_ship_the_phone_fixes(tmp_path):
    """course.js (the menu button's fix, the figures' and long cells' widths) and the header's
    language switch are written beside conf.py; tests/test_site.py checks them in a browser."""
    en, es = site.resolve_editions(["en", "es"])
    root = tmp_path / "repo"
    for folder in ("notebooks", "notebooks/es"):
        (root / folder).mkdir(parents=True)
        relative = FIRST.name if folder == "notebooks" else f"es/{FIRST.name}"
        nb = nbformat.read(FIRST, as_version=4)
        nb.cells[0].source = nb.cells[0].source.replace(cells.colab_badge(FIRST.name), cells.colab_badge(relative), 1)
        nbformat.write(nb, root / folder / FIRST.name)
    site.write_sources(en, [en, es], tmp_path / "src", root)
    script = (tmp_path / "src" / "_static" / "course.js").read_text()
    assert 'forwardToggles(".primary-toggle")' in script and "stopImmediatePropagation" in script
    assert f"FIGURE_MIN_SCALE = {site.FIGURE_MIN_SCALE}" in script
    assert "overflow-x: auto" in (tmp_path / "src" / "_static" / "course.css").read_text()
    assert 'class="header-language-switch"' in (tmp_path / "src" / "_templates" / "header-language-switch.html").read_text()
