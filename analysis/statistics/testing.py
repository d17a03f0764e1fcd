"""Many tests in one report: p-values adjusted for multiple testing.

A report tests every indicator between the categories of every group (about 120 tests in the
demo). At a 5% level, six of 120 would be "significant" by chance alone even if no group
differed. :func:`adjust_p` controls that:

- ``benjamini-hochberg`` (Benjamini & Hochberg 1995): the false discovery rate, the expected
  share of false findings among the differences called significant, is at most the level.
  Adjusted p of the i-th smallest of m p-values: min over j >= i of m p_(j) / j, at most 1
  (R ``p.adjust(p, method = "BH")``).
- ``none``: the p-values as they are.

>>> [round(float(q), 4) for q in adjust_p([0.01, 0.04, 0.03, 0.20])]
[0.04, 0.0533, 0.0533, 0.2]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

Method = Literal["benjamini-hochberg", "none"]


def adjust_p(p: Sequence[float] | np.ndarray, method: Method = "benjamini-hochberg") -> np.ndarray:
    """Adjusted p-values in the order given; a missing p-value (NaN: no test) stays missing and
    does not count among the tests."""
    values = np.asarray(p, dtype=float)
    out = values.copy()
    if method == "none":
        return out
    if method != "benjamini-hochberg":
        raise ValueError(f"unknown multiple-testing method {method!r}")
    tested = np.flatnonzero(~np.isnan(values))
    m = tested.size
    if m == 0:
        return out
    order = tested[np.argsort(values[tested], kind="stable")]
    ranked = values[order] * m / np.arange(1, m + 1)
    out[order] = np.minimum(1.0, np.minimum.accumulate(ranked[::-1])[::-1])
    return out
