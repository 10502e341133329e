"""The Spanish edition: complete catalogues, generated notebooks in step, changes caught."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest

from course_tools import edition
from course_utils import config
from course_tools.cells import PARAMETERS_CELL, colab_badge, parameters_cell, setup_cell
from course_tools.nbclean import clean_text, smudge_text

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
IDS = [p.stem for p in NOTEBOOKS]
LOCALE = "es"
#: The graded assignments' otter source notebooks: translated by the same machinery.
ASSIGNMENTS = sorted((ROOT / "assignments").glob("a[0-9]*_*.ipynb"))
#: Every English notebook with a Spanish edition, and the collection it belongs to.
TRANSLATED = [(path, c) for c in edition.COLLECTIONS for path in c.find(c.source_dir)]
ALL_IDS = [path.stem for path, _ in TRANSLATED]


def _markdown(path: Path) -> list[str]:
    return [c.source for c in nbformat.read(path, 4).cells if c.cell_type == "markdown"]


def reads_as_spanish(text: str, english: str) -> bool:
    """A cell with some evidence (3+ function words) must be >= 80 % Spanish; a short one (a
    heading) must differ from the English and hold no English function word."""
    share, n = edition.spanish_share(text)
    if n >= 3:
        return share >= 0.8
    return text.strip() != english.strip() and not set(edition.prose_words(text)) & edition.ENGLISH_WORDS


# -- the committed catalogues and notebooks -------------------------------------------------------

def test_both_collections_are_translated():
    assert [c.name for c in edition.COLLECTIONS] == ["notebooks", "assignments"]
    assert [p for p, c in TRANSLATED if c.name == "notebooks"] == NOTEBOOKS
    assert [p for p, c in TRANSLATED if c.name == "assignments"] == ASSIGNMENTS and len(ASSIGNMENTS) == 3


def test_every_entry_is_translated_and_none_is_fuzzy():
    for collection in edition.COLLECTIONS:  # raises, listing them, on missing/untranslated/fuzzy entries
        edition.build(LOCALE, notebook_dir=collection.source_dir, locales_dir=collection.locales_dir,
                      find=collection.find, write=False)
    for path, collection in TRANSLATED:
        catalog = edition.read_catalogue(edition.catalogue_path(LOCALE, path.stem, collection.locales_dir))
        messages = [m for m in catalog if m.id]
        assert len(messages) == len(edition.markdown_sources(nbformat.read(path, 4)))
        assert all(m.string and not m.fuzzy for m in messages), path.name
    package = edition.read_catalogue(edition.package_catalogue_path(LOCALE))
    assert all(m.string and not m.fuzzy for m in package if m.id)


@pytest.mark.parametrize("path,collection", TRANSLATED, ids=ALL_IDS)
def test_catalogue_is_up_to_date_with_the_english(path, collection):
    """`update` would change nothing: no new cell left out, no cell changed behind its back."""
    po = edition.catalogue_path(LOCALE, path.stem, collection.locales_dir)
    sources = [(s.context, s.text, [(path.name, s.index + 1)])
               for s in edition.markdown_sources(nbformat.read(path, 4))]
    merged, report = edition.merge(edition.read_catalogue(po), sources, LOCALE, path.stem)
    assert not report.added and not report.fuzzy and not report.obsolete
    def entries(catalog):  # what a translator sees; not the header, which names Babel's version
        return [(m.context, m.id, m.string, sorted(m.flags), m.previous_id) for m in catalog if m.id] + \
               sorted((m.context or "", m.id) for m in catalog.obsolete.values())
    assert entries(merged) == entries(edition.read_catalogue(po)), "run `make edition`"


@pytest.mark.parametrize("collection", edition.COLLECTIONS, ids=lambda c: c.name)
def test_committed_spanish_notebooks_are_built_from_the_catalogues(tmp_path, collection):
    edition.build(LOCALE, notebook_dir=collection.source_dir, locales_dir=collection.locales_dir,
                  find=collection.find, filtered=collection.filtered, setup=collection.setup, output_dir=tmp_path)
    committed = collection.find(collection.source_dir / LOCALE)
    assert [p.name for p in committed] == [p.name for p in collection.find(collection.source_dir)]
    for path in committed:
        built, ours = nbformat.read(tmp_path / path.name, 4), nbformat.read(path, 4)
        # outputs may come from executing the Spanish notebook; the text must be the catalogue's
        assert [(c.cell_type, c.source, c.metadata) for c in ours.cells] == \
               [(c.cell_type, c.source, c.metadata) for c in built.cells], f"{path.name}: run `make edition`"
        raw = path.read_text(encoding="utf-8")
        # clean, as committed, or as a checkout through the smudge filter holds it (this Python's version)
        assert raw in (clean_text(raw), smudge_text(clean_text(raw))), f"{path.name} is not clean (nbclean)"


@pytest.mark.parametrize("path,collection", TRANSLATED, ids=ALL_IDS)
def test_code_cells_are_the_english_ones_and_only_the_edition_parameter_is_added(path, collection):
    """Only prose is translated: code cells, and the assignments' otter cells (raw: questions,
    points, solution and test markers), are the English ones, so both editions grade alike."""
    english = nbformat.read(path, 4)
    spanish = nbformat.read(path.parent / LOCALE / path.name, 4)
    assert [c.cell_type for c in spanish.cells] == [c.cell_type for c in english.cells]
    assert [es.source for es, en in zip(spanish.cells, english.cells) if en.cell_type == "raw"] == \
           [en.source for en in english.cells if en.cell_type == "raw"]
    code = [(en, es) for en, es in zip(english.cells, spanish.cells) if en.cell_type == "code"]
    for position, (en, es) in enumerate(code):
        assert es.metadata == en.metadata
        if position == 0 and collection.setup:  # the setup cell: the same code, its messages in Spanish
            assert es.source == setup_cell(config.REPO_URL, config.COURSE_REF, "es") != en.source
            assert es.source.splitlines()[1:4] == en.source.splitlines()[1:4]
        elif "parameters" in en.metadata.get("tags", []):  # the same code, its comments in Spanish
            assert es.source == parameters_cell("es")
            assert _code(es.source) == _code(en.source) + ['edition = "es"']
        else:
            assert es.source == en.source


def _code(cell):
    """A cell's lines without their comments."""
    return [line.split("#", 1)[0].rstrip() for line in cell.splitlines() if line.split("#", 1)[0].strip()]


