"""Disclosure on randomised waves (hypothesis): waves drawn from the demo respondents with
random sizes and a random over- or under-representation of every category, so that small
cells occur in every group. For each, the estimates go through the same disclosure control
and the same report helpers that build the published tables and figure descriptions; no value
of a cell under the configured minimum is published, and no group has exactly one hidden
category (which could be recovered from the total)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rapportage import report
from rapportage.report import figures, formatting, methods, tables
from rapportage.stages.estimates import estimate_indicators
from rapportage.statistics.design import Design

from tests.report_html import read_report


@pytest.fixture(scope="module")
def loaded(demo_run):
    wave, _ = demo_run
    return report.load(str(wave.root), wave.id), pd.read_parquet(wave.clean_dir / "respondents.parquet")


@st.composite
def waves(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    n = draw(st.integers(25, 260))
    tilt = draw(st.floats(0.05, 20.0))  # how unequal the categories' chances are
    plotted = draw(st.sampled_from(["status", "gender", "ageband", "route", "kansrijke_start", "language"]))
    return seed, n, tilt, plotted


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(waves())
def test_no_published_cell_is_under_the_minimum(loaded, case):
    data, respondents = loaded
    seed, n, tilt, plotted = case
    rng = np.random.default_rng(seed)
    chance = np.ones(len(respondents))
    for group in data.wave.config.estimation.groups:  # every category gets its own random pull
        factors = {c: tilt ** rng.uniform(-1, 1) for c in respondents[group].astype(str).unique()}
        chance *= respondents[group].astype(str).map(factors).to_numpy()
    sample = respondents.iloc[rng.choice(len(respondents), size=n, replace=False, p=chance / chance.sum())]
    cfg = data.wave.config
    design = Design(sample, np.full(n, data.wave.population.total / n), population_size=data.wave.population.total)
    est = estimate_indicators(design, data.wave.questionnaire, groups=cfg.estimation.groups, confidence=0.95,
                              min_n=cfg.disclosure.min_n, min_n_percentage=cfg.disclosure.min_n_percentage)
    limit = est.kind.map({"proportion": cfg.disclosure.min_n_percentage}).fillna(cfg.disclosure.min_n)
    small = est[est.n < limit]
    assert len(small) and small.suppressed.all()  # small cells occur, and primary suppression hides them
    hidden_per_group = est[est.group != "totaal"].groupby(["indicator", "group"]).suppressed.sum()
    assert not (hidden_per_group == 1).any()  # complementary suppression

    rd = report.ReportData(wave=data.wave, estimates=est, weighting=data.weighting, cleaning=data.cleaning,
                            reliability=data.reliability, tests=data.tests.iloc[0:0])
    # every helper of the report runs on this wave (a wave where everything is hidden included)
    shown = []
    shown_before = formatting.display

    def capture(obj):
        shown.append(obj.data if hasattr(obj, "data") else str(obj))
    formatting.display = capture
    try:
        report.key_figures(rd)
        report.summary_text(rd)
        for domain in est.domain.unique():
            report.domain_text(rd, domain)
            report.domain_table(rd, domain)
            shown.append(figures.figure_markdown(rd, domain, plotted))  # one breakdown per wave: plots are slow
        shown.append(methods._methods_markdown(rd))
    finally:
        formatting.display = shown_before
    text = "\n".join(shown)
    for _, row in est[est.suppressed & (est.group == "totaal")].iterrows():  # an overall value is never stated
        value = formatting.fmt_value(pd.Series({**row, "suppressed": False}))
        assert value not in text, (row.indicator, value)
    groups = ["totaal", *cfg.estimation.groups]
    for domain in est.domain.unique():
        rows = read_report(tables.appendix_table(rd, domain).as_raw_html()).tables[f"bijlage-{domain}"][1:]
        expected = [r for ind in dict.fromkeys(est[est.domain == domain].indicator) for g in groups
                    for _, r in est[(est.indicator == ind) & (est.group == g)].iterrows()]
        assert len(rows) == len(expected)
        for shown, row in zip(rows, expected):
            published = shown[2:] != ["–"] * 6
            assert published == (not row.suppressed), (row.indicator, row.group, row.category, shown)
            if published:
                assert row.n >= limit[row.name] and shown[4] == str(row.n)
        for group in cfg.estimation.groups:
            alt = figures.figure_alt(figures._figure_cells(rd, domain, group))
            for _, row in est[(est.domain == domain) & (est.group == group) & est.suppressed].iterrows():
                label = rd.questionnaire_label(row.indicator)
                said = alt[alt.index(f"{label}: "):].split(". ")[0]  # what the description says of this indicator
                value = formatting.fmt_value(pd.Series({**row, "suppressed": False}), with_ci=False)
                assert f"{rd.category_label(group, row.category)} {value}" not in said, said
