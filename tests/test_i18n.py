"""Numbers in each edition's typography, and the computed prose's templates translated."""
from __future__ import annotations

import numpy as np
import pytest

from course_utils import i18n
from course_tools import edition

NBSP = "\u00a0"


@pytest.mark.parametrize("x, decimals, es, en", [
    (0.903, 3, "0,903", "0.903"),
    (0.9034, 3, "0,903", "0.903"),
    (0.9035, 3, "0,903", "0.903"),   # Python's rounding of the float, in both editions
    (3.9, 1, "3,9", "3.9"),
    (2 / 3, 2, "0,67", "0.67"),
    (-0.0001, 3, "0,000", "0.000"),  # no "-0"
    (-1.5, 1, "-1,5", "-1.5"),
    (12345.678, 2, f"12{NBSP}345,68", "12,345.68"),
    (1234.5, 1, "1234,5", "1,234.5"),
    (np.float32(0.5), 1, "0,5", "0.5"),
])
def test_fmt_number(x, decimals, es, en):
    assert i18n.fmt_number(x, decimals, edition="es") == es
    assert i18n.fmt_number(x, decimals, edition="en") == en
    assert i18n.fmt_number(x, decimals, edition="en") == f"{x:,.{decimals}f}".replace("-0.000", "0.000")


@pytest.mark.parametrize("n, es, en", [
    (25000, f"25{NBSP}000", "25,000"), (2000, "2000", "2,000"), (9999, "9999", "9,999"),
    (10000, f"10{NBSP}000", "10,000"), (1234567, f"1{NBSP}234{NBSP}567", "1,234,567"), (0, "0", "0"),
    (-25000, f"-25{NBSP}000", "-25,000"), (np.int64(50000), f"50{NBSP}000", "50,000"), (3.0, "3", "3"),
])
def test_fmt_int(n, es, en):
    assert i18n.fmt_int(n, edition="es") == es
    assert i18n.fmt_int(n, edition="en") == en == f"{int(n):,}"


def test_fmt_percent():
    assert i18n.fmt_percent(0.903, edition="es") == f"90,3{NBSP}%"
    assert i18n.fmt_percent(0.903, edition="en") == "90.3%" == f"{0.903:.1%}"
    assert i18n.fmt_percent(0.5, 0, edition="es") == f"50{NBSP}%"


@pytest.mark.parametrize("bad, error", [("0.9", TypeError), (True, TypeError), (None, TypeError),
                                        (float("nan"), ValueError), (float("inf"), ValueError)])
def test_numbers_are_validated(bad, error):
    with pytest.raises(error):
        i18n.fmt_number(bad, 2, edition="es")


def test_decimals_and_counts_are_validated():
    for decimals in (-1, 13, 1.5, True):
        with pytest.raises(ValueError, match="decimals"):
            i18n.fmt_number(0.5, decimals)
    with pytest.raises(ValueError, match="whole numbers"):
        i18n.fmt_int(2.5)


