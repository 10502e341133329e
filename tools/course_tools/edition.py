"""Translated editions of the workbook, built from the English notebooks (instructor tooling).

English stays the one source. Each notebook's markdown cells are gettext messages in a
catalogue beside the notebooks, ``notebooks/locales/<locale>/<notebook stem>.po``: the
``msgid`` is the English cell, the ``msgctxt`` the cell's id (nbformat 4.5, kept by ``nbclean``;
the cells that predate ids have ``md-03``, their old position among the markdown cells), so
inserting or moving a cell changes its own entry alone; the ``msgstr`` is the translation. Translators edit the ``.po`` files in any PO
editor (Poedit, Lokalize, a text editor); nobody edits a translated notebook.

``python -m course_tools.edition update es``
    Extract the English cells and merge them into the catalogues: a new cell comes in
    untranslated; a changed cell keeps its old translation, flagged *fuzzy*, with the English text
    it translated as the previous ``msgid`` (``#| msgid``); a removed cell becomes obsolete
    (``#~``). The computed prose's sentence templates (``_()`` calls in ``course_utils``) are
    merged the same way into ``course_utils/locales/<locale>/LC_MESSAGES/course_utils.po``.
``python -m course_tools.edition build es``
    Write ``notebooks/<locale>/*.ipynb``: every markdown cell replaced by its translation, the
    Colab badge pointing at the translated notebook, code cells copied unchanged except the
    parameters cell, which gets ``edition = "<locale>"``. It refuses, listing them, while any
    entry is missing, untranslated or fuzzy.
``python -m course_tools.edition check es``
    The same checks, writing nothing.

Each command handles two collections of English notebooks (``COLLECTIONS``): the course's
numbered notebooks (``notebooks/`` -> ``notebooks/locales/<locale>/`` -> ``notebooks/<locale>/``)
and the graded assignments' otter source notebooks (``assignments/a*.ipynb`` ->
``assignments/locales/<locale>/`` -> ``assignments/<locale>/``, which ``make assign`` builds
for students). Only markdown is translated: otter's raw structural cells and every code cell
(solutions, tests, points) are copied unchanged, so both editions grade alike.

Code outputs: a code cell whose source is unchanged keeps the outputs the translated notebook
already has (it may have been executed in its language); otherwise it gets the English ones.
"""
from __future__ import annotations

import argparse
import copy
import datetime
import io
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from collections.abc import Callable, Iterable, Sequence

import nbformat
from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import normalize, read_po, unescape, write_po

import course_utils
from course_utils import config
from course_utils.fileio import write_text_atomic
from .cells import BADGE, PARAMETERS_CELL, colab_badge, parameters_cell, set_edition_parameter, setup_cell
# This module works on a checkout: its folders are resolved on import (layout.NotACheckoutError if none).
from .layout import ASSIGNMENTS_DIR, NOTEBOOK_DIR, discover, find_assignments
from .nbclean import checkout_text, clean_text

#: Former names, kept importable from here: the badge pattern and the parameters-cell helper now
#: live in ``cells`` beside ``PARAMETERS_CELL``.
_BADGE = BADGE

#: Where the notebooks' catalogues live: ``<LOCALES_DIR>/<locale>/<stem>.po``.
LOCALES_DIR = NOTEBOOK_DIR / "locales"
#: The ``course_utils`` package (its ``_()`` templates) and its catalogues.
PACKAGE_DIR = Path(course_utils.__file__).resolve().parent
PACKAGE_LOCALES_DIR = PACKAGE_DIR / "locales"
#: The packages whose sentences the course's catalogue holds: the course's own, and the tools'
#: (the grader's feedback, the cells' setup text), each with its folder as the repository names it.
SENTENCE_SOURCES = ((PACKAGE_DIR, "course_utils"), (Path(__file__).resolve().parent, "tools/course_tools"))
PACKAGE_DOMAIN = "course_utils"
PROJECT = "rnn-imdb-workbook"
#: No wrapping: one PO line per markdown line, so that diffs and hand edits stay readable.
PO_WIDTH = 0
#: Plural forms as GNU gettext and PO editors know them. Babel derives Spanish's from CLDR
#: (three forms, one for exact millions), which would ask translators for a form nobody uses.
PLURAL_FORMS = {"es": (2, "(n != 1)")}
#: A message id as Babel holds it: the English text, or ``(singular, plural)`` for ``ngettext``.
MessageID = str | tuple[str, ...] | list[str]
#: Where the assignments' catalogues live: ``<ASSIGNMENT_LOCALES_DIR>/<locale>/<name>.po``.
ASSIGNMENT_LOCALES_DIR = ASSIGNMENTS_DIR / "locales"


