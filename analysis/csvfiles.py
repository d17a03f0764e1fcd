"""CSV files the project writes for people to open in a spreadsheet (the free-text quarantine that
coders open in Excel, the CSV export, the codebook, the cleaning log).

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
Excel, LibreOffice and Google Sheets as a formula (``=HYPERLINK(…)`` sends data elsewhere when
clicked). As OWASP recommends for CSV injection, such a cell gets a leading apostrophe, which a
spreadsheet shows as text and does not evaluate. Numbers stay numbers (a negative number is not
text); the apostrophe is the one change, and only in those cells.
"""

from __future__ import annotations

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def as_text(value: object) -> object:
    """``value`` with a leading apostrophe when a spreadsheet would take it for a formula.

    >>> as_text("=HYPERLINK(\\"https://x\\")"), as_text("- niets"), as_text("gewoon"), as_text(-1)
    ('\\'=HYPERLINK("https://x")', "'- niets", 'gewoon', -1)
    """
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """``frame`` as UTF-8 CSV with every text cell and header safe to open: no index, and CRLF line
    ends as RFC 4180 and Excel have them, so that a line break inside a free-text answer (LimeSurvey
    keeps the respondent's CR LF) is quoted and stays inside its cell."""
    out = frame.rename(columns=lambda c: as_text(str(c)))
    for column in out.columns:
        if out[column].dtype == object or isinstance(out[column].dtype, pd.StringDtype):
            out[column] = out[column].map(as_text, na_action="ignore")
    return out.to_csv(index=False, lineterminator="\r\n").encode("utf-8")
