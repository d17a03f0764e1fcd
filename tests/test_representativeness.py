"""The R-indicator with its standard error and bias adjustment, and the partial R-indicators, against
R's glm and the published formulas written out in R one row per person
(``reference/make_representativeness.R`` on the demo frame's response cells): tolerance 1e-6
relative (observed: 1e-9 for the values, 2e-7 for the standard errors, whose glm fit R stops a
little earlier). The standard errors are checked by simulation (slow)."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from rapportage.statistics import reminder_gains, representativeness, response_cells

from tests.conftest import REPO

REF = REPO / "tests" / "reference"
VARIABLES = ["status", "gender", "ageband", "route"]


@pytest.fixture(scope="module")
def cells() -> pd.DataFrame:
    return pd.read_csv(REF / "demo_response_cells.csv", dtype={v: str for v in VARIABLES})


def _as_named(rep) -> dict[str, float]:
    out = {"R": rep.r, "R_unadjusted": rep.r_unadjusted, "R_se": rep.se, "mean_propensity": rep.mean_propensity}
    for row in rep.partials.itertuples():
        name = row.variable if pd.isna(row.category) else f"{row.variable}={row.category}"
        out |= {f"{name}:Pu": row.unconditional, f"{name}:Pu_se": row.unconditional_se,
                f"{name}:Pc": row.conditional, f"{name}:Pc_se": row.conditional_se}
    return out


def _compare(reference: pd.DataFrame, ours: dict[str, float]) -> float:
    names = [n for n in reference.name if n != "bias"]
    assert set(names) == set(ours), set(names) ^ set(ours)
    expected = reference.set_index("name").value[names].to_numpy(dtype=float)
    got = np.array([ours[n] for n in names])
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-12)
    return float(np.max(np.abs(got - expected) / np.abs(expected)))


def test_r_indicator_and_partials_match_r_glm_and_the_published_formulas(cells):
    rep = representativeness(cells, VARIABLES)
    assert _compare(pd.read_csv(REF / "r_representativeness.csv"), _as_named(rep)) < 1e-6
    # the unadjusted R is the one the weighting stage has always reported
    r_indicator = pd.read_csv(REF / "r_indicator.csv").set_index("name").value
    assert rep.r_unadjusted == pytest.approx(r_indicator["R"], rel=1e-9)


def test_the_r_reference_is_reproduced_by_r(cells, tmp_path):
    if not shutil.which("Rscript"):
        pytest.skip("R is not installed")
    subprocess.run(["Rscript", str(REF / "make_representativeness.R"), str(REF), str(tmp_path)], check=True,
                   capture_output=True)
    assert _compare(pd.read_csv(tmp_path / "r_representativeness.csv"), _as_named(representativeness(cells, VARIABLES))) < 1e-6


def test_partials_decompose_and_point_at_the_under_represented(cells):
    rep = representativeness(cells, VARIABLES)
    p = rep.partials
    for var in VARIABLES:
        whole = p[(p.variable == var) & p.category.isna()].iloc[0]
        cats = p[(p.variable == var) & p.category.notna()]
        # the variable's value is the root of its categories' squares (before the bias adjustment)
        factor = ((1 - rep.r) / (1 - rep.r_unadjusted)) ** 2
        assert whole.unconditional == pytest.approx(np.sqrt((cats.unconditional**2).sum() * factor), rel=1e-12)
        assert whole.conditional == pytest.approx(np.sqrt((cats.conditional**2).sum() * factor), rel=1e-12)
        # a negative unconditional partial is a category whose response rate is below the overall one
        assert ((cats.unconditional < 0) == (cats.response_rate < rep.respondents / rep.persons)).all()
    assert rep.r < rep.r_unadjusted + 0.05 and rep.r > rep.r_unadjusted  # the bias of S^2 is removed


def test_reminder_gains_are_recomputed_r_and_favour_the_under_represented(cells):
    rep = representativeness(cells, VARIABLES)
    gains = reminder_gains(rep, 0.5)
    best = gains.iloc[0]
    row = rep.partials[(rep.partials.variable == best.variable) & (rep.partials.category == best.category)].iloc[0]
    assert row.unconditional < 0  # the best category to remind is under-represented
    worst = gains.iloc[-1]
    assert worst.gain < 0  # reminding an over-represented category lowers R
    # recomputed by hand for the best category
    c = rep.model.cells
    rho = c.propensity.to_numpy()
    n = c.persons.to_numpy()
    after = np.where(c[best.variable] == best.category, 1 - (1 - rho) ** 1.5, rho)
    r_after = 1 - 2 * np.sqrt(np.sum(n * (after - np.sum(n * after) / n.sum()) ** 2) / (n.sum() - 1) - rep.bias)
    assert best.r_after == pytest.approx(r_after, rel=1e-12) and best.gain == pytest.approx(r_after - rep.r, rel=1e-12)
    assert best.not_responded == int((c.persons - c.respondents)[c[best.variable] == best.category].sum())


def test_a_category_without_respondents_is_named():
    frame = pd.DataFrame({"route": ["B1"] * 50 + ["Z"] * 20})
    respondents = pd.DataFrame({"route": ["B1"] * 10})
    with pytest.raises(ValueError, match="route = Z has no respondents"):
        representativeness(response_cells(frame, respondents, ["route"]), ["route"])


def test_max_bias_is_the_published_bound(cells):
    rep = representativeness(cells, VARIABLES)
    assert rep.max_bias(0.5) == pytest.approx((1 - rep.r) * 0.5 / (2 * rep.mean_propensity))


@pytest.mark.slow
def test_standard_errors_cover_the_true_value_by_simulation(cells):
    """Responses drawn 500 times from known propensities (the demo model's fit): the 95% interval
    of R and of each category's unconditional and conditional partial R-indicator covers the
    true value about 95% of the time (measured figures beside the assertions)."""
    truth = representativeness(cells, VARIABLES)
    rho = truth.model.cells.propensity.to_numpy()
    persons = truth.model.cells.persons.to_numpy()
    true_cells = truth.model.cells[VARIABLES + ["persons"]].assign(respondents=0)
    # the true values: the formulas on the true propensities themselves (no estimation)
    n = persons.astype(float)
    mean = n @ rho / n.sum()
    true_r = 1 - 2 * np.sqrt(n @ (rho - mean) ** 2 / (n.sum() - 1))
    true_pu = {}
    for var in VARIABLES:
        for k in np.unique(true_cells[var]):
            idx = (true_cells[var] == k).to_numpy()
            true_pu[(var, k)] = np.sqrt(n[idx].sum() / n.sum()) * (n[idx] @ rho[idx] / n[idx].sum() - mean)
    true_pc = {}  # the conditional ones: variation within the cells of the other variables
    c = truth.model.cells
    for var in VARIABLES:
        others = [c[v] for v in VARIABLES if v != var]
        within = ((c.persons * c.propensity).groupby(others).transform("sum") / c.persons.groupby(others).transform("sum")).to_numpy()
        for k in np.unique(c[var]):
            idx = (c[var] == k).to_numpy()
            true_pc[(var, k)] = np.sqrt(n[idx] @ (rho[idx] - within[idx]) ** 2 / n.sum())
    rng = np.random.default_rng(2026)
    hits_r, hits_pu, hits_pc, draws = 0, {key: 0 for key in true_pu}, {key: 0 for key in true_pc}, 500
    for _ in range(draws):
        drawn = true_cells.assign(respondents=rng.binomial(persons, rho))
        rep = representativeness(drawn, VARIABLES)
        low, high = rep.interval(0.95)
        hits_r += low <= true_r <= high
        for row in rep.partials[rep.partials.category.notna()].itertuples():
            value = true_pu[(row.variable, row.category)]
            hits_pu[(row.variable, row.category)] += abs(row.unconditional - value) <= 1.96 * row.unconditional_se
            hits_pc[(row.variable, row.category)] += abs(row.conditional - true_pc[(row.variable, row.category)]) <= 1.96 * row.conditional_se
    coverage_r = hits_r / draws
    coverage_pu = {k: v / draws for k, v in hits_pu.items()}
    coverage_pc = {k: v / draws for k, v in hits_pc.items()}
    print(f"coverage R {coverage_r:.3f}; unconditional {min(coverage_pu.values()):.3f}-{max(coverage_pu.values()):.3f}; "
          f"conditional {min(coverage_pc.values()):.3f}-{max(coverage_pc.values()):.3f}")
    assert 0.92 <= coverage_r <= 0.98  # measured 0.948
    assert all(0.92 <= c <= 0.98 for c in coverage_pu.values()), coverage_pu  # measured 0.942-0.964
    # a conditional partial near 0 is overestimated (a root of a sum of squares), its interval wider
    assert all(0.90 <= c <= 0.99 for c in coverage_pc.values()), coverage_pc  # measured 0.946-0.980
