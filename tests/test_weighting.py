"""Raking: margins met, and every silent failure of peer libraries is a clear error here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from rapportage.errors import PipelineError
from rapportage.statistics.weighting import WeightingError, diagnostics, kish_deff, rake

MARGINS = {"a": {"x": 60.0, "y": 40.0}, "b": {"u": 30.0, "v": 70.0}}


def sample(n: int = 50, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"a": rng.choice(["x", "y"], n, p=[0.3, 0.7]), "b": rng.choice(["u", "v"], n)})


def test_raking_meets_every_margin():
    data = sample()
    result = rake(data, MARGINS, tolerance=1e-12, max_iterations=100)
    for var, targets in MARGINS.items():
        achieved = pd.Series(result.weights).groupby(data[var].to_numpy()).sum()
        for cat, target in targets.items():
            assert achieved[cat] == pytest.approx(target, rel=1e-12)
    assert result.max_deviation < 1e-12
    assert (result.weights > 0).all()


def test_raking_is_invariant_to_row_order():
    data = sample()
    perm = np.random.default_rng(7).permutation(len(data))
    w = rake(data, MARGINS, tolerance=1e-12).weights
    w_perm = rake(data.iloc[perm].reset_index(drop=True), MARGINS, tolerance=1e-12).weights
    np.testing.assert_allclose(w_perm, w[perm], rtol=1e-12)


def test_empty_target_category_is_an_error_naming_margin_and_category():
    data = sample()
    data["a"] = "x"  # nobody in category y
    with pytest.raises(WeightingError, match="margin 'a' category 'y' .* no respondents"):
        rake(data, MARGINS)


def test_missing_weighting_value_is_an_error_naming_variable_and_count():
    data = sample()
    data.loc[[3, 8, 9], "b"] = None
    with pytest.raises(WeightingError, match="weighting variable 'b' is missing for 3 respondent"):
        rake(data, MARGINS)


def test_category_without_target_is_an_error():
    data = sample()
    data.loc[0, "b"] = "w"
    with pytest.raises(WeightingError, match=r"margin 'b': respondents have categories \['w'\]"):
        rake(data, MARGINS)


def test_non_convergence_is_an_error_not_a_silent_result():
    # a/b fully confounded in the sample: the margins cannot both be met
    data = pd.DataFrame({"a": ["x"] * 5 + ["y"] * 5, "b": ["u"] * 5 + ["v"] * 5})
    with pytest.raises(WeightingError, match="raking did not reach tolerance"):
        rake(data, MARGINS, tolerance=1e-8, max_iterations=50)


def test_diagnostics_report_kish_deff_and_margins():
    data = sample()
    w = rake(data, MARGINS, tolerance=1e-12).weights
    d = diagnostics(data, w, MARGINS)
    assert d["deff_kish"] == pytest.approx(len(w) * (w**2).sum() / w.sum() ** 2)
    assert d["n_effective"] == pytest.approx(len(w) / d["deff_kish"])
    assert kish_deff(np.ones(10)) == 1.0
    rows = {(m["variable"], m["category"]): m for m in d["margins"]}
    assert rows["a", "y"]["weighted_share"] == pytest.approx(0.4)
    assert rows["a", "y"]["sample_share"] == pytest.approx((data.a == "y").mean())


# ------------------------------------------------------------------ calibration, trimming, the stage
from rapportage.statistics.weighting import calibrate, trim  # noqa: E402


def test_interaction_margin_is_met():
    data = sample(200)
    data["c"] = np.where(np.arange(200) % 3 == 0, "p", "q")
    margins = {"a*c": {"x*p": 20.0, "x*q": 40.0, "y*p": 15.0, "y*q": 25.0}, "b": {"u": 30.0, "v": 70.0}}
    w = rake(data, margins, tolerance=1e-12).weights
    joint = pd.Series(w).groupby((data.a + "*" + data.c).to_numpy()).sum()
    assert joint.to_dict() == pytest.approx(margins["a*c"], rel=1e-10)


def test_calibration_errors_are_clear():
    data = sample()
    with pytest.raises(WeightingError, match="logit calibration needs finite bounds"):
        calibrate(data, MARGINS, method="logit")
    with pytest.raises(WeightingError, match=r"linear calibration found no positive weights that meet every margin within g-weight bounds \[0.99, 1.01\]"):
        calibrate(data, MARGINS, method="linear", bounds=(0.99, 1.01), base_weights=np.full(len(data), 2.0), max_iterations=50)


def test_trim_shares_the_excess_and_counts_capped_weights():
    w, n = trim(np.array([1.0, 1.0, 1.0, 9.0]), upper=4.0)
    assert n == 1 and w == pytest.approx([1 + 5 / 3, 1 + 5 / 3, 1 + 5 / 3, 4.0]) and w.sum() == pytest.approx(12.0)


def edit_population(project, old, new, wave_id="demo-2025"):
    path = project / "surveys" / wave_id / "population.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_weight_stage_with_propensity_linear_bounds_and_trimming(project):
    import json

    from rapportage.config import load_wave
    from rapportage.stages import pipeline

    edit_population(project, "  method: raking\n", "  method: linear\n  bounds: [0.3, 4.0]\n"
                    "  trimming: {upper_relative_to_mean: 3.0, strict: true, recalibrate: true}\n"
                    "  propensity: {variables: [status, gender, ageband, route, kansrijke_start], use: classes, classes: 5}\n", "demo-2024")
    wave = load_wave(project, "demo-2024")  # the skewed response of 2024
    for stage in ("fetch", "clean", "weight"):
        pipeline.STAGES[stage](wave, False)
    report = json.loads((wave.clean_dir / "weighting.json").read_text())
    weights = pd.read_parquet(wave.clean_dir / "weights.parquet")
    assert report["method"] == "linear" and report["propensity"]["use"] == "classes"
    assert report["trimming"]["trimmed"] > 0 and report["max_margin_deviation"] < 1e-9
    assert len(np.unique(weights.base_weight.round(9))) > 1  # started from propensity-class weights
    g = weights.weight / weights.base_weight
    assert g.min() >= 0.3 - 1e-9 and g.max() <= 4.0 + 1e-9
    rep = report["representativeness"]
    assert 0 < rep["r_indicator"] < 1 and "kansrijke_start" in rep["model_variables"]
    rows = {(m["variable"], m["category"]): m for m in report["diagnostics"]["margins"]}
    assert abs(rows["status", "asiel"]["std_diff_before"]) > 0.2 and abs(rows["status", "asiel"]["std_diff_after"]) < 1e-6


def test_propensity_without_a_frame_is_a_clear_error(project):
    from rapportage.config import load_wave
    from rapportage.stages import pipeline

    edit_population(project, "  method: raking\n", "  method: raking\n  propensity: {variables: [status], use: inverse}\n")
    wave = load_wave(project, "demo-2025")
    pipeline.fetch(wave)
    pipeline.clean(wave)
    (wave.raw_dir / "frame.csv").unlink()
    with pytest.raises(PipelineError, match=r"weighting.propensity needs the population frame data_raw/demo-2025/frame.csv"):
        pipeline.weight(wave)


def test_logit_calibration_stays_finite_and_names_the_margin_it_cannot_meet():
    """Issue #14, 6: logit calibration on unseen data overflowed (exp of a large u gave inf/inf)
    and ended in 'SVD did not converge'. F runs from L to U for any u without an overflow, its
    derivative is exact, and infeasible bounds are one sentence naming the margin most missed."""
    import warnings

    from rapportage.statistics.weighting import _logit

    fm1, df = _logit(0.5, 3.0)
    u = np.array([-1e6, -50.0, -1.0, 0.0, 1.0, 50.0, 1e6])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow is an error here
        g, slope = 1 + fm1(u), df(u)
    assert g[0] == pytest.approx(0.5) and g[-1] == pytest.approx(3.0) and g[3] == 1.0 and slope[3] == pytest.approx(1.0)
    assert np.all(np.isfinite(slope)) and np.all(np.diff(g) >= 0)
    grid = np.linspace(-4, 4, 17)
    assert np.max(np.abs((fm1(grid + 1e-6) - fm1(grid - 1e-6)) / 2e-6 - df(grid))) < 1e-7
    rng = np.random.default_rng(6)
    data = pd.DataFrame({"a": rng.choice(["x", "y"], 400, p=[0.9, 0.1]), "b": rng.choice(["p", "q", "r"], 400, p=[0.7, 0.2, 0.1])})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(WeightingError, match=r"logit calibration found no positive weights that meet every margin within "
                                                r"g-weight bounds \[0.5, 3\]: margin 'a' category 'x' is missed most"):
            calibrate(data, {"a": {"x": 1000, "y": 3000}, "b": {"p": 1000, "q": 1000, "r": 2000}}, method="logit",
                      bounds=(0.5, 3.0), base_weights=np.full(400, 10.0))
