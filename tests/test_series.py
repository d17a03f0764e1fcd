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


def _cells(asiel: float, gezin: float) -> pd.DataFrame:
    """A response model on one variable: 1,000 persons in each category with these propensities."""
    return pd.DataFrame({"status": ["asiel", "gezin"], "persons": [1000, 1000], "propensity": [asiel, gezin]})


def _respondents(interviews: int, total: int = 100) -> pd.DataFrame:
    """Respondents of whom ``interviews`` took part in an interview (modus = 2)."""
    return pd.DataFrame({"modus": [2.0] * interviews + [1.0] * (total - interviews)})


def _compare(project: Path, edit=None, facts=((0.85, 0.35), (0.85, 0.35)), cells=("same", "same"),
             respondents=(None, None), names=("a", "b")) -> pd.DataFrame:
    _copy(project, "demo-2025", names[0])
    _copy(project, "demo-2025", names[1], edit)
    a, b = load_wave(project, names[0]), load_wave(project, names[1])
    cells = tuple(_cells(0.3, 0.4) if isinstance(c, str) else c for c in cells)  # default: alike selective
    fa, fb = (WaveFacts(w, *f, c, r if r is not None else _respondents(10))
              for w, f, c, r in zip((a, b), facts, cells, respondents))
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
    assert out.loc["thuis_utrecht", "comparability_note"] == "de vraag is anders gesteld"
    assert np.isnan(out.loc["thuis_utrecht", "change"])  # not compared, so no change is published
    assert (out.drop("thuis_utrecht")["comparability"] == COMPARABLE).all()


def test_an_answer_option_changed_in_one_language_is_a_caveat(project):
    out = _compare(project, lambda f: _replace(f, "translations/ar.yaml", "text: أوافق تماماً", "text: أوافق بشدة"))
    assert out.loc["thuis_utrecht", "comparability"] == CAVEAT
    assert out.loc["thuis_utrecht", "comparability_note"] == "de vertaling in het Arabisch is gewijzigd"
    assert out.loc["thuis_utrecht", "change"] == 0  # compared, with the caveat
    assert (out.drop("thuis_utrecht")["comparability"] == COMPARABLE).all()


def test_other_weighting_variables_break_every_indicator(project):
    out = _compare(project, lambda f: _replace(f, "population.yaml", "margins: [status, gender, ageband, route]",
                                               "margins: [status, gender, ageband]"))
    assert (out["comparability"] == NOT_COMPARABLE).all()
    assert out["comparability_note"].str.startswith("anders gewogen: gewogen naar andere kenmerken (toen migratiestatus, "
                                                    "geslacht, leeftijd en leerroute; nu migratiestatus, geslacht en "
                                                    "leeftijd)").all()


def test_a_low_r_indicator_with_a_large_bias_bound_breaks_the_comparison(project):
    # without a shared response model the bound of the change is B_max,a + B_max,b, with
    # B_max = (1 - R) S / (2 rho): 0.15 * 0.5 / 0.7 + 0.45 * 0.5 / 0.7 = 0.429, which is 7.7 times the
    # margin of error of the change (1.96 * sqrt(2) * 0.02 = 0.055)
    out = _compare(project, facts=((0.85, 0.35), (0.55, 0.35)), cells=(None, None))
    row = out.loc["werk_betaald"]
    assert row["comparability"] == NOT_COMPARABLE
    assert row["bias_ratio"] == pytest.approx(0.6 * 0.5 / 0.7 / (1.959964 * np.sqrt(2) * 0.02), rel=1e-5)
    assert row["comparability_note"] == ("de respons was in 2025 en 2025 op een andere manier selectief (R-indicator 0,85 en "
                                         "0,55; 1 is volledig representatief) en de responsmodellen verschillen; de mogelijke "
                                         "vertekening van de verandering is 7,7 keer de foutmarge")


def test_equally_selective_response_cancels_and_response_selective_the_other_way_does_not(project):
    """With a shared response model the bias of a change is bounded by S(rho_b/rhobar_b - rho_a/rhobar_a) S(y):
    the same selectivity in both waves (here 0.2/0.4 and 0.3/0.6) gives 0, the reverse (0.4/0.2) gives
    S(d) = 2/3 over 2,000 persons, a bound of 0.333 and 6.0 margins of error."""
    same = _compare(project, facts=((0.85, 0.3), (0.85, 0.45)), cells=(_cells(0.2, 0.4), _cells(0.3, 0.6)))
    assert (same["comparability"] == COMPARABLE).all() and same["bias_ratio"].max() < 1e-9
    reverse = _compare(project, names=("c", "d"), facts=((0.85, 0.3), (0.85, 0.3)), cells=(_cells(0.2, 0.4), _cells(0.4, 0.2)))
    spread = np.sqrt(2000 / 1999) * 2 / 3
    assert reverse.loc["werk_betaald", "bias_bound_change"] == pytest.approx(spread * 0.5, rel=1e-9)
    assert reverse.loc["werk_betaald", "bias_ratio"] == pytest.approx(spread * 0.5 / (1.959964 * np.sqrt(2) * 0.02), rel=1e-5)
    assert (reverse["comparability"] == NOT_COMPARABLE).all()


