"""The statistics as a library (issue #15, item 2): a design whose verbs return new designs,
results as small objects, errors that speak of the data, integer category codes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import rapportage as rp
from rapportage.statistics import Design, WeightingError

from tests.test_reference_r import MARGINS, REF, RTOL, N


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(REF / "demo_respondents.csv")


def test_rake_returns_a_calibrated_design_with_rs_weights_and_standard_errors(data):
    """Design(...).rake(...) gives what R's calibrate(svydesign(...), calfun = "raking") gives."""
    base = Design(data, population_size=N)
    raked = base.rake(MARGINS, tolerance=1e-13, max_iterations=500)
    assert raked is not base and base.calibration == {} and set(raked.calibration) == set(MARGINS)
    np.testing.assert_allclose(raked.weights, pd.read_csv(REF / "r_weights.csv")["weight"], rtol=RTOL)
    ref = pd.read_csv(REF / "r_estimates.csv").query("indicator == 'werk_betaald' and group == 'totaal'").iloc[0]
    est = raked.mean("ind_werk_betaald")
    assert (est.estimate, est.se, *est.ci) == pytest.approx((ref.estimate, ref.se, ref.ci_low, ref.ci_high), rel=RTOL)
    assert est.to_frame().loc[0, "se"] == est.se


@pytest.mark.parametrize(("method", "bounds", "column"), [("linear", None, "linear"), ("logit", (0.3, 4.0), "logit")])
def test_calibrate_returns_the_design_r_calibrate_gives(data, method, bounds, column):
    design = Design(data, population_size=N).calibrate(MARGINS, method=method, bounds=bounds, max_iterations=500)
    np.testing.assert_allclose(design.weights, pd.read_csv(REF / "r_calibration.csv")[column], rtol=RTOL)
    assert design.calibration


def test_trim_gives_a_design_of_the_weights_as_given(data):
    raked = Design(data, population_size=N).rake(MARGINS)
    trimmed = raked.trim(1.6 * raked.weights.mean())
    assert trimmed.calibration == {} and trimmed.weights.max() <= 1.6 * raked.weights.mean() * (1 + 1e-12)
    assert trimmed.weights.sum() == pytest.approx(raked.weights.sum(), rel=1e-12)
    assert raked.trim(1e9) is raked  # nothing to trim: the same design
    with pytest.raises(WeightingError, match="the mean weight .* lies outside"):
        raked.trim(0.5 * raked.weights.mean())


def test_weights_by_column_name_equal_weights_and_bad_weights(data):
    with_column = Design(data.assign(w=2.0), "w")
    assert with_column.weights.tolist() == [2.0] * len(data)
    assert Design(data, population_size=N).weights[0] == pytest.approx(N / len(data))
    with pytest.raises(ValueError, match="'v' is not a column of the data"):
        Design(data, "v")
    with pytest.raises(ValueError, match="weights must be numbers of 0 or more"):
        Design(data, np.full(len(data), -1.0))


def test_integer_category_codes_work_as_well_as_text():
    rng = np.random.default_rng(3)
    codes = pd.DataFrame({"g": rng.integers(1, 4, 300), "h": rng.integers(0, 2, 300), "y": rng.integers(0, 2, 300)})
    text = codes.assign(g=codes.g.map({1: "a", 2: "b", 3: "c"}), h=codes.h.map({0: "x", 1: "z"}))
    by_code = Design(codes, population_size=3000).rake({"g": {1: 1000, 2: 1500, 3: 500}, "h": {0: 1200, 1: 1800}})
    by_text = Design(text, population_size=3000).rake({"g": {"a": 1000, "b": 1500, "c": 500}, "h": {"x": 1200, "z": 1800}})
    np.testing.assert_allclose(by_code.weights, by_text.weights, rtol=1e-12)
    assert list(by_code.mean("y", by="g")) == ["1", "2", "3"]
    assert by_code.difference("y", "g", 1, 2).se == pytest.approx(by_text.difference("y", "g", "a", "b").se, rel=1e-12)