def test_the_spanish_parameters_cell_has_spanish_comments_and_the_same_code():
    """The one cell students are told to edit reads in their language (review L30)."""
    english, spanish = parameters_cell("en"), parameters_cell("es")
    assert english == PARAMETERS_CELL
    assert _code(spanish) == _code(english) + ['edition = "es"']
    comments = [line.split("#", 1)[1] for line in spanish.splitlines() if "#" in line]
    assert len(comments) == 5 and not any(c in "\n".join(comments) for c in ("the real course", "beside", "seed", "these"))
    assert "perfil" in spanish and "semilla" in spanish
    compile(spanish, "parameters-es", "exec")


def test_the_spanish_setup_cell_speaks_spanish_and_runs_the_same_install():
    english, spanish = (setup_cell("https://github.com/o/r", "v9", e) for e in ("en", "es"))
    assert "Instalando el paquete del curso {REF} (unos 70 MB" in spanish and "no está instalado" in spanish
    assert "Installing" not in spanish and "Preparación" in spanish.splitlines()[0]
    def code(cell):
        return [line for line in cell.splitlines() if "subprocess.run" in line or "REPO_URL, REF" in line
                or "git+" in line]
    assert code(spanish) == code(english)
    compile(spanish, "setup-es", "exec")  # valid Python


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_spanish_badge_opens_the_spanish_notebook(path):
    first = _markdown(ROOT / "notebooks" / LOCALE / path.name)[0]
    badge, title = first.split("\n\n", 1)
    assert badge == colab_badge(f"es/{path.name}") and "/notebooks/es/" in badge
    assert title.startswith(f"# {path.stem[:2]} ·")


