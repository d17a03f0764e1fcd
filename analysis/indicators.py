"""Estimating every indicator of the questionnaire, overall and by group, from the design."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.clean import INDICATOR_PREFIX
from analysis.design import SurveyDesign
from analysis.disclosure import suppress_small_cells
from analysis.questionnaire import Questionnaire

OVERALL = "totaal"


def estimate_indicators(
    design: SurveyDesign,
    questionnaire: Questionnaire,
    *,
    groups: list[str],
    confidence: float,
    min_n: int,
    min_n_percentage: int | None = None,
    small_domain_n: int = 0,
) -> pd.DataFrame:
    """One row per indicator x (overall + every category of every group).

    ``groups`` is the default set of grouping variables; an indicator may name its own.
    Columns: indicator, domain, kind, group, category, n, weighted_n, estimate, se, ci_low,
    ci_high, df, deff, estimate_unweighted, suppressed. Proportions are fractions (0–1).
    Also ``n_eff`` (n / deff) and ``ci_method`` (logit, beta for proportions on fewer than
    ``small_domain_n`` answers, t for means). Cells under the disclosure minimums are
    suppressed (:func:`analysis.disclosure.suppress_small_cells`).
    """
    rows = []
    for ind in questionnaire.indicators:
        column = INDICATOR_PREFIX + ind.id
        proportion = ind.kind == "proportion"
        y = design.data[column].to_numpy(dtype=float)
        cells = [(OVERALL, OVERALL, design.mean(column, confidence=confidence, proportion=proportion,
                                                small_n=small_domain_n), np.ones(design.n, dtype=bool))]
        for group in ind.groups if ind.groups is not None else groups:
            by_group = design.mean(column, by=group, confidence=confidence, proportion=proportion, small_n=small_domain_n)
            for category, est in by_group.items():
                cells.append((group, category, est, (design.data[group].astype(str) == category).to_numpy()))
        for group, category, est, mask in cells:
            valid = mask & ~np.isnan(y)
            rows.append(
                {
                    "indicator": ind.id,
                    "domain": ind.domain,
                    "kind": ind.kind,
                    "group": group,
                    "category": category,
                    "n": est.n,
                    "weighted_n": est.weighted_n,
                    "estimate": est.estimate,
                    "se": est.se,
                    "ci_low": est.ci_low,
                    "ci_high": est.ci_high,
                    "df": est.df,
                    "deff": est.deff,
                    "n_eff": est.n / est.deff if est.deff and est.deff > 0 else float("nan"),
                    "ci_method": ("beta" if est.n < small_domain_n else "logit") if proportion else "t",
                    "estimate_unweighted": float(y[valid].mean()) if valid.any() else float("nan"),
                }
            )
    return suppress_small_cells(pd.DataFrame(rows), min_n, min_n_percentage)
