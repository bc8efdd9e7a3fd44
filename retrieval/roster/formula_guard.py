"""Text cells a spreadsheet would run as formulas (CSV injection), guarded and unguarded.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to Excel,
LibreOffice and Google Sheets. Written with a leading ``'`` it shows as plain text; that is how
Storyfit writes such cells, and a roster CSV cell written that way reads back without the ``'``.
"""

from __future__ import annotations

#: A cell starting with one of these is a formula to Excel and Sheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_GUARD = "'"


def guard_formula(text: str) -> str:
    """``text``, with a leading ``'`` when a spreadsheet would read it as a formula (or when it
    already starts with guards before one, so that ``unguard_formula`` gives it back whole)."""
    return _GUARD + text if _formula_after_guards(text) else text


def unguard_formula(text: str) -> str:
    """The text ``guard_formula`` was given: one ``'`` before a formula character is dropped."""
    guarded = text.startswith(_GUARD) and _formula_after_guards(text)
    return text[1:] if guarded else text


def _formula_after_guards(text: str) -> bool:
    return text.lstrip(_GUARD).startswith(FORMULA_START)