@pytest.mark.parametrize("path,collection", TRANSLATED, ids=ALL_IDS)
def test_spanish_markdown_reads_as_spanish_and_the_check_rejects_english(path, collection):
    english = [s.text for s in edition.markdown_sources(nbformat.read(path, 4))]
    spanish = [edition._BADGE.sub("", t, count=1) for t in _markdown(path.parent / LOCALE / path.name)]
    assert len(spanish) == len(english)
    for es, en in zip(spanish, english):
        assert reads_as_spanish(es, en), f"{path.name}: reads as English: {es[:80]!r}"
        assert not reads_as_spanish(en, en), f"the check would let this English cell through: {en[:80]!r}"


def test_function_word_share_ignores_code_math_links_and_quoted_reviews():
    text = ("La reseña `the model is on the GPU` dice $\\text{the and of}$ en [el cuaderno](the_and_of.ipynb) "
            "que «this is the best film of the year» y \"not at all bad\" y que es la mejor.\n"
            "> the and of is to in\n")
    share, n = edition.spanish_share(text)
    assert share == 1.0 and n >= 6
    assert edition.spanish_share("The model reads the review and then it decides.")[0] == 0.0


# Terms whose first use in each notebook gives the English term in parentheses (the glossary).
GLOSSARY_FIRST_USE = {
    r"exactitud": "accuracy", r"exhaustividad": "recall", r"incrustaci(?:ón|ones)": "embedding",
    r"relleno": "padding", r"épocas?": "epoch", r"lotes?": "batch", r"sobreajust\w*": "overfit",
    r"tasas? de aprendizaje": "learning rate", r"parada temprana": "early stopping",
    r"líneas? base": "baseline", r"estados? ocultos?": "hidden state", r"compuertas?": "gate",
    r"desvanecimiento del gradiente": "vanishing gradient", r"máscaras?": "mask",
    r"desviación típica": "standard deviation", r"pruebas? de comportamiento": "behavioural check",
    r"búsqueda en cuadrícula": "grid search", r"clase mayoritaria": "majority class", r"semillas?": "seed",
}


@pytest.mark.parametrize("path,collection", TRANSLATED, ids=ALL_IDS)
def test_glossary_terms_give_the_english_term_at_first_use(path, collection):
    text = "\n".join(_markdown(path.parent / LOCALE / path.name))
    text = re.sub(r"`[^`]*`|\$\$.*?\$\$|\$[^$\n]*\$", " ", text, flags=re.S)
    for term, english in GLOSSARY_FIRST_USE.items():
        first = re.search(rf"\b{term}\b", text, flags=re.I)
        if first:
            after = text[first.end():first.end() + 60]
            # the house style, «relleno (*padding*)»: the English in parentheses, not set off by commas (L16)
            assert re.match(rf"[^.;:,]{{0,25}}\(\*[^*]*{english}", after, flags=re.I), \
                f"{path.name}: first '{first.group(0)}' lacks '(*{english}*)': ...{text[first.start():first.end() + 60]!r}"
    assert "precisión (*accuracy*)" not in text  # accuracy is exactitud


@pytest.mark.parametrize("path,collection", TRANSLATED, ids=ALL_IDS)
def test_numbers_in_spanish_prose_follow_spanish_typography(path, collection):
    for cell in _markdown(path.parent / LOCALE / path.name):
        prose = re.sub(r"`[^`]*`|\$\$.*?\$\$|\$[^$\n]*\$|\]\([^)]*\)", " ", cell, flags=re.S)
        prose = re.sub(r"\b(?:Keras|Python|glove)[ .]\S+", " ", prose)  # version numbers, file names
        assert not re.search(r"\d,\d{3}(?!\d)", prose), f"{path.name}: English thousands separator in {cell[:60]!r}"
        assert not re.search(r"(?<![\d.])\d+\.\d+(?![\d.])", prose), f"{path.name}: decimal point in {cell[:60]!r}"
        assert not re.search(r"\d \d{3}(?!\d)", prose), f"{path.name}: a plain space groups digits; use U+00A0"


# -- the mechanism, on copies ---------------------------------------------------------------------

