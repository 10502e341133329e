"""The course website: ``python -m course_tools.site`` (``make site``) builds
``build/site`` from the committed notebooks with Sphinx and MyST-NB, executing nothing.

Each *edition* (a language: ``notebooks/`` is English, ``notebooks/es/`` would be Spanish) is
one Sphinx project, generated into ``build/site-src/<lang>/`` from the notebook list: a
``conf.py`` of plain values, an index page in course order, a results page generated from
``course_utils/results/`` and a copy of every notebook whose Colab badge points at a local image.
Each edition is built into ``build/site/<lang>/``; ``build/site/index.html`` opens the first.
With two editions or more, every page has a language switch.

MathJax 3 is served from the site itself (one file from the ``sphinx-mathjax-offline`` package),
so the pages typeset their equations without any CDN.
"""
from __future__ import annotations

import argparse
import shutil
import string
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Sequence

import nbformat
import pandas as pd

from course_utils import config
from course_utils.fileio import write_text_atomic
from . import cells, layout
from .runner import discover

ROOT = layout.repository_root()


@dataclass(frozen=True)
class Edition:
    """One language of the course website.

    Attributes
    ----------
    lang : str
        Language code, the edition's folder in the site (``build/site/<lang>/``).
    label : str
        The language's name in that language, shown in the language switch.
    folder : str
        The edition's notebooks, relative to the repository root.
    title, intro, results_title, results_intro, notebook_header, model_header, accuracy_header, seeds_header : str
        The words of the generated pages.
    """

    lang: str
    label: str
    folder: str
    title: str
    intro: str
    results_title: str
    results_intro: str
    notebook_header: str
    model_header: str
    accuracy_header: str
    seeds_header: str


#: Every edition the builder knows. ``EDITIONS`` below says which ones are built.
KNOWN_EDITIONS: dict[str, Edition] = {
    "en": Edition(
        lang="en", label="English", folder="notebooks",
        title="Recurrent neural networks for sentiment analysis on IMDB",
        intro=("Nine notebooks that take you from raw movie reviews to recurrent networks, transfer "
               "learning and an honest comparison of models. Each page shows a notebook as committed, "
               "with the outputs of the full course run; its *Open in Colab* badge runs it."),
        results_title="Results",
        results_intro=("The committed full-profile run on the official 25,000-review test set "
                       "(seed 42), best first; the last column is the spread over seeds."),
        notebook_header="notebook", model_header="model", accuracy_header="accuracy",
        seeds_header="accuracy over seeds (runs: mean ± sd)",
    ),
    "es": Edition(
        lang="es", label="Español", folder="notebooks/es",
        title="Redes neuronales recurrentes para el análisis de sentimiento en IMDB",
        intro=("Nueve cuadernos que llevan de las reseñas de películas en bruto a las redes "
               "recurrentes, el aprendizaje por transferencia y una comparación honesta de modelos. "
               "Cada página muestra un cuaderno con los resultados de la ejecución completa; su "
               "insignia *Open in Colab* lo ejecuta."),
        results_title="Resultados",
        results_intro=("La ejecución completa publicada, sobre las 25\u00a0000 reseñas de prueba oficiales "
                       "(semilla 42), de mejor a peor; la última columna es la dispersión entre semillas."),
        notebook_header="cuaderno", model_header="modelo", accuracy_header="exactitud (*accuracy*)",
        seeds_header="exactitud entre semillas (ejecuciones: media ± desviación típica)",
    ),
}

#: The editions ``make site`` builds, the first being the site's front page
#: (``make site EDITIONS=en`` builds one).
EDITIONS: tuple[str, ...] = ("en", "es")

