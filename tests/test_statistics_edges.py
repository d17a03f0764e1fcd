"""Statistical edge cases (issue #22), against R survey where R has an answer.

``reference/make_edge_cases.R`` wrote ``reference/r_edge_cases.csv`` from
``reference/demo_respondents.csv`` (R 4.2.2, survey 4.1.1). Tolerance 1e-6 relative (observed:
about 1e-12). Where R has no answer (a variance of 0 makes its Korn–Graubard interval NaN) the
reference is R's exact binomial interval, ``binom.test``.
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from rapportage.statistics.design import Design, korn_graubard
from rapportage.statistics.weighting import WeightingError, calibrate, rake, trim

from tests.conftest import run_earlier_waves
from tests.test_reference_r import MARGINS, REF, RTOL, N


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    frame = pd.read_csv(REF / "demo_respondents.csv")
    levels = {"route": ["B1", "Z", "onderwijs"], "ageband": ["18-26", "27-40", "41+"]}
    for var, cats in levels.items():
        frame[var] = pd.Categorical(frame[var], categories=cats)
    return frame


@pytest.fixture(scope="module")
def ref() -> dict[str, float]:
    return pd.read_csv(REF / "r_edge_cases.csv").set_index("name")["value"].to_dict()


@pytest.fixture(scope="module")
def calibrated(data) -> Design:
    weights = rake(data, MARGINS, base_weights=np.full(len(data), N / len(data)), tolerance=1e-13, max_iterations=500).weights
    return Design(data, weights, calibration=MARGINS, population_size=N)


@pytest.fixture(scope="module")
def uncalibrated(data) -> Design:
    return Design(data, np.full(len(data), N / len(data)), population_size=N)


# ------------------------------------------------------------------ 1. no zero-width interval
def test_zero_and_hundred_percent_get_the_exact_binomial_interval(data, ref, calibrated, uncalibrated):
    """A proportion of 0% or 100% has an estimated variance of 0; its interval is Korn–Graubard
    with the effective sample size n, which is R's binom.test interval, overall and in domains,
    in a calibrated and an uncalibrated design, and labelled so."""
    frame = data.assign(nul=data["ind_werk_betaald"] * 0, een=data["ind_werk_betaald"] * 0 + 1)
    n = int(ref["binom_all_n"])
    for design in (calibrated, uncalibrated):
        design = Design(frame, design.weights, calibration=design.calibration or None, population_size=N)
        for column, x in (("nul", 0), ("een", n)):
            est = design.mean(column)
            assert (est.estimate, est.se, est.n, est.ci_method) == (x / n, 0.0, n, "beta-n")
            assert est.ci_low == pytest.approx(ref[f"binom_all_{x}_low"], rel=RTOL, abs=1e-15)
            assert est.ci_high == pytest.approx(ref[f"binom_all_{x}_high"], rel=RTOL)
        domain = design.mean("ind_werk_participeert", by="route")["onderwijs"]  # every one of 19 takes part
        assert (domain.estimate, domain.n, domain.ci_method) == (1.0, int(ref["binom_werk_participeert_route_onderwijs_n"]), "beta-n")
        assert domain.ci_low == pytest.approx(ref["binom_werk_participeert_route_onderwijs_low"], rel=RTOL)
        assert domain.ci_high == 1.0


def test_the_issue_example_zero_of_38_runs_to_about_nine_percent():
    low, high = korn_graubard(0.0, 0.0, 0.95, 100, 37, n=38)
    assert low == 0.0 and high == pytest.approx(1 - 0.025 ** (1 / 38), rel=1e-12) and 0.092 < high < 0.093
    with pytest.raises(ValueError, match="variance 0 needs the number of answers"):
        korn_graubard(0.0, 0.0, 0.95, 100, 37)


def test_other_proportions_keep_their_interval_and_say_which(calibrated):
    est = calibrated.mean("ind_werk_betaald")
    assert est.ci_method == "logit" and est.ci_low < est.estimate < est.ci_high
    small = calibrated.mean("ind_werk_betaald", by="route", small_n=50)
    assert {k: (e.ci_method, e.n < 50) for k, e in small.items()} == {"B1": ("logit", False), "Z": ("beta", True), "onderwijs": ("beta", True)}
    assert calibrated.mean("ind_taal_cijfer").ci_method == "t"


def test_a_share_the_calibration_fixes_has_no_sampling_error(calibrated):
    """The share of a weighting category is known exactly once the weights are calibrated: R gives
    it a zero-width interval, and so does the design (not the 0%/100% binomial interval)."""
    frame = calibrated.data.assign(gezin=(calibrated.data["status"] == "gezin").astype(float))
    design = Design(frame, calibrated.weights, calibration=MARGINS, population_size=N)
    est = design.mean("gezin")
    assert est.estimate == pytest.approx(1246 / N, rel=1e-9)
    assert (est.se, est.ci_method, est.ci_low, est.ci_high) == (0.0, "fixed", est.estimate, est.estimate)


def test_a_domain_without_weight_or_answers_has_no_estimate(data):
    weights = np.where(data["route"] == "Z", 0.0, N / len(data))
    design = Design(data.assign(een=1.0), weights, population_size=N)
    for column in ("een", "ind_werk_betaald"):
        est = design.mean(column, by="route")["Z"]
        assert np.isnan(est.estimate) and np.isnan(est.ci_low) and est.ci_method == "none"


# ------------------------------------------------------------------ 2. Korn–Graubard in domains
def test_korn_graubard_in_domains_of_an_uncalibrated_design_matches_r(uncalibrated, ref):
    """R subsets the rows of an uncalibrated design, so the domain's own degrees of freedom enter
    the effective sample size (the project used the whole sample's, up to 2.3% off)."""
    checked = 0
    for ind in ("werk_betaald", "taal_voldoende", "werk_participeert"):
        for group in ("route", "ageband"):
            for category, est in uncalibrated.mean(f"ind_{ind}", by=group, small_n=10_000).items():
                tag = f"{ind}_{group}_{category}"
                if f"beta_{tag}_low" not in ref:
                    assert est.ci_method == "beta-n"
                    continue
                assert est.ci_method == "beta"
                assert est.ci_low == pytest.approx(ref[f"beta_{tag}_low"], rel=RTOL), tag
                assert est.ci_high == pytest.approx(ref[f"beta_{tag}_high"], rel=RTOL), tag
                checked += 1
    assert checked == 17


# ------------------------------------------------------------------ 3. a calibrated design is calibrated
def test_a_design_refuses_weights_that_miss_its_calibration_margins(data):
    equal = np.full(len(data), N / len(data))
    with pytest.raises(ValueError, match=r"the weights do not meet the calibration margins \(margin '\w+' category '[^']+': "
                                         r"weights sum to [\d.]+, the population count is \d+; relative deviation [\d.e-]+ > 1e-06\)"):
        Design(data, equal, calibration=MARGINS, population_size=N)
    with pytest.raises(ValueError, match="population margins .* not only their names"):
        Design(data, equal, calibration=list(MARGINS), population_size=N)
    with pytest.raises(ValueError, match=r"margin 'route': respondents have categories \['Z'\] that the margin does not count"):
        Design(data, equal, calibration={"route": {"B1": 1998, "onderwijs": 625}}, population_size=N)


def test_trimmed_weights_that_were_not_calibrated_again_get_the_standard_errors_r_gives_them(calibrated, ref):
    trimmed, count = trim(calibrated.weights, upper=1.6 * calibrated.weights.mean(), strict=True)
    assert count > 0
    with pytest.raises(ValueError, match="do not meet the calibration margins"):
        Design(calibrated.data, trimmed, calibration=MARGINS, population_size=N)
    given = Design(calibrated.data, trimmed, population_size=N)
    for ind in ("werk_betaald", "taal_cijfer"):
        est = given.mean(f"ind_{ind}")
        assert est.estimate == pytest.approx(ref[f"trimmed_{ind}_estimate"], rel=RTOL)
        assert est.se == pytest.approx(ref[f"trimmed_{ind}_se"], rel=RTOL)


def test_the_estimate_stage_uses_the_design_the_weights_are(project):
    """trimming.recalibrate: false leaves weights that miss the margins: the stage's design is
    then uncalibrated (its standard errors those of the weights as given), not refused."""
    import json

    from rapportage.config import load_wave
    from rapportage.stages import pipeline

    from tests.test_weighting import edit_population

    edit_population(project, "  method: raking\n",
                    "  method: raking\n  trimming: {upper_relative_to_mean: 1.6, strict: true, recalibrate: false}\n", "demo-2024")
    wave = load_wave(project, "demo-2024")
    run_earlier_waves(wave)
    for stage in ("fetch", "clean", "weight", "estimate"):
        pipeline.STAGES[stage](wave, False)
    report = json.loads((wave.clean_dir / "weighting.json").read_text())
    assert report["trimming"]["trimmed"] > 0 and report["max_margin_deviation"] > 1e-3
    design = pipeline.design_for(wave)
    assert design.calibration == {} and report["calibrated"] is False
    edit_population(project, "upper_relative_to_mean: 1.6", "upper_relative_to_mean: 10", "demo-2024")  # nothing to trim
    wave = load_wave(project, "demo-2024")
    pipeline.weight(wave)
    report = json.loads((wave.clean_dir / "weighting.json").read_text())
    assert report["trimming"]["trimmed"] == 0 and report["calibrated"] is True
    assert pipeline.design_for(wave).calibration != {}


# ------------------------------------------------------------------ 4. messages that advise right
@pytest.mark.parametrize("method", ["rake", "linear", "raking", "logit"])
def test_margins_with_different_totals_are_named_by_every_method(data, method):
    margins = MARGINS | {"gender": {"vrouw": 1443, "man": 1100}}
    with pytest.raises(WeightingError, match=r"the margins do not count the same population: their counts sum 'status' to 2623, "
                                            r"'gender' to 2543; correct the counts so that every margin adds up to the same total"):
        weigh(data, margins, method)


@pytest.mark.parametrize("method", ["rake", "linear", "raking", "logit"])
def test_a_zero_population_count_with_respondents_is_one_sentence_for_every_method(data, method):
    margins = MARGINS | {"route": {"B1": 2405, "Z": 0, "onderwijs": 218}}
    n_z = int((data["route"] == "Z").sum())
    with pytest.raises(WeightingError, match=rf"margin 'route' category 'Z' has a population count of 0 but {n_z} respondent\(s\); "
                                            "correct the count, or merge the category with a neighbouring one"):
        weigh(data, margins, method)


def test_a_zero_count_category_nobody_is_in_changes_nothing(data):
    margins = MARGINS | {"route": {"B1": 1998, "Z": 407, "onderwijs": 218, "anders": 0}}
    for method in ("rake", "linear", "raking", "logit"):
        np.testing.assert_allclose(weigh(data, margins, method), weigh(data, MARGINS, method), rtol=1e-9)


def test_negative_counts_are_refused(data):
    with pytest.raises(WeightingError, match=r"margin 'route' category 'Z' has population count -1; a count is a number of people"):
        rake(data, MARGINS | {"route": {"B1": 2406, "Z": -1, "onderwijs": 218}})


def weigh(data: pd.DataFrame, margins: dict, method: str) -> np.ndarray:
    base = np.full(len(data), N / len(data))
    if method == "rake":
        return rake(data, margins, base_weights=base, tolerance=1e-10, max_iterations=500).weights
    bounds = (0.2, 6.0) if method == "logit" else None
    return calibrate(data, margins, method=method, bounds=bounds, base_weights=base, max_iterations=500).weights


# ------------------------------------------------------------------ 5. trimming holds after calibrating again
def test_trimming_and_calibrating_again_repeat_until_the_cap_holds(project):
    """One pass trimmed to 3 × the mean and ended at 3.4 × after raking again."""
    import json

    from rapportage.config import load_wave
    from rapportage.stages import pipeline

    from tests.test_weighting import edit_population

    edit_population(project, "  method: raking\n",
                    "  method: raking\n  trimming: {upper_relative_to_mean: 3.0, strict: true, recalibrate: true}\n", "demo-2023")
    wave = load_wave(project, "demo-2023")
    for stage in ("fetch", "clean", "weight"):
        pipeline.STAGES[stage](wave, False)
    report = json.loads((wave.clean_dir / "weighting.json").read_text())
    weights = pd.read_parquet(wave.clean_dir / "weights.parquet")["weight"].to_numpy()
    trimming = report["trimming"]
    assert trimming["rounds"] > 1 and trimming["cap_met"]
    assert weights.max() <= 3.0 * weights.mean() * (1 + 1e-6)
    assert trimming["max_relative_to_mean"] == pytest.approx(weights.max() / weights.mean(), rel=1e-12)
    assert report["max_margin_deviation"] < 1e-9
    pipeline.design_for(wave)  # and the design accepts them as calibrated


def test_a_cap_that_cannot_hold_is_reported_not_hidden(project):
    import json

    from rapportage.config import load_wave
    from rapportage.stages import pipeline

    from tests.test_weighting import edit_population

    edit_population(project, "  method: raking\n",
                    "  method: raking\n  trimming: {upper_relative_to_mean: 1.6, strict: true, recalibrate: true, max_rounds: 3}\n", "demo-2023")
    wave = load_wave(project, "demo-2023")
    for stage in ("fetch", "clean"):
        pipeline.STAGES[stage](wave, False)
    result = pipeline.weight(wave)
    report = json.loads((wave.clean_dir / "weighting.json").read_text())
    assert report["trimming"]["rounds"] == 3 and not report["trimming"]["cap_met"]
    assert report["max_margin_deviation"] < 1e-9  # the margins hold; the cap gives way
    assert report["trimming"]["lowest_possible_max_relative_to_mean"] == pytest.approx(2.289, abs=1e-3)
    assert any("cap of 1.6 times the mean after 3 rounds" in note and "no weights that meet every margin stay below "
               "2.29 times the mean" in note for note in result.notes), result.notes


# ------------------------------------------------------------------ the R script beside the numbers
def test_edge_case_reference_numbers_are_reproducible_with_r(tmp_path):
    if not shutil.which("Rscript") or subprocess.run(["Rscript", "-e", "library(survey)"], capture_output=True).returncode:
        pytest.skip("R with the survey package is not installed (.ci/run installs it)")
    subprocess.run(["Rscript", str(REF / "make_edge_cases.R"), str(REF), str(tmp_path)], check=True, capture_output=True)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "r_edge_cases.csv"), pd.read_csv(REF / "r_edge_cases.csv"), rtol=1e-9)


# ------------------------------------------------------------------ 6. threads
def test_stages_compute_with_one_blas_thread(demo_run, monkeypatch):
    """The estimation's matrices are small: a second BLAS thread only costs (bench_threads.py)."""
    from rapportage.stages import pipeline
    from threadpoolctl import threadpool_info

    wave, _ = demo_run
    seen = []
    real = pipeline.estimate_indicators

    def spy(*args, **kwargs):
        seen.extend(info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas")
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "estimate_indicators", spy)
    pipeline.estimate(wave, force=True)
    assert seen and set(seen) == {1}