@pytest.fixture
def workspace(tmp_path):
    """Two English notebooks and their Spanish catalogues, copied."""
    notebooks, locales = tmp_path / "notebooks", tmp_path / "locales"
    notebooks.mkdir()
    for path in NOTEBOOKS[5:7]:
        shutil.copy(path, notebooks / path.name)
        target = edition.catalogue_path(LOCALE, path.stem, locales)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(edition.catalogue_path(LOCALE, path.stem), target)
    return notebooks, locales


def _edit(path: Path, position: int, change) -> str:
    """Apply ``change`` to the notebook's markdown cell number ``position``; return the old text."""
    nb = nbformat.read(path, 4)
    cell = [c for c in nb.cells if c.cell_type == "markdown"][position]
    old = cell.source
    change(nb, cell)
    nbformat.write(nb, path)
    return old


def test_a_changed_english_cell_is_caught_until_its_translation_is_checked(workspace, tmp_path):
    notebooks, locales = workspace
    path = sorted(notebooks.glob("*.ipynb"))[0]
    old = _edit(path, 2, lambda nb, cell: setattr(cell, "source", cell.source.replace("Three", "Exactly three")))
    with pytest.raises(edition.EditionError, match=r"md-03: not in the catalogue"):
        edition.build(LOCALE, notebook_dir=notebooks, locales_dir=locales, output_dir=tmp_path / "out")
    reports = edition.update(LOCALE, notebook_dir=notebooks, locales_dir=locales, package=False)
    assert reports[0].fuzzy == ["md-03"] and not reports[0].added and not reports[1].fuzzy
    po = edition.catalogue_path(LOCALE, path.stem, locales)
    message = edition.read_catalogue(po).get(old.replace("Three", "Exactly three"), context="md-03")
    assert message.fuzzy and message.previous_id == [old] and message.string.startswith("Tres")
    assert "#| msgid" in po.read_text(encoding="utf-8")
    with pytest.raises(edition.EditionError, match=r"md-03: fuzzy") as caught:
        edition.build(LOCALE, notebook_dir=notebooks, locales_dir=locales, output_dir=tmp_path / "out")
    assert "1 entries" in str(caught.value) and not (tmp_path / "out").exists()
    # a second update keeps the English the translation was written for
    edition.update(LOCALE, notebook_dir=notebooks, locales_dir=locales, package=False)
    catalog = edition.read_catalogue(po)
    assert catalog.get(message.id, context="md-03").previous_id == [old]
    # the translator checks it and clears the flag: the build goes through
    catalog.get(message.id, context="md-03").flags.discard("fuzzy")
    edition.write_catalogue(catalog, po)
    written = edition.build(LOCALE, notebook_dir=notebooks, locales_dir=locales, output_dir=tmp_path / "out")
    assert len(written) == 2


def test_a_changed_english_assignment_cell_is_caught_and_make_assign_refuses_until_it_is_checked(tmp_path):
    from course_tools.grading.assign import assign_all, find_assignments

    source = tmp_path / "assignments"
    locales = source / "locales"
    source.mkdir()
    for path in ASSIGNMENTS:
        shutil.copy(path, source / path.name)
        target = edition.catalogue_path(LOCALE, path.stem, locales)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(edition.catalogue_path(LOCALE, path.stem, edition.ASSIGNMENT_LOCALES_DIR), target)
    kwargs = dict(notebook_dir=source, locales_dir=locales, find=find_assignments)
    assert len(edition.build(LOCALE, setup=False, filtered=False, **kwargs)) == 3  # in step: builds assignments/es/
    _edit(source / "a3_metrics_report.ipynb", 1, lambda nb, cell: setattr(
        cell, "source", cell.source.replace("(5 points)", "(6 points)")))
    with pytest.raises(edition.EditionError, match=r"a3_metrics_report.ipynb md-02: not in the catalogue"):
        edition.build(LOCALE, output_dir=tmp_path / "out", **kwargs)
    reports = edition.update(LOCALE, package=False, **kwargs)
    assert [r.fuzzy for r in reports] == [[], [], ["md-02"]]
    with pytest.raises(edition.EditionError, match=r"md-02: fuzzy"):
        edition.build(LOCALE, output_dir=tmp_path / "out", **kwargs)
    # `make assign` regenerates the Spanish sources first, and refuses before running otter
    with pytest.raises(RuntimeError, match=r"(?s)the .es. assignments cannot be built: .*md-02: fuzzy"):
        assign_all(source, tmp_path / "dist", editions=("es",))
    assert not (tmp_path / "dist").exists()