class EditionError(ValueError):
    """A catalogue or a translated notebook is not in a state that can be built."""


@dataclass(frozen=True)
class Collection:
    """A folder of English notebooks translated together: where they are, how they are found,
    where their catalogues live. The translated notebooks go to ``<source_dir>/<locale>/``."""

    name: str
    source_dir: Path
    locales_dir: Path
    find: Callable[[Path], list[Path]]
    #: Whether git's nbclean filter applies to the translated notebooks (``.gitattributes``):
    #: they are written as a checkout holds them (``checkout_text``), else clean (``clean_text``).
    filtered: bool = True
    #: Whether the notebooks' first code cell is the course's setup cell (``cells.setup_cell``),
    #: written in the translation's language; the assignments have none (their code is kept).
    setup: bool = True


#: What ``update``, ``build`` and ``check`` handle, in this order.
COLLECTIONS = (Collection("notebooks", NOTEBOOK_DIR, LOCALES_DIR, discover),
               Collection("assignments", ASSIGNMENTS_DIR, ASSIGNMENT_LOCALES_DIR, find_assignments,
                          filtered=False, setup=False))


@dataclass(frozen=True)
class Source:
    """One English markdown cell: its key in the catalogue (the cell's id), its text, its cell
    index, and whether it is the notebook's first markdown cell (where the Colab badge is)."""

    context: str
    text: str
    index: int
    first: bool = False


@dataclass
class MergeReport:
    """What ``update`` did to one catalogue."""

    name: str
    added: list[str] = field(default_factory=list)
    fuzzy: list[str] = field(default_factory=list)
    obsolete: list[str] = field(default_factory=list)
    untranslated: int = 0
    written: bool = False

    def __str__(self) -> str:
        parts = [f"{len(self.added)} new", f"{len(self.fuzzy)} newly fuzzy", f"{len(self.obsolete)} obsolete",
                 f"{self.untranslated} untranslated or fuzzy in all"]
        return f"{self.name}: " + ", ".join(parts) + ("" if self.written else " (unchanged)")


def check_locale(locale: str) -> str:
    """Return ``locale`` if Babel knows it and it is not English (the source); raise otherwise."""
    if not isinstance(locale, str) or not re.fullmatch(r"[a-z]{2,3}(_[A-Z]{2})?", locale):
        raise EditionError(f"locale must look like 'es' or 'es_MX', got {locale!r}.")
    try:
        Locale.parse(locale)
    except (UnknownLocaleError, ValueError) as exc:
        raise EditionError(f"Babel does not know the locale {locale!r}: {exc}") from exc
    if locale.split("_")[0] == "en":
        raise EditionError("English is the source edition: edit notebooks/*.ipynb, not a catalogue.")
    return locale


def markdown_sources(nb: nbformat.NotebookNode) -> list[Source]:
    """The notebook's markdown cells as catalogue sources, the Colab badge left out.

    The badge (written by ``course_tools.cells``) is not prose: ``build`` writes the
    translated notebook's own badge instead.
    """
    sources, count = [], 0
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        count += 1
        text = BADGE.sub("", cell.source, count=1) if count == 1 else cell.source
        sources.append(Source(cell.get("id") or f"md-{count:02d}", text, index, first=count == 1))
    return sources