BADGE_SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="117" height="20" role="img" aria-label="Open in Colab">
<rect width="117" height="20" rx="3" fill="#555"/><rect x="44" width="73" height="20" rx="3" fill="#f9ab00"/>
<rect x="44" width="6" height="20" fill="#f9ab00"/>
<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">
<text x="7" y="14">Open</text><text x="52" y="14" fill="#222">in Colab</text></g></svg>
"""

LANGUAGE_SWITCH = """<nav class="language-switch" aria-label="language">
{%- for edition in course_editions %}
  {%- if edition.lang == course_lang %}<strong lang="{{ edition.lang }}">{{ edition.label }}</strong>
  {%- else %}<a lang="{{ edition.lang }}" hreflang="{{ edition.lang }}" href="../{{ edition.lang }}/
{{- pagename if pagename in edition.pages else 'index' }}.html">{{ edition.label }}</a>{% endif %}
  {%- if not loop.last %} · {% endif %}
{%- endfor %}
</nav>
"""

#: The same switch in the article header, the bar every page shows at every width: on a phone the
#: sidebar (and its switch) is behind the menu button, so the header links to the same page in the
#: other edition(s) too.
HEADER_LANGUAGE_SWITCH = """<nav class="header-language-switch" aria-label="language">
{%- for edition in course_editions if edition.lang != course_lang %}
  <a class="btn btn-sm" lang="{{ edition.lang }}" hreflang="{{ edition.lang }}" href="../{{ edition.lang }}/
{{- pagename if pagename in edition.pages else 'index' }}.html">{{ edition.label }}</a>
{%- endfor %}
</nav>
"""

#: What MathJax 3 is told: TeX between \\( \\) and \\[ \\] (what Sphinx writes), inside
#: Sphinx's math elements only (a dollar sign in a table stays a dollar sign).
MATHJAX3_CONFIG = {
    "tex": {"inlineMath": [["\\(", "\\)"]], "displayMath": [["\\[", "\\]"]]},
    "options": {"processHtmlClass": "math", "ignoreHtmlClass": "document"},
}
#: The MathJax 3 bundle the site serves: TeX input, SVG output and every TeX extension in one
#: file, so no font or component is fetched later.
MATHJAX_FILE = "tex-svg-full.js"

FAVICON_SVG = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#f9ab00"/>
<path d="M3 11 Q6 3 8 8 T13 5" stroke="#222" stroke-width="1.6" fill="none"/></svg>
"""

CONF_TEMPLATE = '''# Generated by tools/course_tools/site.py from the notebook list: do not edit.
project = {title!r}
author = "the course's authors"
copyright = "the course's authors (MIT licence)"
language = {lang!r}
extensions = ["myst_nb"]
root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
templates_path = ["_templates"]
html_static_path = ["_static"]
html_theme = "sphinx_book_theme"
html_title = {title!r}
html_theme_options = {theme_options!r}
html_sidebars = {sidebars!r}
html_context = {context!r}
html_css_files = ["course.css"]
html_js_files = ["course.js"]
html_show_sourcelink = False
nb_execution_mode = "off"
nb_ipywidgets_js = {{}}
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
myst_update_mathjax = False
mathjax_path = "{mathjax_file}"
mathjax3_config = {mathjax!r}
html_favicon = "_static/favicon.svg"
suppress_warnings = ["mystnb.unknown_mime_type"]
'''

#: The smallest scale a notebook figure is shown at: matplotlib's 10-point text, saved at
#: ``savefig.dpi`` 110 (``course_utils.plots``), is 15 px high at the figure's natural size, so
#: 0.6 keeps it at 9 px or more; a figure wider than that scale allows scrolls inside its box.
FIGURE_MIN_SCALE = 0.6
#: A table cell with this many characters or more (a review) is given ``min-width: 16em`` so that
#: a narrow screen scrolls its table instead of wrapping the review two words a line.
LONG_CELL_CHARS = 40

CSS = """/* Generated by tools/course_tools/site.py: the course's additions to sphinx-book-theme. */
.language-switch { padding: 0.5rem 1rem; font-size: 0.9rem; }
.bd-header-article .header-article-items__end { display: flex; align-items: center; }
.header-language-switch { display: flex; align-items: center; }
.header-language-switch a.btn { font-size: 0.9rem; color: var(--pst-color-link); padding: 0 0.5rem; }

/* Phones. Tables of notebook output scroll inside their box (MyST-NB's .output and the theme's
   table container already have overflow-x: auto) and a long text cell keeps a readable width. */
.cell_output table td.course-long-cell, .cell_output table th.course-long-cell,
.pst-scrollable-table-container td.course-long-cell { min-width: 16em; }
/* A figure is never shown below FIGURE_MIN_SCALE of its natural width (course.js sets its
   min-width); wider than the column, it scrolls inside its output box. */
.cell_output:has(> img) { overflow-x: auto; }
/* Wide display equations: the theme's mjx-container scrolls (overflow: auto hidden); a shadow on
   the side that has more to show says so (the scroll-shadow technique: the two covers scroll with
   the content, the two shadows stay at the edges, so a shadow shows only where content is hidden). */
div.math mjx-container {
  overflow-x: auto;
  background:
    linear-gradient(to right, var(--pst-color-background) 30%, transparent) left center / 2.5rem 100% no-repeat local,
    linear-gradient(to left, var(--pst-color-background) 30%, transparent) right center / 2.5rem 100% no-repeat local,
    radial-gradient(farthest-side at 0 50%, rgba(0, 0, 0, 0.35), transparent) left center / 1rem 100% no-repeat scroll,
    radial-gradient(farthest-side at 100% 50%, rgba(0, 0, 0, 0.35), transparent) right center / 1rem 100% no-repeat scroll;
  scrollbar-width: thin;
}
"""