def _entries(po: Path) -> set[tuple]:
    return {(m.context, m.id, m.string, tuple(sorted(m.flags))) for m in edition.read_catalogue(po) if m.id}


def test_an_inserted_cell_changes_one_catalogue_entry_and_the_others_keep_theirs(workspace):
    """The catalogues are keyed on the cells' ids: inserting a markdown cell adds its entry and
    leaves every other entry as it was (with positional keys, every later entry changed)."""
    notebooks, locales = workspace
    path = sorted(notebooks.glob("*.ipynb"))[0]
    po = edition.catalogue_path(LOCALE, path.stem, locales)
    before = _entries(po)
    new_text = "## A brand-new section\n\nWith a sentence nobody has translated yet."
    inserted = nbformat.v4.new_markdown_cell(new_text)

    def insert(nb, cell):
        nb.cells.insert(nb.cells.index(cell), inserted)
    _edit(path, 2, insert)
    report = edition.update(LOCALE, notebook_dir=notebooks, locales_dir=locales, package=False)[0]
    assert report.added == [inserted.id] and not report.fuzzy and not report.obsolete
    after = _entries(po)
    assert after - before == {(inserted.id, new_text, "", ())} and before - after == set()
    with pytest.raises(edition.EditionError, match=f"{inserted.id}: untranslated"):
        edition.build(LOCALE, notebook_dir=notebooks, locales_dir=locales, write=False)


def test_a_moved_cell_keeps_its_entry(workspace):
    notebooks, locales = workspace
    path = sorted(notebooks.glob("*.ipynb"))[0]
    po = edition.catalogue_path(LOCALE, path.stem, locales)
    before = _entries(po)
    nb = nbformat.read(path, 4)
    markdown = [c for c in nb.cells if c.cell_type == "markdown"]
    nb.cells.remove(markdown[3])
    nb.cells.insert(nb.cells.index(markdown[1]), markdown[3])
    nbformat.write(nb, path)
    report = edition.update(LOCALE, notebook_dir=notebooks, locales_dir=locales, package=False)[0]
    assert not (report.added or report.fuzzy or report.obsolete) and _entries(po) == before


def test_a_removed_cell_becomes_obsolete_and_comes_back_if_restored(workspace):
    notebooks, locales = workspace
    path = sorted(notebooks.glob("*.ipynb"))[0]
    removed = _edit(path, 4, lambda nb, cell: nb.cells.remove(cell))
    report = edition.update(LOCALE, notebook_dir=notebooks, locales_dir=locales, package=False)[0]
    assert len(report.obsolete) == 1 and not report.fuzzy
    po = edition.catalogue_path(LOCALE, path.stem, locales)
    catalog = edition.read_catalogue(po)
    assert removed in [m.id for m in catalog.obsolete.values()]
    assert "#~ msgid" in po.read_text(encoding="utf-8")
    edition.build(LOCALE, notebook_dir=notebooks, locales_dir=locales, write=False)

    def restore(nb, cell):
        nb.cells.insert(nb.cells.index(cell), nbformat.v4.new_markdown_cell(removed))
    _edit(path, 4, restore)
    report = edition.update(LOCALE, notebook_dir=notebooks, locales_dir=locales, package=False)[0]
    assert not report.added and not report.fuzzy
    assert removed not in [m.id for m in edition.read_catalogue(po).obsolete.values()]


