"""What a student reads in the Spanish edition: computed prose, tables, figures, progress bars and
the edition's wiring; and the English edition left exactly as it was."""
from __future__ import annotations

import io
import json
import re
import string

import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pandas as pd
import pytest

from course_utils import i18n, localize, narrative, notebook, plots
from course_utils.config import get_profile
from course_utils.progress import progress_bar
from course_tools import edition, runner
from course_tools.cells import PARAMETERS_CELL

NBSP = "\u00a0"


@pytest.fixture
def shell():
    """A real IPython shell (its display formatters and user namespace), removed afterwards so
    that other tests do not think they run in a notebook."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False  # no history database written by the tests
    instance = InteractiveShell.instance(config=config)
    yield instance
    while localize._REGISTERED:
        mime, kind = localize._REGISTERED.pop()
        instance.display_formatter.formatters[mime].pop(kind, None)
    InteractiveShell.clear_instance()


def _records():
    return pd.DataFrame({"accuracy": [0.9034, 0.8641], "precision": [0.91, 0.85], "recall": [0.89, 0.90],
                         "params": [123456, 2000], "source": ["this run", "this run"]},
                        index=pd.Index(["bigru", "tfidf_logreg"], name="model"))


# --- computed prose -------------------------------------------------------------------------

def test_a_computed_sentence_reads_in_spanish_with_spanish_numbers():
    records = _records()
    english = narrative.compare_models(records, "bigru", ["tfidf_logreg"])
    assert english == "`bigru` reaches accuracy 0.903, 3.9 points above `tfidf_logreg` (0.864)."
    i18n.set_edition("es")
    spanish = narrative.compare_models(records, "bigru", ["tfidf_logreg"])
    assert spanish == "`bigru` alcanza una exactitud de 0,903, 3,9 puntos por encima de `tfidf_logreg` (0,864)."


def test_plural_and_number_typography_of_the_smoke_notice():
    i18n.set_edition("es")
    notice = narrative.smoke_notice(get_profile("smoke"))
    assert notice.startswith("> **Perfil smoke** (") and "reseñas de entrenamiento" in notice
    one = get_profile("smoke")
    most = one.max_epochs  # 03's Dense trains the most epochs
    assert f"como mucho {most} época" + ("s" if most != 1 else "") + ")" in notice
    summary = narrative.data_summary(pd.DataFrame({"label": [1, 0] * 12500}), pd.DataFrame({"label": [0] * 25000}),
                                     np.array([100, 230, 700]))
    assert summary.startswith(f"25{NBSP}000 reseñas de entrenamiento y 25{NBSP}000 de prueba; el 50,0{NBSP}%")


def _fields(text):
    texts = text if isinstance(text, tuple) else (text,)
    return [sorted(f for _l, f, _s, _c in string.Formatter().parse(t) if f) for t in texts]


#: Catalogue entries whose Spanish is rightly the English (symbols, names, code).
SAME_IN_BOTH = {"tokens", "{model}: ROC", "x: {label}", "y: {label}", "`{model}`: {metric} {value}.", "ROC AUC",
                "dropout"}  # ../shared/glossary-es.md: *dropout* stays English, as in every source


def test_every_catalogue_entry_is_translated_and_reads_as_spanish():
    """Each msgstr exists, is not fuzzy, keeps its placeholders, and its prose is Spanish: the
    sentences by the function-word share (as tests/test_edition.py reads the notebooks' cells),
    the short labels by not being the English left in place."""
    catalog = edition.read_catalogue(edition.package_catalogue_path("es"))
    checked = 0
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        assert all(strings) and not message.fuzzy, f"untranslated or fuzzy: {message.id!r}"
        assert all(set(sum(_fields(s), [])) <= set(sum(_fields(message.id), [])) for s in strings), message.id
        for english, spanish in zip(ids + ids[-1:] * (len(strings) - len(ids)), strings):
            share, evidence = edition.spanish_share(re.sub(r"\{\w+\}", " ", spanish))  # not {other}
            if evidence >= 2:
                assert share >= 0.8, f"does not read as Spanish ({share:.0%}): {spanish!r}"
                checked += 1
            elif english not in SAME_IN_BOTH and message.id not in SAME_IN_BOTH:
                assert spanish != english, f"left in English: {english!r}"
    assert checked >= 40  # the sentences were really read, not skipped


# --- tables ---------------------------------------------------------------------------------

def test_a_dataframe_shows_spanish_headers_and_decimal_commas_in_spanish_only(shell):
    table = _records().assign(verdict=["positive", "negative"], note=[0.25, "none"])
    english = shell.display_formatter.format(table)[0]
    assert localize.register_display(shell) is False  # English: nothing registered
    assert shell.display_formatter.format(table)[0] == english
    assert english["text/html"] == table._repr_html_()

    i18n.set_edition("es")
    assert localize.register_display(shell) is True
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        shown = shell.display_formatter.format(table)[0]
    for mime in ("text/html", "text/plain"):
        text = shown[mime]
        for header in ("exactitud", "precisión", "exhaustividad", "parámetros", "origen", "veredicto", "modelo"):
            assert header in text, (mime, header)
        assert "0,9034" in text and "0,8641" in text and "0.9034" not in text
        assert f"123{NBSP}456" in text and "2000" in text
        assert "positiva" in text and "esta ejecución" in text and "0,25" in text
        assert "bigru" in text and "tfidf_logreg" in text  # model names are not labels
    series = shell.display_formatter.format(pd.Series([0.5, 0.25], index=["accuracy", "f1"], name="tokens"))[0]
    assert "exactitud" in series["text/plain"] and "0,50" in series["text/plain"]
    # numbers a code cell already formatted as English text (02: f"{k:,}", f"{v:.1%}")
    formatted = pd.Series({"1,000": "76.6%", "20,000": "98.7%", "v1": "1,5 e"}, name="tokens covered")
    text = shell.display_formatter.format(formatted)[0]["text/plain"]
    assert re.search(f"1000 +76,6{NBSP}%", text) and f"20{NBSP}000" in text and "98,7" in text and "1,5 e" in text
    assert "tokens cubiertos" in text
    assert table.loc["bigru", "accuracy"] == 0.9034 and "accuracy" in table  # the data is untouched
    with pd.option_context("display.width", 40, "display.max_columns", 3):  # pandas' own footer of a truncated table
        assert "[2 filas x 7 columnas]" in shell.display_formatter.format(table)[0]["text/plain"]

    i18n.set_edition("en")  # back to English in the same kernel: the formatters go
    assert localize.register_display(shell) is False
    assert shell.display_formatter.format(table)[0] == english


def test_model_output_keeps_its_english_shape_line_and_shows_spanish():
    table = pd.DataFrame({"review": ["not bad"], "p(positive)": [0.734], "verdict": ["positive"]})
    english = notebook.model_output_bundle(table)
    assert english["text/plain"] == f"model output: 1 rows; columns: review, p(positive), verdict\n{table!r}"
    i18n.set_edition("es")
    spanish = notebook.model_output_bundle(table)
    assert spanish["text/plain"].splitlines()[0] == "model output: 1 rows; columns: review, p(positive), verdict"
    assert "p(positiva)" in spanish["text/html"] and "0,734" in spanish["text/html"]
    assert "not bad" in spanish["text/plain"]  # the review, English, stays as written


# --- figures --------------------------------------------------------------------------------

def _history():
    return {"loss": [0.62, 0.41, 0.33], "val_loss": [0.5, 0.44, 0.46], "accuracy": [0.70, 0.84, 0.88],
            "val_accuracy": [0.76, 0.81, 0.80]}


def _texts(fig):
    ax = fig.axes[-1]
    return (ax.get_title(), ax.get_xlabel(), ax.get_ylabel(), [t.get_text() for t in ax.get_legend().get_texts()],
            [t.get_text() for t in ax.get_yticklabels()])


def test_a_figure_is_drawn_in_spanish_with_comma_ticks_and_saved_so(tmp_path, monkeypatch):
    english = plots.learning_curves(_history())
    before = _texts(english)
    assert localize.localize_figure(english) is False and _texts(english) == before  # English untouched
    english.canvas.draw()
    assert any("." in t for t in _texts(english)[4]) and plots.alt_text(english).startswith("Figure. loss")
    plt.close(english)

    i18n.set_edition("es")
    fig = plots.learning_curves(_history())
    assert localize.localize_figure(fig) is True
    title, xlabel, ylabel, legend, ticks = _texts(fig)
    assert (title, xlabel, ylabel, legend) == ("exactitud", "época", "exactitud", ["entrenamiento", "validación"])
    numbers = [t for t in ticks if t]
    assert numbers and all("," in t and "." not in t for t in numbers), numbers
    assert plots.alt_text(fig) == ("Figura. pérdida; x: época; y: pérdida; leyenda: entrenamiento, validación | "
                                   "exactitud; x: época; y: exactitud; leyenda: entrenamiento, validación")
    assert plots.text_problems(fig) == []
    plt.close(fig)

    saved = []  # plots.show translates a figure itself, before checking and saving it
    real_save = plots.save_figure
    monkeypatch.setattr(plots, "save_figure", lambda f, out, name: saved.append(_texts(f)) or real_save(f, out, name))
    monkeypatch.setenv("COURSE_CHECK_FIGURES", "1")
    plots.show(plots.series_plot([1, 2, 3], {"training": [0.25, 0.5, 0.75], "validation": [0.5, 0.5, 0.5]},
                                 xlabel="tokens before the end of the review", ylabel="mean |Δ p(positive)|",
                                 title="Where each model listens"), tmp_path, "curves")
    title, xlabel, ylabel, legend, ticks = saved[0]  # texts a notebook's code cell passed in English
    assert (title, xlabel, ylabel, legend) == ("Dónde escucha cada modelo", "tokens antes del final de la reseña",
                                               "media de |Δ p(positiva)|", ["entrenamiento", "validación"])
    assert [t for t in ticks if t] and all("," in t for t in ticks if t)
    assert (tmp_path / "figures" / "curves.png").stat().st_size > 0


def test_figure_words_from_data_and_notebooks_are_translated_names_are_not():
    i18n.set_edition("es")
    table = _records().assign(f1=[0.90, 0.86], roc_auc=[0.96, 0.93])
    fig = plots.metric_bars(table)
    localize.localize_figure(fig)
    ax = fig.axes[-1]
    assert ax.get_title() == "Métricas de prueba por modelo"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["exactitud", "F1", "ROC AUC"]
    assert ax.get_legend().get_title().get_text() == "métrica"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["bigru", "tfidf_logreg"]
    assert ax.get_ylabel().startswith("valor (el eje empieza en 0,")
    plt.close(fig)
    fig = plots.series_plot([1, 2], {"GloVe coverage": [0.5, 0.6]}, xlabel="frequency rank in our vocabulary",
                            ylabel="share with a vector", title="GloVe coverage by word frequency")
    localize.localize_figure(fig)
    assert fig.axes[0].get_title() == "Cobertura de GloVe según la frecuencia de la palabra"
    assert fig.axes[0].get_xlabel() == "posición por frecuencia en nuestro vocabulario"
    plt.close(fig)


# --- progress -------------------------------------------------------------------------------

def test_reading_reviews_reports_progress_in_the_edition(tmp_path, capsys):
    from course_utils import data

    for split in ("train", "test"):
        for folder, name in (("pos", "1_8.txt"), ("neg", "2_2.txt")):
            (tmp_path / "aclImdb" / split / folder).mkdir(parents=True)
            (tmp_path / "aclImdb" / split / folder / name).write_text("A film.", encoding="utf-8")
    i18n.set_edition("es")
    data.read_directory(tmp_path / "aclImdb", progress=True)
    err = capsys.readouterr().err
    assert "Leyendo reseñas" in err and "Reading" not in err


def test_progress_descriptions_follow_the_edition():
    from course_utils.i18n import _

    for edition_name, expected in (("en", "Reading reviews"), ("es", "Leyendo reseñas")):
        i18n.set_edition(edition_name)
        out = io.StringIO()
        with progress_bar(range(3), desc=_("Reading reviews"), unit=_("review"), enabled=True, file=out,
                          ascii=True) as bar:
            list(bar)
        assert expected in out.getvalue()
    assert "reseña/s" in out.getvalue() or "s/reseña" in out.getvalue()


# --- wiring ---------------------------------------------------------------------------------

def test_start_takes_the_edition_from_the_notebook_parameter(shell, monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_OUTPUT_DIR", raising=False)
    (tmp_path / "es").mkdir()
    monkeypatch.chdir(tmp_path / "es")  # Jupyter runs notebooks/es/NN.ipynb in notebooks/es
    shell.user_ns["edition"] = "es"  # the Spanish parameters cell
    session = notebook.start("smoke")
    assert i18n.get_edition() == "es" and localize._REGISTERED
    assert session.output_dir.as_posix() == "../outputs/smoke"  # the English notebooks' folder
    shell.user_ns["edition"] = "en"  # papermill's injected cell overrides the parameter
    notebook.start("smoke", output_dir=tmp_path / "out")
    assert i18n.get_edition() == "en" and not localize._REGISTERED
    del shell.user_ns["edition"]  # an English notebook: no parameter, $COURSE_EDITION decides
    monkeypatch.setenv(i18n.ENV_EDITION, "es")
    notebook.start("smoke", output_dir=tmp_path / "out")
    assert i18n.get_edition() == "es"


def test_runner_runs_an_edition_into_the_english_output_folder(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(runner, "execute_notebook", lambda nb, out, **kw: calls.append((nb, out, kw)))
    runner.run_all("smoke", tmp_path / "out", edition="es", only=["01"])
    (nb, out, kw), = calls
    assert nb.parent == runner.NOTEBOOK_DIR / "es" and out == tmp_path / "out" and kw["edition"] == "es"
    assert runner.default_output_dir("smoke") == runner.NOTEBOOK_DIR / "outputs" / "smoke"
    with pytest.raises(ValueError, match="edition must be one of"):
        runner.edition_dir("fr")


@pytest.mark.notebooks
def test_a_spanish_notebook_run_by_papermill_speaks_spanish(tmp_path):
    """The Spanish parameters cell (as the edition build writes it) is a papermill parameter:
    start() picks it up, tables display in Spanish, and the executed copy lands in executed/es/."""
    nbdir = tmp_path / "es"
    nbdir.mkdir()
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(edition.set_edition_parameter(PARAMETERS_CELL, "es"))
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(
        "import json, pathlib, pandas as pd\n"
        "from course_utils import i18n, notebook\n"
        "S = notebook.start(profile, output_dir, seed)\n"
        "shown = get_ipython().display_formatter.format(pd.DataFrame({'accuracy': [0.9034]}))[0]['text/plain']\n"
        "pathlib.Path(S.output_dir, 'seen.json').write_text(json.dumps([i18n.get_edition(), shown]))")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, nbdir / "01_x.ipynb")
    out = tmp_path / "outputs" / "smoke"
    runner.run_all("smoke", out, notebook_dir=nbdir, edition="es")
    seen, shown = json.loads((out / "seen.json").read_text())
    assert seen == "es" and "exactitud" in shown and "0,9034" in shown
    assert (out / "executed" / "es" / "01_x.ipynb").exists()


def test_the_reused_model_notice_reads_in_spanish(tmp_path):
    from course_utils import experiment, reuse

    store = reuse.StoredModel(tmp_path, "gru")
    english = experiment.reused_notice("gru", {"trained": "2026-11-28"}, store)
    assert english.startswith("**Reused** `gru`: this output folder") and "trained 2026-11-28" in english
    i18n.set_edition("es")
    spanish = experiment.reused_notice("gru", {}, store)
    assert spanish.startswith("**Reutilizado** `gru`: esta carpeta de resultados") and "`COURSE_RETRAIN=1`" in spanish
    assert store.model_path.relative_to(tmp_path).as_posix() in spanish


def test_refresh_committed_writes_the_spanish_notebooks_back_into_notebooks_es(monkeypatch, tmp_path):
    from course_tools import nbclean

    ran, written = [], []

    def fake_execute(nb, out, **kw):
        ran.append((nb, out, kw))
        return nb  # "executed": the notebook itself, read back by refresh_committed

    monkeypatch.setattr(runner, "execute_notebook", fake_execute)
    monkeypatch.setattr(nbclean, "write_clean", lambda notebook_node, target: written.append(target))
    monkeypatch.setattr(runner.Path, "mkdir", lambda self, **kw: None)  # no scratch folder created
    runner.refresh_committed("full", only=["01"], edition="es", stream=io.StringIO())
    (nb, out, kw), = ran
    assert nb.parent == runner.NOTEBOOK_DIR / "es" and written == [nb]
    assert out == runner.NOTEBOOK_DIR / "outputs" / "full"  # the English notebooks' output folder
    assert kw["edition"] == "es" and kw["keep_default_output"] is True


def _geometry(fig):
    """What a reader sees of a figure's axes besides its texts: limits and tick positions."""
    fig.canvas.draw()
    return [(ax.get_xlim(), ax.get_ylim(), list(ax.get_xticks()), list(ax.get_yticks())) for ax in fig.axes]


def _roc():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    return plots.roc_curves({"bigru": (y, np.clip(y * 0.6 + rng.random(200) * 0.5, 0, 1))}, title="ROC, test set")


def _search_progress():  # 09's figure: cumulative epochs on x, accuracies on y
    from course_utils import tuning

    table = pd.DataFrame({"tuner": ["Hyperband"] * 4 + ["random search"] * 3, "trial": [0, 1, 2, 3, 0, 1, 2],
                          "epochs trained": [2, 2, 2, 5, 3, 3, 3],
                          tuning.OBJECTIVE: [0.84, 0.86, 0.85, 0.89, 0.83, 0.86, 0.87]})
    return tuning.search_progress(table)


@pytest.mark.parametrize("make", [_roc, lambda: plots.learning_curves(_history()), _search_progress],
                         ids=["roc", "learning curves", "search progress"])
def test_a_localized_figure_keeps_the_english_limits_and_ticks(make):
    english = make()
    english_geometry = _geometry(english)
    english_ticks = [[t.get_text() for t in ax.get_yticklabels()] for ax in english.axes]
    plt.close(english)
    i18n.set_edition("es")
    fig = make()
    assert localize.localize_figure(fig) is True
    assert _geometry(fig) == english_geometry  # the ROC axes stay 0..1, not -0,2..1,2
    spanish_ticks = [[t.get_text() for t in ax.get_yticklabels()] for ax in fig.axes]
    assert spanish_ticks == [[t.replace(".", ",") for t in ticks] for ticks in english_ticks]
    assert any("," in t for ticks in spanish_ticks for t in ticks)
    localize.localize_figure(fig)  # twice is the same as once
    assert _geometry(fig) == english_geometry
    assert [[t.get_text() for t in ax.get_yticklabels()] for ax in fig.axes] == spanish_ticks
    plt.close(fig)
