"""Untrusted text made inert before it is shown: a file name, a sandbox's error message, a
Keras layer's name. :func:`shown` writes any text one-to-one on one printable line (nothing
invisible, no byte that is not UTF-8, bounded); :func:`markdown_safe` also leaves Markdown and
HTML nothing to render (no heading, emphasis, tag, link or autolink). Every such text in the
grade sheet, the report and the feedback goes through one of them, so it can neither imitate
the grader's own lines (it never starts a line) nor run to megabytes.
"""
from __future__ import annotations

import html
import re

#: Printable but invisible (or blank) characters, shown escaped like control characters.
_INVISIBLE = frozenset([0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x2800, 0x3164, 0xFFA0, *range(0x180B, 0x1810),
                        *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)])
#: Longest text (in characters, once escaped) a name or reason may take in the sheet, report or feedback.
SHOWN_LIMIT = 2_000


def shown(text: str, limit: int | None = SHOWN_LIMIT) -> str:
    """``text`` as it may be shown anywhere: one-to-one, printable, one line, bounded.

    A backslash is doubled; a byte that was not UTF-8 (a ``surrogateescape`` code, what Python
    makes of a Latin-1 file name from a Windows zip) is shown ``\\xe9``; control, format
    (zero-width, bidirectional), separator and invisible characters are shown ``\\u200b``.
    So ``bob``, ``bob\\u200b`` and ``\\u202ebob`` read differently, and no two names read
    alike. Text longer than ``limit`` characters once escaped is cut, saying how much was cut.

    Parameters
    ----------
    text : str
        Any text: a file name, a reason, a sandbox's message.
    limit : int or None
        Most characters kept (``None``: no limit).

    Returns
    -------
    str
        Text that encodes to UTF-8 whatever ``text`` held.
    """
    out = []
    for char in str(text):
        code = ord(char)
        if char == "\\":
            out.append("\\\\")
        elif 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, kept by surrogateescape
            out.append(f"\\x{code - 0xDC00:02x}")
        elif (not char.isprintable() and char != " ") or code in _INVISIBLE:
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(char)
    text = "".join(out)
    if limit is not None and len(text) > limit:
        text = text[:limit] + f"... [{len(text) - limit:,} more characters cut]"
    return text


def _defang(text: str) -> str:
    """Break what Markdown renderers turn into links by themselves (``www.x.com``, ``https://``, ``a@b.c``)."""
    text = re.sub(r"(?i)(www)\.", r"\1[.]", text)
    return text.replace("://", "[:]//").replace("@", "[@]")


def markdown_safe(text: str, limit: int | None = SHOWN_LIMIT) -> str:
    """``text`` shown literally in Markdown and HTML: one line (:func:`shown`), bounded, no tag,
    no heading, no link (nor an autolink such as ``www.x.com``, shown ``www[.]x.com``), no emphasis."""
    text = html.escape(_defang(shown(text, limit)), quote=False)
    return re.sub(r"([\\`*_\[\]#!|~])", r"\\\1", text)