def catalogue_path(locale: str, stem: str, locales_dir: Path = LOCALES_DIR) -> Path:
    """``<locales_dir>/<locale>/<stem>.po``."""
    return Path(locales_dir) / locale / f"{stem}.po"


def read_catalogue(path: Path) -> Catalog:
    """Read a ``.po`` file with Babel; a clear error names the file if it cannot be parsed.

    Babel's reader keeps a fuzzy entry's previous msgid (``#| msgid ...``) only as a comment;
    it is turned back into ``previous_id`` here, so that it survives the next ``update``.
    """
    try:
        with open(path, "rb") as handle:
            catalog = read_po(handle, abort_invalid=True)
    except FileNotFoundError:
        raise
    except Exception as exc:
        raise EditionError(f"{path} is not a valid PO file ({exc}); fix it in a PO editor or restore it "
                           "from git.") from exc
    for message in catalog:
        previous = [c[1:].strip() for c in message.user_comments if c.startswith("|")]
        if previous:
            message.user_comments = [c for c in message.user_comments if not c.startswith("|")]
            joined = " ".join(previous)
            if joined.startswith("msgid "):
                message.previous_id = ["".join(unescape(f'"{part}"') for part in
                                              re.findall(r'"((?:[^"\\]|\\.)*)"', joined[len("msgid "):]))]
    return catalog


def catalogue_text(catalog: Catalog) -> str:
    """The ``.po`` text of a catalogue, with the previous msgid of fuzzy entries and the obsolete
    entries. The previous msgid is written as GNU gettext does (one ``#|`` line per line of
    text), which Babel's writer does not do."""
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=PO_WIDTH, include_previous=False, include_lineno=True)
    # no "Generated-By: Babel x.y" header: the file must not change with the translator's Babel
    text = re.sub(r'^"Generated-By: [^"]*"\n', "", buffer.getvalue().decode("utf-8"), count=1, flags=re.M)
    for message in catalog:
        if message.id and message.previous_id and message.context:
            lines = normalize(message.previous_id[0], width=PO_WIDTH).splitlines()
            block = "".join(f"#| {'msgid ' if k == 0 else ''}{line}\n" for k, line in enumerate(lines))
            anchor = re.compile(rf"^msgctxt {re.escape(normalize(message.context, width=PO_WIDTH))}\n", re.M)
            found = anchor.search(text)
            if found:  # the block goes right above the entry's msgctxt line
                text = text[:found.start()] + block + text[found.start():]
    return text


def write_catalogue(catalog: Catalog, path: Path) -> bool:
    """Write ``catalog`` to ``path`` atomically, only if its text changed; True if written."""
    text = catalogue_text(catalog)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    write_text_atomic(path, text)
    return True


def _new_catalogue(locale: str, domain: str, old: Catalog | None) -> Catalog:
    new = Catalog(locale=locale, domain=domain, project=PROJECT, fuzzy=False,
                  header_comment=(f"# {domain}: the {Locale.parse(locale).english_name} edition of the workbook.\n"
                                  "# Generated by `python -m course_tools.edition update`; translate\n"
                                  "# in any PO editor, never in the generated notebooks.\n#"),
                  creation_date=datetime.datetime.now(datetime.UTC).replace(microsecond=0),
                  language_team=f"{Locale.parse(locale).english_name} <{PROJECT}>",
                  last_translator=f"{PROJECT} translators")
    if old is not None:
        new.header_comment = old.header_comment
        new.mime_headers = old.mime_headers
        new.locale = Locale.parse(locale)
        new.fuzzy = False
    elif locale.split("_")[0] in PLURAL_FORMS:
        new._num_plurals, new._plural_expr = PLURAL_FORMS[locale.split("_")[0]]  # type: ignore[assignment]  # no public setter; Babel declares them None
    return new


