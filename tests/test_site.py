"""The course website (`make site`), opened in a real browser: Debian's Chromium driven by
Playwright, over a local HTTP server on 127.0.0.1."""
from __future__ import annotations

import base64
import functools
import http.server
import json
import os
import re
import sys
import shutil
import threading
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urldefrag

import nbformat
import pytest

from course_utils import results
from course_tools import cells, nbclean, site

pytestmark = [pytest.mark.browser, pytest.mark.network]

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _png() -> str:
    """A small figure, base64-encoded as a notebook stores it."""
    import io
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(1, 1))
    axes.plot([0, 1], [1, 0])
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode()


@pytest.fixture(scope="module")
def browser():
    from playwright import sync_api as playwright_api  # pyproject's dev extra: make setup installs it

    # Debian's chromium (make setup installs it); $COURSE_BROWSER names another Chromium-based
    # browser, e.g. the Chrome of GitHub's Ubuntu runner, whose `chromium` is a snap stub.
    executable = os.environ.get("COURSE_BROWSER") or shutil.which("chromium")
    assert executable, "Debian's chromium is not installed: run `make setup` (apt-get install chromium)"
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable)
        yield chromium
        chromium.close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest's output readable
        pass


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):  # the browser dropped a request it no longer needed
            super().handle_error(request, client_address)


