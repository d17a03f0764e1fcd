"""Indicators per respondent: 0/1 for a proportion (a condition on an item or scale), the value
for a mean, NA outside the indicator's universe."""

from __future__ import annotations

import pandas as pd

from rapportage.questionnaire.spec import Condition, Indicator


def _condition_holds(source: pd.Series, cond: Condition) -> pd.Series:
    if cond.in_ is not None:
        return source.isin(cond.in_)
    if cond.below is not None:
        return source < cond.below
    if cond.at_least is not None:
        return source >= cond.at_least
    return source <= cond.at_most


def indicator_value(columns: dict[str, pd.Series], indicator: Indicator) -> pd.Series:
    """Per-respondent value of an indicator: 0/1 for a proportion, the value for a mean;
    NA outside the indicator's universe and where its source is NA."""
    source = columns[indicator.of].astype(float)
    if indicator.kind == "mean":
        value = source
    else:
        assert indicator.condition is not None
        value = _condition_holds(source, indicator.condition).astype(float).where(source.notna())
    if indicator.universe is not None:
        value = value.where(_condition_holds(columns[indicator.universe.of], indicator.universe))
    return value
