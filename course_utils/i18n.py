"""The course's language: which edition runs, numbers in its typography, translated sentences.

The English notebooks are the source; the Spanish edition (``notebooks/es/``) runs the same code
with ``edition = "es"``. Code that writes what a student reads (computed prose, table headers,
figure labels, progress messages) goes through this module:

>>> set_edition("es")
'es'
>>> fmt_number(0.9034, 3), fmt_int(25000), fmt_int(2000), fmt_percent(0.5)
('0,903', '25\\xa0000', '2000', '50,0\\xa0%')
>>> set_edition(None)  # back to $COURSE_EDITION, else English
'en'

Choices (Spanish)
-----------------
* Decimal comma: ``0,903``; percentages with a no-break space before the sign: ``90,3 %`` (RAE).
* Thousands grouped by a **no-break space** (U+00A0), not CLDR's ``es`` point (``25.000``): the
  RAE's *Ortografía* (2010) and ISO 80000 separate groups of three with a space; a no-break one
  never splits a number across lines and exists in every font (matplotlib's DejaVu Sans
  included, where U+202F is not guaranteed).
* Numbers of four digits are not grouped (``2000``, ``25 000``), as the RAE says and as CLDR's
  ``minimumGroupingDigits = 2`` for ``es`` intends (Babel does not apply it; we do).
* The digits are the English edition's: the value is rounded once, the way Python's
  ``format`` rounds it, and Babel only lays out the separators, so both editions show the same
  number (``0.9035`` is ``0.903`` and ``0,903``, never ``0,904``).

English keeps the notation of the English prose: ``25,000``, ``0.903``, ``90.3%``.

Sentences: ``_("{n} training reviews").format(n=fmt_int(n))`` looks the template up in
``course_utils/locales/<edition>/LC_MESSAGES/course_utils.po`` (read with Babel, once); an
untranslated or fuzzy entry falls back to the English template, as gettext does (the edition's
tests make sure there is none). ``python -m course_tools.edition update es`` extracts
the ``_()`` and ``ngettext()`` calls into that catalogue.

Labels (a column name, a verdict, a figure's word) are marked with ``N_("accuracy")`` and looked
up where they are shown with ``label(text)``: a string the catalogue does not hold (a model's
name, a review) comes back unchanged. ``course_utils.localize`` applies them to tables and figures.
"""
from __future__ import annotations

import decimal
import functools
import gettext as _gettext
import numbers
import os
from pathlib import Path
from typing import cast, overload

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

#: The editions, and the Babel locale that formats each one's numbers.
EDITIONS = {"en": "en", "es": "es"}
DEFAULT_EDITION = "en"
#: The environment variable that chooses the edition when ``set_edition`` was not called.
ENV_EDITION = "COURSE_EDITION"
#: Where the package's catalogues live: ``<LOCALES_DIR>/<edition>/LC_MESSAGES/course_utils.po``.
LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DOMAIN = "course_utils"
NBSP = "\u00a0"

_chosen: str | None = None


def _check(edition: object, where: str) -> str:
    if not isinstance(edition, str) or edition not in EDITIONS:
        raise ValueError(f"{where} must be one of {sorted(EDITIONS)}, got {edition!r}.")
    return edition


def set_edition(edition: str | None) -> str:
    """Choose the edition for this process (``None``: back to ``$COURSE_EDITION`` or English).

    Returns the edition now in force. A Spanish notebook calls ``set_edition(edition)`` with its
    ``edition = "es"`` parameter.
    """
    global _chosen
    _chosen = None if edition is None else _check(edition, "edition")
    return get_edition()


def get_edition() -> str:
    """The edition in force: ``set_edition``'s, else ``$COURSE_EDITION``, else English."""
    if _chosen is not None:
        return _chosen
    value = os.environ.get(ENV_EDITION, "").strip()
    return _check(value, f"${ENV_EDITION}") if value else DEFAULT_EDITION


def _edition(edition: str | None) -> str:
    return get_edition() if edition is None else _check(edition, "edition")


