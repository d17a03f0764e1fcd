"""Raking: margins met, and every silent failure of peer libraries is a clear error here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import PipelineError
from analysis.weighting import diagnostics, kish_deff, rake

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
    with pytest.raises(PipelineError, match="margin 'a' category 'y' .* no respondents"):
        rake(data, MARGINS)


def test_missing_weighting_value_is_an_error_naming_variable_and_count():
    data = sample()
    data.loc[[3, 8, 9], "b"] = None
    with pytest.raises(PipelineError, match="weighting variable 'b' is missing for 3 respondent"):
        rake(data, MARGINS)


def test_category_without_target_is_an_error():
    data = sample()
    data.loc[0, "b"] = "w"
    with pytest.raises(PipelineError, match=r"margin 'b': respondents have categories \['w'\]"):
        rake(data, MARGINS)


def test_non_convergence_is_an_error_not_a_silent_result():
    # a/b fully confounded in the sample: the margins cannot both be met
    data = pd.DataFrame({"a": ["x"] * 5 + ["y"] * 5, "b": ["u"] * 5 + ["v"] * 5})
    with pytest.raises(PipelineError, match="raking did not reach tolerance"):
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
