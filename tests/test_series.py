"""The series of waves (issue #16): comparability by rule, each reason firing on a constructed pair
of waves and none on two draws of the same design, and the size of the test of change."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rapportage.config import load_wave
from rapportage.stages import pipeline
from rapportage.stages.series import CAVEAT, COMPARABLE, NOT_COMPARABLE, WaveFacts, compare_pair


def _copy(project: Path, source: str, target: str, edit=None) -> None:
    folder = project / "surveys" / target
    shutil.copytree(project / "surveys" / source, folder)
    wave = (folder / "wave.yaml").read_text(encoding="utf-8").replace(f"id: {source}", f"id: {target}")
    (folder / "wave.yaml").write_text(re.sub(r"(?m)^baseline_wave:.*$", "baseline_wave: null", wave), encoding="utf-8")
    if edit:
        edit(folder)


def _replace(folder: Path, name: str, old: str, new: str) -> None:
    text = (folder / name).read_text(encoding="utf-8")
    assert old in text, old
    (folder / name).write_text(text.replace(old, new, 1), encoding="utf-8")


def _estimates(wave) -> pd.DataFrame:
    """Overall estimates of every indicator: 50% (or 6.0) with a standard error of 2 points."""
    rows = [{"indicator": i.id, "group": "totaal", "category": "totaal", "kind": i.kind,
             "estimate": 0.5 if i.kind == "proportion" else 6.0, "se": 0.02 if i.kind == "proportion" else 0.1,
             "sd": 0.5 if i.kind == "proportion" else 2.0, "suppressed": False} for i in wave.questionnaire.indicators]
    return pd.DataFrame(rows)


def _compare(project: Path, edit=None, facts=((0.85, 0.35, 0.1), (0.85, 0.35, 0.1))) -> pd.DataFrame:
    _copy(project, "demo-2025", "a")
    _copy(project, "demo-2025", "b", edit)
    a, b = load_wave(project, "a"), load_wave(project, "b")
    fa, fb = WaveFacts(a, *facts[0]), WaveFacts(b, *facts[1])
    return compare_pair(a, b, _estimates(a), _estimates(b), fa, fb, 0.95).set_index("indicator")


def test_the_same_design_is_comparable(project):
    out = _compare(project)
    assert (out["comparability"] == COMPARABLE).all()
    assert (out["comparability_note"] == "").all()
    assert out["change"].eq(0).all() and out["p_value"].eq(1).all()


def test_a_reworded_item_breaks_its_indicators_only(project):
    out = _compare(project, lambda f: _replace(f, "questionnaire.yaml", 'nl: "Bent u het eens met deze zin: Ik voel mij thuis in Utrecht."',
                                               'nl: "Voelt u zich thuis in Utrecht?"'))
    assert out.loc["thuis_utrecht", "comparability"] == NOT_COMPARABLE
    assert out.loc["thuis_utrecht", "comparability_note"] == "de vraag is anders gesteld (vraag H1)"
    assert np.isnan(out.loc["thuis_utrecht", "change"])  # not compared, so no change is published
    assert (out.drop("thuis_utrecht")["comparability"] == COMPARABLE).all()


def test_an_answer_option_changed_in_one_language_is_a_caveat(project):
    out = _compare(project, lambda f: _replace(f, "questionnaire.yaml", 'ar: "أوافق تماماً"', 'ar: "أوافق بشدة"'))
    assert out.loc["thuis_utrecht", "comparability"] == CAVEAT
    assert out.loc["thuis_utrecht", "comparability_note"] == "de vertaling in het Arabisch is gewijzigd (vraag H1)"
    assert out.loc["thuis_utrecht", "change"] == 0  # compared, with the caveat
    assert (out.drop("thuis_utrecht")["comparability"] == COMPARABLE).all()


def test_other_weighting_variables_break_every_indicator(project):
    out = _compare(project, lambda f: _replace(f, "population.yaml", "margins: [status, gender, ageband, route]",
                                               "margins: [status, gender, ageband]"))
    assert (out["comparability"] == NOT_COMPARABLE).all()
    assert out["comparability_note"].str.startswith("anders gewogen: gewogen naar andere kenmerken (toen status, gender, "
                                                    "ageband, route; nu status, gender, ageband)").all()


def test_a_low_r_indicator_with_a_large_bias_bound_breaks_the_comparison(project):
    # B_max = (1 - R) S / (2 rho): 0.15 * 0.5 / 0.7 = 0.107 against 0.45 * 0.5 / 0.7 = 0.321; their difference,
    # 0.214, is 3.9 times the margin of error of the change (1.96 * sqrt(2) * 0.02 = 0.055)
    out = _compare(project, facts=((0.85, 0.35, 0.1), (0.55, 0.35, 0.1)))
    row = out.loc["werk_betaald"]
    assert row["comparability"] == NOT_COMPARABLE
    assert row["bias_ratio"] == pytest.approx(0.3 * 0.5 / 0.7 / (1.959964 * np.sqrt(2) * 0.02), rel=1e-5)
    assert row["comparability_note"] == ("de respons in 2025 was minder representatief (R-indicator 0,85 in 2025 en 0,55 in "
                                         "2025); het verschil in mogelijke vertekening is 3,9 keer de foutmarge van de verandering")


def test_a_mode_shift_is_a_caveat(project):
    out = _compare(project, facts=((0.85, 0.35, 0.0), (0.85, 0.35, 0.19)))
    assert (out["comparability"] == CAVEAT).all()
    assert (out["comparability_note"] == "het aandeel interviews in de eigen taal ging van 0% naar 19%").all()


def test_two_draws_of_the_same_design_fire_no_reason(project):
    """The pipeline on two waves that differ only in who happened to respond: every indicator comparable."""
    _copy(project, "demo-2025", "a", lambda f: _replace(f, "wave.yaml", "seed: 20251031", "seed: 20251031\n  response_seed: 1"))
    _copy(project, "demo-2025", "b", lambda f: (
        _replace(f, "wave.yaml", "seed: 20251031", "seed: 20251031\n  response_seed: 2"),
        _replace(f, "wave.yaml", "baseline_wave: null", "baseline_wave: a")))
    for wave_id in ("a", "b"):
        wave = load_wave(project, wave_id)
        for name in ("fetch", "clean", "weight", "estimate"):
            pipeline.STAGES[name](wave, False)
    trend = pd.read_parquet(project / "data_clean" / "b" / "trend.parquet")
    steps = trend[trend["wave"] == "b"]
    assert len(steps) == len(load_wave(project, "b").questionnaire.indicators)
    assert (steps["comparability"] == COMPARABLE).all(), steps[["indicator", "comparability_note"]]
    estimates = pd.read_parquet(project / "data_clean" / "b" / "estimates.parquet")
    notes = estimates.loc[estimates["comparability"] != COMPARABLE, "comparability_note"]
    assert set(notes) <= {"te weinig respondenten in een van beide metingen"}, notes.value_counts()


def test_reference_figures_and_the_registry_check_reach_the_report(demo_run):
    """Issue #16, 4: references.yaml puts a benchmark beside the estimate in the key figures and
    the figure (with its value in the alt text), and the registry count beside the survey estimate
    in the Verantwoording; never in code."""
    from tests.report_html import read_report

    wave, results = demo_run
    page = read_report(results[-1].outputs[0].read_text(encoding="utf-8"))
    key = page.tables["kerncijfers"]
    assert key[0][-1] == "Ter vergelijking"
    labels = {i.id: i.label for i in wave.questionnaire.indicators}
    rows = {r[0]: r for r in key}
    assert rows[labels["gez_goed"]][-1] == "74% (Utrechters van 18 jaar en ouder, 2022)"
    assert rows[labels["soc_discriminatie"]][-1] == "11% (Nederlanders van 15 jaar en ouder, 2021)"
    assert rows[labels["werk_betaald"]][-1] == ""
    assert ("Ter vergelijking bij Ervaart eigen gezondheid als (zeer) goed: Utrechters van 18 jaar en ouder 74% "
            "(GGD regio Utrecht, Gezondheidsmonitor volwassenen en ouderen, 2022).") in page.alts["fig-gezondheid-status"]
    registry = page.tables["registratie"]
    assert registry[0] == ["Indicator", "Enquête (95%-BI)", "Registratie", "In het interval", "Bron", "Toelichting"]
    row = registry[1]
    assert row[0] == labels["werk_betaald"] and row[2] == "20% (534 van 2\u2009623)"
    assert row[4] == "Registratie inburgering gemeente Utrecht, peildatum 1-2-2025"


@pytest.mark.parametrize(("text", "message"), [
    ("benchmarks:\n  - {indicator: gezond, value: 0.7, population: x, source: y, year: 2022}\n",
     r"surveys/demo-2025/references.yaml: key 'benchmarks.0.indicator' names 'gezond', which is not an indicator"),
    ("benchmarks:\n  - {indicator: gez_goed, value: 74, population: x, source: y, year: 2022}\n",
     r"key 'benchmarks.0.value' is 74.0; 'gez_goed' is a proportion, so give it as a fraction \(0.74 for 74%\)"),
    ("registry:\n  - {indicator: werk_betaald, count: 534, of: 500, label: x, source: y, date: 2025-02-01}\n",
     r"surveys/demo-2025/references.yaml: .*count 534 is more than its base 'of' \(500\)"),
    ("registry:\n  - {indicator: taal_cijfer, count: 5, of: 500, label: x, source: y, date: 2025-02-01}\n",
     r"key 'registry.0' compares a count with 'taal_cijfer', which is a mean"),
])
def test_a_wrong_reference_figure_is_one_sentence(project, text, message):
    from rapportage.errors import PipelineError

    (project / "surveys" / "demo-2025" / "references.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(PipelineError, match=message):
        load_wave(project, "demo-2025")


PAIRS = 12


@pytest.mark.slow
def test_the_test_of_change_rejects_about_five_percent_of_equal_truths(project):
    """The size of the trend test: draws of two waves from the same population (same truths; only
    who responds differs, response_seed) through the whole pipeline. Over PAIRS pairs and every
    indicator, 'significant change' at the 95% level should be reported for about 5%."""
    _copy(project, "demo-2025", "s")
    wave_yaml = project / "surveys" / "s" / "wave.yaml"
    text = wave_yaml.read_text(encoding="utf-8")
    draws = []
    for draw in range(2 * PAIRS):
        wave_yaml.write_text(text.replace("seed: 20251031", f"seed: 20251031\n  response_seed: {draw}"), encoding="utf-8")
        wave = load_wave(project, "s")
        for name in ("fetch", "clean", "weight", "estimate"):
            pipeline.STAGES[name](wave, True)
        estimates = pd.read_parquet(wave.clean_dir / "estimates.parquet")
        draws.append((wave, estimates[estimates["group"] == "totaal"].copy(), WaveFacts.of(wave)))
    tested = significant = 0
    for (wa, ea, fa), (wb, eb, fb) in zip(draws[0::2], draws[1::2]):
        pair = compare_pair(wa, wb, ea, eb, fa, fb, 0.95)
        done = pair[pair["p_value"].notna()]
        tested += len(done)
        significant += int((done["p_value"] < 0.05).sum())
    rate = significant / tested
    print(f"significant change in {significant} of {tested} comparisons of equal truths ({rate:.1%})")
    assert tested >= PAIRS * 18
    assert 0.015 <= rate <= 0.09, rate


def test_the_trend_chapter_says_every_plotted_value_and_the_summary_only_reportable_changes(demo_run):
    """Issue #16, 3: the alt text of every trend figure lists each plotted estimate by year and the
    verdict of each step; the table has every wave; the Samenvatting names no change that is not
    comparable and significant (in the demo, 2024 to 2025: none)."""
    import re as regex

    from rapportage.report.formatting import fmt_number

    from tests.report_html import read_report

    wave, results = demo_run
    html = results[-1].outputs[0].read_text(encoding="utf-8")
    page = read_report(html)
    trend = pd.read_parquet(wave.clean_dir / "trend.parquet")
    labels = {i.id: (i.label, i.domain) for i in wave.questionnaire.indicators}
    for row in trend[~trend["suppressed"]].itertuples():
        label, domain = labels[row.indicator]
        alt = page.alts[f"fig-trend-{domain}"]
        part = alt[alt.index(f"{label}:"):]
        assert f"{row.year} {fmt_number(row.estimate, row.kind)}" in part.split(". ")[0], (row.indicator, row.year)
    steps = trend[trend["wave_earlier"].notna()]
    for row in steps.itertuples():
        label, domain = labels[row.indicator]
        alt = page.alts[f"fig-trend-{domain}"]
        year_before = int(trend.loc[trend["wave"] == row.wave_earlier, "year"].iloc[0])
        assert f"{year_before}–{row.year} {row.comparability}" in alt[alt.index(f"{label}:"):], row.indicator
    table = page.tables["ontwikkeling"]
    assert table[0] == ["Indicator", "2023", "2024", "2023–2024", "2025", "2024–2025"]
    summary = html[html.index('id="sec-samenvatting"'):html.index('id="sec-werk"')]
    assert not regex.search(r"Sinds 20\d\d|Niet te vergelijken", summary)