def _check_number(x: object, what: str = "x") -> None:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{what} must be a real number, got {type(x).__name__} {x!r}.")


def _check_decimals(decimals: object) -> int:
    if isinstance(decimals, bool) or not isinstance(decimals, numbers.Integral) or not 0 <= int(decimals) <= 12:
        raise ValueError(f"decimals must be an integer from 0 to 12, got {decimals!r}.")
    return int(decimals)


def _layout(value: decimal.Decimal, decimals: int, edition: str) -> str:
    """Lay out an already rounded number with the edition's separators (Babel)."""
    fraction = "." + "0" * decimals if decimals else ""
    if edition == "es":
        grouped = abs(value) >= 10000  # four-digit numbers stay ungrouped
        text = format_decimal(value, format=("#,##0" if grouped else "0") + fraction, locale=EDITIONS[edition],
                              decimal_quantization=False)
        return text.replace(".", NBSP)  # the es group symbol is "."; the decimal one is ","
    return format_decimal(value, format="#,##0" + fraction, locale=EDITIONS[edition], decimal_quantization=False)


def _rounded(x: float, decimals: int) -> decimal.Decimal:
    if x != x or x in (float("inf"), float("-inf")):
        raise ValueError(f"cannot format {x!r} as a number for a student to read.")
    value = decimal.Decimal(f"{x:.{decimals}f}")  # Python's rounding, as the English prose's
    return abs(value) if value == 0 else value  # "-0.000" reads as 0


def fmt_number(x: float, decimals: int = 3, *, edition: str | None = None) -> str:
    """``x`` with ``decimals`` decimals in the edition's typography: ``0.903`` / ``0,903``."""
    _check_number(x)
    decimals = _check_decimals(decimals)
    return _layout(_rounded(x, decimals), decimals, _edition(edition))


def fmt_int(n: int, *, edition: str | None = None) -> str:
    """A count in the edition's typography: ``25,000`` / ``25 000`` (no-break space), ``2000``."""
    _check_number(n, "n")
    if not float(n).is_integer():
        raise ValueError(f"fmt_int formats whole numbers; got {n!r} (use fmt_number).")
    return _layout(decimal.Decimal(int(n)), 0, _edition(edition))


def fmt_percent(x: float, decimals: int = 1, *, edition: str | None = None) -> str:
    """A share (0.903) as a percentage: ``90.3%`` (as ``{:.1%}``) / ``90,3 %`` (no-break space)."""
    _check_number(x)
    decimals = _check_decimals(decimals)
    edition = _edition(edition)
    number = _layout(_rounded(x * 100, decimals), decimals, edition)
    return number + (NBSP + "%" if edition == "es" else "%")


@functools.cache
def load_catalogue(edition: str, locales_dir: Path = LOCALES_DIR) -> Catalog | None:
    """The edition's catalogue of sentence templates (None for English, the source)."""
    _check(edition, "edition")
    if edition == DEFAULT_EDITION:
        return None
    path = Path(locales_dir) / edition / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        raise FileNotFoundError(f"The '{edition}' edition's catalogue {path} is missing: reinstall the "
                                "course package, or run `python -m course_tools.edition update "
                                f"{edition}` in the repository.")
    with open(path, "rb") as handle:
        return read_po(handle, locale=EDITIONS[edition])


def reload() -> None:
    """Forget the catalogues read so far (after a translator edited one)."""
    load_catalogue.cache_clear()


def _lookup(message: str | tuple[str, str], edition: str):
    catalog = load_catalogue(edition, LOCALES_DIR)
    if catalog is None:
        return None, None
    entry = catalog.get(message)
    if entry is None or entry.fuzzy or not entry.string or \
            (isinstance(entry.string, tuple) and not all(entry.string)):
        return None, catalog
    return entry.string, catalog


def gettext(message: str, *, edition: str | None = None) -> str:
    """The template ``message`` in the edition's language (English if untranslated)."""
    if not isinstance(message, str):
        raise TypeError(f"message must be a str template, got {type(message).__name__}.")
    translated, _catalog = _lookup(message, _edition(edition))
    return translated if isinstance(translated, str) else message