def test_an_obsolete_entry_is_reused_when_its_english_arrives(workspace):
    """A translation prepared ahead of an English edit (kept as an obsolete entry, as msgmerge
    does) is picked up by `update` untouched, not as fuzzy."""
    notebooks, locales = workspace
    path = sorted(notebooks.glob("*.ipynb"))[0]
    po = edition.catalogue_path(LOCALE, path.stem, locales)
    catalog = edition.read_catalogue(po)
    old = [m for m in catalog if m.context == "md-05"][0]
    new_text = old.id.replace("Neither", "Neither of the two")
    catalog.obsolete[(new_text, "md-05")] = edition.Message(new_text, "Ninguna de las dos celdas...", context="md-05")
    edition.write_catalogue(catalog, po)
    _edit(path, 4, lambda nb, cell: setattr(cell, "source", new_text))
    report = edition.update(LOCALE, notebook_dir=notebooks, locales_dir=locales, package=False)[0]
    assert not report.fuzzy and not report.added and report.obsolete == ["md-05"]
    assert edition.read_catalogue(po).get(new_text, context="md-05").string == "Ninguna de las dos celdas..."


def test_build_keeps_the_outputs_of_an_executed_spanish_notebook(workspace, tmp_path):
    notebooks, locales = workspace
    out = tmp_path / "es"
    edition.build(LOCALE, notebook_dir=notebooks, locales_dir=locales, output_dir=out)
    target = sorted(out.glob("*.ipynb"))[0]
    nb = nbformat.read(target, 4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    code[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="Época 1: pérdida 0,693\n")]
    nbformat.write(nb, target)
    edition.build(LOCALE, notebook_dir=notebooks, locales_dir=locales, output_dir=out)
    kept = [c for c in nbformat.read(target, 4).cells if c.cell_type == "code"][2]
    assert kept.outputs[0]["text"] == "Época 1: pérdida 0,693\n"


def test_build_writes_atomically_and_only_what_changed(workspace, tmp_path):
    notebooks, locales = workspace
    out = tmp_path / "es"
    assert len(edition.build(LOCALE, notebook_dir=notebooks, locales_dir=locales, output_dir=out)) == 2
    assert edition.build(LOCALE, notebook_dir=notebooks, locales_dir=locales, output_dir=out) == []
    assert not list(out.glob(".*.part"))


def test_edition_parameter_is_appended_or_its_value_replaced():
    assert edition.set_edition_parameter('seed = None', "es") == 'seed = None\nedition = "es"'
    assert edition.set_edition_parameter('edition = "en"   # the language', "es") == 'edition = "es"   # the language'


@pytest.mark.parametrize("bad", ["en", "english", "xx", "", "es-ES"])
def test_locale_is_checked(bad):
    with pytest.raises(edition.EditionError):
        edition.check_locale(bad)


def test_command_line_check_and_refusal(workspace, capsys):
    notebooks, locales = workspace
    assert edition.main(["check", LOCALE, "--notebooks", str(notebooks), "--locales", str(locales)]) == 0
    _edit(sorted(notebooks.glob("*.ipynb"))[1], 0, lambda nb, cell: setattr(cell, "source", cell.source + "\nMore."))
    assert edition.main(["check", LOCALE, "--notebooks", str(notebooks), "--locales", str(locales)]) == 1
    assert "md-01: not in the catalogue" in capsys.readouterr().err


def test_spanish_readme_opens_every_spanish_notebook_and_reads_as_spanish():
    from course_tools.cells import colab_url

    readme = (ROOT / "README.es.md").read_text(encoding="utf-8")
    for path in NOTEBOOKS:
        assert colab_url(f"es/{path.name}") in readme, f"README.es.md lacks the Colab link of es/{path.name}"
    assert "(README.md)" in readme
    share, n = edition.spanish_share(readme)
    assert share >= 0.9 and n > 100


def _assertion_messages(source):
    """The message of every ``assert`` in a test cell, as its source text (None where it has none)."""
    import ast
    tree = ast.parse(source.split('""" # END TEST CONFIG', 1)[-1])
    return [None if node.msg is None else ast.get_source_segment(source.split('""" # END TEST CONFIG', 1)[-1], node.msg)
            for node in ast.walk(tree) if isinstance(node, ast.Assert)]


