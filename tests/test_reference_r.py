"""Weighting and design-based estimation against R survey (Lumley), the reference implementation.

``reference/make_reference.R`` produced ``r_weights.csv`` and ``r_estimates.csv`` from
``reference/demo_respondents.csv`` (R 4.2.2, survey 4.1.1). Tolerance: 1e-6 relative for weights,
estimates, standard errors and confidence limits (observed agreement: about 1e-12 for weights and
standard errors, 1e-8 for the logit limits, which R gets from an iterative glm fit).
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from analysis.design import SurveyDesign
from analysis.weighting import rake
from tests.conftest import REPO

REF = REPO / "tests" / "reference"
N = 2623
MARGINS = {
    "status": {"asiel": 1377, "gezin": 1246},
    "gender": {"vrouw": 1443, "man": 1180},
    "ageband": {"18-26": 682, "27-40": 1718, "41+": 223},
    "route": {"B1": 1998, "Z": 407, "onderwijs": 218},
}
RTOL = 1e-6


@pytest.fixture(scope="module")
def design() -> SurveyDesign:
    data = pd.read_csv(REF / "demo_respondents.csv")
    n = len(data)
    result = rake(data, MARGINS, base_weights=np.full(n, N / n), tolerance=1e-13, max_iterations=500)
    return SurveyDesign(data, result.weights, calibration=list(MARGINS), population_size=N)


def test_raking_weights_match_r_calibrate(design):
    r = pd.read_csv(REF / "r_weights.csv")
    assert r["respondent_key"].tolist() == design.data["respondent_key"].tolist()
    np.testing.assert_allclose(design.weights, r["weight"].to_numpy(), rtol=RTOL)


def test_means_ses_and_intervals_match_r_survey(design):
    ref = pd.read_csv(REF / "r_estimates.csv")
    assert len(ref) == 20 * (1 + 2 + 2 + 3 + 3)
    for row in ref.itertuples():
        column = "ind_" + row.indicator
        est = design.mean(column) if row.group == "totaal" else design.mean(column, by=row.group)[row.category]
        for field in ("estimate", "se", "ci_low", "ci_high"):
            assert getattr(est, field) == pytest.approx(getattr(row, field), rel=RTOL), (row.indicator, row.group, row.category, field)


def test_calibration_makes_standard_errors_smaller_than_fixed_weights(design):
    fixed = SurveyDesign(design.data, design.weights, population_size=N)
    se_cal = design.mean("ind_werk_betaald").se
    se_fixed = fixed.mean("ind_werk_betaald").se
    assert se_cal < se_fixed  # work depends on the raking variables


@pytest.mark.slow
def test_reference_numbers_are_reproducible_with_r(tmp_path):
    if not shutil.which("Rscript") or subprocess.run(["Rscript", "-e", "library(survey)"], capture_output=True).returncode:
        pytest.skip("R with the survey package is not installed (.ci/run installs it)")
    subprocess.run(["Rscript", str(REF / "make_reference.R"), str(REF), str(tmp_path)], check=True, capture_output=True)
    for name in ("r_weights.csv", "r_estimates.csv"):
        fresh = pd.read_csv(tmp_path / name)
        stored = pd.read_csv(REF / name)
        pd.testing.assert_frame_equal(fresh, stored, rtol=1e-9)


def test_reference_dataset_is_the_current_demo_wave(demo_run):
    """If the demo generator changes, regenerate: make_dataset.py, then make_reference.R."""
    wave, _ = demo_run
    current = pd.read_parquet(wave.clean_dir / "respondents.parquet")
    stored = pd.read_csv(REF / "demo_respondents.csv")
    current = current[stored.columns].astype({c: str for c in ("status", "gender", "ageband", "route")})
    pd.testing.assert_frame_equal(current.reset_index(drop=True), stored, check_dtype=False)
