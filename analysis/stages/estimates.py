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
                    "confidence": confidence,
                    "df": est.df,
                    "deff": est.deff,
                    "n_eff": est.n / est.deff if est.deff and est.deff > 0 else float("nan"),
                    "ci_method": est.ci_method,
                    "estimate_unweighted": float(y[valid].mean()) if valid.any() else float("nan"),
                }
            )
    return suppress_small_cells(pd.DataFrame(rows), min_n, min_n_percentage)


def _items_behind(q: Questionnaire, name: str) -> set[str]:
    """Item ids an indicator's source (item, sub-question or scale) is made of."""
    if name in q.scales:
        return {q.item_of(v)[0] for v in q.scales[name].items}
    return {q.item_of(name)[0]}


def compare_with_baseline(current: pd.DataFrame, baseline: pd.DataFrame, q_now: Questionnaire, q_base: Questionnaire,
                          weighting_changes: list[str], confidence: float) -> pd.DataFrame:
    """Change since the baseline wave for every cell published in both waves.

    change = estimate_now - estimate_baseline, SE = sqrt(se_now^2 + se_baseline^2) (independent
    samples), normal interval. A change is only ``comparable`` when the indicator's definition
    and every item behind it (by id: code, type, base-language wording, answer codes, filter)
    are unchanged, and both waves were weighted alike (``weighting_changes``, from
    ``config.weighting_differences``, is empty); otherwise the row says why, in Dutch, as the
    report prints it.
    """
    from scipy import stats

    from rapportage.questionnaire.spec import compare

    diff = compare(q_base, q_now)
    z = stats.norm.ppf(0.5 + confidence / 2)
    notes: dict[str, str] = {}
    for ind in q_now.indicators:
        reasons = []
        if ind.id not in {i.id for i in q_base.indicators}:
            reasons.append("nieuwe indicator")
        else:
            if ind.id in diff.indicators_changed:
                reasons.append("definitie gewijzigd (" + ", ".join(diff.indicators_changed[ind.id]) + ")")
            items = _items_behind(q_now, ind.of) | (_items_behind(q_now, ind.universe.of) if ind.universe else set())
            changed = sorted(i for i in items if i in diff.changed or i in diff.added)
            if changed:
                reasons.append("vraag gewijzigd: " + ", ".join(changed))
        reasons += weighting_changes
        notes[ind.id] = "; ".join(reasons)
    key = ["indicator", "group", "category"]
    base = baseline[key + ["estimate", "se", "suppressed"]].rename(
        columns={"estimate": "baseline_estimate", "se": "baseline_se", "suppressed": "baseline_suppressed"})
    out = current.merge(base, on=key, how="left")
    hidden = out["baseline_suppressed"].fillna(False).astype(bool) | out["suppressed"]
    out.loc[hidden, "baseline_estimate"] = np.nan  # a suppressed cell is not published, so it has no change either
    out["change"] = out["estimate"] - out["baseline_estimate"]
    out["change_se"] = np.sqrt(out["se"] ** 2 + out["baseline_se"] ** 2)
    out["change_ci_low"] = out["change"] - z * out["change_se"]
    out["change_ci_high"] = out["change"] + z * out["change_se"]
    out["comparability_note"] = out["indicator"].map(notes).fillna("")
    too_few = out["baseline_estimate"].isna() & (out["comparability_note"] == "")
    out.loc[too_few, "comparability_note"] = "te weinig respondenten in een van beide metingen"
    out["comparable"] = out["comparability_note"] == ""
    out.loc[~out["comparable"], ["change", "change_se", "change_ci_low", "change_ci_high"]] = np.nan
    return out.drop(columns=["baseline_se", "baseline_suppressed"])


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