def test_errors_are_value_errors_that_speak_of_the_data(data):
    with pytest.raises(ValueError) as info:
        Design(data).rake(MARGINS | {"gender": {"vrouw": 1443, "man": 1100}})
    assert isinstance(info.value, WeightingError) and "yaml" not in str(info.value).lower()
    with pytest.raises(ValueError, match="glm: family 'poisson' is not supported"):
        Design(data).glm("ind_werk_betaald", ["status"], family="poisson")


def test_the_package_exports_the_statistics_by_name():
    import rapportage.statistics as stats

    assert rp.Design is stats.Design and rp.rake is stats.rake
    for name in stats.__all__:
        assert getattr(stats, name).__doc__, name  # every public name is documented
    with pytest.raises(AttributeError):
        rp.no_such_thing  # noqa: B018


def test_the_statistics_know_nothing_of_the_pipeline():
    """rapportage.statistics imports only itself (and third-party packages): no waves, no YAML."""
    import ast

    from tests.conftest import REPO

    for path in sorted((REPO / "analysis" / "statistics").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rapportage"):
                assert node.module.startswith("rapportage.statistics"), (path.name, node.module)
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith("rapportage") and not a.name.startswith("rapportage.statistics")
                               for a in node.names), path.name


def test_wrong_calls_are_value_errors_that_name_what_is_wrong(data):
    """Found when the docstrings were checked against R: these gave a NaN with a RuntimeWarning,
    numpy's 'Singular matrix', silent NaN weights or pingouin's AssertionError."""
    from rapportage.statistics import cronbach, fit_response_model, propensity_weights, response_cells

    design = Design(data, population_size=N)
    with pytest.raises(ValueError, match=r"difference: no respondent with a value of 'ind_werk_betaald' has status = 'x'"):
        design.difference("ind_werk_betaald", "status", "asiel", "x")
    with pytest.raises(ValueError, match=r"glm: the outcome 'ind_taal_cijfer' must be 0 or 1"):
        design.glm("ind_taal_cijfer", ["status"])
    frame = pd.DataFrame({"g": ["a"] * 10 + ["b"] * 10})
    model = fit_response_model(response_cells(frame, frame.iloc[[0, 1, 10, 11, 12]], ["g"]), ["g"])
    with pytest.raises(ValueError, match="use must be 'inverse' or 'classes'"):
        propensity_weights(model, frame.iloc[[0, 10]], "weights", 2)
    with pytest.raises(ValueError, match=r"in a cell the response model does not have, e.g. \{'g': 'c'\}"):
        propensity_weights(model, pd.DataFrame({"g": ["a", "c"]}), "inverse", 2)
    with pytest.raises(ValueError, match="needs at least two items"):
        cronbach(pd.DataFrame({"q1": [1, 2, 3]}))
    with pytest.raises(ValueError, match="'q2' is not"):
        cronbach(pd.DataFrame({"q1": [1, 2, 3], "q2": ["a", "b", "c"]}))



def test_mixed_values_are_the_same_categories_for_raking_and_for_the_design():
    """Review: factorize merged 1 and 1.0 of an object column before they were text, so rake
    counted them as '1' while the design's margin check saw '1.0'."""
    frame = pd.DataFrame({"g": pd.Series([1, "1", 2, "2"] * 15, dtype=object), "y": [0.0, 1.0] * 30})
    raked = Design(frame, population_size=60).rake({"g": {"1": 30, "2": 30}})
    assert raked.weights.sum() == pytest.approx(60)
    mixed = pd.DataFrame({"g": pd.Series([1, 1.0, 2, 2.0] * 15, dtype=object), "y": [0.0, 1.0] * 30})
    with pytest.raises(WeightingError, match="1.0"):  # '1.0' is not a category of the margin, in rake as in the design
        Design(mixed, population_size=60).rake({"g": {"1": 30, "2": 30}})