#: The site's script: the menu fix for phones (see docs/site.md) and the two layout helpers above.
JS = string.Template("""// Generated by tools/course_tools/site.py: see docs/site.md, "On a phone".
(() => {
  "use strict";
  const FIGURE_MIN_SCALE = $figure_min_scale;
  const LONG_CELL_CHARS = $long_cell_chars;

  // pydata-sphinx-theme 0.20.0 (issue #2451) and sphinx-book-theme 1.4.0 bind their sidebar
  // buttons with document.querySelector(".primary-toggle"), i.e. to the first such button in the
  // page: the top navbar's, which sphinx-book-theme hides. The button shown (in the article
  // header) gets no listener, so on a narrow screen the menu never opens. Each other button hands
  // its click to the bound one; capturing and stopping it first, so a theme that binds every
  // button one day does not open the sidebar twice. It also loses focus first, as
  // sphinx-book-theme means its buttons to (its blur-on-click is bound to the hidden twin too):
  // else, when the sidebar closes, focus returns to it and its tooltip covers the header.
  function forwardToggles(kind) {
    const [bound, ...others] = document.querySelectorAll(kind);
    if (!bound) return;
    for (const button of others) {
      button.addEventListener("click", (event) => {
        event.preventDefault();
        event.stopImmediatePropagation();
        button.blur();
        bound.click();
      }, true);
    }
  }

  function keepLegible(img) {
    if (img.naturalWidth) img.style.minWidth = Math.round(img.naturalWidth * FIGURE_MIN_SCALE) + "px";
  }

  function ready() {
    forwardToggles(".primary-toggle");
    forwardToggles(".secondary-toggle");
    for (const img of document.querySelectorAll(".cell_output img")) {
      if (img.complete) keepLegible(img);
      else img.addEventListener("load", () => keepLegible(img), { once: true });
    }
    for (const cell of document.querySelectorAll(".cell_output td, .cell_output th, .pst-scrollable-table-container td")) {
      if (cell.textContent.trim().length >= LONG_CELL_CHARS) cell.classList.add("course-long-cell");
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
""").substitute(figure_min_scale=FIGURE_MIN_SCALE, long_cell_chars=LONG_CELL_CHARS)


def mathjax_bundle() -> Path:
    """The MathJax 3 bundle that the ``sphinx-mathjax-offline`` package installs."""
    from importlib import metadata

    try:
        files = metadata.distribution("sphinx-mathjax-offline").files or []
    except metadata.PackageNotFoundError as exc:
        raise RuntimeError("sphinx-mathjax-offline (MathJax for the site) is not installed: "
                           "run `make setup`.") from exc
    found = [Path(f.locate()) for f in files if f.name == MATHJAX_FILE]
    if not found or not found[0].is_file():
        raise RuntimeError(f"{MATHJAX_FILE} is missing from sphinx-mathjax-offline: reinstall it.")
    return found[0]


def resolve_editions(names: Sequence[str]) -> list[Edition]:
    """The editions named, in order; a clear error for an unknown or repeated name."""
    if not names:
        raise ValueError(f"Name at least one edition, e.g. {list(EDITIONS)}.")
    unknown = [n for n in names if n not in KNOWN_EDITIONS]
    if unknown:
        raise ValueError(f"Unknown edition(s) {unknown}: known are {sorted(KNOWN_EDITIONS)} "
                         "(add one to course_tools.site.KNOWN_EDITIONS).")
    if len(set(names)) != len(names):
        raise ValueError(f"An edition is named twice in {list(names)}.")
    return [KNOWN_EDITIONS[n] for n in names]


def edition_notebooks(edition: Edition, root: Path = ROOT) -> list[Path]:
    """The edition's numbered notebooks, in course order; an error if it has none."""
    folder = root / edition.folder
    notebooks = discover(folder) if folder.is_dir() else []
    if not notebooks:
        raise FileNotFoundError(f"Edition {edition.lang!r} has no notebooks (NN_name.ipynb) in {folder}: "
                                "add them, or leave the edition out of EDITIONS.")
    return notebooks


def notebook_title(nb: nbformat.NotebookNode, path: Path) -> str:
    """The first level-1 heading of the notebook's first cell."""
    for line in nb.cells[0].source.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    raise ValueError(f"{path}: the first cell has no '# ' title (see tests/test_project.py).")


