"""Disclosure control for published cells (AVG): no cell small enough to identify anyone.

Primary suppression: a mean on fewer than ``min_n`` respondents, or a percentage on fewer than
``min_n_percentage``, is blanked. Complementary suppression: when exactly one category of a
grouping variable is blanked, its value could be recovered from the total and the other
categories (their population sizes are public registry figures), so the next smallest
category of that group is blanked too.

Exports for researchers (:func:`k_anonymise`) are protected differently: every respondent shares
the values of the quasi-identifiers (registry variables, language, year of arrival) with at least
``k - 1`` others.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

OVERALL = "totaal"


def suppress_small_cells(table: pd.DataFrame, min_n: int, min_n_percentage: int | None = None) -> pd.DataFrame:
    """Flag the cells under the minimum bases (``suppressed = True``, ``suppression`` saying
    why). The values stay in this internal table for the researchers; the report never shows a
    suppressed value (it prints "–").

    Parameters
    ----------
    table : DataFrame
        One row per published cell, with columns ``indicator``, ``group`` (``"totaal"`` for
        the overall row), ``category``, ``kind`` (``"proportion"`` or another kind, e.g.
        ``"mean"``) and ``n`` (respondents).
    min_n : int
        Smallest base for a cell that is not a proportion.
    min_n_percentage : int, optional
        Smallest base for a proportion (default ``min_n``).

    Returns
    -------
    DataFrame
        A copy with ``suppression`` (``"primary"``, ``"complementary"`` or missing) and
        ``suppressed`` (bool).

    Raises
    ------
    KeyError
        A required column is missing.

    Notes
    -----
    Primary: n < the minimum of the cell's kind. Complementary: per indicator and grouping
    variable (not the overall row), when exactly one of two or more categories is primary,
    the unsuppressed category with the smallest n (ties: first category in sort order) is
    suppressed too. No R equivalent is claimed (``sdcTable`` solves the general secondary
    suppression problem; this simple rule is not checked against it).

    References
    ----------
    Hundepool, A., Domingo-Ferrer, J., Franconi, L., Giessing, S., Nordholt, E. S., Spicer, K.,
    & de Wolf, P.-P. (2012). Statistical Disclosure Control. Wiley, ch. 4.

    Examples
    --------
    >>> t = pd.DataFrame({"indicator": ["work"] * 4 + ["hours"] * 4, "group": ["totaal", "region", "region", "region"] * 2,
    ...                   "category": ["totaal", "e", "n", "s"] * 2, "kind": ["proportion"] * 4 + ["mean"] * 4,
    ...                   "n": [24, 4, 12, 8] * 2})
    >>> print(suppress_small_cells(t, min_n=5, min_n_percentage=10)[["indicator", "category", "n", "suppression"]])
      indicator category   n    suppression
    0      work   totaal  24           <NA>
    1      work        e   4        primary
    2      work        n  12           <NA>
    3      work        s   8        primary
    4     hours   totaal  24           <NA>
    5     hours        e   4        primary
    6     hours        n  12           <NA>
    7     hours        s   8  complementary
    """
    out = table.copy()
    limit = out["kind"].map({"proportion": min_n_percentage or min_n}).fillna(min_n)
    primary = out["n"] < limit
    out["suppression"] = pd.Series(pd.NA, index=out.index, dtype="string")
    out.loc[primary, "suppression"] = "primary"
    groups = out[out.group != OVERALL].groupby(["indicator", "group"], sort=False)
    for _, cells in groups:
        blanked = cells["suppression"].notna()
        if blanked.sum() == 1 and len(cells) > 1:
            partner = cells[~blanked].sort_values(["n", "category"]).index[0]
            out.loc[partner, "suppression"] = "complementary"
    out["suppressed"] = out["suppression"].notna()
    return out


def suppressed_counts(counts: dict[str, int], min_n: int) -> set[str]:
    """The counts of respondents to leave out of a published table: those from 1 to ``min_n - 1``
    (primary), and, when that is just one, the next smallest non-zero count too, since the total
    is published elsewhere and would give it away (complementary). A zero identifies no one.

    Parameters
    ----------
    counts : {key: count}
        The table's counts.
    min_n : int
        Smallest count that may be shown.

    Returns
    -------
    set of str
        The keys to suppress (ties for the complementary one: smallest key).

    Notes
    -----
    The same rule as :func:`suppress_small_cells`, for a plain table of counts; no R
    equivalent is claimed.

    Examples
    --------
    >>> sorted(suppressed_counts({"a": 3, "b": 10, "c": 0, "d": 20}, 5))
    ['a', 'b']
    >>> sorted(suppressed_counts({"a": 3, "b": 4, "d": 20}, 5))
    ['a', 'b']
    """
    small = {key for key, n in counts.items() if 0 < n < min_n}
    if len(small) == 1:
        others = sorted((n, key) for key, n in counts.items() if n > 0 and key not in small)
        if others:
            small.add(others[0][1])
    return small


@dataclass(frozen=True)
class Anonymised:
    """An export table made k-anonymous by :func:`k_anonymise`, with what was blanked.

    Attributes
    ----------
    table : DataFrame
        The table with the blanked values set missing.
    k : int
        The k asked for.
    quasi_identifiers : tuple of str
        The quasi-identifiers, in order of importance.
    blanked : {column: number of values}
        Values blanked per quasi-identifier (missing values already there not counted).
    respondents_touched : int
        Rows with at least one blanked value.
    """

    table: pd.DataFrame
    k: int
    quasi_identifiers: tuple[str, ...]
    blanked: dict[str, int]
    respondents_touched: int

    def summary_nl(self) -> str:
        """One Dutch sentence for the codebook and the SPSS file."""
        done = ", ".join(f"{c} {n}" for c, n in self.blanked.items() if n) or "geen"
        return (f"k-anonimiteit (k = {self.k}) over {', '.join(self.quasi_identifiers)}: elke respondent deelt deze "
                f"kenmerken met ten minste {self.k - 1} anderen (een lege waarde telt als elke waarde); leeggemaakt: "
                f"{done}, bij {self.respondents_touched} respondenten.")


def k_anonymise(table: pd.DataFrame, quasi_identifiers: list[str], k: int) -> Anonymised:
    """Blank (set missing) as few values of the quasi-identifiers as this greedy method finds so
    that every respondent shares their combination with at least ``k - 1`` others.

    Parameters
    ----------
    table : DataFrame
        One row per respondent.
    quasi_identifiers : list of str
        Columns, in order of importance (the first is kept longest).
    k : int
        The smallest class size wanted.

    Returns
    -------
    Anonymised
        The table with values blanked (a blanked integer column becomes float) and counts of
        what was blanked.

    Raises
    ------
    KeyError
        A quasi-identifier is not a column.

    Notes
    -----
    Local suppression as sdcMicro's ``localSuppression`` does it: a missing value (blanked or never
    answered) counts as matching every value, so a respondent's class size is the number of
    respondents whose values equal theirs or are missing on each quasi-identifier. Respondents at
    risk are handled smallest class first. For a respondent at risk the last-listed value whose
    blanking alone brings the class to ``k`` is blanked; if none does, the one that gives the
    largest class (ties: listed last), and so on until the class reaches ``k``.
    Blanking only ever grows classes, so respondents already safe stay safe and the result is
    k-anonymous whenever the table has at least ``k`` rows (the caller checks that). The greedy
    order is this function's own: results are not checked against R ``sdcMicro``.

    References
    ----------
    Sweeney, L. (2002). k-anonymity: a model for protecting privacy. International Journal of
    Uncertainty, Fuzziness and Knowledge-Based Systems 10(5), 557–570.
    Templ, M., Kowarik, A., & Meindl, B. (2015). Statistical disclosure control for micro-data
    using the R package sdcMicro. Journal of Statistical Software 67(4).

    Examples
    --------
    >>> tab = pd.DataFrame({"lang": ["nl", "nl", "nl", "ar", "ar", "ti"], "year": [2015, 2015, 2016, 2016, 2016, 2016]})
    >>> a = k_anonymise(tab, ["lang", "year"], 2)
    >>> print(a.table)
      lang    year
    0   nl  2015.0
    1   nl  2015.0
    2   nl     NaN
    3   ar  2016.0
    4   ar  2016.0
    5  NaN  2016.0
    >>> a.blanked, a.respondents_touched
    ({'lang': 1, 'year': 1}, 2)
    """
    codes = np.stack([pd.factorize(table[q], use_na_sentinel=True)[0] for q in quasi_identifiers], axis=1) \
        if quasi_identifiers else np.zeros((len(table), 0), dtype=np.int64)
    start = codes.copy()

    def class_size(i: int) -> int:
        match = np.ones(len(codes), dtype=bool)
        for q in range(codes.shape[1]):
            value = codes[i, q]
            if value >= 0:
                match &= (codes[:, q] == value) | (codes[:, q] < 0)
        return int(match.sum())

    sizes = np.array([class_size(i) for i in range(len(codes))])
    for i in np.argsort(sizes, kind="stable"):
        if sizes[i] >= k:
            break
        while class_size(i) < k:
            best = None
            for q in reversed(range(codes.shape[1])):
                if codes[i, q] < 0:
                    continue
                value, codes[i, q] = codes[i, q], -1
                size = class_size(i)
                codes[i, q] = value
                if best is None or size > best[0]:
                    best = (size, q)
                if size >= k:
                    break
            assert best is not None  # the loop stops while a quasi-identifier is still shown
            codes[i, best[1]] = -1
    out = table.copy()
    blanked = {}
    for q, name in enumerate(quasi_identifiers):
        mask = (codes[:, q] < 0) & (start[:, q] >= 0)
        blanked[name] = int(mask.sum())
        if mask.any():
            out.loc[mask, name] = None
    touched = int(((codes < 0) & (start >= 0)).any(axis=1).sum())
    return Anonymised(out, k, tuple(quasi_identifiers), blanked, touched)