@pytest.mark.parametrize("path", sorted((ROOT / "assignments").glob("a*_*.ipynb")), ids=lambda p: p.stem)
def test_every_assignment_test_explains_its_failure_in_english_and_spanish(path):
    """The code cells are shared by both editions, so what a student reads when a test fails, and
    what the assignment prints, says it in both languages, «English / español» (review L31)."""
    nb = nbformat.read(path, 4)
    tests = [c.source for c in nb.cells if c.cell_type == "code" and "def test_" in c.source]
    assert tests
    for source in tests:
        for message in _assertion_messages(source):
            assert message is not None and " / " in message, f"{path.name}: an assert without a bilingual message"
    prints = [c.source for c in nb.cells if c.cell_type == "code" and "print(f" in c.source and "reviews" in c.source]
    assert all("reseñas" in p and ":," not in p for p in prints), f"{path.name}: an English-only print"


#: Glossary terms the catalogues must use for an English word (docs/glossary-es.md): the English
#: word (whole word, in the msgid), what the Spanish must then say, and what it must not.
GLOSSARY_WORDS = [(r"trials?", r"ensayos?", r"(?<!lo )\bpruebas?\b(?! de comportamiento| rápida| ocultas| visibles)"),
                  (r"buckets?", r"grupos?|agrupación", r"cubetas?"),
                  (r"ratings?", r"valoraci(?:ón|ones)", r"puntuaci(?:ón|ones) en estrellas")]


def test_catalogues_use_the_glossary_for_trial_bucket_and_rating():
    """A trial is an «ensayo» (not a «prueba»), a bucket a «grupo», a review's rating a «valoración»
    (the model's «puntuación» is another thing), in every catalogue (review M3, L2, L3)."""
    catalogues = [edition.package_catalogue_path(LOCALE), *sorted((ROOT / "notebooks" / "locales" / LOCALE).glob("*.po")),
                  *sorted((ROOT / "assignments" / "locales" / LOCALE).glob("*.po"))]
    checked = 0
    for po in catalogues:
        for message in edition.read_catalogue(po):
            if not message.id:
                continue
            english = " ".join(message.id) if isinstance(message.id, tuple) else message.id
            spanish = " ".join(message.string) if isinstance(message.string, tuple) else message.string
            english = re.sub(r"`[^`]*`", " ", english)
            for word, wanted, unwanted in GLOSSARY_WORDS:
                if re.search(rf"\b{word}\b", english, flags=re.I):
                    checked += 1
                    assert re.search(wanted, spanish, flags=re.I), f"{po.name}: {english[:60]!r} -> {spanish[:80]!r}"
                    if word == r"trials?":
                        assert not re.search(unwanted, re.sub(r"conjunto de prueba|reseñas de prueba|de prueba", "", spanish)), \
                            f"{po.name}: a trial is an «ensayo»: {spanish[:80]!r}"
                    else:
                        assert not re.search(unwanted, spanish, flags=re.I), f"{po.name}: {spanish[:80]!r}"
    assert checked >= 8
    assert edition.read_catalogue(edition.package_catalogue_path(LOCALE)).get("score").string == "puntuación del modelo"


def test_spanish_readme_has_its_own_results_table_spanish_quotes_and_marks_english_only_links():
    """README.es.md (review L35, M12): the results table in Spanish, generated like README.md's; « »
    quotes in its prose; every link to English-only material says «(en inglés)»."""
    from course_tools import readme as readme_tool

    text = (ROOT / "README.es.md").read_text(encoding="utf-8")
    block = text.split(readme_tool.START, 1)[1].split(readme_tool.END, 1)[0]
    assert block.strip() == readme_tool.spanish_results_block().strip(), "run: python -m course_tools.readme"
    assert "| exactitud |" in block and "0,908" in block and "0.908" not in block
    prose = re.sub(r"```.*?```|`[^`]*`|\([^)]*\)\]|\]\([^)]*\)", " ", text, flags=re.S)
    assert '"' not in prose, "straight quotes in README.es.md's prose: use « »"
    for target, after in re.findall(r"\]\(((?!https?:)[^)]+)\)(.{0,16})", text):
        if target.split("#")[0] in ("README.md",) and "English version" in text.split(target)[0][-40:]:
            continue  # the link to the English README says so itself
        if target.split("#")[0].endswith(".md"):
            assert "en inglés" in after, f"README.es.md links to {target} without «(en inglés)»"
