"""Disclosure control for published cells (AVG): no cell small enough to identify anyone."""

from __future__ import annotations

import pandas as pd

VALUE_COLUMNS = ["estimate", "se", "ci_low", "ci_high", "estimate_unweighted"]


def suppress_small_cells(table: pd.DataFrame, min_n: int) -> pd.DataFrame:
    """Blank every value of a cell whose unweighted base ``n`` is below ``min_n``.

    The row stays (so a reader sees the cell exists) with ``suppressed = True``; its ``n`` is
    kept only as "below the minimum" by setting it to NA as well.
    """
    out = table.copy()
    small = out["n"] < min_n
    out["suppressed"] = small
    out.loc[small, VALUE_COLUMNS] = float("nan")
    out["n"] = out["n"].astype("Int64").mask(small)
    return out