@pytest.fixture
def serve():
    servers = []

    def start(folder: Path) -> str:
        handler = functools.partial(_Quiet, directory=str(folder))
        server = _Server(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


#: True once MathJax has typeset every math element that Sphinx wrote (its output: mjx-container).
MATH_DONE = """() => [...document.querySelectorAll('.math.notranslate')]
  .every(m => m.querySelector('mjx-container'))"""

IMAGES_BROKEN = """async () => {
  const images = [...document.images];
  images.forEach(img => { img.loading = 'eager'; });
  await Promise.all(images.map(img => img.decode().catch(() => null)));
  return images.filter(img => !img.complete || img.naturalWidth === 0).map(img => img.src);
}"""


def crawl(browser, base: str) -> dict[str, dict]:
    """Open the site's root, which must lead to the first edition, then every page reachable
    from there; what each showed and loaded.

    Returns page URL -> {"errors": console errors, failed requests and HTTP errors,
    "math": typeset math elements, "images": images loaded, "broken_images", "links": hrefs,
    "nav": the sidebar's links in order, "switch": the language switch's links}.
    """
    from playwright import sync_api as playwright_api

    page = browser.new_page()
    page.goto(base)
    page.wait_for_url(base + "en/index.html")  # the root page forwards to the first edition
    page.close()
    seen: dict[str, dict] = {}
    queue = [base + "en/index.html"]
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        errors: list[str] = []
        page = browser.new_page()
        page.on("console", lambda msg, errors=errors: msg.type == "error" and errors.append(msg.text))
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        page.on("requestfailed", lambda req, errors=errors: errors.append(f"failed: {req.url}"))
        page.on("response", lambda res, errors=errors: res.status >= 400 and errors.append(f"{res.status}: {res.url}"))
        page.goto(url, wait_until="load")
        try:
            page.wait_for_function(MATH_DONE, timeout=20_000)
        except playwright_api.TimeoutError:
            errors.append("MathJax did not typeset every equation within 20 s")
        info = {
            "errors": errors,
            "math_sources": page.locator(".math.notranslate").count(),
            "math": page.locator(".math.notranslate mjx-container svg").count(),
            "math_errors": page.locator("mjx-merror, [data-mjx-error]").count(),
            "images": page.evaluate("document.images.length"),
            "broken_images": page.evaluate(IMAGES_BROKEN),
            "links": page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"),
            "nav": page.eval_on_selector_all("nav.bd-docs-nav a[href]", "els => els.map(e => e.href)"),
            "switch": page.eval_on_selector_all(".language-switch a[href]", "els => els.map(e => e.href)"),
            "tables": page.eval_on_selector_all(
                "table", "els => els.map(t => [...t.rows].map(r => [...r.cells].map(c => c.innerText.trim())))"),
            "text": page.inner_text("body"),
        }
        page.close()
        seen[url] = info
        for link in info["links"]:
            target = urldefrag(link)[0]
            if target.startswith(base) and target.endswith(".html") and target not in seen:
                queue.append(target)
    return seen


def _check_every_page(pages: dict[str, dict], base: str) -> None:
    problems = {url: info["errors"] + [f"broken image {src}" for src in info["broken_images"]]
                + ([f"{info['math_errors']} MathJax errors"] if info["math_errors"] else [])
                + ([f"{info['math']} of {info['math_sources']} equations typeset"]
                   if info["math"] != info["math_sources"] else [])
                for url, info in pages.items()}
    assert {url: p for url, p in problems.items() if p} == {}
    internal = {urldefrag(link)[0] for info in pages.values() for link in info["links"]
                if link.startswith(base)}
    assert {link: code for link in sorted(internal) if (code := _status(link)) != 200} == {}


@pytest.fixture(scope="module")
def real_site(tmp_path_factory):
    return site.build_site(tmp_path_factory.mktemp("real") / "site")


def test_the_course_site_renders_every_notebook_with_math_figures_tables_and_working_links(
        browser, serve, real_site):
    base = serve(real_site)
    pages = crawl(browser, base)
    _check_every_page(pages, base)
    en = base + "en/"
    notebook_pages = [en + p.stem + ".html" for p in NOTEBOOKS]
    assert set(notebook_pages) <= set(pages), "a notebook has no page"
    # navigation in course order: the sidebar lists the notebooks by number, then the results
    nav = [urldefrag(link)[0] for link in pages[en + "index.html"]["nav"]]
    assert [link for link in nav if link in notebook_pages] == notebook_pages
    assert nav.index(en + "results.html") > nav.index(notebook_pages[-1])
    # math typeset wherever a notebook's text has equations (05 and 06 write the gates out)
    with_math = {p.stem for p in NOTEBOOKS if any(c.cell_type == "markdown" and "$" in re.sub(r"`[^`]*`", "", c.source)
                                                   for c in nbformat.read(p, 4).cells)}
    assert {"05_lstm", "06_gru"} <= with_math
    assert {stem for stem in with_math if pages[en + stem + ".html"]["math"] == 0} == set()
    # every committed figure is on its page (each notebook's badge is an image too)
    figures = {p.stem: sum("image/png" in o.get("data", {}) for c in nbformat.read(p, 4).cells
                           for o in c.get("outputs", [])) for p in NOTEBOOKS}
    assert {stem: pages[en + stem + ".html"]["images"] for stem in figures} == \
        {stem: n + 1 for stem, n in figures.items()}
    # every table a notebook printed (pandas' HTML) is on its page, beside those of its Markdown
    html_tables = {p.stem: sum(o.get("data", {}).get("text/html", "").count("<table") for c in nbformat.read(p, 4).cells
                               for o in c.get("outputs", [])) for p in NOTEBOOKS}
    assert sum(html_tables.values()) >= 10
    assert {stem: n for stem, n in html_tables.items() if len(pages[en + stem + ".html"]["tables"]) < n} == {}
    # the Colab badge opens the pinned release of each notebook
    for path in NOTEBOOKS:
        assert cells.colab_url(path.name) in pages[en + path.stem + ".html"]["links"]
        assert cells.colab_url(path.name) in pages[en + "index.html"]["links"]
    # the results page is generated from the committed records, best first
    records = json.loads(results.RECORDS.read_text())
    best = max(records, key=lambda r: r["accuracy"])
    result = pages[en + "results.html"]
    [table] = result["tables"]
    assert len(table) == len(records) + 1
    assert table[1][:3] == [best["model"], best["notebook"][:2], f"{best['accuracy']:.3f}"]
    assert [row[0] for row in table[1:]] == [r["model"] for r in sorted(records, key=lambda r: -r["accuracy"])]
    spread = results.seed_spread().query("metric == 'accuracy'").set_index("model")
    for row in table[1:]:
        runs = spread["runs"].get(row[0], 0)
        assert row[-1] == (f"{runs}: {spread.loc[row[0], 'mean']:.3f} ± {spread.loc[row[0], 'sd']:.3f}"
                           if runs >= 2 else ""), row
    # with both editions built (the default), every page switches to the other language, else none does
    assert all(bool(info["switch"]) is (len(site.EDITIONS) > 1) for info in pages.values())


def _notebook(path: Path, relative: str, title: str, math: str) -> None:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": nbclean.KERNELSPEC, "language_info": nbclean.LANGUAGE_INFO})
    figure = nbformat.v4.new_output("display_data", data={"image/png": _png(), "text/plain": "<Figure>"})
    code = nbformat.v4.new_code_cell("plot()", outputs=[figure])
    nb.cells = [nbformat.v4.new_markdown_cell(f"{cells.colab_badge(relative)}\n\n# {title}\n\nInline $x_t$."),
                nbformat.v4.new_code_cell(cells.SETUP_CELL), nbformat.v4.new_code_cell(cells.PARAMETERS_CELL),
                nbformat.v4.new_markdown_cell(f"$$\n{math}\n$$"), code]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def two_editions(tmp_path_factory):
    """A small course in English (two notebooks) and Spanish (the first one only)."""
    repo = tmp_path_factory.mktemp("repo")
    _notebook(repo / "notebooks" / "01_first.ipynb", "01_first.ipynb", "01 · First", r"h_t = \tanh(W x_t)")
    _notebook(repo / "notebooks" / "02_second.ipynb", "02_second.ipynb", "02 · Second", r"z_t = \sigma(x_t)")
    _notebook(repo / "notebooks" / "es" / "01_first.ipynb", "es/01_first.ipynb", "01 · Primero",
              r"h_t = \tanh(W x_t)")
    return site.build_site(repo / "build" / "site", ["en", "es"], root=repo)


def test_two_editions_get_a_language_switch_to_the_same_page_or_the_front_page(browser, serve, two_editions):
    base = serve(two_editions)
    pages = crawl(browser, base)
    _check_every_page(pages, base)
    en, es = base + "en/", base + "es/"
    assert {en + "01_first.html", en + "02_second.html", es + "01_first.html", es + "results.html"} <= set(pages)
    assert pages[en + "01_first.html"]["switch"] == [es + "01_first.html"]
    assert pages[es + "01_first.html"]["switch"] == [en + "01_first.html"]
    assert pages[en + "02_second.html"]["switch"] == [es + "index.html"], "no Spanish page: its front page"
    assert pages[es + "results.html"]["switch"] == [en + "results.html"]
    assert pages[es + "01_first.html"]["math"] >= 2 and pages[es + "01_first.html"]["images"] == 2
    assert cells.colab_url("es/01_first.ipynb") in pages[es + "01_first.html"]["links"]
    assert "Resultados" in pages[es + "results.html"]["text"]


#: What a 400-px screen shows of a page: the page's own horizontal overflow, every table's and
#: wide equation's scrolling box, each notebook figure's scale and each long table cell's width.
PHONE_LAYOUT = """() => {
  const scroller = el => {  // the nearest box that scrolls sideways (el itself included)
    for (let c = el; c && c !== document.body; c = c.parentElement)
      if (['auto', 'scroll'].includes(getComputedStyle(c).overflowX)) return c;
    return null;
  };
  const box = c => c && {scrollWidth: c.scrollWidth, clientWidth: c.clientWidth,
                          overflowX: getComputedStyle(c).overflowX,
                          background: getComputedStyle(c).backgroundImage,
                          attachment: getComputedStyle(c).backgroundAttachment};
  return {
    page: document.documentElement.scrollWidth, body: document.body.scrollWidth,
    tables: [...document.querySelectorAll('article table')].map(t => ({width: t.scrollWidth, box: box(scroller(t))})),
    long_cells: [...document.querySelectorAll('article td')].filter(td => td.innerText.trim().length >= 40)
      .map(td => ({width: td.getBoundingClientRect().width, em: parseFloat(getComputedStyle(td).fontSize)})),
    figures: [...document.querySelectorAll('.cell_output img')].map(img => ({
      natural: img.naturalWidth, shown: img.getBoundingClientRect().width, box: box(scroller(img))})),
    equations: [...document.querySelectorAll('div.math mjx-container')].map(m => ({
      width: m.firstElementChild.getBoundingClientRect().width, box: box(scroller(m))})),
  };
}"""


def _phone_page(browser, url: str):
    from playwright import sync_api as playwright_api

    page = browser.new_page(viewport={"width": 400, "height": 800})
    page.goto(url, wait_until="load")
    try:
        page.wait_for_function(MATH_DONE, timeout=20_000)
    except playwright_api.TimeoutError:
        pass  # the layout checks say what is missing
    page.evaluate(IMAGES_BROKEN)  # every image decoded, so that its size is final
    return page


def test_on_a_400_px_screen_the_menu_opens_the_language_switches_and_wide_content_scrolls_in_its_box(
        browser, serve, real_site):
    if len(site.EDITIONS) < 2:
        pytest.skip("one edition built: no language switch to follow")
    base = serve(real_site)
    first, second = site.resolve_editions(site.EDITIONS[:2])
    stem = "05_lstm"  # tables of reviews, figures and the gate equations, wider than a phone
    page = _phone_page(browser, base + f"{first.lang}/{stem}.html")
    # the menu button (the visible one: the theme hides the navbar's twin) opens the table of contents
    toc = page.locator("nav.bd-docs-nav")
    assert not toc.is_visible(), "on a phone the sidebar starts closed"
    [menu] = [button for button in page.locator(".primary-toggle").all() if button.is_visible()]
    menu.click()
    toc.wait_for(state="visible", timeout=5_000)
    notebooks = [base + f"{first.lang}/{p.stem}.html" for p in NOTEBOOKS]
    listed = [urldefrag(link)[0] for link in toc.locator("a[href]").evaluate_all("els => els.map(e => e.href)")]
    assert [link for link in listed if link in notebooks] == notebooks
    page.keyboard.press("Escape")
    toc.wait_for(state="hidden", timeout=5_000)
    # the wide content scrolls inside its own box, never the page
    layout = page.evaluate(PHONE_LAYOUT)
    wide_tables = [t for t in layout["tables"] if t["width"] > 400]
    assert wide_tables, "05 prints tables wider than a phone"
    assert all(t["box"] and t["box"]["overflowX"] in ("auto", "scroll")
               and t["box"]["scrollWidth"] > t["box"]["clientWidth"] for t in wide_tables), wide_tables
    assert layout["long_cells"], "05 shows reviews in a table"
    assert all(c["width"] >= 15 * c["em"] for c in layout["long_cells"]), \
        f"a review wrapped into a narrow column: {layout['long_cells']}"
    for figure in layout["figures"]:  # text at 9 px or more: see site.FIGURE_MIN_SCALE
        assert figure["shown"] >= min(figure["natural"] * site.FIGURE_MIN_SCALE, figure["natural"]) - 1, figure
        if figure["shown"] > 400:
            assert figure["box"] and figure["box"]["clientWidth"] <= 400 < figure["box"]["scrollWidth"], figure
    wide_math = [e for e in layout["equations"] if e["width"] > 400]
    assert wide_math, "05's gate equations are wider than a phone"
    for equation in wide_math:  # it scrolls, and a shadow on its edge says there is more
        assert equation["box"] and equation["box"]["clientWidth"] <= 400 < equation["box"]["scrollWidth"], equation
        assert "gradient" in equation["box"]["background"] and "local" in equation["box"]["attachment"], equation
    # the header's language switch (the sidebar's is behind the menu) leads to the same notebook
    switch = page.locator(".bd-header-article .header-language-switch a")
    assert switch.is_visible()
    switch.click()
    page.wait_for_url(base + f"{second.lang}/{stem}.html")
    title = site.notebook_title(nbformat.read(ROOT / second.folder / f"{stem}.ipynb", 4), Path(stem))
    assert page.evaluate("document.documentElement.lang") == second.lang
    assert page.locator("article h1").first.inner_text().strip().rstrip("#").strip() == title
    page.close()
    # no page of either edition is wider than the screen
    wider = {}
    for path in sorted(real_site.glob("*/*.html")):
        page = _phone_page(browser, base + path.relative_to(real_site).as_posix())
        if (width := page.evaluate("document.documentElement.scrollWidth")) > 402:
            wider[path.relative_to(real_site).as_posix()] = width
        page.close()
    assert wider == {}
