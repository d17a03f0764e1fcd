"""Disclosure control for published cells (AVG): no cell small enough to identify anyone.

Primary suppression: a mean on fewer than ``min_n`` respondents, or a percentage on fewer than
``min_n_percentage``, is blanked. Complementary suppression: when exactly one category of a
grouping variable is blanked, its value could be recovered from the total and the other
categories (their population sizes are public registry figures), so the next smallest
category of that group is blanked too.
"""

from __future__ import annotations

import pandas as pd

VALUE_COLUMNS = ["estimate", "se", "ci_low", "ci_high", "estimate_unweighted", "n_eff", "deff"]
OVERALL = "totaal"


def suppress_small_cells(table: pd.DataFrame, min_n: int, min_n_percentage: int | None = None) -> pd.DataFrame:
    """Flag and blank the cells under the minimum bases; the rows stay (so a reader sees the
    cell exists) with ``suppressed = True`` and ``suppression`` saying why."""
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
    out.loc[out["suppressed"], VALUE_COLUMNS] = float("nan")
    out["n"] = out["n"].astype("Int64").mask(out["suppressed"])
    return out
