"""Property tests (hypothesis): for any feasible input, raking gives positive weights that meet
every margin, and the weights do not depend on the order of the rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rapportage.statistics.weighting import calibrate, rake


@st.composite
def feasible(draw):
    """Respondents with every category present, and margins of a population in which the
    sample's own cell structure is possible (targets from reweighting the sample's cells)."""
    n_vars = draw(st.integers(1, 4))
    sizes = [draw(st.integers(2, 4)) for _ in range(n_vars)]
    n = draw(st.integers(max(sizes) * 2, 120))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    columns = {}
    for v, k in enumerate(sizes):
        codes = np.concatenate([np.arange(k), rng.integers(0, k, n - k)])
        rng.shuffle(codes)
        columns[f"v{v}"] = [f"c{c}" for c in codes]
    data = pd.DataFrame(columns)
    truth = rng.uniform(0.2, 5.0, n)  # a population that is a positive reweighting of the sample
    margins = {var: {cat: float(truth[data[var] == cat].sum()) for cat in sorted(set(data[var]))} for var in data}
    base = rng.uniform(0.5, 2.0, n)
    return data, margins, base, rng.permutation(n)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(feasible())
def test_raked_weights_are_positive_meet_every_margin_and_ignore_row_order(case):
    data, margins, base, perm = case
    result = rake(data, margins, base_weights=base, tolerance=1e-9, max_iterations=5000)
    w = result.weights
    assert np.all(w > 0)
    for var, targets in margins.items():
        for cat, target in targets.items():
            assert abs(w[(data[var] == cat).to_numpy()].sum() - target) <= 1e-9 * target
    again = rake(data.iloc[perm].reset_index(drop=True), margins, base_weights=base[perm], tolerance=1e-9, max_iterations=5000)
    np.testing.assert_allclose(again.weights, w[perm], rtol=1e-7)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(feasible())
def test_raking_by_newton_and_by_ipf_agree(case):
    data, margins, base, _ = case
    ipf = rake(data, margins, base_weights=base, tolerance=1e-10, max_iterations=5000).weights
    newton = calibrate(data, margins, method="raking", base_weights=base, tolerance=1e-10, max_iterations=200).weights
    np.testing.assert_allclose(newton, ipf, rtol=1e-6)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(feasible())
def test_raking_is_idempotent(case):
    """Weights that already meet every margin are returned unchanged: raking them again does
    nothing (and calibrating them by Newton's method neither)."""
    data, margins, base, _ = case
    w = rake(data, margins, base_weights=base, tolerance=1e-11, max_iterations=5000).weights
    again = rake(data, margins, base_weights=w, tolerance=1e-9, max_iterations=5000)
    np.testing.assert_allclose(again.weights, w, rtol=1e-8)
    assert again.iterations <= 1
    newton = calibrate(data, margins, method="raking", base_weights=w, tolerance=1e-9, max_iterations=200).weights
    np.testing.assert_allclose(newton, w, rtol=1e-8)