def merge(old: Catalog | None, sources: Sequence[tuple[str | None, MessageID, Sequence[tuple[str, int]]]],
          locale: str, domain: str) -> tuple[Catalog, MergeReport]:
    """Merge the current English messages into ``old``; return the new catalogue and a report.

    Parameters
    ----------
    old
        The existing catalogue, or None for a new one.
    sources
        ``(context, English text, locations)`` for every message, in order. ``context`` may be
        ``None`` (computed-prose templates are keyed by their text alone).

    Notes
    -----
    A message is matched, in this order: (1) same text and context; (2) same text, any context
    (a cell moved); (3) same context, other text (the English changed): the old translation is
    kept, flagged fuzzy, with the English it translated as ``previous_id``. Everything else is
    new and untranslated; old entries nobody matched become obsolete.
    """
    report = MergeReport(domain)
    new = _new_catalogue(locale, domain, old)
    candidates: list[Message] = []
    if old is not None:
        candidates = [m for m in old if m.id] + list(old.obsolete.values())
    active = len(candidates) - (len(old.obsolete) if old is not None else 0)
    claimed: set[int] = set()
    matched: dict[int, tuple[Message, bool]] = {}  # source position -> (old message, fuzzy)

    def claim(position: int, predicate, fuzzy: bool) -> None:
        for k, message in enumerate(candidates):
            if k not in claimed and predicate(message):
                claimed.add(k)
                matched[position] = (message, fuzzy)
                return

    # Each pass binds its source's text and context (``t``, ``c``) into the predicate it claims with.
    for position, (context, text, _) in enumerate(sources):
        claim(position, lambda m, t=text, c=context: m.id == t and m.context == c and m.string, False)
    for position, (_context, text, _) in enumerate(sources):
        if position not in matched:
            claim(position, lambda m, t=text: m.id == t and m.string, False)
    for position, (context, text, _) in enumerate(sources):
        if position not in matched and context is not None:
            claim(position, lambda m, t=text, c=context: m.context == c and m.string and m.id != t, True)

    for position, (context, text, locations) in enumerate(sources):
        old_message, became_fuzzy = matched.get(position, (None, False))
        string: MessageID | None = ""
        flags: set[str] = set()
        previous: MessageID = ()
        if old_message is not None:
            string = old_message.string
            was_fuzzy = "fuzzy" in old_message.flags
            flags = {f for f in old_message.flags if f != "fuzzy"}
            if became_fuzzy or was_fuzzy:
                flags.add("fuzzy")
                # the English the translation was written for: keep the oldest one
                previous = old_message.previous_id if was_fuzzy and old_message.previous_id else old_message.id
                if became_fuzzy and not was_fuzzy:
                    report.fuzzy.append(context or _label(text))
        else:
            report.added.append(context or _label(text))
        if "{" in str(text) and domain == PACKAGE_DOMAIN:
            flags.add("python-brace-format")
        new.add(text, string, locations=locations, flags=sorted(flags), previous_id=previous, context=context)
        if not string or "fuzzy" in flags or (isinstance(string, tuple) and not all(string)):
            report.untranslated += 1
    for k, message in enumerate(candidates):
        if k not in claimed and message.string:
            key = (message.id, message.context) if message.context else message.id
            new.obsolete[key] = Message(  # type: ignore[index]  # Babel's key type has no plural (tuple) ids
                message.id, message.string, flags=message.flags, context=message.context)
            if k < active:
                report.obsolete.append(message.context or _label(message.id))
    return new, report


def _label(message_id: MessageID) -> str:
    return (message_id[0] if isinstance(message_id, (tuple, list)) else message_id)[:40]


def _load(path: Path) -> Catalog | None:
    return read_catalogue(path) if path.exists() else None


