"""Estimating every indicator of the questionnaire, overall and by group, from the design."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from rapportage.questionnaire.spec import Questionnaire
from rapportage.scoring.items import INDICATOR_PREFIX
from rapportage.statistics.design import Design
from rapportage.statistics.disclosure import suppress_small_cells

OVERALL = "totaal"


def estimate_indicators(
    design: Design,
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
    ci_high, confidence, df, deff, estimate_unweighted, suppressed. Proportions are fractions
    (0–1); ``confidence`` is the level of every interval, which the report prints.
    Also ``n_eff`` (n / deff) and ``ci_method`` (logit, beta for proportions on fewer than
    ``small_domain_n`` answers, beta-n for 0% and 100%, t for means: see :class:`Estimate`).
    Cells under the disclosure minimums are suppressed (:func:`rapportage.statistics.disclosure.suppress_small_cells`).
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
        w = design.weights
        for group, category, est, mask in cells:
            valid = mask & ~np.isnan(y)
            if valid.any() and w[valid].sum() > 0:  # population standard deviation of y in the cell (weighted)
                centre = np.average(y[valid], weights=w[valid])
                sd = float(np.sqrt(np.average((y[valid] - centre) ** 2, weights=w[valid])))
            else:
                sd = float("nan")
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
                    "confidence": confidence,
                    "df": est.df,
                    "deff": est.deff,
                    "n_eff": est.n / est.deff if est.deff and est.deff > 0 else float("nan"),
                    "ci_method": est.ci_method,
                    "estimate_unweighted": float(y[valid].mean()) if valid.any() else float("nan"),
                    "sd": sd,
                }
            )
    return suppress_small_cells(pd.DataFrame(rows), min_n, min_n_percentage)


def group_tests(design: Design, questionnaire: Questionnaire, *, groups: list[str]) -> pd.DataFrame:
    """Does an indicator differ between the categories of a group? One design-based test per
    indicator x group:

    - a proportion: the Rao–Scott adjusted chi-square test (R ``svychisq``, statistic F), for
      any number of categories (``test`` = ``rao-scott``);
    - a mean, in a group with two categories that answered: the difference of the two domain
      means with its linearisation standard error, which takes the covariance of the two
      estimates into account (R ``svycontrast(svyby(…), c(1, -1))``), and a two-sided t test
      on n - 1 degrees of freedom, the same as the interval (``test`` = ``difference``;
      ``category_a`` minus ``category_b``, in sorted order). A mean in a group of more
      categories is not tested (``not_tested``).

    A test that cannot be made (every answer the same, or fewer than two categories of the group
    with answers) is a row without statistics whose ``not_tested`` gives the reason (Dutch, for
    the report); R ``svychisq`` stops with an error on such a table."""
    from scipy import stats

    rows: list[dict[str, object]] = []
    for ind in questionnaire.indicators:
        column = INDICATOR_PREFIX + ind.id
        answered = design.data[column].notna()
        for group in ind.groups if ind.groups is not None else groups:
            categories = list(dict.fromkeys(design.data.loc[answered, group].dropna().astype(str)))
            reason: str | None = None
            if design.data.loc[answered, column].nunique() < 2:
                reason = "iedereen met een geldig antwoord gaf hetzelfde antwoord"
            elif len(categories) < 2:
                reason = "minder dan twee groepen hebben geantwoord"
            elif ind.kind != "proportion" and len(categories) > 2:
                reason = "gemiddelden worden alleen tussen twee groepen getoetst"
            if reason:
                rows.append({"indicator": ind.id, "group": group, "test": None, "not_tested": reason})
            elif ind.kind == "proportion":
                rows.append({"indicator": ind.id, "group": group, "test": "rao-scott",
                             **dataclasses.asdict(design.chisq(column, group)), "not_tested": None})
            else:
                a, b = sorted(categories)
                diff = design.difference(column, group, a, b)
                if not diff.se > 1e-12 * max(1.0, abs(diff.estimate)):  # no spread within the groups: nothing to test against
                    rows.append({"indicator": ind.id, "group": group, "test": None,
                                 "not_tested": "binnen elke groep gaf iedereen hetzelfde antwoord"})
                    continue
                p = float(2 * stats.t.sf(abs(diff.estimate / diff.se), diff.df))
                rows.append({"indicator": ind.id, "group": group, "test": "difference", "category_a": a,
                             "category_b": b, "difference": diff.estimate, "se": diff.se, "df": diff.df,
                             "p_value": p, "not_tested": None})
    columns = ["indicator", "group", "test", "pearson", "F", "ndf", "ddf", "category_a", "category_b", "difference",
               "se", "df", "p_value", "not_tested"]
    return pd.DataFrame(rows, columns=columns).astype({"test": "string", "category_a": "string", "category_b": "string",
                                                       "not_tested": "string"})