def ngettext(singular: str, plural: str, n: int, *, edition: str | None = None) -> str:
    """The singular or plural template for ``n``, in the edition's language."""
    _check_number(n, "n")
    translated, catalog = _lookup((singular, plural), _edition(edition))
    if translated is None:
        return singular if n == 1 else plural
    index = _gettext.c2py(catalog.plural_expr)(int(n))
    return translated[min(index, len(translated) - 1)]


#: The conventional short name, for ``from course_utils.i18n import _``.
_ = gettext


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it now (a label that is looked up
    later, where it is shown: a table header, a figure's text)."""
    return message


@overload
def label(text: str, *, edition: str | None = None) -> str: ...
@overload
def label(text: object, *, edition: str | None = None) -> object: ...
def label(text: object, *, edition: str | None = None) -> object:
    """A label a student reads (a column name, a verdict, a figure's word) in the edition's
    language: its catalogue entry if it has one, else ``text`` unchanged (names of models, data).
    Anything that is not a string comes back as it is."""
    if not isinstance(text, str) or not text:
        return text
    edition = _edition(edition)
    if edition == DEFAULT_EDITION:
        return text
    translated, _catalog = _lookup(text, edition)
    return translated if isinstance(translated, str) else text


def fmt_plain(x: float, *, edition: str | None = None, max_decimals: int = 6) -> str:
    """A number with as many decimals as it needs (as ``format(x, "g")`` writes small numbers),
    in the edition's typography: ``300`` / ``0.5`` / ``0,5``; a whole number as ``fmt_int``."""
    _check_number(x)
    if float(x).is_integer():
        return fmt_int(int(x), edition=edition)
    shown = f"{float(x):.{max_decimals}f}".rstrip("0")
    return fmt_number(x, max(1, len(shown.split(".")[1])), edition=edition)


class LazyText:
    """A sentence kept as its English template and its fields, written out in an edition later
    (``render``): one result can be shown to the instructor in English and to a student in their
    language (the grader's feedback).

    ``template`` is marked with ``N_`` where it is written, so that ``update`` extracts it. Fields
    are rendered by kind: a ``LazyText`` in the same edition, a tuple as its items rendered and
    joined by ", ", a real number by ``fmt_plain``, anything else (a name, a reason the
    submission gave) verbatim with ``str``: a field is never looked up, nor read as a template.

    >>> LazyText("{n} cell(s) raised", n=2).render("en")
    '2 cell(s) raised'
    """

    __slots__ = ("template", "fields")

    def __init__(self, template: str, **fields: object) -> None:
        if not isinstance(template, str):
            raise TypeError(f"template must be a str, got {type(template).__name__}.")
        self.template = template
        self.fields = fields

    def render(self, edition: str = DEFAULT_EDITION) -> str:
        """The sentence in ``edition`` (its template through the catalogue, its fields filled)."""
        translated = gettext(self.template, edition=edition) if self.template else ""  # "" is the header
        if not self.fields:
            return translated
        return translated.format(**{k: render(v, edition) for k, v in self.fields.items()})

    def __str__(self) -> str:
        return self.render(DEFAULT_EDITION)

    def __repr__(self) -> str:
        return f"LazyText({self.template!r}, **{self.fields!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LazyText) and (self.template, self.fields) == (other.template, other.fields)

    __hash__ = None  # type: ignore[assignment]


def render(value: object, edition: str = DEFAULT_EDITION) -> str:
    """``value`` written out for a reader of ``edition`` (see :class:`LazyText`)."""
    if isinstance(value, LazyText):
        return value.render(edition)
    if isinstance(value, tuple):
        return ", ".join(render(v, edition) for v in value)
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and value == value \
            and value not in (float("inf"), float("-inf")):
        return fmt_plain(cast(float, value), edition=edition)  # a Real: Python's or NumPy's
    return str(value)