def update(locale: str, *, notebook_dir: Path = NOTEBOOK_DIR, locales_dir: Path = LOCALES_DIR,
           package: bool = True, find: Callable[[Path], list[Path]] = discover) -> list[MergeReport]:
    """Extract the English notebooks' markdown (and the package's templates) and merge each
    into its catalogue, written atomically. Returns one report per catalogue.

    ``find`` lists the English notebooks of ``notebook_dir`` (default: the numbered ones;
    ``find_assignments`` for the assignments)."""
    check_locale(locale)
    notebooks = find(notebook_dir)
    if not notebooks:
        raise EditionError(f"No English notebooks to translate in {notebook_dir}.")
    reports = []
    for path in notebooks:
        nb = nbformat.read(path, 4)
        sources = [(s.context, s.text, [(path.name, s.index + 1)]) for s in markdown_sources(nb)]  # cell number
        po = catalogue_path(locale, path.stem, locales_dir)
        catalog, report = merge(_load(po), sources, locale, path.stem)
        report.written = write_catalogue(catalog, po)
        reports.append(report)
    if package:
        reports.append(update_package(locale))
    return reports


def package_catalogue_path(locale: str, locales_dir: Path = PACKAGE_LOCALES_DIR) -> Path:
    """``course_utils/locales/<locale>/LC_MESSAGES/course_utils.po``."""
    return Path(locales_dir) / locale / "LC_MESSAGES" / f"{PACKAGE_DOMAIN}.po"


#: The calls ``update`` extracts from the package (see ``course_utils.i18n``; ``N_`` marks a label
#: looked up where it is shown).
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def extract_templates(sources: Sequence[tuple[Path, str]] = SENTENCE_SOURCES,
                      ) -> list[tuple[None, str | tuple[str, ...], list[tuple[str, int]]]]:
    """The ``_("...")``/``ngettext(...)`` sentence templates in the packages, with where they are.

    ``sources`` pairs each package's folder with the name its locations are written under."""
    from babel.messages.extract import extract_from_dir

    found: dict[str | tuple[str, ...], list[tuple[str, int]]] = {}
    for folder, prefix in sources:
        for filename, lineno, message, _comments, _context in extract_from_dir(
                str(folder), method_map=[("**.py", "python")], keywords=KEYWORDS):
            if message and all(message if isinstance(message, tuple) else [message]):
                found.setdefault(message, []).append((f"{prefix}/{filename}", lineno))
    return [(None, text, locations) for text, locations in found.items()]


def update_package(locale: str, *, sources: Sequence[tuple[Path, str]] = SENTENCE_SOURCES,
                   locales_dir: Path = PACKAGE_LOCALES_DIR) -> MergeReport:
    """Merge the packages' ``_()`` templates into the course's catalogue for ``locale``."""
    check_locale(locale)
    po = package_catalogue_path(locale, locales_dir)
    catalog, report = merge(_load(po), extract_templates(sources), locale, PACKAGE_DOMAIN)
    report.written = write_catalogue(catalog, po)
    return report


def problems(catalog: Catalog | None, sources: Iterable[Source], name: str) -> list[str]:
    """What keeps a notebook from being built: missing, untranslated and fuzzy entries."""
    if catalog is None:
        return [f"{name}: no catalogue; run `python -m course_tools.edition update <locale>`"]
    found = []
    for source in sources:
        message = catalog.get(source.text, context=source.context)
        first_line = source.text.strip().splitlines()[0][:60] if source.text.strip() else ""
        if message is None:
            found.append(f"{name} {source.context}: not in the catalogue (English changed since the last "
                         f"update; run update): {first_line!r}")
        elif not message.string:
            found.append(f"{name} {source.context}: untranslated: {first_line!r}")
        elif message.fuzzy:
            found.append(f"{name} {source.context}: fuzzy (the English changed; check the translation and "
                         f"clear the fuzzy flag): {first_line!r}")
    return found