def test_a_mode_shift_is_a_caveat(project):
    """The share of interviews is counted from the mode question (code 2 of modus is value 2)."""
    out = _compare(project, respondents=(_respondents(0), _respondents(19)))
    assert (out["comparability"] == CAVEAT).all()
    assert (out["comparability_note"] == "het aandeel interviews in de eigen taal ging van 0% naar 19%").all()
    assert (_compare(project, names=("c", "d"), respondents=(_respondents(5), _respondents(14)))["comparability"] == COMPARABLE).all()


def test_a_changed_scale_scoring_or_a_suppressed_cell_is_not_compared(project):
    """The MHI-5 scored without its reversed items measures something else; a cell the earlier wave
    did not publish gets no estimate of that wave and no change."""
    out = _compare(project, lambda f: _replace(f, "questionnaire.yaml", "multiply: 4", "multiply: 5"))
    assert out.loc["gez_psychisch_ongezond", "comparability"] == NOT_COMPARABLE
    assert out.loc["gez_psychisch_ongezond", "comparability_note"] == "de indicator wordt anders berekend"
    a = load_wave(project, "a")
    earlier = _estimates(a)
    earlier.loc[earlier["indicator"] == "werk_betaald", "suppressed"] = True
    pair = compare_pair(a, load_wave(project, "b"), earlier, _estimates(a), WaveFacts(a, 0.85, 0.35), WaveFacts(a, 0.85, 0.35),
                        0.95).set_index("indicator")
    assert np.isnan(pair.loc["werk_betaald", ["estimate_earlier", "change", "change_se", "p_value"]].astype(float)).all()


def test_two_draws_of_the_same_design_fire_no_reason(project):
    """The pipeline on two waves that differ only in who happened to respond: every indicator comparable."""
    _copy(project, "demo-2025", "a", lambda f: _replace(f, "wave.yaml", "seed: 20251031", "seed: 20251031\n  response_seed: 1"))
    _copy(project, "demo-2025", "b", lambda f: (
        _replace(f, "wave.yaml", "seed: 20251031", "seed: 20251031\n  response_seed: 2"),
        _replace(f, "wave.yaml", "year: 2025", "year: 2026"),
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
    assert row[0] == labels["werk_betaald"] and row[2] == "20% (534 van 2.623)"
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


def test_the_summary_names_a_change_that_is_comparable_and_significant(demo_run, monkeypatch):
    """In the 2024 report of the demo series, the changes since 2023 that the rule lets through
    and that are significant appear in the Samenvatting (with their caveat); the others do not."""
    from rapportage import report
    from rapportage.report import formatting

    wave, _ = demo_run
    shown: list[str] = []
    monkeypatch.setattr(formatting, "display", lambda markdown: shown.append(markdown.data))
    data = report.load(str(wave.root), "demo-2024")
    report.summary_text(data)
    summary = "\n".join(shown)
    overall = data.estimates[data.estimates["group"] == "totaal"].set_index("indicator")
    firsts = [data.indicators(d)[0].id for d in ("werk", "taal", "gezondheid", "financien", "sociale_verbinding", "thuis_voelen")]
    for ind in firsts:
        row = overall.loc[ind]
        reportable = bool(row["comparable"]) and row["change_p_value"] < data.alpha
        line = next(line for line in summary.splitlines() if data.questionnaire_label(ind).split(" (")[0][:30] in line)
        assert ("Sinds 2023:" in line) == reportable, (ind, line)
    assert "Sinds 2023:" in summary and "Kanttekening: de respons was in 2023 en 2024 op een andere manier selectief" in summary


@pytest.mark.slow
def test_a_change_in_an_earlier_wave_reruns_the_estimates_and_the_report_of_the_later_one(project):
    """The trend chapter is built from every wave of the series: a new confidence level in 2023
    changes 2023's intervals, so 2025's estimate stage (trend.parquet) and its report run again."""
    from tests.conftest import run_earlier_waves

    wave = load_wave(project, "demo-2025")
    run_earlier_waves(wave)
    assert all(stage(wave, False).ran for stage in pipeline.STAGES.values())
    assert not any(stage(wave, False).ran for stage in pipeline.STAGES.values())
    _replace(project / "surveys" / "demo-2023", "wave.yaml", "confidence: 0.95", "confidence: 0.9")
    run_earlier_waves(wave)
    ran = {name: stage(load_wave(project, "demo-2025"), False).ran for name, stage in pipeline.STAGES.items()}
    assert ran == {"fetch": False, "clean": False, "weight": False, "estimate": True, "render": True}, ran
    trend = pd.read_parquet(project / "data_clean" / "demo-2025" / "trend.parquet")
    assert set(trend.loc[trend["year"] == 2023, "confidence"]) == {0.9}
