"""Disclosure control for published cells (AVG): no cell small enough to identify anyone.

Primary suppression: a mean on fewer than ``min_n`` respondents, or a percentage on fewer than
``min_n_percentage``, is blanked. Complementary suppression: when exactly one category of a
grouping variable is blanked, its value could be recovered from the total and the other
categories (their population sizes are public registry figures), so the next smallest
category of that group is blanked too.
"""

from __future__ import annotations

import pandas as pd

OVERALL = "totaal"


def suppress_small_cells(table: pd.DataFrame, min_n: int, min_n_percentage: int | None = None) -> pd.DataFrame:
    """Flag the cells under the minimum bases (``suppressed = True``, ``suppression`` saying
    why). The values stay in this internal table for the researchers; the report never shows a
    suppressed value (it prints "–")."""
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