def translate_notebook(nb: nbformat.NotebookNode, catalog: Catalog, name: str, locale: str,
                       existing: nbformat.NotebookNode | None = None, *, setup: bool = True) -> nbformat.NotebookNode:
    """The translated copy of one English notebook (checked by ``problems`` first); ``setup``:
    its first code cell is the course's setup cell, written in ``locale``."""
    out = copy.deepcopy(nb)
    for source in markdown_sources(nb):
        message = catalog.get(source.text, context=source.context)
        if message is None or not isinstance(message.string, str):  # problems() lets none through
            raise EditionError(f"{name} {source.context}: no translation; check the catalogue with problems()")
        text = message.string
        if source.first and BADGE.match(nb.cells[source.index].source):
            text = colab_badge(f"{locale}/{name}") + "\n\n" + text
        out.cells[source.index].source = text
    reuse: dict[int, nbformat.NotebookNode] = {}
    if existing is not None:
        old_code = [c for c in existing.cells if c.cell_type == "code"]
    code = [c for c in out.cells if c.cell_type == "code"]
    if code and setup:  # the setup cell runs before the package exists: it carries its edition's messages
        code[0].source = setup_cell(config.REPO_URL, config.COURSE_REF, locale)
    for position, cell in enumerate(code):
        if "parameters" in cell.metadata.get("tags", []):
            # the course's own cell gets its edition's comments; any other, the edition line alone
            cell.source = (parameters_cell(locale) if cell.source == PARAMETERS_CELL
                           else set_edition_parameter(cell.source, locale))
        if existing is not None and position < len(old_code) and old_code[position].source == cell.source:
            reuse[position] = old_code[position]
    for position, old in reuse.items():
        code[position].outputs = copy.deepcopy(old.get("outputs", []))
        code[position].execution_count = old.get("execution_count")
    return out


def build(locale: str, *, notebook_dir: Path = NOTEBOOK_DIR, locales_dir: Path = LOCALES_DIR,
          output_dir: Path | None = None, write: bool = True,
          find: Callable[[Path], list[Path]] = discover, filtered: bool = True, setup: bool = True) -> list[Path]:
    """Write the translated notebooks into ``output_dir`` (default ``<notebook_dir>/<locale>``),
    as a checkout through git's nbclean filter holds them (``filtered``) or simply clean;
    ``setup``: the first code cell is the course's setup cell (see ``Collection``).

    Raises
    ------
    EditionError
        Listing every missing, untranslated or fuzzy entry, before anything is written.
    """
    check_locale(locale)
    output_dir = Path(output_dir) if output_dir is not None else Path(notebook_dir) / locale
    notebooks = find(notebook_dir)
    if not notebooks:
        raise EditionError(f"No English notebooks to translate in {notebook_dir}.")
    loaded, found = [], []
    for path in notebooks:
        nb = nbformat.read(path, 4)
        catalog = _load(catalogue_path(locale, path.stem, locales_dir))
        found += problems(catalog, markdown_sources(nb), path.name)
        if catalog is not None:  # a missing one is among the problems
            loaded.append((path, nb, catalog))
    if found:
        raise EditionError(f"Cannot build the '{locale}' edition: {len(found)} entries need a translator "
                           "(edit the .po files, then build again):\n  " + "\n  ".join(found))
    written = []
    for path, nb, catalog in loaded:
        target = output_dir / path.name
        existing = nbformat.read(target, 4) if target.exists() else None
        translated = translate_notebook(nb, catalog, path.name, locale, existing, setup=setup)
        text = checkout_text(translated) if filtered else clean_text(nbformat.writes(translated, version=4))
        if write and not (target.exists() and target.read_text(encoding="utf-8") == text):
            write_text_atomic(target, text)
            written.append(target)
    return written


#: Frequent words that are function words in one language and (almost) never words of the other.
#: Words both languages use ("a", "no", "me", "son", "he", "e") are left out of both lists.
SPANISH_WORDS = frozenset("""de la el que y en los las un una por con para es se del al lo su sus como más
    pero este esta estos estas entre cuando muy sin sobre también hasta hay donde desde todo todos nos
    durante ni cada otro otra otros son está están ser qué cuál cuánto cómo dónde porque así aquí
    después antes sólo solo mismo misma le les ya tu tus nuestro nuestra nuestros nuestras""".split())