def page_notebook(path: Path, root: Path = ROOT) -> tuple[nbformat.NotebookNode, str]:
    """A notebook as the site shows it, and its title: the Colab badge keeps its link (the
    pinned release) and shows a local image, so a page loads nothing from elsewhere."""
    nb = nbformat.read(path, as_version=4)
    relative = path.relative_to(root / "notebooks").as_posix()
    badge = cells.colab_badge(relative)
    first = nb.cells[0]
    if first.cell_type != "markdown" or not first.source.startswith(badge):
        raise ValueError(f"{path}: the first cell does not start with the Colab badge of {config.COURSE_REF} "
                         f"({badge}); run `make cells`, then `make release-check`.")
    local = f"[![Open In Colab](_static/colab-badge.svg)]({cells.colab_url(relative)})"
    first.source = local + first.source[len(badge):]
    return nb, notebook_title(nb, path)


def results_markdown(edition: Edition, pages: dict[str, str]) -> str:
    """The results page, drawn from ``results.summary()`` (as README's table), in the edition's
    words and number typography.

    Parameters
    ----------
    edition : Edition
        Whose words to use.
    pages : dict
        Notebook stem -> title of the edition's pages, to link each model to its notebook.
    """
    from course_utils import i18n, results

    def number(value: float) -> str:
        return i18n.fmt_number(value, 3, edition=edition.lang)

    lines = [f"# {edition.results_title}", "", edition.results_intro, "",
             f"| {edition.model_header} | {edition.notebook_header} | {edition.accuracy_header} | F1 | ROC-AUC "
             f"| {edition.seeds_header} |", "| --- | --- | ---: | ---: | ---: | --- |"]
    for model, row in results.summary().iterrows():
        stem = row["notebook"]
        where = f"[{stem[:2]}]({stem}.ipynb)" if stem in pages else stem[:2]
        seeds = "" if pd.isna(row["seed_runs"]) else \
            f"{int(row['seed_runs'])}: {number(row['seed_mean'])} ± {number(row['seed_sd'])}"
        lines.append(f"| `{model}` | {where} | {number(row['accuracy'])} | {number(row['f1'])} "
                     f"| {number(row['roc_auc'])} | {seeds} |")
    return "\n".join(lines) + "\n"


def index_markdown(edition: Edition, titles: dict[str, str]) -> str:
    """The edition's front page: the notebooks in course order, each with its Colab link."""
    lines = [f"# {edition.title}", "", edition.intro, ""]
    for stem, title in titles.items():
        relative = (Path(edition.folder).relative_to("notebooks") / f"{stem}.ipynb").as_posix()
        lines.append(f"1. [{title}]({stem}.ipynb) · [Colab]({cells.colab_url(relative)})")
    lines += ["", f"[{edition.results_title}](results.md)", "", "```{toctree}", ":hidden:", ":maxdepth: 1", ""]
    lines += [f"{stem}.ipynb" for stem in titles] + ["results.md", "```", ""]
    return "\n".join(lines)


def conf_py(edition: Edition, editions: Sequence[Edition], pages: dict[str, list[str]]) -> str:
    """The edition's Sphinx ``conf.py``: plain values only."""
    sidebars = {"**": ["navbar-logo.html", "search-button-field.html", "sbt-sidebar-nav.html"]}
    context: dict = {"course_lang": edition.lang, "default_mode": "auto"}
    if len(editions) > 1:
        sidebars["**"].insert(1, "language-switch.html")
        context["course_editions"] = [{"lang": e.lang, "label": e.label, "pages": pages[e.lang]}
                                      for e in editions]
    theme = {"repository_url": config.REPO_URL, "use_repository_button": True,
             "use_download_button": False, "home_page_in_toc": True}
    if len(editions) > 1:  # the header's switch, beside the theme's buttons (see HEADER_LANGUAGE_SWITCH)
        theme["article_header_end"] = ["header-language-switch.html", "article-header-buttons.html"]
    return CONF_TEMPLATE.format(title=edition.title, lang=edition.lang, theme_options=theme,
                                sidebars=sidebars, context=context, mathjax=MATHJAX3_CONFIG,
                                mathjax_file=MATHJAX_FILE)