def test_edition_comes_from_set_edition_then_the_environment_then_english(monkeypatch):
    assert i18n.get_edition() == "en" and i18n.fmt_number(0.5, 1) == "0.5"
    monkeypatch.setenv(i18n.ENV_EDITION, "es")
    assert i18n.get_edition() == "es" and i18n.fmt_number(0.5, 1) == "0,5"
    assert i18n.set_edition("en") == "en" and i18n.fmt_int(25000) == "25,000"
    assert i18n.set_edition(None) == "es"
    monkeypatch.setenv(i18n.ENV_EDITION, "fr")
    with pytest.raises(ValueError, match=r"\$COURSE_EDITION must be one of"):
        i18n.get_edition()
    with pytest.raises(ValueError, match="edition must be one of"):
        i18n.set_edition("de")


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A package with sentence templates, its Spanish catalogue extracted and translated."""
    source = tmp_path / "pkg"
    source.mkdir()
    (source / "prose.py").write_text(
        "from course_utils.i18n import _, ngettext\n"
        "def line(n, acc):\n"
        "    return _('{n} training reviews; accuracy {acc}.').format(n=n, acc=acc)\n"
        "def epochs(n):\n"
        "    return ngettext('at most {n} epoch', 'at most {n} epochs', n).format(n=n)\n"
        "def untranslated():\n"
        "    return _('Not translated yet.')\n")
    locales = tmp_path / "locales"
    report = edition.update_package("es", sources=[(source, "course_utils")], locales_dir=locales)
    assert report.added == ["{n} training reviews; accuracy {acc}.", "at most {n} epoch", "Not translated yet."]
    po = edition.package_catalogue_path("es", locales)
    catalog = edition.read_catalogue(po)
    catalog.get("{n} training reviews; accuracy {acc}.").string = "{n} reseñas de entrenamiento; exactitud {acc}."
    catalog.get(("at most {n} epoch", "at most {n} epochs")).string = (
        "como mucho {n} época", "como mucho {n} épocas")
    edition.write_catalogue(catalog, po)
    monkeypatch.setattr(i18n, "LOCALES_DIR", locales)
    i18n.reload()
    return locales


def test_templates_are_translated_in_the_spanish_edition(package):
    assert i18n._("{n} training reviews; accuracy {acc}.") == "{n} training reviews; accuracy {acc}."
    i18n.set_edition("es")
    sentence = i18n._("{n} training reviews; accuracy {acc}.").format(n=i18n.fmt_int(20000),
                                                                      acc=i18n.fmt_number(0.9034, 3))
    assert sentence == f"20{NBSP}000 reseñas de entrenamiento; exactitud 0,903."
    assert i18n.ngettext("at most {n} epoch", "at most {n} epochs", 1) == "como mucho {n} época"
    assert i18n.ngettext("at most {n} epoch", "at most {n} epochs", 3) == "como mucho {n} épocas"
    assert i18n._("Not translated yet.") == "Not translated yet."  # gettext's fallback
    assert i18n._("never extracted") == "never extracted"


def test_a_fuzzy_template_falls_back_to_english(package):
    po = edition.package_catalogue_path("es", package)
    catalog = edition.read_catalogue(po)
    catalog.get("{n} training reviews; accuracy {acc}.").flags.add("fuzzy")
    edition.write_catalogue(catalog, po)
    i18n.reload()
    assert i18n.gettext("{n} training reviews; accuracy {acc}.", edition="es") == "{n} training reviews; accuracy {acc}."


def test_missing_catalogue_is_an_error_that_says_how_to_fix_it(tmp_path, monkeypatch):
    monkeypatch.setattr(i18n, "LOCALES_DIR", tmp_path)
    i18n.reload()
    with pytest.raises(FileNotFoundError, match="edition update es"):
        i18n.gettext("anything", edition="es")


def test_package_catalogue_holds_every_template_of_the_package_with_its_placeholders():
    """The committed catalogue is up to date with the package's `_()` calls, and no translation
    drops or renames a `{placeholder}` (a KeyError at run time in the Spanish notebooks)."""
    import string

    extracted = {text for _ctx, text, _loc in edition.extract_templates()}
    catalog = edition.read_catalogue(edition.package_catalogue_path("es"))
    assert {m.id for m in catalog if m.id} == extracted, "run `make edition`"

    def fields(text):
        texts = text if isinstance(text, tuple) else (text,)
        return {tuple(sorted(f for _l, f, _s, _c in string.Formatter().parse(t) if f)) for t in texts}
    def names(text):
        return {f for _l, f, _s, _c in string.Formatter().parse(text) if f}
    for message in catalog:
        if not (message.id and message.string):
            continue
        if isinstance(message.string, tuple):  # a plural form may write its count in words («Una de…»),
            # dropping that one placeholder; it never adds or renames one
            allowed = names(message.id[0]) | names(message.id[1])
            for form in message.string:
                assert names(form) <= allowed and len(allowed - names(form)) <= 1, message.id
        else:
            assert fields(message.string) <= fields(message.id) | {()}, message.id


def test_lazy_text_renders_in_each_edition_and_never_reads_a_field_as_a_template():
    from course_utils.i18n import LazyText, fmt_plain, render

    text = LazyText(i18n.N_("q2: held-out accuracy {accuracy} (needs {threshold})"), accuracy=0.734, threshold=0.7)
    assert text.render("en") == str(text) == "q2: held-out accuracy 0.734 (needs 0.7)"
    assert text.render("es") == "q2: exactitud con reseñas reservadas 0,734 (se necesita 0,7)"
    hostile = LazyText("{label}: {reason}", label=LazyText("graded"), reason="{0.__class__} {reason} graded")
    assert hostile.render("es") == "calificado: {0.__class__} {reason} graded", "a field is quoted, not looked up"
    assert render(("graded", LazyText("graded"), 1.5), "es") == "graded, calificado, 1,5"
    assert LazyText("").render("es") == "", "the empty template is not the catalogue's header"
    assert [fmt_plain(x, edition=e) for x, e in [(300.0, "en"), (0.5, "es"), (2.25, "es"), (1, "es")]] == \
           ["300", "0,5", "2,25", "1"]
    with pytest.raises(TypeError):
        LazyText(3)