ENGLISH_WORDS = frozenset("""the of and to in is that it for on with as are this be by from at an or which
    we not its each how what than these those when very without about also until there where all
    our during every other was were has have been only same you your they their them into after
    before because here then so""".split())
_NOT_PROSE = [
    re.compile(r"\$\$.*?\$\$", re.S),            # display math
    re.compile(r"\$[^$\n]*\$"),                  # inline math
    re.compile(r"```.*?```", re.S),               # fenced code
    re.compile(r"`[^`]*`"),                       # code spans
    re.compile(r"\]\([^)]*\)"),                   # link targets (the link text stays)
    re.compile(r"https?://\S+"),                  # bare URLs
    re.compile(r"^>.*$", re.M),                   # quoted reviews (blockquotes)
    re.compile("«[^»]*»|\"[^\"\\n]*\"|“[^”]*”"),     # quoted words and sentences
    re.compile(r"\([^()]*\*[^*()]+\*[^()]*\)"),    # "(*English term*)" after a Spanish term
    re.compile(r"<[^>]+>"),                       # HTML tags
]


def prose_words(markdown: str) -> list[str]:
    """The lower-cased words of a markdown cell's prose: code, math, link targets, URLs and quoted
    text (reviews, English examples, the English term in parentheses) removed."""
    for pattern in _NOT_PROSE:
        markdown = pattern.sub(" ", markdown)
    return re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", markdown.lower())


def spanish_share(markdown: str) -> tuple[float, int]:
    """``(share, n)``: of the ``n`` function words found in the prose, the share that are Spanish.

    A Spanish cell scores near 1, an English one near 0; ``n`` says how much evidence there was.
    """
    words = prose_words(markdown)
    spanish = sum(w in SPANISH_WORDS for w in words)
    english = sum(w in ENGLISH_WORDS for w in words)
    total = spanish + english
    return (spanish / total if total else 0.0), total


def main(argv: Sequence[str] | None = None) -> int:
    """Update the catalogues of a translated edition, or build its notebooks."""
    parser = argparse.ArgumentParser(prog="python -m course_tools.edition",
                                     description=main.__doc__)
    parser.add_argument("command", choices=["update", "build", "check"],
                        help="update: merge the English into the catalogues; build: write the "
                             "translated notebooks; check: build's checks, writing nothing")
    parser.add_argument("locale", help="the edition, e.g. es")
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOK_DIR, help="the English notebooks' folder")
    parser.add_argument("--locales", type=Path, default=LOCALES_DIR, help="the notebooks' catalogues")
    parser.add_argument("--output", type=Path, default=None, help="build: where to write (default notebooks/<locale>)")
    parser.add_argument("--only", choices=[c.name for c in COLLECTIONS], default=None,
                        help="handle one collection only (default: all of them: the course's notebooks, then "
                             "the assignments in assignments/)")
    args = parser.parse_args(argv)
    custom = args.notebooks.resolve() != NOTEBOOK_DIR or args.locales.resolve() != LOCALES_DIR or args.output
    collections = [Collection("notebooks", args.notebooks, args.locales, discover)] if custom else \
        [c for c in COLLECTIONS if args.only in (None, c.name)]
    try:
        for collection in collections:
            kwargs: dict[str, Any] = dict(notebook_dir=collection.source_dir, locales_dir=collection.locales_dir,
                                          find=collection.find)
            if args.command == "update":
                package = not custom and collection.name == "notebooks"
                for report in update(args.locale, package=package, **kwargs):
                    print(report)
                continue
            written = build(args.locale, output_dir=args.output, write=args.command == "build",
                            filtered=collection.filtered, setup=collection.setup, **kwargs)
            if args.command == "build":
                print(f"{collection.name}: written: "
                      + (", ".join(p.name for p in written) if written else "nothing (all in step)"))
            else:
                print(f"{collection.name}: the '{args.locale}' edition is complete: every entry translated, "
                      "none fuzzy")
    except EditionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