def write_sources(edition: Edition, editions: Sequence[Edition], src: Path, root: Path = ROOT) -> None:
    """Generate one edition's Sphinx project into ``src`` (emptied first)."""
    if src.exists():
        shutil.rmtree(src)
    (src / "_static").mkdir(parents=True)
    (src / "_templates").mkdir()
    titles: dict[str, str] = {}
    for path in edition_notebooks(edition, root):
        nb, titles[path.stem] = page_notebook(path, root)
        nbformat.write(nb, src / path.name)
    pages = {e.lang: ["index", "results", *(p.stem for p in edition_notebooks(e, root))] for e in editions}
    (src / "index.md").write_text(index_markdown(edition, titles), encoding="utf-8")
    (src / "results.md").write_text(results_markdown(edition, titles), encoding="utf-8")
    (src / "conf.py").write_text(conf_py(edition, editions, pages), encoding="utf-8")
    (src / "_templates" / "language-switch.html").write_text(LANGUAGE_SWITCH, encoding="utf-8")
    (src / "_templates" / "header-language-switch.html").write_text(HEADER_LANGUAGE_SWITCH, encoding="utf-8")
    (src / "_static" / "colab-badge.svg").write_text(BADGE_SVG, encoding="utf-8")
    (src / "_static" / "course.css").write_text(CSS, encoding="utf-8")
    (src / "_static" / "course.js").write_text(JS, encoding="utf-8")
    (src / "_static" / "favicon.svg").write_text(FAVICON_SVG, encoding="utf-8")
    shutil.copyfile(mathjax_bundle(), src / "_static" / MATHJAX_FILE)


def build_site(output: str | Path = ROOT / "build" / "site", editions: Sequence[str] = EDITIONS,
               root: str | Path = ROOT, quiet: bool = True) -> Path:
    """Build the website of the named editions into ``output`` (replaced only when complete).

    Parameters
    ----------
    output : path
        The site's folder, e.g. ``build/site``.
    editions : sequence of str
        Edition codes in ``KNOWN_EDITIONS``; the first is the front page.
    root : path
        The repository whose notebooks to publish.
    quiet : bool
        Pass ``-q`` to Sphinx.

    Returns
    -------
    Path
        ``output``.

    Raises
    ------
    ValueError, FileNotFoundError
        For an unknown edition, an edition without notebooks or a notebook without its badge.
    RuntimeError
        When Sphinx fails or warns (every warning is an error: a missing image or a broken
        cross-reference must not reach the site).
    """
    chosen = resolve_editions(list(editions))
    root, output = Path(root).resolve(), Path(output).resolve()
    for edition in chosen:  # every edition has its notebooks, or nothing is built
        edition_notebooks(edition, root)
    src_root = output.parent / f"{output.name}-src"
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}-", dir=output.parent))
    try:
        for edition in chosen:
            src = src_root / edition.lang
            write_sources(edition, chosen, src, root)
            # MyST-NB writes its output files beside Sphinx's output folder, so Sphinx builds in
            # the sources' folder and the finished edition moves into the site.
            html = src_root / "_html" / edition.lang
            shutil.rmtree(html, ignore_errors=True)
            command = [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-j", "1",
                       "-d", str(src_root / ".doctrees" / edition.lang), str(src), str(html)]
            if quiet:
                command.insert(3, "-q")
            run = subprocess.run(command, capture_output=True, text=True)
            if run.returncode != 0:
                raise RuntimeError(f"Sphinx failed on the {edition.lang!r} edition (sources in {src}):\n"
                                   f"{run.stderr.strip() or run.stdout[-3000:]}")
            html.rename(staging / edition.lang)
        first = chosen[0].lang
        write_text_atomic(staging / "index.html", (
            '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>' + chosen[0].title + "</title>\n"
            f'<meta http-equiv="refresh" content="0; url={first}/index.html">\n'
            f'<link rel="canonical" href="{first}/index.html">\n'
            '<link rel="icon" href="data:,"></head>\n'
            f'<body><p><a href="{first}/index.html">{chosen[0].title}</a></p></body></html>\n'))
        (staging / ".nojekyll").touch()
        staging.chmod(0o755)
        if output.exists():
            old = output.with_name(f".{output.name}-old")
            shutil.rmtree(old, ignore_errors=True)
            output.rename(old)
            staging.rename(output)
            shutil.rmtree(old)
        else:
            staging.rename(output)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return output


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m course_tools.site [--editions en es] [--output DIR]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", default=str(ROOT / "build" / "site"), help="the site's folder")
    parser.add_argument("--editions", nargs="+", default=list(EDITIONS),
                        help=f"edition codes, first = front page (known: {', '.join(KNOWN_EDITIONS)})")
    args = parser.parse_args(argv)
    try:
        out = build_site(args.output, args.editions)
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        print(f"make site: {exc}", file=sys.stderr)
        return 1
    print(f"site: {out}/index.html ({', '.join(args.editions)}); serve it with "
          f"`python -m http.server -d {out} -b 127.0.0.1`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
