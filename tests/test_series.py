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
